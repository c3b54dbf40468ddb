"""Pages about one referral that are not part of the assessment itself."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.db import request_session
from app.models import Referral
from app.security.sessions import require_user, signed_in_user
from app.services import referrals
from app.templating import render


def owned_referral_or_404(request: Request) -> Referral:
    """The referral in the path, if the signed-in user owns it; 404 for everyone else."""
    referral = referrals.owned_referral(
        request_session(request), signed_in_user(request), request.path_params["reference"]
    )
    if referral is None:
        raise HTTPException(404)
    return referral


@require_user
async def how_it_works(request: Request) -> Response:
    return render(
        request, "pages/referrals/how_it_works.html", {"referral": owned_referral_or_404(request)}
    )


routes = [
    Route("/referrals/{reference}/how-it-works", how_it_works, name="how_it_works"),
]

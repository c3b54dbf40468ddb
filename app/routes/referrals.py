"""Pages about one referral that are not part of the assessment itself."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.assessment import engine
from app.db import request_session
from app.form_handling import is_htmx
from app.models import Referral
from app.request_model import PortalRoute
from app.security.sessions import CLAIMED_START, now_for, require_user, signed_in_user
from app.services import answers as answer_store
from app.services import referrals
from app.services.retention import visible_until
from app.templating import render


def owned_referral_or_404(request: Request) -> Referral:
    """The referral in the path, if the signed-in user owns it; 404 for everyone else."""
    referral = referrals.owned_referral(
        request_session(request), signed_in_user(request), request.path_params["reference"]
    )
    if referral is None:
        raise HTTPException(404)
    until = visible_until(referral, request.state.settings)
    if until is not None and now_for(request) >= until:
        # Sent more than SUBMITTED_VISIBLE_DAYS ago: it has left its referrer's view (the hub
        # keeps it).
        raise HTTPException(404)
    return referral


def editable_referral_or_404(request: Request) -> Referral:
    """The referral in the path, if the signed-in user owns it and it is still a draft: once
    it has been sent, every page that could change it answers `referral_sent` instead."""
    referral = owned_referral_or_404(request)
    if referral.status != referrals.DRAFT:
        raise referrals.ReferralNotEditable(referral)
    return referral


def sent_url(referral: Referral) -> str:
    return f"/referrals/{referral.reference}/sent"


def referral_sent(request: Request, exc: Exception) -> Response:
    """A page or action that would change a referral that has been sent: reading goes to the
    confirmation page; a change is refused (409) with a page that says why, and htmx is sent
    there whole."""
    assert isinstance(exc, referrals.ReferralNotEditable)
    location = sent_url(exc.referral)
    if request.method in {"GET", "HEAD"}:
        return RedirectResponse(location, status_code=303)
    response = render(
        request,
        "pages/referrals/already_sent.html",
        {"referral": exc.referral, "sent_url": location},
        status_code=409,
    )
    if is_htmx(request):
        response.headers["HX-Redirect"] = location
    return response


@require_user
def how_it_works(request: Request) -> Response:
    """Help guide 3: the guidance page after the child's names; its Next goes to the form's
    first section (Your Details), as the guide says, not to the contents page. Just after a
    start made before signing in became this draft, it says so, once, with a way to delete it
    (someone else may have started it on a shared computer)."""
    referral = editable_referral_or_404(request)
    started_before_sign_in = request.session.get(CLAIMED_START) == referral.reference
    if started_before_sign_in:
        request.session.pop(CLAIMED_START)
    rows = answer_store.stored_sections(request_session(request), referral)
    sections = engine.visible_sections(
        request.state.assessment, answer_store.answers_by_section(rows)
    )
    return render(
        request,
        "pages/referrals/how_it_works.html",
        {
            "referral": referral,
            "first_section": sections[0],
            "started_before_sign_in": started_before_sign_in,
        },
    )


routes = [
    PortalRoute("/referrals/{reference}/how-it-works", how_it_works, name="how_it_works"),
]

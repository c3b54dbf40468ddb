"""Development only (PORTAL_ENV=development, no SMTP): the mail the portal would have sent."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.db import request_session
from app.request_model import PortalRoute
from app.services.mail import recent_mail
from app.templating import render


def mailbox(request: Request) -> Response:
    messages = recent_mail(request_session(request))
    return render(request, "pages/dev/mailbox.html", {"messages": messages})


routes = [PortalRoute("/dev/mailbox", mailbox, name="dev_mailbox")]

"""The Jinja environment: our pages and partials, GOV.UK Frontend's macros, and page globals."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from app.assessment.engine import field_id
from app.assessment.reference import REFERRAL_OPTIONS
from app.assets import data_url, static_url, theme_css
from app.models import User
from app.request_model import on_event_loop
from app.security.csrf import masked_token
from app.security.sessions import (
    WARNING_BEFORE_TIMEOUT,
    current_user,
    seconds_until_idle_timeout,
)
from app.services.passwords import HISTORY_RULE_TEXT, RULES
from app.settings import Settings

APP_DIR = Path(__file__).resolve().parent
HTMX_VERSION = "2.0.11"

# htmx reads this from <meta name="htmx-config">. No eval and no injected <style> (strict CSP);
# 422 swaps so that validation errors replace the form; other errors do not swap. No history
# cache: htmx would otherwise copy pages, with a child's details, into localStorage.
HTMX_CONFIG = {
    "allowEval": False,
    "allowScriptTags": False,
    "includeIndicatorStyles": False,
    "selfRequestsOnly": True,
    "historyCacheSize": 0,
    "refreshOnHistoryMiss": True,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True, "error": False},
        # A stale tab: the answer explains the conflict and keeps what was typed.
        {"code": "409", "swap": True, "error": False},
        {"code": "[45]..", "swap": False, "error": True},
    ],
}


@pass_context
def csrf_token(context: Context) -> str:
    return masked_token(context["request"].session)


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden field that comes first in every form."""
    token = masked_token(context["request"].session)
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


@pass_context
def header_user(context: Context) -> User | None:
    """The signed-in user for the header, or None where the database cannot be asked (error
    pages: a request refused before routing, rendered on the event loop, or the database
    being down)."""
    request: Request = context["request"]
    if not hasattr(request.state, "db") or on_event_loop():
        return getattr(request.state, "user", None)
    try:
        return current_user(request)
    except SQLAlchemyError:
        return None


@pass_context
def session_seconds_left(context: Context) -> int:
    return seconds_until_idle_timeout(context["request"])


UK_TIME = ZoneInfo("Europe/London")


def uk_time(moment: datetime) -> str:
    """The time of day in the UK, as GOV.UK writes it: "9:05am"."""
    local = moment.astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def uk_date(moment: datetime | None) -> str:
    """A day as people in the UK read it: "23 December 2026" (UK time)."""
    if moment is None:
        return ""
    local = moment.astimezone(UK_TIME)
    return f"{local.day} {local:%B %Y}"


def uk_datetime(moment: datetime | None) -> str:
    """A moment as people in the UK read it: "23 November 2026 at 9:05am" (UK time)."""
    if moment is None:
        return ""
    local = moment.astimezone(UK_TIME)
    return f"{local.day} {local:%B %Y} at {uk_time(moment)}"


class PortalEnvironment(Environment):
    """Jinja's environment, tuned for pages rendered by many threads at once.

    Each template's globals are one flat dict (a copy of the environment's, which are all set
    before the first template loads) rather than a ChainMap, whose lookups cost more than the
    rest of a variable's resolution; and the template cache is a plain dict, not an LRU whose
    every hit takes a lock and reorders a queue (our templates are a fixed, small set)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`params.label` on a plain dict, as GOV.UK Frontend's macros write it thousands of
        times a page: Jinja tries the attribute first, which for a dict raises AttributeError
        before the key is looked up. A plain dict has no attribute that is not a dict method,
        so going straight to the key gives exactly Jinja's answer, without the exception."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_DICT_ATTRIBUTES = frozenset(dir(dict))


def create_templates(settings: Settings) -> Jinja2Templates:
    environment = PortalEnvironment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(APP_DIR),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        # Checking every template on disk at each include costs more than the page itself:
        # only while developing.
        auto_reload=settings.environment == "development",
        cache_size=-1,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    globals_: dict[str, Any] = {
        "static_url": static_url,
        "data_url": data_url,
        "csrf_token": csrf_token,
        "csrf_field": csrf_field,
        "header_user": header_user,
        "session_seconds_left": session_seconds_left,
        "timeout_warning_seconds": int(WARNING_BEFORE_TIMEOUT.total_seconds()),
        "password_rules": lambda: [(rule, False) for rule in RULES],
        "history_rule": HISTORY_RULE_TEXT,
        "referral_options": lambda: list(REFERRAL_OPTIONS.values()),
        "field_id": field_id,
        "service_name": "Children's Portal",
        "council_name": settings.council_name,
        "council_colour": settings.council_colour,
        "hub_name": settings.hub_name,
        "hub_phone": settings.hub_phone,
        "draft_retention_days": settings.draft_retention_days,
        "mash_phone": settings.mash_phone,
        "out_of_hours_phone": settings.out_of_hours_phone,
        "htmx_config": json.dumps(HTMX_CONFIG, separators=(",", ":")),
        "htmx_script": f"vendor/htmx-{HTMX_VERSION}.min.js",
        "theme_css": theme_css(settings.council_colour),
    }
    environment.globals.update(globals_)
    environment.filters["uk_datetime"] = uk_datetime
    environment.filters["uk_date"] = uk_date
    return Jinja2Templates(env=environment)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    """Render a page or partial with the app's templates (from the lifespan state)."""
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(request, template, context or {}, status_code=status_code)

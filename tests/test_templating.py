"""The portal's Jinja environment is tuned for speed (app/templating.py: a flat globals dict,
a plain template cache, dict keys looked up without an exception): every page it draws must be
the same, byte for byte, as plain Jinja would draw it."""

from __future__ import annotations

import re

import pytest
from jinja2 import Environment
from starlette.testclient import TestClient

from app.assessment.schema import ASSESSMENT
from app.settings import Settings
from app.templating import PortalEnvironment
from testkit.answers import fill
from testkit.journeys import register, start_referral

# A masked CSRF token is different at every render, by design, and so is the key of the new,
# empty item a table offers.
MASKED_TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRF-Token": ")[A-Za-z0-9_=-]+')
ITEM_KEY = re.compile(r'name="[a-z_]+-item" value="([0-9a-f]{8})"')


def comparable(page: str) -> str:
    page = MASKED_TOKEN.sub(r"\1TOKEN", page)
    for key in set(ITEM_KEY.findall(page)):
        page = page.replace(key, "KEY")
    return page


def pages_of(client: TestClient, reference: str) -> dict[str, str]:
    paths = ["/", "/account", "/professionals", f"/referrals/{reference}"]
    paths += [f"/referrals/{reference}/sections/{section.id}" for section in ASSESSMENT.sections]
    paths += [f"/referrals/{reference}/check-answers", f"/referrals/{reference}/documents"]
    found = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 200:
            found[path] = comparable(response.text)
    return found


def test_pages_are_drawn_byte_for_byte_as_plain_jinja_draws_them(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(client, settings, "tess.templates@school.example.org")
    reference = start_referral(client)
    fill(settings.database_url, reference)
    tuned = pages_of(client, reference)
    assert len(tuned) > 10, sorted(tuned)

    monkeypatch.setattr(PortalEnvironment, "getattr", Environment.getattr)
    monkeypatch.setattr(PortalEnvironment, "make_globals", Environment.make_globals)
    plain = pages_of(client, reference)

    assert plain.keys() == tuned.keys()
    for path, page in tuned.items():
        assert page == plain[path], path

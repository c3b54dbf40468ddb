"""View Submitted Forms (help guide 11): the forms a user sent in the last 90 days, newest
first; after that they leave the referrer's list and view (the hub keeps them)."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from app.settings import Settings
from testkit.journeys import complete_referral, post, register, sign_in, start_referral
from tests.conftest import Clock

EMAIL = "mary.somerville@school.example.org"


def send(client: TestClient, reference: str) -> None:
    complete_referral(client, reference)
    response = post(client, f"/referrals/{reference}/send")
    assert response.status_code == 303, response.text


def test_sent_forms_are_listed_for_ninety_days(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    assert "You have not sent any forms" in client.get("/submitted").text
    first = start_referral(client, "Sam", "Smith")
    send(client, first)
    clock.advance(days=10)
    sign_in(client, EMAIL)  # the session ended while the days went by
    second = start_referral(client, "Kim", "Jones")
    send(client, second)
    draft = start_referral(client, "Lee", "Brown")
    page = client.get("/submitted").text
    assert page.index(second) < page.index(first)  # newest first
    assert draft not in page
    assert "Kim Jones – " + second in page and "In this list until" in page
    assert "21 February 2027" in page  # the first, sent on 23 November 2026, + 90 days
    # 90 days after the first was sent it leaves the list, and its pages and PDF go with it.
    clock.advance(days=80)
    sign_in(client, EMAIL)
    page = client.get("/submitted").text
    assert first not in page and second in page
    for path in ("check-answers", "sent", "pdf"):
        assert client.get(f"/referrals/{first}/{path}").status_code == 404
    assert client.get(f"/referrals/{second}/sent").status_code == 200
    # Nobody else sees either in their list.
    client.cookies.clear()
    register(client, settings, "someone.else@school.example.org")
    page = client.get("/submitted").text
    assert first not in page and second not in page


def test_each_sent_form_is_a_card_whose_title_is_the_link_that_opens_it(
    client: TestClient, settings: Settings
) -> None:
    """The guide: "Click on the form link to open the form"."""
    register(client, settings, EMAIL)
    reference = start_referral(client, "Kim", "Jones")
    send(client, reference)
    page = client.get("/submitted").text
    title = re.search(
        r'<h2 class="govuk-summary-card__title"><a class="govuk-link[^"]*" href="([^"]+)">'
        r"([^<]+)</a></h2>",
        page,
    )
    assert title, page
    assert (title[1], title[2]) == (f"/referrals/{reference}/view", f"Kim Jones – {reference}")
    card = page[title.end() : page.index("</dl>", title.end())]
    for key in ("Sent", "Status", "In this list until"):
        assert re.search(rf'<dt class="govuk-summary-list__key">\s*{key}\s*</dt>', card), key
    assert "Received" in card
    opened = client.get(title[1])
    assert opened.status_code == 200 and f'<h1 class="govuk-heading-l">{reference}</h1>' in (
        opened.text
    )

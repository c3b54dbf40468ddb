"""Help guide 11, View Submitted Forms: the user's name -> Submitted Forms lists the forms sent
in the last 90 days (never drafts, never anyone else's), each with when it was sent, its status
and until when it stays listed; the form's title, a link, opens what was sent, its documents and
its messages.

The sent forms are made in the live portal's database (e2e/records.py), so this journey needs
it: against a running portal, set E2E_DATABASE_URL."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import form_link, sign_in, summary_card
from e2e.records import Portal, letters, small_pdf


def open_submitted_forms(page: Page) -> None:
    page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Submitted Forms"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("View Submitted Forms")


def test_submitted_forms_lists_only_the_users_sent_forms(any_page: Page, portal: Portal) -> None:
    page = any_page
    surname = "Sentwell" + letters()
    referrer = portal.create_referrer()
    first = portal.referral(referrer, "Ivy", surname)
    second = portal.referral(
        referrer,
        "Jude",
        surname,
        documents=(("school-report.pdf", small_pdf("School report")),),
        hub_status="in-triage",
    )
    draft = portal.referral(referrer, "Kay", surname, send=False)
    someone_else = portal.referral(portal.create_referrer(), "Lou", surname)

    # Nothing sent yet: said so.
    newcomer = portal.create_referrer()
    sign_in(page, newcomer)
    open_submitted_forms(page)
    expect(page.get_by_text("You have not sent any forms in the last 90 days.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, referrer)
    open_submitted_forms(page)
    expect(page.get_by_text("Forms you have sent in the last 90 days.")).to_be_visible()
    cards = page.get_by_role("heading", level=2, name=re.compile(rf"{surname} – EH-"))
    expect(cards).to_have_text([f"Jude {surname} – {second}", f"Ivy {surname} – {first}"])
    for reference in (draft, someone_else):
        expect(page.get_by_text(reference)).to_have_count(0)
    jude = summary_card(page, f"Jude {surname} – {second}")
    expect(jude).to_contain_text("In triage")
    expect(jude).to_contain_text(re.compile(r"In this list until\s*\d{1,2} \w+ \d{4}"))
    expect(summary_card(page, f"Ivy {surname} – {first}")).to_contain_text("Received")
    assert_accessible(page)

    form_link(page, f"Jude {surname} – {second}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(second)
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Jude {surname}")
    expect(main).to_contain_text("Uxbridge Health Centre")
    expect(main).to_contain_text("What we know about: What is happening for this family?")
    expect(page.get_by_role("link", name="school-report.pdf", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Create PDF")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to Submitted Forms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("View Submitted Forms")

    # Another user's form is not there to be seen, even by its address.
    response = page.goto(f"/referrals/{someone_else}/view")
    assert response is not None and response.status == 404

"""Help guide 10, Retrieve a saved form: Recover a form lists the drafts with the date each
will be deleted; the form's title, a link, opens it where it was left; Delete removes it for
good."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    form_link,
    new_email,
    open_section,
    register,
    start_referral,
    summary_card,
    tab_to,
)
from testkit.mail import MailCapture


def test_recover_a_form_continue_it_then_delete_it(
    any_page: Page, mail_server: MailCapture
) -> None:
    page = any_page
    register(page, mail_server, new_email("recover"))
    reference = start_referral(page, "Rory", "Recovery")
    open_section(page, "Additional Details")
    page.get_by_label("The child's current education setting (optional)").fill("Harefield Academy")
    page.get_by_role("button", name="Next").click()

    page.get_by_role("link", name="Recover a form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recover an Early Help Form")
    title = f"Rory Recovery – {reference}"
    card = summary_card(page, title)
    expect(card).to_contain_text("Started")
    expect(card).to_contain_text("Last saved")
    expect(card).to_contain_text("Will be deleted on")
    expect(card).to_contain_text(re.compile(r"Will be deleted on\s*\d{1,2} \w+ \d{4}"))
    assert_accessible(page)

    # By keyboard: Tab to the form's title, with the focus in sight at every stop, and Enter.
    tab_to(page, form_link(page, title))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/referrals/{reference}(/|$)"))
    expect(page.get_by_text(reference).first).to_be_visible()
    expect(page.get_by_label("The child's current education setting (optional)")).to_have_value(
        "Harefield Academy"
    )

    page.get_by_role("link", name="Recover a form").click()
    card.get_by_role("link", name=re.compile("^Delete")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this draft?")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, delete the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recover an Early Help Form")
    expect(page.get_by_text(f"Draft {reference} has been deleted.")).to_be_visible()
    expect(card).to_have_count(0)
    expect(page.get_by_text("You have no forms in progress.")).to_be_visible()
    assert_accessible(page)

    response = page.goto(f"/referrals/{reference}")
    assert response is not None and response.status == 404

"""Help guide 7, Save a PDF Copy of the Submitted Form: Create PDF, on any section of the form
and after sending, downloads a real PDF of the answers saved so far, named after the reference
and the day; marked as a draft until the form is sent. Hub staff create the same PDF.

The final PDF after sending in the browser is also checked in test_submit.py and
test_whole_referral.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.accessibility import assert_accessible
from e2e.journeys import (
    create_pdf,
    hub_signs_in,
    new_email,
    open_section,
    register,
    sign_in,
    sign_out,
    start_referral,
)
from e2e.records import Portal, letters
from testkit.hidden import can_hide, hiding, library_file
from testkit.live import PASSWORD, LivePortal, make_professionals, start_portal
from testkit.mail import MailCapture


def test_create_a_draft_pdf_from_any_section(any_page: Page, mail_server: MailCapture) -> None:
    page = any_page
    register(page, mail_server, new_email("pdf"))
    reference = start_referral(page, "Petra", "Pdfington")
    open_section(page, "Additional Details")
    page.get_by_label("The child's current education setting (optional)").fill("Harefield Academy")
    page.get_by_role("button", name="Save and come back later").click()
    # Another section: the PDF has every answer saved so far.
    open_section(page, "Consent")
    text = create_pdf(page, reference)
    assert "DRAFT" in text
    assert reference in text
    assert "Petra" in text and "Pdfington" in text
    assert "Harefield Academy" in text


def test_the_referrer_and_the_hub_create_the_pdf_of_a_sent_form(
    js_page: Page, portal: Portal
) -> None:
    page = js_page
    surname = "Pdfsent" + letters()
    referrer = portal.create_referrer()
    reference = portal.referral(referrer, "Quin", surname)

    sign_in(page, referrer)
    page.goto(f"/referrals/{reference}/view")
    text = create_pdf(page, reference)
    assert "DRAFT" not in text
    assert "Quin" in text and surname in text
    sign_out(page)

    hub_signs_in(page, portal.hub_email)
    page.goto(f"/hub/referrals/{reference}")
    text = create_pdf(page, reference)
    assert "DRAFT" not in text
    assert "Quin" in text and surname in text


@pytest.fixture(scope="module")
def portal_without_pango(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    """A second portal, served where libpango cannot be loaded (testkit/hidden.py)."""
    if not can_hide():
        pytest.skip("hiding a library needs root and unshare")
    database: Path = tmp_path_factory.mktemp("no-pango") / "portal.db"
    portal = start_portal(
        f"sqlite:///{database}", wrapper=hiding([library_file("libpango-1.0.so.0")], [])
    )
    yield portal
    portal.stop()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_where_pdfs_cannot_be_made_create_pdf_says_so_and_leads_back(
    page_factory: Callable[..., Page], portal_without_pango: LivePortal, javascript: bool
) -> None:
    [(email, reference)] = make_professionals(
        portal_without_pango.database_url, 1, prefix=f"no-pango-{str(javascript).lower()}"
    )
    page = page_factory(javascript, portal_without_pango.url)
    sign_in(page, email, PASSWORD)
    page.goto(f"/referrals/{reference}/sections/your-details")
    page.get_by_role("button", name="Create PDF").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, PDFs are unavailable")
    assert_accessible(page)
    page.get_by_role("link", name="Go back to the referral").click()
    expect(page.get_by_role("link", name="Referrer and Child Details")).to_be_visible()

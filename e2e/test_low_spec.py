"""The core journey on a low-spec machine and a slow network, with JavaScript on: the CPU slowed
6 times, 400 ms latency and 400 kbit/s each way (the profile of `python -m bench.low_spec`).
Nothing is timed here; the journey must simply work as it does on a fast machine: answers saved,
the save status shown, one request for one Next, and every page accessible."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, CDPSession, Page, Request, expect

from e2e import journeys
from e2e.accessibility import assert_accessible
from e2e.journeys import (
    answer_referrer_and_child_details,
    answer_relationships,
    new_email,
    open_section,
    register,
    start_referral,
)
from testkit.browser import CPU_SLOWDOWN, LOW_SPEC_NETWORK
from testkit.mail import MailCapture

# Slow pages take seconds, not milliseconds: wait longer for them, still without sleeping.
SLOW_TIMEOUT_MS = 30_000


@dataclass
class LowSpecPage:
    page: Page
    devtools: CDPSession

    def slow_down(self) -> None:
        self.devtools.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        self.devtools.send("Network.emulateNetworkConditions", LOW_SPEC_NETWORK)

    def assert_accessible(self, page: Page) -> None:
        """axe at full speed: its verdict does not depend on the CPU, only its running time."""
        self.devtools.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        try:
            assert_accessible(page)
        finally:
            self.devtools.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


@pytest.fixture
def low_spec(
    browser: Browser, portal_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LowSpecPage]:
    context = browser.new_context(base_url=portal_url)
    context.set_default_timeout(SLOW_TIMEOUT_MS)
    expect.set_options(timeout=SLOW_TIMEOUT_MS)
    try:
        page = context.new_page()
        low_spec = LowSpecPage(page, context.new_cdp_session(page))
        low_spec.slow_down()
        # The shared journey steps check every page too: at full speed, as here.
        monkeypatch.setattr(journeys, "assert_accessible", low_spec.assert_accessible)
        yield low_spec
    finally:
        expect.set_options(timeout=None)
        context.close()


def test_core_journey_works_on_a_slow_machine_and_network(
    low_spec: LowSpecPage, mail_server: MailCapture
) -> None:
    page, assert_accessible = low_spec.page, low_spec.assert_accessible
    posts: list[str] = []

    def note_post(request: Request) -> None:
        if request.method == "POST":
            posts.append(request.url.split("?")[0])

    page.on("request", note_post)
    register(page, mail_server, new_email("slow"))
    reference = start_referral(page)
    section_url = f"{page.url.split('/referrals/')[0]}/referrals/{reference}/sections"

    open_section(page, "Referrer and child details")
    assert_accessible(page)
    answer_referrer_and_child_details(page)
    # Once Find Address is done, a change is autosaved over the slow line, and the page says so;
    # a reload shows every answer kept.
    address_line = page.get_by_label("Address line 1").input_value()
    page.get_by_label("Your job title").fill("Year 2 class teacher")
    # Leaving the field is the change that autosaves. An earlier autosave may still be on its
    # way over the slow line: this one waits for it, so wait for the save that carries the change.
    with page.expect_response(
        lambda response: (
            response.url.endswith("/autosave")
            and "referrer_job_title=Year" in (response.request.post_data or "")
        )
    ) as autosave:
        page.keyboard.press("Tab")
    assert autosave.value.ok
    expect(page.get_by_role("status").filter(has_text="Saved at")).to_be_visible()
    assert_accessible(page)
    # Every save of the answers above arrived before the reload: one still on its way as the
    # page goes is sent again as it leaves (keepalive) and can land after the reloaded page was
    # fetched, which Next would then take for a change made elsewhere (409). That path is its
    # own journey (test_assessment_sections.py); here the reload shows what was saved.
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.get_by_label("Your job title")).to_have_value("Year 2 class teacher")
    expect(page.get_by_label("Your organisation")).to_have_value("Colham Manor Primary")
    expect(page.get_by_label("Address line 1")).to_have_value(address_line)
    posts.clear()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Relationships and the Wider Family Details"
    )
    next_posts = [u for u in posts if u.startswith(section_url) and not u.endswith("/autosave")]
    assert len(next_posts) == 1, posts
    assert_accessible(page)

    # An impatient double click on a slow line still moves on once, with one family member.
    answer_relationships(page)
    page.get_by_role("button", name="Next").dblclick()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request for Support")
    assert_accessible(page)

    page.goto(f"/referrals/{reference}")
    for section in ("Referrer and child details", "Relationships and the Wider Family Details"):
        task = page.get_by_role("listitem").filter(
            has=page.get_by_role("link", name=section, exact=True)
        )
        expect(task).to_contain_text("Completed")
    page.goto(f"/referrals/{reference}/check-answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("Year 2 class teacher")).to_be_visible()
    expect(page.get_by_text("Colham Manor Primary")).to_be_visible()
    expect(page.get_by_text("943 476 5919")).to_be_visible()
    expect(page.get_by_text("Jo", exact=True)).to_have_count(1)
    assert_accessible(page)

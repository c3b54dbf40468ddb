"""Accessibility across the portal, and the layout every page shares, in a real browser.

Every journey checks each page it visits with axe-core (`assert_accessible`); here are the
checks a page-by-page scan cannot make: the footer pages and the page not found, the skip link,
scripts running under the strict security policy, the timeout warning (WCAG 2.2.1), a keyboard
user registering and completing a section without the mouse with the focus always visible and
never trapped (2.1.1, 2.1.2, 2.4.7), and every question page at 400% zoom, 320 CSS pixels wide,
without scrolling sideways (1.4.10)."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from playwright.sync_api import Page, Route, expect

from app.assessment.schema import ASSESSMENT
from e2e.accessibility import assert_accessible
from e2e.journeys import (
    PASSWORD,
    choose,
    code_from,
    elements_wider_than_the_window,
    new_email,
    open_section,
    register,
    start_referral,
    tab_through_the_page,
    tab_to,
)
from testkit.mail import MailCapture

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def test_footer_pages_are_reachable_and_accessible(any_page: Page) -> None:
    any_page.goto("/")
    any_page.get_by_role("link", name="Accessibility statement").click()
    expect(any_page.get_by_role("heading", level=1)).to_contain_text("Accessibility statement")
    assert_accessible(any_page)
    any_page.get_by_role("link", name="Cookies").click()
    expect(any_page.get_by_role("heading", level=1, name="Cookies")).to_be_visible()
    assert_accessible(any_page)


def test_not_found_page_is_a_gov_uk_page_and_accessible(any_page: Page) -> None:
    response = any_page.goto("/no-such-page")
    assert response is not None and response.status == 404
    expect(any_page.get_by_role("heading", level=1, name="Page not found")).to_be_visible()
    assert_accessible(any_page)


def test_keyboard_user_can_skip_to_the_main_content(js_page: Page) -> None:
    js_page.goto("/")
    js_page.keyboard.press("Tab")
    skip = js_page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    js_page.keyboard.press("Enter")
    expect(js_page.locator("main")).to_be_focused()


def test_scripts_run_under_the_strict_policy_with_no_violation(js_page: Page) -> None:
    js_page.add_init_script(CSP_WATCH)
    js_page.goto("/")
    # GOV.UK Frontend's module started (it marks the body), so module scripts are allowed.
    expect(js_page.locator("body")).to_have_class(re.compile(r"govuk-frontend-supported"))
    config = js_page.evaluate(
        "({version: htmx.version, allowEval: htmx.config.allowEval,"
        " indicatorStyles: htmx.config.includeIndicatorStyles,"
        " history: htmx.config.historyCacheSize})"
    )
    assert config == {
        "version": "2.0.11",
        "allowEval": False,
        "indicatorStyles": False,
        "history": 0,
    }
    # htmx fetches and swaps under the policy: an element asking for /healthz when it loads.
    js_page.evaluate(
        """() => {
            const probe = document.createElement('p');
            probe.id = 'htmx-probe';
            probe.setAttribute('hx-get', '/healthz');
            probe.setAttribute('hx-trigger', 'load');
            document.querySelector('main').append(probe);
            htmx.process(probe);
        }"""
    )
    # The health check answers "ok", then the virus scanner's state on a second line.
    expect(js_page.locator("#htmx-probe")).to_have_text(re.compile(r"^ok\s"))
    assert js_page.evaluate("window.__cspViolations") == []


def test_the_accessibility_check_fails_on_a_real_violation(js_page: Page) -> None:
    js_page.goto("/")
    js_page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(js_page)


def test_timeout_warning_offers_to_stay_signed_in(js_page: Page, mail_server: MailCapture) -> None:
    page, email = js_page, new_email("timeout")
    register(page, mail_server, email)

    def short_session(route: Route) -> None:
        # The same page, told its session has 122 seconds left, so the warning opens at once.
        response = route.fetch()
        html = re.sub(
            r'data-session-seconds-left="\d+"', 'data-session-seconds-left="122"', response.text()
        )
        route.fulfill(response=response, body=html)

    page.route("**/account", short_session)
    page.goto("/account")
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="My Account")).to_be_visible()


# Keyboard only (WCAG 2.1.1, 2.1.2, 2.4.7) ------------------------------------------------------


def press_on(
    page: Page, name: str, role: Literal["button", "link", "radio"] = "button", key: str = "Enter"
) -> None:
    """Tab to a control named `name` and press it."""
    tab_to(page, page.get_by_role(role, name=name, exact=True))
    page.keyboard.press(key)


def type_into(page: Page, label: str, text: str) -> None:
    tab_to(page, page.get_by_label(label, exact=True))
    page.keyboard.type(text)


def test_register_and_complete_a_section_with_the_keyboard_only(
    js_page: Page, mail_server: MailCapture
) -> None:
    """No mouse: every control reached with Tab, its focus always visible, pressed with Enter
    or Space; then the whole section page tabbed through, the focus never trapped."""
    page, email = js_page, new_email("keyboard")
    page.goto("/")
    press_on(page, "Login or Register", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in or register")
    press_on(page, "Register for a new account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for a new account")
    type_into(page, "Forename", "Ada")
    type_into(page, "Surname", "Lovelace")
    press_on(page, "Next")
    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    before = len(mail_server.all_to(email))
    type_into(page, "Work email address", email)
    type_into(page, "Password", PASSWORD)
    type_into(page, "Confirm the password", PASSWORD)
    press_on(page, "Next")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code")
    type_into(page, "Code", code_from(mail_server, email, after=before))
    press_on(page, "Next")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account has been created")
    press_on(page, "Continue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Children's Portal")

    # Start a referral and open Consent.
    press_on(page, "Refer a Family for Early Help or Social Care Support", role="link")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What is the child's name?")
    type_into(page, "Forename", "Kit")
    type_into(page, "Surname", "Keys")
    press_on(page, "Confirm")
    expect(page.get_by_role("heading", level=1)).to_have_text("How does this tool work")
    press_on(page, "Next")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Details")
    press_on(page, "Consent", role="link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent")
    page.wait_for_load_state()
    assert len(tab_through_the_page(page)) > 10
    page.reload()

    # Yes (Space on the radio), written consent, who, when; then Next with Enter.
    press_on(page, "Yes", role="radio", key="Space")
    expect(page.get_by_label("Yes", exact=True)).to_be_checked()
    press_on(page, "Written consent", role="radio", key="Space")
    type_into(page, "Who gave consent?", "Jo Keys, mother")
    when = page.get_by_role("group", name="When was consent given?")
    tab_to(page, when.get_by_label("Day"))
    page.keyboard.type("20")
    tab_to(page, when.get_by_label("Month"))
    page.keyboard.type("11")
    tab_to(page, when.get_by_label("Year"))
    page.keyboard.type("2026")
    press_on(page, "Next")
    expect(page.get_by_role("heading", level=1)).to_have_text("Additional Details")
    press_on(page, "Back to the form's contents", role="link")
    expect(page.get_by_role("link", name="Consent", exact=True)).to_have_accessible_description(
        "Completed"
    )


# Zoom to 400% (WCAG 1.4.10 Reflow): 1280 CSS pixels wide at 400% is 320 -----------------------


def expect_no_sideways_scrolling(page: Page, where: str) -> None:
    assert elements_wider_than_the_window(page) == [], where
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{where} scrolls sideways: {widths}"


def test_every_question_page_reflows_at_400_percent_zoom(
    js_page: Page, mail_server: MailCapture
) -> None:
    """Each section of the assessment (the Participation Team and SEND Information shown, and
    each follow-up question revealed), at 320 by 256 CSS pixels: nothing to scroll sideways."""
    page = js_page
    register(page, mail_server, new_email("zoom"))
    reference = start_referral(page)
    page.set_viewport_size({"width": 320, "height": 256})
    open_section(page, "Request for Support")
    page.get_by_label("Participation Team").check()
    page.get_by_label("Special Educational Needs or Disabilities Services").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent")

    # The follow-up questions each section can reveal.
    reveal = {
        "Referrer and child details": lambda: page.get_by_label(
            "I am completing this form for someone else in a professional capacity"
        ).check(),
        "Consent": lambda: choose(
            page, "Have you sought consent from the parents or carers for this referral?", "Yes"
        ),
        "Additional Details": lambda: choose(
            page, "Does the child have special educational needs?", "Yes"
        ),
        "Participation Team": lambda: page.get_by_label("A child's attendance at school").check(),
        "Services": lambda: choose(
            page, "Were any services involved with the family before now?", "Yes"
        ),
    }
    for section in ASSESSMENT.sections:
        page.goto(f"/referrals/{reference}/sections/{section.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text(section.heading or section.title)
        expect_no_sideways_scrolling(page, section.title)
        if section.title in reveal:
            reveal[section.title]()
            expect_no_sideways_scrolling(page, f"{section.title}, follow-up questions shown")
        assert_accessible(page)
    for page_name in ("documents", "check-answers"):
        page.goto(f"/referrals/{reference}/{page_name}")
        expect_no_sideways_scrolling(page, page_name)


def test_the_keyboard_checks_fail_on_a_hidden_focus_and_on_a_trap(js_page: Page) -> None:
    page = js_page
    page.goto("/")
    # Links that look the same focused or not.
    page.evaluate(
        """() => document.querySelectorAll('a').forEach(link => {
            for (const property of ['outline', 'box-shadow', 'background']) {
                link.style.setProperty(property, 'none', 'important')
            }
        })"""
    )
    with pytest.raises(AssertionError, match="no visible focus"):
        tab_to(page, page.get_by_role("link", name="Login or Register"))

    # Tab from the last link of the main content goes back to its first one.
    page.reload()
    page.evaluate(
        """() => {
            const links = [...document.querySelectorAll('main a')]
            links.at(-1).addEventListener('keydown', event => {
                if (event.key === 'Tab' && !event.shiftKey) {
                    event.preventDefault()
                    links[0].focus()
                }
            })
        }"""
    )
    with pytest.raises(AssertionError, match="focus is trapped"):
        tab_through_the_page(page)

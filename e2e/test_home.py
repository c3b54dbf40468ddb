"""The home page and the layout every page shares, in a real browser, with and without JS."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import assert_accessible

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
});
"""


def test_home_page_shows_the_service_and_passes_axe(any_page: Page) -> None:
    response = any_page.goto("/")
    assert response is not None and response.status == 200
    expect(any_page).to_have_title(re.compile(r"^Home – Children's Portal – "))
    expect(any_page.get_by_role("heading", level=1, name="Children's Portal")).to_be_visible()
    expect(any_page.get_by_role("banner")).to_contain_text("London Borough of Hillingdon")
    expect(any_page.get_by_role("link", name="Accessibility statement")).to_be_visible()
    assert_accessible(any_page)


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
    expect(js_page.locator("#htmx-probe")).to_have_text("ok")
    assert js_page.evaluate("window.__cspViolations") == []


def test_the_accessibility_check_fails_on_a_real_violation(js_page: Page) -> None:
    import pytest

    js_page.goto("/")
    js_page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(js_page)

"""The layout every page shares: council header, headers, static files, the home placeholder."""

from __future__ import annotations

import dataclasses

from starlette.testclient import TestClient

from app.assets import static_url, theme_css
from app.main import create_app
from app.security.headers import content_security_policy, style_hash
from app.settings import Settings


def test_home_page_names_the_service_and_the_council(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.template.name == "pages/home.html"  # type: ignore[attr-defined]
    assert '<h1 class="govuk-heading-xl">Children&#39;s Portal</h1>' in response.text
    assert "London Borough of Hillingdon" in response.text
    assert 'href="#main-content"' in response.text and 'id="main-content"' in response.text
    assert 'href="/accessibility"' in response.text


def test_layout_uses_the_council_typeface_not_gds_transport(client: TestClient) -> None:
    css = client.get(static_url("css/portal.css"))
    assert css.status_code == 200
    assert "arial" in css.text.lower()
    assert "GDS Transport" not in css.text
    assert "govuk-crest" not in client.get("/").text


def test_every_page_has_a_strict_content_security_policy(client: TestClient) -> None:
    for path in ["/", "/accessibility", "/cookies", "/no-such-page"]:
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert policy == content_security_policy([theme_css("#00594f")])
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers
        assert "<script>" not in response.text and "style=" not in response.text


def test_htmx_is_pinned_and_configured_for_the_policy(client: TestClient) -> None:
    page = client.get("/").text
    assert "/static/vendor/htmx-2.0.11.min.js?v=" in page
    assert 'name="htmx-config"' in page
    assert "&#34;allowEval&#34;:false" in page
    assert "&#34;includeIndicatorStyles&#34;:false" in page
    assert "&#34;historyCacheSize&#34;:0" in page
    assert "&#34;code&#34;:&#34;422&#34;,&#34;swap&#34;:true" in page


def test_static_files_with_a_content_hash_are_cached_for_a_year(client: TestClient) -> None:
    versioned = client.get(static_url("vendor/htmx-2.0.11.min.js"))
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in versioned.headers["content-type"]
    plain = client.get("/static/js/portal.js")
    assert plain.headers["cache-control"] == "no-cache"
    assert "etag" in plain.headers
    assert "javascript" in plain.headers["content-type"]


def test_responses_are_compressed_for_slow_networks(client: TestClient) -> None:
    response = client.get(static_url("css/portal.css"), headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


def test_the_council_colour_is_the_pages_one_inline_style(settings: Settings) -> None:
    """COUNCIL_COLOUR goes into every page's head; the policy allows exactly that style."""
    blue = dataclasses.replace(settings, council_colour="#1d70b8")
    with TestClient(create_app(blue)) as client:
        page = client.get("/")
    style = theme_css("#1d70b8")
    assert f"<style>{style}</style>" in page.text
    assert "--portal-brand:#1d70b8" in style
    assert f"'{style_hash(style)}'" in page.headers["content-security-policy"]
    assert style_hash(theme_css("#00594f")) not in page.headers["content-security-policy"]


def test_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith("portal-session=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # only in production, over HTTPS


def test_production_adds_hsts_and_a_host_only_secure_cookie(database_url: str) -> None:
    from app.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, environment="production"))
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("__host-portal-session=")
    assert "secure" in cookie and "path=/" in cookie and "domain" not in cookie


def test_security_txt_says_where_to_report_a_vulnerability(client: TestClient) -> None:
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    lines = dict(line.split(": ", 1) for line in response.text.strip().splitlines())
    assert lines["Contact"].startswith(("mailto:", "https://"))
    # The clock fixture stands at 23 November 2026: the file expires a year on.
    assert lines["Expires"] == "2027-02-21T09:00:00Z"  # 90 days: well under the RFC's year
    assert lines["Canonical"].endswith("/.well-known/security.txt")

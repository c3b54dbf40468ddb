"""The built assets (make assets) and how they are served: built from the sources as they are,
one script with no imports to fetch, each file with Brotli and gzip twins that are exactly it,
the smallest encoding the browser accepts, a year's caching for a hashed URL, and a page that
needs no other request for its theme or its icon."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest
from starlette.testclient import TestClient

from app.assets import (
    STATIC_DIR,
    accepted_encodings,
    sources_digest,
    static_url,
    theme_css,
)
from app.security.headers import style_hash
from app.settings import PROJECT_ROOT
from app.templating import HTMX_VERSION
from testkit.asset_coverage import Uses, problems, started_modules, unused_selectors

SERVED = ["css/portal.css", "js/portal.js", f"vendor/htmx-{HTMX_VERSION}.min.js"]
SOURCES = [("css/portal.css", "assets/scss", ".scss"), ("js/portal.js", "assets/js", ".js")]


@pytest.mark.parametrize(("built", "folder", "extension"), SOURCES, ids=["css", "js"])
def test_each_built_file_was_built_from_the_sources_as_they_are(
    built: str, folder: str, extension: str
) -> None:
    """A source changed without `make assets` would ship old code: the built file's first
    line names the digest of what it was built from."""
    first_line = (STATIC_DIR / built).read_text().split("\n", 1)[0]
    named = re.match(r"/\* sources ([0-9a-f]{64})\b", first_line)
    assert named, first_line
    assert named.group(1) == sources_digest(PROJECT_ROOT / folder, extension), (
        f"{built} is older than {folder}/: run make assets and commit the result"
    )


def test_the_pinned_versions_are_the_ones_served() -> None:
    versions = json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"]
    assert versions["htmx.org"] == HTMX_VERSION
    assert (STATIC_DIR / f"vendor/htmx-{HTMX_VERSION}.min.js").is_file()
    script = (STATIC_DIR / "js/portal.js").read_text()
    assert f"GOV.UK Frontend {versions['govuk-frontend']}" in script.split("\n", 1)[0]


def test_the_portals_script_is_one_file_that_imports_nothing() -> None:
    """Modules imported by URL cost a warm page a check each, in round trips after the first."""
    script = (STATIC_DIR / "js/portal.js").read_text()
    assert not re.search(r"""\bimport\s*[\w{*"'(]|\bfrom\s*["']""", script)
    assert not list(STATIC_DIR.glob("js/*.js"))[1:], "one script only"


@pytest.mark.parametrize("path", SERVED)
def test_each_twin_is_exactly_the_file_compressed(path: str) -> None:
    original = (STATIC_DIR / path).read_bytes()
    assert gzip.decompress((STATIC_DIR / f"{path}.gz").read_bytes()) == original
    assert brotli.decompress((STATIC_DIR / f"{path}.br").read_bytes()) == original
    assert (STATIC_DIR / f"{path}.br").stat().st_size < (STATIC_DIR / f"{path}.gz").stat().st_size


@pytest.mark.parametrize(
    ("header", "encodings"),
    [
        pytest.param("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}, id="chromium"),
        pytest.param("br;q=0, gzip;q=0.8", {"gzip"}, id="br-refused"),
        pytest.param("GZIP", {"gzip"}, id="upper-case"),
        pytest.param("", set(), id="none"),
        pytest.param(" , ;q=1", set(), id="junk"),
        pytest.param("identity;q=0.000", set(), id="q-zero-three-places"),
    ],
)
def test_accepted_encodings(header: str, encodings: set[str]) -> None:
    assert accepted_encodings(header) == encodings


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        pytest.param("gzip, deflate, br", "br", id="brotli-first"),
        pytest.param("gzip", "gzip", id="gzip-only"),
        pytest.param("br;q=0, gzip", "gzip", id="brotli-refused"),
        pytest.param("identity", None, id="none"),
    ],
)
@pytest.mark.parametrize("path", SERVED)
def test_the_smallest_encoding_the_browser_accepts_is_served(
    client: TestClient, path: str, accept: str, encoding: str | None
) -> None:
    response = client.get(static_url(path), headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == encoding
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == (STATIC_DIR / path).read_bytes()  # decoded by the client
    if encoding is not None:
        suffix = {"br": ".br", "gzip": ".gz"}[encoding]
        size = (STATIC_DIR / f"{path}{suffix}").stat().st_size
        assert int(response.headers["content-length"]) == size
    kind = "text/css" if path.endswith(".css") else "text/javascript"
    assert response.headers["content-type"].startswith(kind)
    head = client.head(static_url(path), headers={"Accept-Encoding": accept})
    assert head.status_code == 200 and head.content == b""
    assert head.headers.get("content-encoding") == encoding


def test_a_twin_is_not_a_file_of_its_own(client: TestClient) -> None:
    for path in SERVED:
        for suffix in (".br", ".gz"):
            assert client.get(f"/static/{path}{suffix}").status_code == 404
    assert client.get("/static/js/components.js").status_code == 404  # a source, not served


def test_an_address_without_the_content_hash_is_checked_each_time(client: TestClient) -> None:
    plain = client.get("/static/js/portal.js")
    assert plain.headers["cache-control"] == "no-cache"
    assert "etag" in plain.headers


def test_scripts_and_stylesheets_carry_no_document_policies(client: TestClient) -> None:
    """CSP and framing govern documents; a script or a stylesheet keeps nosniff."""
    for path in SERVED:
        response = client.get(static_url(path))
        assert "content-security-policy" not in response.headers
        assert "x-frame-options" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
    image = client.get(static_url("images/favicon.svg"))
    assert "default-src 'self'" in image.headers["content-security-policy"]
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_page_needs_no_request_for_its_theme_or_its_icon(client: TestClient) -> None:
    page = client.get("/")
    style = theme_css("#00594f")
    assert f"<style>{style}</style>" in page.text
    # The policy allows exactly that style, and no other inline one.
    policy = page.headers["content-security-policy"]
    assert f"style-src 'self' '{style_hash(style)}';" in policy
    assert "unsafe-inline" not in policy
    assert '<link rel="icon" href="data:image/svg+xml;base64,' in page.text
    assets = re.findall(r'(?:href|src)="(/[^"]*)"', page.text.split("</head>")[0])
    assert sorted(a.split("?")[0] for a in assets) == [
        "/static/css/portal.css",
        "/static/js/portal.js",
        f"/static/vendor/htmx-{HTMX_VERSION}.min.js",
    ]
    assert all("?v=" in asset for asset in assets)


def test_the_journeys_check_finds_a_page_using_what_the_build_left_out() -> None:
    """The journeys note every page they check (e2e/asset_coverage.py); here the check itself,
    on pages made up for it."""
    selector, needs = unused_selectors()[0]
    seen = Uses()
    seen.add("/fine", '<a class="govuk-link" data-module="govuk-button">x</a>')
    assert problems(seen) == []
    seen.add("/trimmed", f'<div class="{" ".join(sorted(needs))}"></div>')
    seen.add("/radios", '<div class="govuk-radios" data-module="govuk-radios"></div>')
    seen.add("/tabs", '<div data-module="govuk-tabs"></div>')
    assert problems(seen) == [
        f"/trimmed: uses {selector}, which make assets left out",
        "/tabs: data-module=govuk-tabs is started by nothing",
    ]


def test_every_component_the_script_starts_is_in_it() -> None:
    assert started_modules() >= {
        "govuk-button",
        "govuk-error-summary",
        "govuk-notification-banner",
        "govuk-password-input",
        "govuk-skip-link",
    }


def test_no_template_or_script_names_a_class_the_stylesheet_left_out() -> None:
    """The stylesheet keeps the rules whose classes the templates, the Python and the scripts
    name (make assets): one named since the last build needs `make assets`. The journeys check
    the pages they reach as drawn (e2e/asset_coverage.py); this checks every template."""
    words: set[str] = set()
    sources = [*PROJECT_ROOT.glob("app/**/*.html"), *PROJECT_ROOT.glob("app/**/*.py")]
    for path in [*sources, *PROJECT_ROOT.glob("assets/js/*.js")]:
        words.update(re.findall(r"[A-Za-z0-9_!-]+", path.read_text()))
    named = [selector for selector, needs in unused_selectors() if needs <= words]
    assert named == [], "run make assets: the stylesheet lacks rules these name"


def test_no_class_a_macro_builds_from_parts_was_left_out() -> None:
    """GOV.UK Frontend's macros join some class names to a value (`govuk-pagination__{{ type }}`):
    PurgeCSS cannot see the whole name in them, so assets/build.mjs keeps those families. A
    macro that starts building another family shows here before a page loses its style."""
    import govuk_frontend_jinja

    macros = Path(govuk_frontend_jinja.__file__).parent / "templates"
    built = re.compile(r"""(govuk-[a-z-]+?(?:__|--|-))(?:\{\{|["']\s*~)""")
    prefixes = {
        match.group(1)
        for path in macros.rglob("*.html")
        for match in built.finditer(path.read_text())
    }
    assert "govuk-pagination__" in prefixes  # the check reads the macros
    left_out = [
        selector
        for selector, needs in unused_selectors()
        if any(name.startswith(prefix) for name in needs for prefix in prefixes)
    ]
    assert left_out == [], "keep these in assets/build.mjs's safelist"

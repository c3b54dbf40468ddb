"""A machine without WeasyPrint's system libraries (Pango) serves every page but Create PDF,
which says PDFs are unavailable; `portal serve` names the missing library as it starts, and the
health check stays 200 with `pdfs: unavailable` on its last line.

The library is really missing for the portal: `portal serve` runs in a mount namespace where
libpango's file is covered (testkit/hidden.py). The same portal with the library says `pdfs: ok`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from testkit.hidden import can_hide, hiding, library_file
from testkit.live import LivePortal, make_professionals, sign_in, start_portal

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not can_hide(), reason="hiding a library needs root and unshare"),
]


def health_once_pdfs_are_checked(portal: LivePortal) -> httpx.Response:
    """The health check, once the start-up PDF check (beside start-up) has answered."""
    deadline = time.monotonic() + 60
    while True:
        health = httpx.get(f"{portal.url}/healthz", timeout=10)
        if not health.text.endswith("pdfs: unchecked") or time.monotonic() > deadline:
            return health
        time.sleep(0.2)


async def create_pdf(portal: LivePortal, email: str, reference: str) -> list[httpx.Response]:
    """Sign in, then ask for the PDF of the draft and for the form's contents page."""
    async with httpx.AsyncClient(base_url=portal.url, timeout=60) as client:
        await sign_in(client, email, reference)
        return [
            await client.get(f"/referrals/{reference}/pdf"),
            await client.get(f"/referrals/{reference}"),
        ]


def test_without_pango_every_page_works_and_create_pdf_says_pdfs_are_unavailable(
    tmp_path: Path,
) -> None:
    database_url = f"sqlite:///{tmp_path / 'portal.db'}"
    portal = start_portal(database_url, wrapper=hiding([library_file("libpango-1.0.so.0")], []))
    try:
        health = health_once_pdfs_are_checked(portal)
        assert health.status_code == 200
        assert health.text.splitlines()[::2] == ["ok", "pdfs: unavailable"]
        [warning] = [line for line in portal.server.log if "PDFs cannot be made" in line]
        # Pango's font backend needs Pango itself, so it cannot be loaded either.
        assert (
            "PDFs cannot be made: install the system packages libpango-1.0-0, libpangoft2-1.0-0 "
            "(`make run` installs them; or apt-get install libpango-1.0-0 libpangoft2-1.0-0) "
            "and restart the portal." in warning
        )
        assert "cannot load library 'libpango-1.0-0'" in warning

        [(email, reference)] = make_professionals(database_url, 1, prefix="no-pango")
        pdf, contents = asyncio.run(create_pdf(portal, email, reference))
        assert pdf.status_code == 503
        assert pdf.headers["content-type"].startswith("text/html")
        assert "Sorry, PDFs are unavailable" in pdf.text
        assert f'<a class="govuk-link" href="/referrals/{reference}">Go back' in pdf.text
        assert contents.status_code == 200
        assert f"/referrals/{reference}/sections/your-details" in contents.text
        assert sum("pdf unavailable id=" in line for line in portal.server.log) == 1
    finally:
        portal.stop()


def test_with_its_libraries_the_portal_says_pdfs_can_be_made(live_portal: LivePortal) -> None:
    health = health_once_pdfs_are_checked(live_portal)
    assert health.status_code == 200 and health.text.splitlines()[-1] == "pdfs: ok"
    assert not [line for line in live_portal.server.log if "PDFs cannot be made" in line]

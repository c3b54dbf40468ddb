"""Page weight: bytes transferred for a first visit with an empty cache, as Chromium asks
(`Accept-Encoding: gzip, deflate, br`), response headers included.

Run: `python -m bench.page_weight` (or `make bench`). It builds the portal on a temporary SQLite
database, fetches each page and every asset the page links to (and any module a script
imports), and prints a Markdown table for docs/PERFORMANCE.md. bench/low_spec.py measures the
same journey in Chromium, request headers included.
"""

from __future__ import annotations

import csv
import posixpath
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import User
from app.services.passwords import hash_password
from app.services.referrals import create_draft
from app.settings import Settings

EMAIL = "bench.user@school.example.org"
PASSWORD = "Correct-Horse-Battery-9"  # noqa: S105 - a throwaway account in a temporary database
ASSET_PATTERN = re.compile(r'(?:href|src)="(/static[^"]*)"')
ACCEPT_ENCODING = "gzip, deflate, br"
MODULE_IMPORT_PATTERN = re.compile(r"(?:from|import)\s+'(\.{1,2}/[^']+)'")
TOKEN_PATTERN = re.compile(r'"X-CSRF-Token": "([^"]+)"')
VERSION_PATTERN = re.compile(r'id="section-version" value="([0-9]+)"')
GAZETTEER = Path(__file__).resolve().parents[1] / "db" / "seed" / "gazetteer.csv"
PAGES = ["/", "/accessibility"]


def header_bytes(response: Any) -> int:
    """The response's status line and headers as HTTP/1.1 sends them."""
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    return len(("\r\n".join(lines) + "\r\n\r\n").encode())


def transferred_bytes(client: TestClient, path: str) -> tuple[int, int]:
    """(bytes on the wire with the response headers, bytes uncompressed) for one GET."""
    with client.stream("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING}) as response:
        response.raise_for_status()
        body = response.read()
        return response.num_bytes_downloaded + header_bytes(response), len(body)


def measure(client: TestClient, page: str) -> list[tuple[str, int, int, bool]]:
    """(resource, bytes on the wire, bytes uncompressed, cached for a year) for the page and
    everything it loads."""
    rows = [(page, *transferred_bytes(client, page), False)]
    html = client.get(page).text
    assets = list(dict.fromkeys(ASSET_PATTERN.findall(html)))
    for asset in assets:
        if asset.split("?")[0].endswith(".js"):
            # Modules the script imports are fetched too.
            script = client.get(asset).text
            folder = asset.split("?")[0].rsplit("/", 1)[0]
            for imported in MODULE_IMPORT_PATTERN.findall(script):
                path = posixpath.normpath(posixpath.join(folder, imported))
                if path not in assets:
                    assets.append(path)  # fetched by the browser too; followed in turn
    for asset in assets:
        rows.append((asset.split("?")[0], *transferred_bytes(client, asset), "?v=" in asset))
    return rows


def signed_in_with_a_draft(client: TestClient, url: str) -> str:
    """A professional with a draft referral, made through the services; returns its reference."""
    engine = create_database_engine(url)
    try:
        with create_session_factory(engine)() as session:
            user = User(
                email=EMAIL,
                email_key=EMAIL,
                forename="Bench",
                surname="User",
                password_hash=hash_password(PASSWORD),
            )
            session.add(user)
            session.flush()
            referral = create_draft(
                session,
                user,
                option_code="send",
                child_forename="Sam",
                child_surname="Smith",
                now=datetime.now(UTC),
            )
            session.commit()
            reference = referral.reference
    finally:
        engine.dispose()
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"csrf_token": token.group(1), "email": EMAIL, "password": PASSWORD})
    return reference


def wire_size(response: Any) -> tuple[int, int]:
    """(bytes on the wire with the response headers, bytes uncompressed) of a response read
    whole."""
    body = response.read()
    return response.num_bytes_downloaded + header_bytes(response), len(body)


def post_htmx(client: TestClient, path: str, token: str, data: dict[str, str]) -> tuple[int, int]:
    headers = {"HX-Request": "true", "X-CSRF-Token": token, "Accept-Encoding": ACCEPT_ENCODING}
    with client.stream("POST", path, data=data, headers=headers) as response:
        assert response.status_code == 200, (path, response.status_code)
        return wire_size(response)


def partials(client: TestClient, reference: str) -> list[tuple[str, int, int]]:
    """What htmx fetches while a section is filled in: (what, on the wire, uncompressed)."""
    section = f"/referrals/{reference}/sections/your-details"
    page = client.get(section).text
    token = TOKEN_PATTERN.search(page)
    version = VERSION_PATTERN.search(page)
    assert token and version
    with GAZETTEER.open() as file:
        postcode = next(csv.DictReader(file))["postcode"]
    rows = [
        (
            "autosave answer (Your details)",
            *post_htmx(
                client,
                f"{section}/autosave",
                token.group(1),
                {"version": version.group(1), "referrer_job_title": "Health visitor"},
            ),
        )
    ]
    page = client.get(section).text
    version = VERSION_PATTERN.search(page)
    assert version
    rows.append(
        (
            "Find Address results (one postcode)",
            *post_htmx(
                client,
                f"{section}/address/child_address",
                token.group(1),
                {
                    "version": version.group(1),
                    "child_address-mode": "lookup",
                    "child_address-lookup_postcode": postcode,
                    "action": "find-address:child_address",
                },
            ),
        )
    )
    family = f"/referrals/{reference}/sections/family"
    page = client.get(family).text
    version = VERSION_PATTERN.search(page)
    assert version
    rows.append(
        (
            "a new family member column (Add a family member)",
            *post_htmx(
                client,
                family,
                token.group(1),
                {"version": version.group(1), "action": "add-item:family_members"},
            ),
        )
    )
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        settings = Settings(database_url=url, environment="test")
        with TestClient(create_app(settings)) as client:
            reference = signed_in_with_a_draft(client, url)
            pages = [
                *PAGES,
                f"/referrals/{reference}",
                f"/referrals/{reference}/sections/your-details",
                f"/referrals/{reference}/sections/family",
            ]
            for page in pages:
                rows = measure(client, page)
                print(f"\n#### First visit to `{page}` (empty cache)\n")
                print("| resource | on the wire (with response headers) | uncompressed |")
                print("|---|---:|---:|")
                for name, wire, raw, _hashed in rows:
                    print(f"| `{name}` | {wire:,} B | {raw:,} B |")
                total_wire = sum(r[1] for r in rows)
                total_raw = sum(r[2] for r in rows)
                print(f"| **total** | **{total_wire:,} B** | {total_raw:,} B |")
                revalidated = sum(1 for row in rows[1:] if not row[3])
                print(
                    f"\n{len(rows)} requests. Repeat visit: the page itself ({rows[0][1]:,} B); "
                    f"{revalidated} asset(s) without a content hash checked again (304)."
                )
            print("\n#### htmx answers while a section is filled in\n")
            print("| request | on the wire (with response headers) | uncompressed |")
            print("|---|---:|---:|")
            for name, wire, raw in partials(client, reference):
                print(f"| {name} | {wire:,} B | {raw:,} B |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Page weight: bytes transferred (gzip, as a browser asks) for a first visit with an empty cache.

Run: `python -m bench.page_weight` (or `make bench`). It builds the portal on a temporary SQLite
database, fetches each page and every asset the page links to, and prints a Markdown table for
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import posixpath
import re
import sys
import tempfile
from pathlib import Path

from starlette.testclient import TestClient

from app.main import create_app
from app.migrations import upgrade_to_head
from app.settings import Settings

ASSET_PATTERN = re.compile(r'(?:href|src)="(/(?:static|theme)[^"]*)"')
MODULE_IMPORT_PATTERN = re.compile(r"from '(\.\./[^']+)'")
PAGES = ["/", "/accessibility"]


def transferred_bytes(client: TestClient, path: str) -> tuple[int, int]:
    """(bytes on the wire, bytes uncompressed) for one GET, headers excluded."""
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        response.raise_for_status()
        body = response.read()
        return response.num_bytes_downloaded, len(body)


def measure(client: TestClient, page: str) -> list[tuple[str, int, int]]:
    rows = [(page, *transferred_bytes(client, page))]
    html = client.get(page).text
    assets = list(dict.fromkeys(ASSET_PATTERN.findall(html)))
    for asset in assets:
        if asset.split("?")[0].endswith(".js"):
            # Modules the script imports are fetched too.
            script = client.get(asset).text
            folder = asset.split("?")[0].rsplit("/", 1)[0]
            for imported in MODULE_IMPORT_PATTERN.findall(script):
                assets.append(posixpath.normpath(posixpath.join(folder, imported)))
    for asset in assets:
        rows.append((asset.split("?")[0], *transferred_bytes(client, asset)))
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        settings = Settings(database_url=url, environment="test")
        with TestClient(create_app(settings)) as client:
            for page in PAGES:
                rows = measure(client, page)
                print(f"\n#### First visit to `{page}` (empty cache)\n")
                print("| resource | transferred (gzip) | uncompressed |")
                print("|---|---:|---:|")
                for name, wire, raw in rows:
                    print(f"| `{name}` | {wire:,} B | {raw:,} B |")
                total_wire = sum(r[1] for r in rows)
                total_raw = sum(r[2] for r in rows)
                print(f"| **total** | **{total_wire:,} B** | {total_raw:,} B |")
                print(
                    f"\nRepeat visit: only the page itself ({rows[0][1]:,} B); every asset URL "
                    "carries a content hash and is cached for a year."
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Upload: the server's peak memory while a 20 MB document uploads.

Run: `python -m bench.upload_memory` (or `make bench`). It serves the portal with `portal serve`
(one worker, SQLite), signs a professional in, uploads a small document to warm everything up,
then uploads a 20 MB PDF, streamed by the client in 64 KB pieces, once with documents kept in
the database and once with DOCUMENT_STORAGE=directory. The server's resident memory before the
upload and its high-water mark (VmHWM) after it say how many copies of the file the server held
at once. Prints Markdown for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from testkit.live import LivePortal, Professional, make_professionals, sign_in, start_portal

SIZE_MB = 20
PIECE = 64 * 1024
BOUNDARY = "----portal-bench-upload-boundary"


def pdf_of(size: int) -> bytes:
    """A PDF of `size` bytes: a real header and trailer around an incompressible stream."""
    head = b"%PDF-1.7\n1 0 obj << /Length 0 >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    middle = bytes((n * 2654435761 >> 13) & 0xFF for n in range(size - len(head) - len(tail)))
    return head + middle + tail


def memory_kib(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def multipart(person: Professional, filename: str, data: bytes) -> tuple[bytes, bytes]:
    """The form as a browser sends it: the CSRF token first, then the description and file."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{person.csrf_token}\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="description"\r\n\r\n'
        "plan-or-report\r\n"
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="documents"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + data, f"\r\n--{BOUNDARY}--\r\n".encode()


async def upload(portal: LivePortal, person: Professional, filename: str, data: bytes) -> int:
    start, end = multipart(person, filename, data)

    async def pieces() -> AsyncIterator[bytes]:
        for offset in range(0, len(start), PIECE):
            yield start[offset : offset + PIECE]
        yield end

    async with httpx.AsyncClient(
        base_url=portal.url, cookies=person.cookies, timeout=120
    ) as client:
        answer = await client.post(
            f"/referrals/{person.reference}/documents",
            content=pieces(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(len(start) + len(end)),
            },
        )
        return answer.status_code


async def measure(storage: str, folder: Path) -> dict[str, int]:
    extra = {"MAX_DOCUMENT_MB": str(SIZE_MB + 1), "MAX_REFERRAL_DOCUMENTS_MB": "50"}
    if storage == "directory":
        extra |= {"DOCUMENT_STORAGE": "directory", "DOCUMENT_DIRECTORY": str(folder / "docs")}
    url = f"sqlite:///{folder / f'{storage}.db'}"
    portal = start_portal(url, extra_env=extra)
    try:
        [(email, reference)] = make_professionals(url, 1, prefix=storage)
        async with httpx.AsyncClient(base_url=portal.url, timeout=60) as client:
            person = await sign_in(client, email, reference)
        documents = f"/referrals/{reference}/documents"
        async with httpx.AsyncClient(base_url=portal.url, cookies=person.cookies) as client:
            token = re.search(r'"X-CSRF-Token": "([^"]+)"', (await client.get(documents)).text)
        assert token
        person.csrf_token = token.group(1)
        assert await upload(portal, person, "warm-up.pdf", pdf_of(200_000)) in (200, 303)
        before = memory_kib(portal.pid)
        status = await upload(portal, person, "large.pdf", pdf_of(SIZE_MB * 1024 * 1024))
        assert status in (200, 303), f"the upload answered {status}"
        after = memory_kib(portal.pid)
    finally:
        portal.stop()
    return {
        "before": before["VmRSS"],
        "peak_before": before["VmHWM"],
        "peak": after["VmHWM"],
        "after": after["VmRSS"],
    }


async def main_async() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as name:
        for storage in ("database", "directory"):
            rows.append((storage, await measure(storage, Path(name))))
    print("\n## Upload memory (`python -m bench.upload_memory`)\n")
    print(
        f"A {SIZE_MB} MB PDF uploaded by a signed-in professional, streamed in {PIECE // 1024} "
        "KB pieces, to the portal served with one worker on SQLite. Memory of the server "
        "process, from /proc.\n"
    )
    print("| documents kept | resident before | peak during the upload | rise | rise ÷ file |")
    print("|---|---:|---:|---:|---:|")
    for storage, found in rows:
        rise = found["peak"] - max(found["before"], 0)
        print(
            f"| {'in the database' if storage == 'database' else 'in DOCUMENT_DIRECTORY'} "
            f"| {found['before'] / 1024:,.0f} MiB | {found['peak'] / 1024:,.0f} MiB "
            f"| {rise / 1024:,.0f} MiB | {rise / 1024 / SIZE_MB:.1f}× |"
        )
    return 0


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())

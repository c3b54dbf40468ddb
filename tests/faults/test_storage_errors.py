"""The document store fails part-way through writing an upload, as on a full disk.

A live `portal serve` keeps documents in a directory (DOCUMENT_STORAGE=directory) and runs with
a small file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored): small documents are written, a larger
one fails with EFBIG after part of it is on disk. The database is PostgreSQL, a separate
process, so only the document store feels the limit. The user is told clearly, nothing of the
failed upload is left (no document row, no file, no partial file), and the referral's answers
and earlier documents are as they were.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import Document, Referral
from app.settings import Settings
from testkit.journeys import COMPLETE_ANSWERS, complete_section, register, start_referral
from testkit.live import LISTENING
from testkit.postgres import create_database, free_port
from testkit.processes import ServerProcess, start_server
from tests.conftest import TEST_SECRET_KEY, csrf_token_from, make_settings
from tests.security.test_route_inventory import every_table, snapshot

REFERRER_EMAIL = "stella.storage@school.example.org"
# Files up to this size can be written by the portal; a document bigger than it cannot. Both
# documents stay below the 1 MB at which an upload is spooled to a temporary file, so the
# upload itself is read whole and only the document store hits the limit.
FILE_SIZE_LIMIT = 64 * 1024
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LARGE_PDF = b"%PDF-1.4\n" + b"%" + b"x" * (256 * 1024) + b"\n%%EOF\n"
# The portal, started with the limit in place and SIGXFSZ ignored (so a write past it fails
# with EFBIG instead of killing the process); both are inherited across exec.
LIMITED_START = (
    "import os, resource, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'app.cli', 'serve', *sys.argv[2:]])\n"
)


@dataclass
class Portal:
    url: str
    settings: Settings
    documents: Path
    http: httpx.Client
    reference: str
    server: ServerProcess

    def log(self) -> str:
        return "\n".join(self.server.log[-30:])


@pytest.fixture(scope="module")
def portal_with_a_small_disk(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Portal]:
    database_url = create_database(
        request.getfixturevalue("postgres_admin_url"),
        f"portal_storage_{os.getpid()}",
        request.getfixturevalue("postgres_template"),
    )
    documents = tmp_path_factory.mktemp("documents")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "BASE_URL": base_url,
        "DOCUMENT_STORAGE": "directory",
        "DOCUMENT_DIRECTORY": str(documents),
    }
    command = [sys.executable, "-c", LIMITED_START, str(FILE_SIZE_LIMIT)]
    server: ServerProcess = start_server(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        LISTENING,
        env=env,
    )
    settings = make_settings(
        database_url,
        base_url=base_url,
        document_storage="directory",
        document_directory=documents,
    )
    try:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            # The journey steps only get and post, which an httpx client does as TestClient does.
            client = cast(TestClient, http)
            register(client, settings, REFERRER_EMAIL)
            reference = start_referral(client, "Cora", "Capacity")
            complete_section(client, reference, "consent", COMPLETE_ANSWERS["consent"])
            earlier = upload(http, reference, "earlier.pdf", SMALL_PDF)
            assert earlier.status_code == 303, earlier.text
            yield Portal(base_url, settings, documents, http, reference, server)
    finally:
        server.stop()


def upload(http: httpx.Client, reference: str, filename: str, content: bytes) -> httpx.Response:
    """An upload as the browser sends it without JavaScript: token first, then the file."""
    url = f"/referrals/{reference}/documents"
    token = csrf_token_from(http.get(url).text)
    return http.post(
        url,
        data={"csrf_token": token, "description": "consent"},
        files=[("documents", (filename, content, "application/pdf"))],
        follow_redirects=False,
    )


def stored_documents(settings: Settings, reference: str) -> list[tuple[str, str, int, str]]:
    """(file name, key, size, sha256) of a referral's document rows."""
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            rows = session.execute(
                select(Document.filename, Document.key, Document.size, Document.sha256)
                .join(Referral, Referral.id == Document.referral_id)
                .where(Referral.reference == reference)
                .order_by(Document.id)
            )
            return [(name, key, size, digest) for name, key, size, digest in rows]
    finally:
        engine.dispose()


def files_in(directory: Path) -> dict[str, bytes]:
    """Every file under the document directory, hidden (temporary) ones included."""
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_the_limit_is_real_small_documents_are_kept(portal_with_a_small_disk: Portal) -> None:
    portal = portal_with_a_small_disk
    documents = stored_documents(portal.settings, portal.reference)
    assert [name for name, *_ in documents] == ["earlier.pdf"]
    key = documents[0][1]
    assert files_in(portal.documents) == {f"{key[:2]}/{key}": SMALL_PDF}


def test_a_failed_write_leaves_nothing_behind_and_keeps_the_rest(
    portal_with_a_small_disk: Portal,
) -> None:
    portal = portal_with_a_small_disk
    engine = create_database_engine(portal.settings.database_url)
    try:
        tables = every_table(engine)
        database_before = snapshot(engine, tables)
        files_before = files_in(portal.documents)
        answers_before = portal.http.get(f"/referrals/{portal.reference}/sections/consent").text

        response = upload(portal.http, portal.reference, "large.pdf", LARGE_PDF)
        assert response.status_code != 303

        assert snapshot(engine, tables) == database_before
    finally:
        engine.dispose()
    assert files_in(portal.documents) == files_before
    assert [name for name, *_ in stored_documents(portal.settings, portal.reference)] == [
        "earlier.pdf"
    ]
    page = portal.http.get(f"/referrals/{portal.reference}/sections/consent").text
    for answer in ("Ann Quennell, mother", 'value="2026"'):
        assert answer in answers_before and answer in page
    # The earlier document still downloads, whole.
    key = stored_documents(portal.settings, portal.reference)[0][1]
    download = portal.http.get(f"/referrals/{portal.reference}/documents/{key}")
    assert download.status_code == 200 and download.content == SMALL_PDF


def test_a_failed_write_tells_the_user_clearly(portal_with_a_small_disk: Portal) -> None:
    portal = portal_with_a_small_disk
    response = upload(portal.http, portal.reference, "large.pdf", LARGE_PDF)
    assert response.status_code == 503, f"{response.status_code}\n{portal.log()}"
    assert response.headers["retry-after"] == "60"
    # The documents page again, with the reason in its error summary; nothing was added.
    assert "govuk-error-summary" in response.text
    assert "The selected files could not be saved" in response.text

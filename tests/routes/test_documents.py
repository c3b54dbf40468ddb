"""Upload Documents (help guide 5.10) through the real app: uploading one or several files with
and without htmx, the list, downloads as attachments, every bad file refused by name while the
good ones are kept, size limits, removal from either store, who may see what, and a referral
that has been sent. Every file is built in the tests (tests/services/test_documents.py)."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import AuditEvent, Document, DocumentContent, Referral, User
from app.services.submission import submit
from app.settings import Settings
from testkit.journeys import post, register, sign_in
from testkit.postgres import create_database
from tests.conftest import Clock, backends, csrf_token_from, make_settings
from tests.services.test_documents import (
    EXE,
    HTML,
    RTF,
    SVG,
    TEXT,
    damaged_odt_bytes,
    disposition_parameters,
    docx_bytes,
    encrypted_entry_docx_bytes,
    encrypted_office_bytes,
    encrypted_pdf_bytes,
    jpeg_bytes,
    odt_bytes,
    ole2_bytes,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
    zip_bomb_docx_bytes,
)

EMAIL = "grace.hopper@school.example.org"
OTHER_EMAIL = "edith.cavell@health.example.org"
KB = 1024
MB = 1024 * KB
GOOD = ("good.txt", TEXT)
DIRECTORY = {"document_storage": "directory"}
STORAGES = pytest.mark.parametrize(
    "settings", [{}, DIRECTORY], indirect=True, ids=["database-store", "directory-store"]
)


def with_settings(**overrides: object) -> pytest.MarkDecorator:
    """Run the test with these settings (through the `settings` fixture)."""
    label = ",".join(f"{name}={value}" for name, value in overrides.items())
    return pytest.mark.parametrize("settings", [overrides], indirect=True, ids=[label])


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The test settings, with any overrides a test asks for (indirect parametrisation); the
    directory store lives in this test's own folder."""
    overrides: dict[str, Any] = dict(getattr(request, "param", {}))
    if overrides.get("document_storage") == "directory":
        overrides["document_directory"] = tmp_path / "documents"
    return make_settings(database_url, **overrides)


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    response = post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    return response.headers["location"].split("/")[2]


@dataclass(frozen=True)
class Portal:
    client: TestClient
    settings: Settings
    reference: str


@pytest.fixture(scope="module", params=backends())
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    """One signed-in professional with one draft referral, shared by the many bad-input
    cases below (each checks only what its own upload changed), so that every input can have
    a test of its own and the file stays quick."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("documents") / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database_url = f"sqlite:///{path}"
    else:
        database_url = create_database(
            request.getfixturevalue("postgres_admin_url"),
            f"portal_documents_{os.getpid()}",
            request.getfixturevalue("postgres_template"),
        )
    settings = make_settings(database_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.services.passwords.BCRYPT_COST", 4)  # as fast_password_hashing
        app = create_app(settings, clock=Clock())
        with TestClient(app, headers={"Accept-Encoding": "identity"}) as client:
            register(client, settings, EMAIL)
            response = post(client, "/start/early-help", child_forename="Ann", child_surname="Lee")
            yield Portal(client, settings, response.headers["location"].split("/")[2])


# Requests as a browser sends them -----------------------------------------------------------

Part = tuple[str, str] | tuple[str, str, bytes]


def multipart(parts: Sequence[Part]) -> tuple[bytes, str]:
    """A multipart/form-data body: (name, value) fields and (name, filename, bytes) files, in
    order. File names go in a quoted string with `\\` and `"` escaped, byte for byte
    otherwise, so that a test can send any name at all."""
    boundary = f"----PortalTest{secrets.token_hex(8)}"
    body = bytearray()
    for part in parts:
        body += f"--{boundary}\r\n".encode()
        if len(part) == 2:
            name, value = part
            body += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            body += value.encode() + b"\r\n"
        else:
            name, filename, data = part
            quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
            body += (
                f'Content-Disposition: form-data; name="{name}"; filename="{quoted}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def documents_url(reference: str) -> str:
    return f"/referrals/{reference}/documents"


def upload(
    client: TestClient,
    reference: str,
    files: Sequence[tuple[str, bytes]],
    *,
    htmx: bool = False,
) -> httpx.Response:
    """The upload form as the browser posts it: the CSRF token first, then the files."""
    parts: list[Part] = [("csrf_token", csrf_token_from(client.get("/").text))]
    parts += [("documents", name, data) for name, data in files]
    body, content_type = multipart(parts)
    headers = {"Content-Type": content_type}
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(
        documents_url(reference), content=body, headers=headers, follow_redirects=False
    )


def remove(client: TestClient, href: str, *, htmx: bool = False) -> httpx.Response:
    token = csrf_token_from(client.get("/").text)
    return client.post(
        f"{href}/remove",
        data={"csrf_token": token},
        headers={"HX-Request": "true"} if htmx else {},
        follow_redirects=False,
    )


def describe(client: TestClient, href: str, description: str | None) -> httpx.Response:
    """Save Description on a document's "Add a description" page, as the browser posts it
    (None: the field is missing altogether)."""
    token = csrf_token_from(client.get("/").text)
    data = {"csrf_token": token}
    if description is not None:
        data["description"] = description
    return client.post(f"{href}/description", data=data, follow_redirects=False)


# What the page shows ------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@dataclass(frozen=True)
class Listed:
    name: str
    href: str
    details: str


def listed(page: str) -> list[Listed]:
    """The documents in the list: name, download link and the line under it."""
    found = []
    for item in re.findall(r'<li class="portal-documents__item">(.*?)</li>', page, re.S):
        link = re.search(r'<a class="govuk-link" href="([^"]+)"[^>]*>(.*?)</a>', item, re.S)
        hint = re.search(r'<p class="govuk-hint[^"]*">(.*?)</p>', item, re.S)
        assert link and hint, item
        found.append(Listed(text_of(link.group(2)), html.unescape(link.group(1)), text_of(hint[1])))
    return found


def error_summary(page: str) -> list[tuple[str, str]]:
    """(link, message) for each error in the GOV.UK error summary."""
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    if not summary:
        return []
    return [
        (html.unescape(href), text_of(text))
        for href, text in re.findall(r'<a href="([^"]*)">(.*?)</a>', summary.group(0), re.S)
    ]


def assert_partial(response: httpx.Response, page: str) -> None:
    """An htmx answer: only the block that the upload form on `page` targets."""
    target = re.search(r'<form [^>]*hx-post="[^"]*/documents" [^>]*hx-target="#([^"]+)"', page)
    assert target, "the upload form has no htmx target"
    assert response.text.lstrip().startswith(f'<div id="{target.group(1)}">')
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


def htmx_swaps(page: str, status: int) -> bool:
    """Whether htmx, configured as the page configures it, puts an answer with `status` on
    the page (the first matching `responseHandling` rule decides, as in htmx 2)."""
    meta = re.search(r'<meta name="htmx-config" content="([^"]*)"', page)
    assert meta, "page has no htmx-config"
    for rule in json.loads(html.unescape(meta.group(1)))["responseHandling"]:
        if re.search(rule["code"], str(status)):
            return bool(rule["swap"])
    return False


# What is stored -----------------------------------------------------------------------------


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Stored:
    filename: str
    kind: str
    size: int
    description: str
    storage: str
    key: str
    content: bytes | None  # in the database store


def stored(settings: Settings) -> list[Stored]:
    with database(settings) as session:
        return [
            Stored(
                document.filename,
                document.kind,
                document.size,
                document.description,
                document.storage,
                document.key,
                content.content if content else None,
            )
            for document, content in session.execute(
                select(Document, DocumentContent)
                .outerjoin(DocumentContent, DocumentContent.document_id == Document.id)
                .order_by(Document.id)
            )
        ]


def stored_names(settings: Settings) -> list[str]:
    return [document.filename for document in stored(settings)]


def content_rows(settings: Settings) -> int:
    with database(settings) as session:
        return int(session.scalar(select(func.count()).select_from(DocumentContent)) or 0)


def files_in(settings: Settings) -> dict[str, bytes]:
    """Every file anywhere under the document directory, by its name."""
    directory = settings.document_directory
    if directory is None or not directory.exists():
        return {}
    return {path.name: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def kept_bytes(settings: Settings, document: Stored) -> bytes | None:
    """A document's bytes from whichever store holds them."""
    if document.storage == "database":
        return document.content
    return files_in(settings).get(document.key)


def audit(settings: Settings, event_type: str) -> list[AuditEvent]:
    with database(settings) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)))


def send_to_hub(settings: Settings, clock: Clock) -> None:
    """Send the referral as Send to Local Authority does (the service, in its own session)."""
    with database(settings) as session:
        referral = session.scalars(select(Referral)).one()
        user = session.get(User, referral.owner_id)
        assert user is not None
        assert submit(session, settings, referral, user, now=clock())
        session.commit()


def pdf_of_size(size: int) -> bytes:
    """A real PDF padded with a comment to exactly `size` bytes."""
    start = pdf_bytes()
    return start + b"%" + b"0" * (size - len(start) - 2) + b"\n"


# Uploading ----------------------------------------------------------------------------------


def test_documents_page_offers_the_upload_form(client: TestClient, reference: str) -> None:
    page = client.get(documents_url(reference))
    assert page.status_code == 200
    assert page.template.name == "pages/referrals/documents.html"  # type: ignore[attr-defined]
    assert '<h1 class="govuk-heading-l">Upload Documents</h1>' in page.text
    assert "No documents uploaded yet." in page.text
    assert 'enctype="multipart/form-data"' in page.text and 'type="file" multiple' in page.text
    assert 'accept=".doc,.docx,.jpeg,.jpg,.odt,.pdf,.png,.rtf,.txt,.xls,.xlsx"' in page.text
    assert "A form's documents can add up to 100 MB. 100.0 MB is left." in text_of(page.text)
    # As the guide says: Upload Document, and the files are attached. What they are is
    # asked for after, and only if the referrer wishes (no question in the way of uploading).
    assert "What is in the file?" not in page.text and 'name="description"' not in page.text
    form = re.search(r'<form method="post" action="[^"]*/documents" .*?</form>', page.text, re.S)
    assert form, "no upload form"
    assert re.search(r'<input [^>]*type="file"[^>]*data-upload-on-choose', form.group(0))
    button = re.search(r"<button [^>]*data-upload-chooser[^>]*>(.*?)</button>", form.group(0), re.S)
    assert button and text_of(button.group(1)) == "Upload Document"


@STORAGES
def test_upload_one_file_without_javascript_lists_it(
    client: TestClient, reference: str, settings: Settings
) -> None:
    data = pdf_bytes()
    response = upload(client, reference, [("consent.pdf", data)])
    assert response.status_code == 303
    assert response.headers["location"] == documents_url(reference)
    page = client.get(documents_url(reference)).text
    assert "consent.pdf uploaded" in page
    [document] = listed(page)
    assert document.name == "consent.pdf"
    assert document.details.startswith(f"PDF, {len(data)} bytes. Uploaded 23 November 2026 at")
    assert "Add a description to consent.pdf" in text_of(page)
    assert "consent.pdf uploaded" not in client.get(documents_url(reference)).text  # once
    [row] = stored(settings)
    assert (row.filename, row.kind, row.size, row.storage) == (
        "consent.pdf",
        "pdf",
        len(data),
        settings.document_storage,
    )
    assert kept_bytes(settings, row) == data
    assert document.href == f"{documents_url(reference)}/{row.key}"
    assert len(audit(settings, "document.uploaded")) == 1


ALL_KINDS = [
    ("consent.pdf", pdf_bytes(), "PDF"),
    ("letter.doc", ole2_bytes(), "Word"),
    ("plan.docx", docx_bytes(), "Word"),
    ("report.odt", odt_bytes(), "OpenDocument text"),
    ("attendance.rtf", RTF, "RTF"),
    ("notes.txt", TEXT, "text"),
    ("photo.jpg", jpeg_bytes(), "JPEG"),
    ("drawing.png", png_bytes(), "PNG"),
    ("register.xls", ole2_bytes("Workbook"), "Excel"),
    ("register.xlsx", xlsx_bytes(), "Excel"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["without-javascript", "with-htmx"])
def test_upload_several_files_of_every_kind_at_once(
    client: TestClient, reference: str, settings: Settings, htmx: bool
) -> None:
    files = [(name, data) for name, data, _ in ALL_KINDS]
    response = upload(client, reference, files, htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert_partial(response, client.get(documents_url(reference)).text)
        page = response.text
    else:
        assert response.status_code == 303
        page = client.get(documents_url(reference)).text
    assert "10 documents uploaded" in page
    documents = listed(page)
    assert [document.name for document in documents] == [name for name, _, _ in ALL_KINDS]
    for document, (_, data, label) in zip(documents, ALL_KINDS, strict=True):
        size = f"{len(data)} bytes" if len(data) < KB else f"{len(data) / KB:.0f} KB"
        assert document.details.startswith(f"{label}, {size}. Uploaded")
    rows = stored(settings)
    assert [row.kind for row in rows] == [
        "pdf", "doc", "docx", "odt", "rtf", "txt", "jpeg", "png", "xls", "xlsx"
    ]  # fmt: skip
    assert {row.description for row in rows} == {""}
    for row, (_, data, _) in zip(rows, ALL_KINDS, strict=True):
        assert row.content == data
        assert client.get(f"{documents_url(reference)}/{row.key}").content == data


@STORAGES
def test_download_is_the_exact_file_as_an_attachment_with_a_safe_name(
    client: TestClient, reference: str, settings: Settings
) -> None:
    name = 'Zoë\'s "final" report;.pdf'
    data = pdf_bytes("Zoë's report")
    assert upload(client, reference, [(name, data)]).status_code == 303
    [document] = listed(client.get(documents_url(reference)).text)
    assert document.name == name
    response = client.get(document.href)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Content-Type"] == "application/pdf"
    kind, parameters = disposition_parameters(response.headers["Content-Disposition"])
    assert kind == "attachment"
    assert unquote(parameters["filename*"].removeprefix("UTF-8''")) == name
    assert parameters["filename"] == "Zo__s _final_ report_.pdf"  # for old browsers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert len(audit(settings, "document.downloaded")) == 1


def test_a_text_file_downloads_as_text_never_as_a_page(client: TestClient, reference: str) -> None:
    markup = b"<html><script>alert(document.cookie)</script></html>"
    assert upload(client, reference, [("notes.txt", markup)]).status_code == 303
    [document] = listed(client.get(documents_url(reference)).text)
    response = client.get(document.href)
    assert response.content == markup
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_file_names_and_descriptions_are_shown_as_text_not_markup(
    client: TestClient, reference: str
) -> None:
    name = "<b onmouseover=alert(1)>notes.txt"
    response = upload(client, reference, [(name, TEXT)])
    assert response.status_code == 303
    [uploaded] = listed(client.get(documents_url(reference)).text)
    assert describe(client, uploaded.href, "<i>x</i>").status_code == 303
    page = client.get(documents_url(reference)).text
    assert "<b onmouseover" not in page and "<i>x</i>" not in page
    assert "&lt;b onmouseover=alert(1)&gt;notes.txt" in page
    [document] = listed(page)
    assert document.name == name and document.details.startswith("<i>x</i>. text,")


def test_upload_with_htmx_answers_with_the_documents_block(
    client: TestClient, reference: str
) -> None:
    response = upload(client, reference, [("consent.pdf", pdf_bytes())], htmx=True)
    assert response.status_code == 200
    assert_partial(response, client.get(documents_url(reference)).text)
    assert "consent.pdf uploaded" in response.text
    assert [document.name for document in listed(response.text)] == ["consent.pdf"]


@with_settings(max_document_mb=1)
def test_exactly_the_largest_allowed_file_is_accepted(
    client: TestClient, reference: str, settings: Settings
) -> None:
    response = upload(client, reference, [("big.pdf", pdf_of_size(MB))])
    assert response.status_code == 303
    assert [row.size for row in stored(settings)] == [MB]


def test_twenty_files_at_once_are_accepted(
    client: TestClient, reference: str, settings: Settings
) -> None:
    files = [(f"note {n}.txt", f"Note {n}".encode()) for n in range(1, 21)]
    assert upload(client, reference, files).status_code == 303
    assert len(stored(settings)) == 20
    assert "20 documents uploaded" in client.get(documents_url(reference)).text


# Bad files ----------------------------------------------------------------------------------

BAD_FILES = [
    ("empty-file", "empty.pdf", b"", "empty.pdf is empty"),
    ("exe-renamed-pdf", "invoice.pdf", EXE, "invoice.pdf is not really a PDF file"),
    ("png-renamed-docx", "photo.docx", png_bytes(), "photo.docx is not really a Word file"),
    ("text-renamed-jpg", "notes.jpg", TEXT, "notes.jpg is not really a JPEG file"),
    ("xlsx-renamed-docx", "sheet.docx", xlsx_bytes(), "sheet.docx is not really a Word file"),
    ("exe-extension", "setup.exe", EXE, "setup.exe must be a PDF, Word (DOC or DOCX)"),
    ("html-extension", "page.html", HTML, "page.html must be a PDF, Word (DOC or DOCX)"),
    ("svg-extension", "drawing.svg", SVG, "drawing.svg must be a PDF, Word (DOC or DOCX)"),
    ("no-extension", "README", TEXT, "README must be a PDF, Word (DOC or DOCX)"),
    (
        "unix-path-traversal",
        "../../etc/passwd.pdf",
        pdf_bytes(),
        "The name of ../../etc/passwd.pdf is not allowed",
    ),
    ("windows-path-traversal", "..\\evil.pdf", pdf_bytes(), "The name of ..\\evil.pdf is not"),
    ("absolute-path", "/abs/x.pdf", pdf_bytes(), "The name of /abs/x.pdf is not allowed"),
    ("nul-in-name", "report\x00.pdf", pdf_bytes(), "The name of report.pdf has hidden characters"),
    (
        "newline-in-name",
        "report\n.pdf",
        pdf_bytes(),
        "The name of report.pdf has hidden characters",
    ),
    ("dot-first", ".hidden.pdf", pdf_bytes(), "The name of .hidden.pdf is not allowed"),
    (
        "name-over-200-characters",
        "a" * 197 + ".pdf",
        pdf_bytes(),
        "The name of " + "a" * 60 + "… is too long: rename the file with 200 characters or fewer",
    ),
    (
        "encrypted-zip-entry-docx",
        "locked.docx",
        encrypted_entry_docx_bytes(),
        "locked.docx is password protected: remove the password and try again",
    ),
    (
        "zip-bomb-docx",
        "bomb.docx",
        zip_bomb_docx_bytes(),
        "bomb.docx cannot be checked: it expands to far more than its size",
    ),
    (
        "truncated-docx",
        "cut.docx",
        docx_bytes()[:300],
        "cut.docx is damaged and cannot be opened",
    ),
    (
        "password-protected-pdf",
        "locked.pdf",
        encrypted_pdf_bytes(),
        "locked.pdf is password protected: remove the password and try again",
    ),
    (
        "encrypted-ole-named-docx",
        "protected.docx",
        encrypted_office_bytes(),
        "protected.docx is password protected: remove the password and try again",
    ),
]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_file_is_refused_by_name_and_a_good_one_beside_it_is_kept(
    portal: Portal, filename: str, data: bytes, message: str
) -> None:
    before = stored(portal.settings)
    good = (f"good-{secrets.token_hex(4)}.txt", TEXT)
    response = upload(portal.client, portal.reference, [(filename, data), good])
    assert response.status_code == 422
    [(href, text)] = error_summary(response.text)
    assert href == "#documents"
    assert 'id="documents"' in response.text  # the link leads to the file input
    assert text.startswith(message)
    assert f"{good[0]} uploaded" in response.text
    assert listed(response.text)[-1].name == good[0]
    after = stored(portal.settings)
    assert after[: len(before)] == before
    [(added)] = after[len(before) :]
    assert added.filename == good[0] and added.content == TEXT
    assert content_rows(portal.settings) == len(after)


def test_the_page_title_says_error_once(client: TestClient, reference: str) -> None:
    response = upload(client, reference, [("invoice.pdf", EXE)])
    assert response.status_code == 422
    title = re.search(r"<title>(.*?)</title>", response.text, re.S)
    assert title, "no title"
    assert title.group(1).startswith("Error: Upload Documents – ")
    assert title.group(1).count("Error:") == 1, title.group(1)


def test_bad_files_with_htmx_answer_422_with_the_block_and_every_file_named(
    client: TestClient, reference: str, settings: Settings
) -> None:
    files = [("invoice.pdf", EXE), GOOD, ("empty.docx", b""), ("setup.exe", EXE)]
    response = upload(client, reference, files, htmx=True)
    assert response.status_code == 422
    assert_partial(response, client.get(documents_url(reference)).text)
    messages = [text for _, text in error_summary(response.text)]
    assert len(messages) == 3
    assert messages[0].startswith("invoice.pdf is not really a PDF file")
    assert messages[1] == "empty.docx is empty"
    assert messages[2].startswith("setup.exe must be")
    assert stored_names(settings) == ["good.txt"]


@pytest.mark.parametrize("settings", [DIRECTORY], indirect=True, ids=["directory-store"])
def test_in_the_directory_store_only_good_files_are_written(
    client: TestClient, reference: str, settings: Settings
) -> None:
    files = [("invoice.pdf", EXE), GOOD, ("bomb.docx", zip_bomb_docx_bytes())]
    assert upload(client, reference, files).status_code == 422
    [row] = stored(settings)
    assert files_in(settings) == {row.key: TEXT}
    assert content_rows(settings) == 0


def test_a_long_file_name_is_refused_with_the_file_named(
    client: TestClient, reference: str, settings: Settings
) -> None:
    """Each bad file's message names it, so that with several files chosen the user knows
    which one to rename."""
    long_name = "Minutes of the team around the family meeting " * 5 + ".pdf"
    response = upload(client, reference, [(long_name, pdf_bytes()), GOOD])
    assert response.status_code == 422
    [(_, message)] = error_summary(response.text)
    assert "200 characters or fewer" in message
    assert long_name[:40] in message


def test_a_damaged_odt_is_refused_not_a_server_error(
    client: TestClient, reference: str, settings: Settings
) -> None:
    response = upload(client, reference, [("report.odt", damaged_odt_bytes()), GOOD])
    assert response.status_code == 422
    [(href, message)] = error_summary(response.text)
    assert href == "#documents" and message == "report.odt is damaged and cannot be opened"
    assert stored_names(settings) == ["good.txt"]


@pytest.mark.parametrize(
    "parts",
    [
        [("documents", "", b"")],  # what a browser sends when no file was chosen
        [],
    ],
    ids=["empty-file-input", "no-file-field"],
)
def test_no_file_chosen(portal: Portal, parts: list[Part]) -> None:
    before = stored(portal.settings)
    token = csrf_token_from(portal.client.get("/").text)
    body, content_type = multipart([("csrf_token", token), *parts])
    response = portal.client.post(
        documents_url(portal.reference),
        content=body,
        headers={"Content-Type": content_type},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert error_summary(response.text) == [("#documents", "Select a file to upload")]
    assert stored(portal.settings) == before


# Saying what a document is ------------------------------------------------------------------


def test_a_description_is_added_changed_and_taken_away_without_javascript(
    client: TestClient, reference: str, settings: Settings
) -> None:
    assert upload(client, reference, [("consent.pdf", pdf_bytes())]).status_code == 303
    page = client.get(documents_url(reference)).text
    [document] = listed(page)
    link = re.search(r'<a class="govuk-link" href="([^"]+)">Add a description', page)
    assert link and link.group(1) == f"{document.href}/description"

    asked = client.get(link.group(1))
    assert asked.status_code == 200
    assert asked.template.name == "pages/referrals/document_description.html"  # type: ignore[attr-defined]
    assert "What is in consent.pdf?" in text_of(asked.text)
    assert re.search(r'<input [^>]*id="description" name="description" type="text"', asked.text)

    saved = describe(client, document.href, "  Signed consent from mum  ")
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{documents_url(reference)}#documents-list"
    page = client.get(documents_url(reference)).text
    assert "Description of consent.pdf saved" in text_of(page)
    [document] = listed(page)
    assert document.details.startswith("Signed consent from mum. PDF,")
    assert "Change description of consent.pdf" in text_of(page)
    assert 'value="Signed consent from mum"' in client.get(f"{document.href}/description").text

    assert describe(client, document.href, "Consent to share, signed").status_code == 303
    assert describe(client, document.href, "").status_code == 303
    [document] = listed(client.get(documents_url(reference)).text)
    assert document.details.startswith("PDF,")
    assert [row.description for row in stored(settings)] == [""]
    # Each change audited, without the words (which may name the family).
    events = audit(settings, "document.description-changed")
    assert [event.details for event in events] == [
        {"referral": reference, "described": True},
        {"referral": reference, "described": True},
        {"referral": reference, "described": False},
    ]
    assert {event.subject_id for event in events} == {document.href.rsplit("/", 1)[1]}
    # Saving it unchanged is no change.
    assert describe(client, document.href, "").status_code == 303
    assert len(audit(settings, "document.description-changed")) == 3


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("x" * 201, "x" * 201),
        ("é" * 150 + "x" * 51, "é" * 150 + "x" * 51),
        ("<script>alert(1)</script>" + "y" * 180, "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ],
    ids=["201-characters", "201-characters-not-all-ascii", "markup-over-200"],
)
def test_a_description_over_200_characters_is_refused_and_kept_to_correct(
    portal: Portal, typed: str, kept: str
) -> None:
    assert upload(portal.client, portal.reference, [GOOD]).status_code in (303, 422)
    document = listed(portal.client.get(documents_url(portal.reference)).text)[-1]
    before = stored(portal.settings)
    response = describe(portal.client, document.href, typed)
    assert response.status_code == 422
    assert error_summary(response.text) == [
        ("#description", "The description must be 200 characters or fewer")
    ]
    assert "<title>Error: " in response.text
    assert kept in response.text  # what was typed, to shorten
    assert "<script>alert" not in response.text
    assert stored(portal.settings) == before


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        (None, ""),
        ("   ", ""),
        ("\u202eexe.fdp consent\u200b", "exe.fdp consent"),
        ("x" * 200, "x" * 200),
    ],
    ids=["field-missing", "only-spaces", "invisible-characters", "exactly-200-characters"],
)
def test_a_description_is_optional_and_kept_as_plain_visible_text(
    portal: Portal, typed: str | None, saved: str
) -> None:
    assert upload(portal.client, portal.reference, [GOOD]).status_code in (303, 422)
    document = listed(portal.client.get(documents_url(portal.reference)).text)[-1]
    assert describe(portal.client, document.href, typed).status_code == 303
    key = document.href.rsplit("/", 1)[1]
    [row] = [row for row in stored(portal.settings) if row.key == key]
    assert row.description == saved


def test_describing_a_document_that_is_not_there_is_not_found(portal: Portal) -> None:
    made_up = f"{documents_url(portal.reference)}/{'A' * 32}"
    assert portal.client.get(f"{made_up}/description").status_code == 404
    assert describe(portal.client, made_up, "Consent").status_code == 404


@with_settings(max_document_mb=1)
def test_a_file_over_the_size_limit_is_refused_and_the_rest_kept(
    client: TestClient, reference: str, settings: Settings
) -> None:
    response = upload(client, reference, [("big.pdf", pdf_of_size(MB + 1)), GOOD])
    assert response.status_code == 422
    assert error_summary(response.text) == [("#documents", "big.pdf must be smaller than 1 MB")]
    assert "Each file must be smaller than 1 MB" in response.text
    assert stored_names(settings) == ["good.txt"]


@with_settings(max_document_mb=1, max_referral_documents_mb=2)
def test_a_form_may_hold_only_so_much_in_all(
    client: TestClient, reference: str, settings: Settings
) -> None:
    first = [("first.pdf", pdf_of_size(900 * KB)), ("second.pdf", pdf_of_size(900 * KB))]
    assert upload(client, reference, first).status_code == 303
    assert "248 KB is left" in client.get(documents_url(reference)).text
    response = upload(client, reference, [("third.pdf", pdf_of_size(900 * KB)), GOOD])
    assert response.status_code == 422
    assert error_summary(response.text) == [
        (
            "#documents",
            "third.pdf cannot be added: a form's documents can add up to 2 MB, and 248 KB is left",
        )
    ]
    assert stored_names(settings) == ["first.pdf", "second.pdf", "good.txt"]


@with_settings(max_document_mb=1, max_referral_documents_mb=1)
def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: TestClient, reference: str, settings: Settings
) -> None:
    token = csrf_token_from(client.get("/").text)
    body, content_type = multipart(
        [
            ("csrf_token", token),
            ("documents", "big.pdf", pdf_of_size(MB + 64 * KB + 1)),
        ]
    )
    chunk = 64 * KB
    chunks = [body[start : start + chunk] for start in range(0, len(body), chunk)]
    given = 0
    answer: dict[str, Any] = {}
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    path = documents_url(reference)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookies.encode()),
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": client.app_state.copy(),
    }

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given == len(chunks):
            return {"type": "http.disconnect"}
        given += 1
        return {"type": "http.request", "body": chunks[given - 1], "more_body": given < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] = answer.get("body", b"") + message.get("body", b"")

    async def call() -> None:
        await client.app(scope, receive, send)

    client.portal.call(call)  # type: ignore[union-attr]
    assert answer["status"] == 413
    assert given <= 2 < len(chunks)  # no more than the CSRF check needed
    page = text_of(answer["body"].decode())
    assert "The selected files are too big: a form's documents can add up to 1 MB" in page
    assert stored(settings) == []


@with_settings(max_document_mb=1, max_referral_documents_mb=1)
def test_an_upload_over_the_limit_answers_413_with_the_page(
    client: TestClient, reference: str, settings: Settings
) -> None:
    files = [("a.pdf", pdf_of_size(700 * KB)), ("b.pdf", pdf_of_size(700 * KB))]
    response = upload(client, reference, files)
    assert response.status_code == 413
    [(href, message)] = error_summary(response.text)
    assert href == "#documents" and message.startswith("The selected files are too big")
    assert stored(settings) == []


def test_an_upload_without_a_length_is_refused(
    client: TestClient, reference: str, settings: Settings
) -> None:
    token = csrf_token_from(client.get("/").text)
    body, content_type = multipart([("csrf_token", token), ("documents", *GOOD)])
    response = client.post(
        documents_url(reference),
        content=iter([body]),  # sent in chunks: no Content-Length
        headers={"Content-Type": content_type},
        follow_redirects=False,
    )
    assert "content-length" not in response.request.headers
    assert response.status_code in {411, 413}
    assert stored(settings) == []


def test_more_than_twenty_files_at_once_get_a_message(
    client: TestClient, reference: str, settings: Settings
) -> None:
    files = [(f"note {n}.txt", b"Note") for n in range(1, 22)]
    response = upload(client, reference, files)
    assert response.status_code == 400
    assert error_summary(response.text) == [
        (
            "#documents",
            "The selected files could not be uploaded. Select at most 20 files at a time and "
            "try again",
        )
    ]
    assert stored(settings) == []


@with_settings(max_document_mb=1, max_referral_documents_mb=1)
@pytest.mark.parametrize("case", ["too-many-files", "too-big"])
def test_with_htmx_the_too_many_and_too_big_messages_reach_the_page(
    client: TestClient, reference: str, settings: Settings, case: str
) -> None:
    """htmx's configuration swaps only some statuses; assets/js/htmx-glue.js also swaps a
    400, 411 or 413 answer that carries the element it targets (the documents block). So the
    answer must carry that block, with its message (e2e/test_documents.py sees it swapped)."""
    if case == "too-many-files":
        files = [(f"note {n}.txt", b"Note") for n in range(1, 22)]
    else:
        files = [("a.pdf", pdf_of_size(700 * KB)), ("b.pdf", pdf_of_size(700 * KB))]
    response = upload(client, reference, files, htmx=True)
    assert 400 <= response.status_code < 500
    assert_partial(response, client.get(documents_url(reference)).text)
    assert error_summary(response.text)
    page = client.get(documents_url(reference)).text
    target = re.search(r'hx-target="#([^"]+)"', page.split('enctype="multipart/form-data"')[1])
    assert target and f'id="{target.group(1)}"' in response.text
    swaps = htmx_swaps(page, response.status_code) or response.status_code in {400, 411, 413}
    assert swaps, f"htmx on the documents page does not swap a {response.status_code} answer"


def test_an_upload_without_the_csrf_token_first_is_refused(
    client: TestClient, reference: str, settings: Settings
) -> None:
    token = csrf_token_from(client.get("/").text)
    for parts in (
        [("documents", *GOOD)],
        [("documents", *GOOD), ("csrf_token", token)],
    ):
        body, content_type = multipart(parts)
        response = client.post(
            documents_url(reference), content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 403
    assert stored(settings) == []


def test_the_file_input_has_an_id_of_its_own_for_its_label_and_error_link(
    client: TestClient, reference: str
) -> None:
    """The label's `for` and the error summary's link must lead to the file input itself: were
    its id also the block's, both would lead to the block (the first with that id)."""
    response = upload(client, reference, [("invoice.pdf", EXE)])
    file_input = re.search(r'<input class="govuk-file-upload[^"]*" id="([^"]+)"', response.text)
    assert file_input
    input_id = file_input.group(1)
    assert response.text.count(f'id="{input_id}"') == 1, f'id="{input_id}" is used twice'
    assert f'<label class="govuk-label govuk-label--s" for="{input_id}">' in response.text
    assert error_summary(response.text)[0][0] == f"#{input_id}"


# Removing -----------------------------------------------------------------------------------


@STORAGES
@pytest.mark.parametrize("htmx", [False, True], ids=["without-javascript", "with-htmx"])
def test_remove_deletes_the_document_and_its_content(
    client: TestClient, reference: str, settings: Settings, htmx: bool
) -> None:
    keep, drop = ("keep.pdf", pdf_bytes("keep")), ("drop.png", png_bytes())
    assert upload(client, reference, [keep, drop]).status_code == 303
    rows = stored(settings)
    if settings.document_storage == "directory":
        assert files_in(settings) == {
            row.key: row_bytes for row, row_bytes in zip(rows, (keep[1], drop[1]), strict=True)
        }
        assert content_rows(settings) == 0
    else:
        assert content_rows(settings) == 2
    before = client.get(documents_url(reference)).text
    [_, dropped] = listed(before)
    assert 'Remove<span class="govuk-visually-hidden"> drop.png</span>' in before
    response = remove(client, dropped.href, htmx=htmx)
    if htmx:
        assert response.status_code == 200
        assert_partial(response, client.get(documents_url(reference)).text)
        page = response.text
    else:
        assert response.status_code == 303
        assert response.headers["location"] == documents_url(reference)
        page = client.get(documents_url(reference)).text
    assert "drop.png removed" in page
    assert [document.name for document in listed(page)] == ["keep.pdf"]
    [kept] = stored(settings)
    assert kept.filename == "keep.pdf" and kept_bytes(settings, kept) == keep[1]
    if settings.document_storage == "directory":
        assert files_in(settings) == {kept.key: keep[1]}
        assert not any(name.endswith(".part") for name in files_in(settings))
    else:
        assert content_rows(settings) == 1
    assert client.get(dropped.href).status_code == 404
    assert remove(client, dropped.href).status_code == 404  # gone already
    [event] = audit(settings, "document.removed")
    assert event.subject_id == dropped.href.rsplit("/", 1)[1]


@pytest.mark.parametrize("settings", [DIRECTORY], indirect=True, ids=["directory-store"])
def test_a_file_gone_from_the_directory_store_is_not_found(
    client: TestClient, reference: str, settings: Settings
) -> None:
    assert upload(client, reference, [("consent.pdf", pdf_bytes())]).status_code == 303
    [row] = stored(settings)
    assert settings.document_directory is not None
    [path] = settings.document_directory.rglob(row.key)
    path.unlink()
    assert client.get(f"{documents_url(reference)}/{row.key}").status_code == 404
    # It can still be taken off the list.
    assert remove(client, f"{documents_url(reference)}/{row.key}").status_code == 303
    assert stored(settings) == []


# Who may see and change what ----------------------------------------------------------------


@contextmanager
def another_client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as other:
        yield other


def test_another_professional_gets_not_found(
    app: Starlette, client: TestClient, reference: str, settings: Settings
) -> None:
    assert upload(client, reference, [("consent.pdf", pdf_bytes())]).status_code == 303
    [mine] = listed(client.get(documents_url(reference)).text)
    with another_client(app) as other:
        register(other, settings, OTHER_EMAIL)
        theirs = post(other, "/start/early-help", child_forename="Kim", child_surname="Lee")
        their_reference = theirs.headers["location"].split("/")[2]
        assert other.get(documents_url(reference)).status_code == 404
        assert other.get(mine.href).status_code == 404
        assert remove(other, mine.href).status_code == 404
        assert other.get(f"{mine.href}/description").status_code == 404
        assert describe(other, mine.href, "Not mine").status_code == 404
        assert upload(other, reference, [GOOD]).status_code == 404
        # Nor through their own referral's address.
        key = mine.href.rsplit("/", 1)[1]
        assert other.get(f"{documents_url(their_reference)}/{key}").status_code == 404
        assert remove(other, f"{documents_url(their_reference)}/{key}").status_code == 404
        their_address = f"{documents_url(their_reference)}/{key}"
        assert other.get(f"{their_address}/description").status_code == 404
        assert describe(other, their_address, "Not mine").status_code == 404
    assert stored_names(settings) == ["consent.pdf"]
    assert [row.description for row in stored(settings)] == [""]
    assert client.get(mine.href).status_code == 200
    # Made-up addresses find nothing either.
    assert client.get("/referrals/EH-2026-999999/documents").status_code == 404
    assert client.get(f"{documents_url(reference)}/{'A' * 32}").status_code == 404
    assert client.get(f"{documents_url(reference)}/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_signed_out_goes_to_sign_in(
    app: Starlette, client: TestClient, reference: str, settings: Settings
) -> None:
    assert upload(client, reference, [("consent.pdf", pdf_bytes())]).status_code == 303
    [mine] = listed(client.get(documents_url(reference)).text)
    with another_client(app) as signed_out:
        for response in (
            signed_out.get(documents_url(reference), follow_redirects=False),
            signed_out.get(mine.href, follow_redirects=False),
            remove(signed_out, mine.href),
            signed_out.get(f"{mine.href}/description", follow_redirects=False),
            describe(signed_out, mine.href, "Consent"),
            upload(signed_out, reference, [GOOD]),
        ):
            assert response.status_code == 303
            assert response.headers["location"] == "/login"
        assert upload(signed_out, reference, [GOOD], htmx=True).status_code == 401
        # Signing in comes back to the page asked for.
        signed_out.get(documents_url(reference), follow_redirects=False)
        assert sign_in(signed_out, EMAIL).headers["location"] == documents_url(reference)
    assert stored_names(settings) == ["consent.pdf"]


# After the referral is sent -----------------------------------------------------------------


@STORAGES
def test_a_sent_referral_keeps_its_documents(
    client: TestClient, reference: str, settings: Settings, clock: Clock
) -> None:
    data = pdf_bytes()
    assert upload(client, reference, [("consent.pdf", data)]).status_code == 303
    [document] = listed(client.get(documents_url(reference)).text)
    send_to_hub(settings, clock)

    refused = upload(client, reference, [GOOD])
    assert refused.status_code == 409
    assert refused.template.name == "pages/referrals/already_sent.html"  # type: ignore[attr-defined]
    with_htmx = upload(client, reference, [GOOD], htmx=True)
    assert with_htmx.status_code == 409
    assert with_htmx.headers["HX-Redirect"] == f"/referrals/{reference}/sent"
    assert remove(client, document.href).status_code == 409
    assert remove(client, document.href, htmx=True).status_code == 409
    # What a document is was fixed when the form was sent.
    assert describe(client, document.href, "Consent").status_code == 409
    asked = client.get(f"{document.href}/description", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == f"/referrals/{reference}/sent"

    [row] = stored(settings)
    assert row.filename == "consent.pdf" and kept_bytes(settings, row) == data
    download = client.get(document.href)
    assert download.status_code == 200 and download.content == data
    assert download.headers["Content-Disposition"].startswith("attachment;")
    page = client.get(documents_url(reference), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/referrals/{reference}/sent"

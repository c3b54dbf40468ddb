"""Documents asked for later (help guide 6): when the hub asks for a document after the form was
sent, the referrer attaches it to their reply on the sent form's page. The files go through the
same checks as the assessment's (size, content, a real clamd, the form's total); a reply and its
files are sent together or not at all, and a refused file never loses the words typed. Hub staff
see and download the files with the reply (audited), and can remove one attached in error; the
referrer sees them in their own timeline, and nobody else sees them at all."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pypdf
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import AuditEvent, Document, DocumentContent, Referral, ReferralMessage
from app.settings import Settings
from testkit.clamd import SIGNATURE_NAME, ClamdServer, eicar
from testkit.journeys import (
    complete_referral,
    csrf_token_from,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, make_settings
from tests.routes.test_documents import Part, error_summary, multipart, text_of
from tests.services.test_documents import EXE, docx_bytes, pdf_bytes

REFERRER = "rosalind.franklin@school.example.org"
OTHER = "edith.cavell@health.example.org"
HUB = "harriet.hub@hillingdon.example.gov.uk"
HUB_INBOX = "hub.inbox@hillingdon.example.gov.uk"
CLAMD_TIMEOUT = 1.5
KB = 1024
MB = 1024 * KB
ASKED = "Please send the signed consent form."
TYPED = "Here is the signed consent form, and the latest school report."


@pytest.fixture
def settings(
    database_url: str, clamd: ClamdServer, tmp_path: Path, request: pytest.FixtureRequest
) -> Settings:
    """Scanned by the real clamd; with any overrides a test asks for (indirect)."""
    overrides: dict[str, Any] = dict(getattr(request, "param", {}))
    if overrides.get("document_storage") == "directory":
        overrides["document_directory"] = tmp_path / "documents"
    return make_settings(
        database_url,
        clamd_host="127.0.0.1",
        clamd_port=clamd.port,
        clamd_timeout=CLAMD_TIMEOUT,
        hub_notify_email=HUB_INBOX,
        **overrides,
    )


def with_settings(**overrides: object) -> pytest.MarkDecorator:
    label = ",".join(f"{name}={value}" for name, value in overrides.items())
    return pytest.mark.parametrize("settings", [overrides], indirect=True, ids=[label])


@pytest.fixture
def hub_client(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, HUB, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub:
        assert sign_in(hub, HUB).status_code == 303
        yield hub


@pytest.fixture
def sent(client: TestClient, settings: Settings, hub_client: TestClient) -> str:
    """A referral the referrer sent (with one document), and the hub's message asking for
    another; the referrer's client stays signed in."""
    register(client, settings, REFERRER)
    reference = start_referral(client, "Sam", "Smith")
    complete_referral(client, reference)
    token = csrf_token_from(client.get(f"/referrals/{reference}/documents").text)
    uploaded = client.post(
        f"/referrals/{reference}/documents",
        data={"csrf_token": token},
        files=[("documents", ("assessment.pdf", pdf_bytes("Assessment"), "application/pdf"))],
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    assert post(client, f"/referrals/{reference}/send").status_code == 303
    url = f"/hub/referrals/{reference}/messages"
    assert post(hub_client, url, message=ASKED).status_code == 303
    return reference


def send_reply(
    client: TestClient,
    reference: str,
    text: str | None,
    files: Sequence[tuple[str, bytes]] = (),
) -> httpx.Response:
    """The reply form as the browser posts it: the CSRF token, the words, then the files (an
    empty file part when none was chosen, as browsers send)."""
    parts: list[Part] = [("csrf_token", csrf_token_from(client.get("/").text))]
    if text is not None:
        parts.append(("reply", text))
    parts += [("documents", name, data) for name, data in files] or [("documents", "", b"")]
    body, content_type = multipart(parts)
    return client.post(
        f"/referrals/{reference}/messages",
        content=body,
        headers={"Content-Type": content_type},
        follow_redirects=False,
    )


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def rows(self, model: Any) -> list[Any]:
        engine = create_database_engine(self.settings.database_url)
        try:
            with create_session_factory(engine)() as session:
                order = model.document_id if model is DocumentContent else model.id
                found = list(session.scalars(select(model).order_by(order)))
                session.expunge_all()
                return found
        finally:
            engine.dispose()

    def later_documents(self) -> list[Document]:
        return [row for row in self.rows(Document) if row.message_id is not None]

    def replies(self) -> list[ReferralMessage]:
        return [row for row in self.rows(ReferralMessage) if row.author_role == "referrer"]

    def events(self, event_type: str) -> list[AuditEvent]:
        return [row for row in self.rows(AuditEvent) if row.event_type == event_type]

    def unchanged_since(self, before: tuple[int, int, int]) -> bool:
        return self.counts() == before

    def counts(self) -> tuple[int, int, int]:
        """(documents, content rows, messages): what a refused reply must leave as it was."""
        return (
            len(self.rows(Document)),
            len(self.rows(DocumentContent)),
            len(self.rows(ReferralMessage)),
        )


def document_links(page: str, prefix: str) -> dict[str, str]:
    """{file name: address} of the download links under `prefix` on a page."""
    pattern = (
        rf'<a class="govuk-link" href="({re.escape(prefix)}/[A-Za-z0-9_-]{{32}})"[^>]*>(.*?)</a>'
    )
    return {html.unescape(name): href for href, name in re.findall(pattern, page)}


def timeline_of(page: str) -> str:
    found = re.search(r'<ol class="portal-timeline" id="timeline">.*?</ol>', page, re.S)
    assert found, "no timeline"
    return found.group(0)


# Sending documents with a reply --------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{}, {"document_storage": "directory"}],
    indirect=True,
    ids=["database", "directory"],
)
def test_the_referrer_sends_the_documents_the_hub_asked_for_with_their_reply(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    db = Database(settings)
    view = client.get(f"/referrals/{sent}/view").text
    assert ASKED in view
    # Without JavaScript: a multipart form, the words and a file input, one button.
    form = re.search(r'<form method="post" action="[^"]*/messages"[^>]*>.*?</form>', view, re.S)
    assert form and 'enctype="multipart/form-data"' in form.group(0)
    assert re.search(r'<input [^>]*id="documents" name="documents" type="file" multiple', view)
    assert "Attach documents (optional)" in text_of(form.group(0))

    consent, report = pdf_bytes("Signed consent"), docx_bytes()
    files = [("signed consent.pdf", consent), ("school report.docx", report)]
    response = send_reply(client, sent, TYPED, files)
    assert response.status_code == 303
    assert response.headers["location"] == f"/referrals/{sent}/view#timeline"

    [reply] = db.replies()
    assert reply.body == TYPED
    later = db.later_documents()
    assert [(row.filename, row.kind, row.message_id) for row in later] == [
        ("signed consent.pdf", "pdf", reply.id),
        ("school report.docx", "docx", reply.id),
    ]
    uploads = [e for e in db.events("document.uploaded") if e.details.get("message")]
    assert [e.details["message"] for e in uploads] == [reply.id, reply.id]
    assert {e.subject_id for e in uploads} == {row.key for row in later}

    # The referrer: the reply with its files in their timeline, each downloadable.
    page = client.get(f"/referrals/{sent}/view").text
    assert "Your reply has been sent" in page
    timeline = timeline_of(page)
    assert TYPED in timeline and "2 documents sent with it:" in text_of(timeline)
    mine = document_links(timeline, f"/referrals/{sent}/documents")
    assert set(mine) == {"signed consent.pdf", "school report.docx"}
    assert client.get(mine["signed consent.pdf"]).content == consent
    # "What you sent" is the form as sent: the later files are with the reply instead.
    what_was_sent = page.split('id="summary-documents"')[1]
    assert "assessment.pdf" in what_was_sent and "signed consent.pdf" not in what_was_sent

    # Hub staff: the reply and its files in the timeline, and in the documents list.
    hub_page = hub_client.get(f"/hub/referrals/{sent}").text
    theirs = document_links(timeline_of(hub_page), f"/hub/referrals/{sent}/documents")
    assert set(theirs) == {"signed consent.pdf", "school report.docx"}
    listed = hub_page.split('id="documents-heading"')[1]
    assert "sent later with a reply" in text_of(listed)
    assert "Remove school report.docx as attached in error" in text_of(listed)
    download = hub_client.get(theirs["school report.docx"])
    assert download.status_code == 200 and download.content == report
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    downloads = db.events("document.downloaded")
    assert len(downloads) == 2 and downloads[-1].subject_id == later[1].key

    # The hub's PDF names them with the reply.
    pdf = hub_client.get(f"/hub/referrals/{sent}/pdf")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Document sent with it: signed consent.pdf" in text


def test_a_reply_may_be_documents_alone(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    response = send_reply(client, sent, "", [("consent.pdf", pdf_bytes())])
    assert response.status_code == 303
    [reply] = Database(settings).replies()
    assert reply.body == ""
    assert "1 new reply" in hub_client.get("/hub/referrals").text
    hub_timeline = timeline_of(hub_client.get(f"/hub/referrals/{sent}").text)
    assert "Document sent with it:" in text_of(hub_timeline) and "consent.pdf" in hub_timeline


def test_a_reply_without_files_is_sent_as_before(
    client: TestClient, sent: str, settings: Settings
) -> None:
    """The form as a browser sends it with no file chosen, and as an old page (urlencoded)."""
    assert send_reply(client, sent, "I will post it today.").status_code == 303
    assert post(client, f"/referrals/{sent}/messages", reply="Posted.").status_code == 303
    db = Database(settings)
    assert [reply.body for reply in db.replies()] == ["I will post it today.", "Posted."]
    assert db.later_documents() == []


# Refused: nothing is sent, and the words typed are kept ------------------------------------


def assert_refused_with_words_kept(
    response: httpx.Response, status: int, message: str, db: Database, before: tuple[int, int, int]
) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text[:300]
    summary = error_summary(response.text)
    assert any(message in text for _, text in summary), summary
    assert all(link in {"#documents", "#reply"} for link, _ in summary)
    assert "<title>Error: " in response.text
    textarea = re.search(r'<textarea [^>]*id="reply"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert textarea and html.unescape(textarea.group(1)).strip() == TYPED
    assert db.unchanged_since(before)
    return summary


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("consent.pdf", EXE)], "consent.pdf is not really a PDF file"),
        ([("report.pdf", b"")], "report.pdf is empty"),
        ([("notes.exe", b"MZ")], "notes.exe must be a PDF, Word"),
        ([("../../etc/passwd.pdf", pdf_bytes())], "is not allowed: rename the file"),
        (
            [("good.pdf", pdf_bytes()), ("letter.txt", eicar())],
            "letter.txt contains a virus, so it was not uploaded",
        ),
    ],
    ids=["disguised-exe", "empty-file", "not-an-allowed-kind", "path-in-name", "eicar-beside-good"],
)
def test_a_bad_file_means_nothing_is_sent_and_the_reply_is_kept(
    client: TestClient,
    sent: str,
    settings: Settings,
    files: list[tuple[str, bytes]],
    message: str,
) -> None:
    db = Database(settings)
    before = db.counts()
    response = send_reply(client, sent, TYPED, files)
    summary = assert_refused_with_words_kept(response, 422, message, db, before)
    assert summary[-1][1].startswith("Your reply has not been sent. Choose the files again")
    if message.startswith("letter.txt contains a virus"):
        [infected] = db.events("document.infected")
        assert infected.details["signature"].startswith(SIGNATURE_NAME)


@pytest.mark.parametrize("settings", [{"document_storage": "directory"}], indirect=True)
def test_a_good_file_beside_a_bad_one_is_not_kept_either(
    client: TestClient, sent: str, settings: Settings
) -> None:
    directory = settings.document_directory
    assert directory is not None
    before_files = sorted(p.name for p in directory.rglob("*") if p.is_file())
    db = Database(settings)
    before = db.counts()
    response = send_reply(client, sent, TYPED, [("good.pdf", pdf_bytes()), ("bad.pdf", EXE)])
    assert_refused_with_words_kept(response, 422, "bad.pdf is not really a PDF file", db, before)
    assert sorted(p.name for p in directory.rglob("*") if p.is_file()) == before_files


@with_settings(max_document_mb=1)
def test_a_file_over_the_size_limit_is_refused(
    client: TestClient, sent: str, settings: Settings
) -> None:
    db = Database(settings)
    before = db.counts()
    big = pdf_bytes() + b"%" + b"0" * MB + b"\n"
    response = send_reply(client, sent, TYPED, [("big.pdf", big)])
    assert_refused_with_words_kept(response, 422, "big.pdf must be smaller than 1 MB", db, before)


@with_settings(max_document_mb=1, max_referral_documents_mb=1)
def test_the_forms_total_counts_the_documents_sent_later(
    client: TestClient, sent: str, settings: Settings
) -> None:
    db = Database(settings)
    before = db.counts()
    # Exactly the limit for one file; with the assessment's document, over the form's total.
    start = pdf_bytes()
    nearly = start + b"%" + b"0" * (MB - len(start) - 2) + b"\n"
    assert len(nearly) == MB
    response = send_reply(client, sent, TYPED, [("nearly a megabyte.pdf", nearly)])
    assert_refused_with_words_kept(
        response, 422, "nearly a megabyte.pdf cannot be added: a form's documents", db, before
    )


@with_settings(max_document_mb=1, max_referral_documents_mb=1)
def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: TestClient, sent: str, settings: Settings
) -> None:
    db = Database(settings)
    before = db.counts()
    huge = pdf_bytes() + b"%" + b"0" * (MB + 64 * KB) + b"\n"
    response = send_reply(client, sent, TYPED, [("huge.pdf", huge)])
    assert response.status_code == 413
    [(link, message)] = error_summary(response.text)
    assert link == "#documents"
    # Refused before a byte of it was read: the words could not be kept, and it says so.
    assert message.startswith("The selected files are too big")
    assert message.endswith("Your reply was not sent: type it again and choose smaller files")
    assert db.unchanged_since(before)


def test_more_than_twenty_files_at_once_are_refused_and_the_reply_is_kept(
    client: TestClient, sent: str, settings: Settings
) -> None:
    db = Database(settings)
    before = db.counts()
    notes = [(f"note {n}.txt", b"Note") for n in range(1, 22)]
    response = send_reply(client, sent, TYPED, notes)
    assert_refused_with_words_kept(response, 400, "Select at most 20 files at a time", db, before)
    # So many that the form cannot be read: said, nothing sent.
    many = [(f"note {n}.txt", b"Note") for n in range(1, 102)]
    response = send_reply(client, sent, TYPED, many)
    assert response.status_code == 400
    assert "Select at most 20 files at a time" in error_summary(response.text)[0][1]
    assert db.unchanged_since(before)


def test_with_the_scanner_gone_nothing_is_sent_and_the_reply_is_kept(
    sent: str, settings: Settings, clock: Clock, fast_password_hashing: None
) -> None:
    gone = make_settings(
        settings.database_url, clamd_host="127.0.0.1", clamd_port=1, clamd_timeout=CLAMD_TIMEOUT
    )
    db = Database(settings)
    before = db.counts()
    with TestClient(create_app(gone, clock=clock)) as other:
        sign_in(other, REFERRER)
        response = send_reply(other, sent, TYPED, [("consent.pdf", pdf_bytes())])
    summary = assert_refused_with_words_kept(
        response, 503, "could not be checked for viruses just now", db, before
    )
    assert summary[-1][1].startswith("Your reply has not been sent")
    assert response.headers["Retry-After"]


@pytest.mark.parametrize(
    ("text", "files", "error"),
    [
        ("", [], "Enter your reply, or choose a document to send"),
        ("   ", [], "Enter your reply, or choose a document to send"),
        (None, [], "Enter your reply, or choose a document to send"),
        (
            "x" * 5001,
            [("consent.pdf", pdf_bytes())],
            "Your reply must be 5,000 characters or fewer",
        ),
    ],
    ids=["empty", "only-spaces", "field-missing", "too-long-with-a-file"],
)
def test_a_reply_with_nothing_to_send_or_too_long_is_refused(
    client: TestClient,
    sent: str,
    settings: Settings,
    text: str | None,
    files: list[tuple[str, bytes]],
    error: str,
) -> None:
    db = Database(settings)
    before = db.counts()
    response = send_reply(client, sent, text, files)
    assert response.status_code == 422
    assert error_summary(response.text) == [("#reply", error)]
    if text and text.strip():
        assert text in response.text  # kept to shorten
    assert db.unchanged_since(before)


# Who may see them ---------------------------------------------------------------------------


def test_nobody_else_sees_or_sends_documents_with_a_reply(
    app: Starlette, client: TestClient, sent: str, settings: Settings
) -> None:
    assert send_reply(client, sent, TYPED, [("consent.pdf", pdf_bytes())]).status_code == 303
    db = Database(settings)
    [document] = db.later_documents()
    before = db.counts()
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as other:
        register(other, settings, OTHER)
        theirs = start_referral(other, "Kim", "Lee")
        assert other.get(f"/referrals/{sent}/documents/{document.key}").status_code == 404
        # Nor through their own referral's address.
        assert other.get(f"/referrals/{theirs}/documents/{document.key}").status_code == 404
        refused = send_reply(other, sent, "Mine now", [("x.pdf", pdf_bytes())])
        assert refused.status_code == 404 and "Smith" not in refused.text
        other.cookies.clear()
        signed_out = send_reply(other, sent, "Hello", [("x.pdf", pdf_bytes())])
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
        download = other.get(f"/referrals/{sent}/documents/{document.key}", follow_redirects=False)
        assert download.status_code == 303 and download.headers["location"] == "/login"
    assert db.unchanged_since(before)


def test_hub_staff_remove_a_document_sent_in_error_and_the_referrer_sees_it_went(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    assert send_reply(client, sent, TYPED, [("wrong family.pdf", pdf_bytes())]).status_code == 303
    db = Database(settings)
    [document] = db.later_documents()
    remove_url = f"/hub/referrals/{sent}/documents/{document.key}/remove"
    token = csrf_token_from(hub_client.get(remove_url).text)
    done = hub_client.post(remove_url, data={"csrf_token": token, "reason": "About another family"})
    assert done.status_code == 200 and "wrong family.pdf has been removed" in done.text
    [document] = db.later_documents()
    assert document.removed_at is not None
    assert hub_client.get(f"/hub/referrals/{sent}/documents/{document.key}").status_code == 404
    assert client.get(f"/referrals/{sent}/documents/{document.key}").status_code == 404
    timeline = timeline_of(client.get(f"/referrals/{sent}/view").text)
    assert "wrong family.pdf: removed by the" in text_of(timeline)
    assert document_links(timeline, f"/referrals/{sent}/documents") == {}
    assert [e.details.get("by") for e in db.events("document.removed")] == ["hub"]


def test_create_pdf_on_a_sent_form_says_it_is_the_form_as_sent(
    client: TestClient, sent: str
) -> None:
    page = text_of(client.get(f"/referrals/{sent}/view").text)
    assert "A PDF of the form as sent to the" in page
    assert "answers saved so far" not in page
    draft = start_referral(client, "Dora", "Draft")
    assert "A PDF of the answers saved so far, marked as a draft" in text_of(
        client.get(f"/referrals/{draft}/documents").text
    )


def test_the_sent_referral_is_the_one_replied_to(
    client: TestClient, sent: str, settings: Settings
) -> None:
    """A draft has no thread: a reply with files to it goes to its task list, nothing kept."""
    draft = start_referral(client, "Dora", "Draft")
    db = Database(settings)
    before = db.counts()
    response = send_reply(client, draft, TYPED, [("consent.pdf", pdf_bytes())])
    assert response.status_code == 303 and response.headers["location"] == f"/referrals/{draft}"
    assert db.unchanged_since(before)
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            statuses = {r.reference: r.status for r in session.scalars(select(Referral))}
    finally:
        engine.dispose()
    assert statuses == {sent: "submitted", draft: "draft"}

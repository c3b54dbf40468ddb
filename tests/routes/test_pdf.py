"""Create PDF (help guide 7): every filled answer, the reference and the DRAFT mark are in the
PDF's real text; a sent referral's PDF has no DRAFT mark; the PDF is tagged PDF/UA with a title
and a language; only the owner gets it; it is a download that is never cached."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, Referral, User
from app.services.submission import submit as send_referral
from app.settings import Settings
from testkit.journeys import post, register, start_referral
from tests.conftest import Clock
from tests.routes.test_assessment import YOUR_DETAILS, submit
from tests.routes.test_tables import ANN, BOB, member, send

EMAIL = "elizabeth.garrett@school.example.org"
LONG = "The children are often late to school and Ann is worried about the rent. " * 20


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    response = post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    reference = response.headers["location"].split("/")[2]
    assert submit(client, reference, "your-details", YOUR_DETAILS, action="next").status_code == 303
    fields = {
        "family_members-item": ["0123abcd", "4567ef01"],
        **member("0123abcd", **ANN),
        **member("4567ef01", **BOB),
        "action": "save",
    }
    assert send(client, reference, fields).status_code == 303
    services = {
        "current_services-item": "89abcdef",
        "current_services-89abcdef-service": "School nurse",
        "current_services-89abcdef-email": "nurse@health.example.org",
        "previous_services_known": "none",
        "action": "save",
    }
    assert send(client, reference, services, section="services").status_code == 303
    assessment = {"whats_happening": LONG, "help_required": "Help with mornings.\nAnd rent."}
    assert (
        submit(client, reference, "family-assessment", assessment, action="save").status_code == 303
    )
    return reference


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text without line breaks or repeated spaces, so wrapped lines still match."""
    return re.sub(r"\s+", " ", text)


def test_the_pdf_is_a_download_that_is_never_cached(client: TestClient, reference: str) -> None:
    response = client.get(f"/referrals/{reference}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    # The clock fixture stands at 23 November 2026.
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{reference}-2026-11-23.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"%PDF-")


def test_the_health_check_says_pdfs_can_be_made_once_one_is(
    client: TestClient, reference: str
) -> None:
    assert client.get("/healthz").text.splitlines()[-1] == "pdfs: unchecked"
    assert client.get(f"/referrals/{reference}/pdf").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.text.splitlines()[-1] == "pdfs: ok"


def test_every_filled_answer_and_the_draft_mark_are_in_the_text(
    client: TestClient, reference: str
) -> None:
    text = flat(pdf_text(client.get(f"/referrals/{reference}/pdf").content))
    for expected in (
        reference,
        "DRAFT — not submitted",
        "Early Help Assessment for Sam Smith",
        "Health visitor",
        "Uxbridge Health Centre",
        "29 February 2020",
        "3 Ashgrove Road",
        "UB8 9EP",
        "Family member 1: Ann Smith",
        "Family member 2: Bob Smith",
        "Family friend who cares for Sam after school",
        "9 Station Road",
        "Current service 1: School nurse",
        "nurse@health.example.org",
        "Help with mornings.",
        "And rent.",
        "Ada Lovelace",  # the referrer, from the account
        "Page 1 of",
    ):
        assert expected in text, expected
    assert flat(LONG).strip() in text  # a long answer whole, across lines and pages


def test_a_sent_referral_has_no_draft_mark(
    client: TestClient, reference: str, settings: Settings, clock: Clock
) -> None:
    database = create_database_engine(settings.database_url)
    try:
        with create_session_factory(database)() as session:
            referral = session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            user = session.scalars(select(User)).one()
            assert send_referral(session, settings, referral, user, now=clock())
            session.commit()
    finally:
        database.dispose()
    text = flat(pdf_text(client.get(f"/referrals/{reference}/pdf").content))
    assert "DRAFT" not in text
    assert "Submitted on 23 November 2026 at 9:00am" in text
    assert "Family member 1: Ann Smith" in text


def test_the_pdf_is_tagged_with_a_title_and_a_language(client: TestClient, reference: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/referrals/{reference}/pdf").content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root  # tagged: a structure tree for assistive technology
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en-GB"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == f"Early Help Assessment {reference} – Sam Smith"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in xmp and re.search(r"pdfuaid:part[^0-9]*1", xmp)
    # Real text, not pictures of text: the headings are there to select and search.
    assert "Relationships and the Wider Family Details" in pdf_text(
        client.get(f"/referrals/{reference}/pdf").content
    )


def test_nobody_else_gets_the_pdf(client: TestClient, reference: str, settings: Settings) -> None:
    client.cookies.clear()
    assert client.get(f"/referrals/{reference}/pdf", follow_redirects=False).status_code == 303
    register(client, settings, "someone.else@school.example.org")
    assert client.get(f"/referrals/{reference}/pdf").status_code == 404
    assert client.get("/referrals/EH-2026-999999/pdf").status_code == 404


def test_making_a_pdf_is_audited_without_personal_data(
    client: TestClient, reference: str, settings: Settings
) -> None:
    client.get(f"/referrals/{reference}/pdf")
    database = create_database_engine(settings.database_url)
    try:
        with create_session_factory(database)() as session:
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.event_type == "referral.pdf-created")
            ).one()
    finally:
        database.dispose()
    assert event.subject_id == reference and event.details == {"draft": True}


@pytest.mark.parametrize(
    "path",
    ["sections/your-details", "sections/family", "check-answers", "documents"],
)
def test_create_pdf_is_on_every_page_of_the_form(
    client: TestClient, reference: str, path: str
) -> None:
    page = client.get(f"/referrals/{reference}/{path}").text
    assert re.search(rf'<a href="/referrals/{reference}/pdf"[^>]*>Create PDF</a>', page)


def pdf_workers() -> set[int]:
    """This process's children that are multiprocessing pool workers (not, for instance, the
    resource tracker that multiprocessing starts once beside them, which is never a worker)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        for pid in children:
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"spawn_main" in command:
                found.add(int(pid))
    return found


def test_pdfs_are_made_in_worker_processes_that_stop_with_the_app(
    app: Starlette, settings: Settings
) -> None:
    before = pdf_workers()
    with TestClient(app) as client:
        register(client, settings, "ada@school.example.org")
        reference = start_referral(client)
        assert client.get(f"/referrals/{reference}/pdf").content.startswith(b"%PDF-")
        workers = pdf_workers() - before
        assert workers, "the PDF was not made in a worker process"
        for pid in workers:  # lower priority than the app's requests
            assert os.getpriority(os.PRIO_PROCESS, pid) > os.getpriority(os.PRIO_PROCESS, 0)
    assert not (pdf_workers() & workers)

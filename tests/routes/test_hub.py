"""Hub staff (help guide 6): the inbox, one referral with its timeline and actions, messages
both ways with emails that hold no child data, and removing a document attached in error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, Document, DocumentContent, Referral, User
from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    complete_referral,
    complete_section,
    mail_to,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, csrf_token_from

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client: TestClient, reference: str) -> None:
    token = csrf_token_from(client.get(f"/referrals/{reference}/documents").text)
    response = client.post(
        f"/referrals/{reference}/documents",
        data={"csrf_token": token, "description": "consent"},
        files=[("documents", ("consent.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def sent(client: TestClient, settings: Settings) -> str:
    """A referral sent by the referrer, with one document; the client is left signed out."""
    register(client, settings, REFERRER)
    reference = start_referral(client, "Sam", "Smith")
    complete_referral(client, reference)
    details = {**COMPLETE_ANSWERS["your-details"], "child_nhs_number": "943 476 5919"}
    complete_section(client, reference, "your-details", details)
    upload(client, reference)
    assert post(client, f"/referrals/{reference}/send").status_code == 303
    client.cookies.clear()
    return reference


@pytest.fixture
def hub_client(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    make_hub_user(settings, HUB, now=clock())
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub:
        sign_in(hub, HUB)
        yield hub


def test_the_inbox_lists_sent_referrals_only_and_searches(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    # A draft of the same referrer never reaches the hub.
    sign_in(client, REFERRER)
    draft = start_referral(client, "Dora", "Draft")
    page = hub_client.get("/hub/referrals")
    assert page.status_code == 200
    assert sent in page.text and draft not in page.text and "Dora" not in page.text
    assert "Referrals inbox" in page.text  # in the header for hub staff
    results = page.text.split('id="inbox-results"')[1]
    assert "Sam Smith" in results and "Received" in results and "Not set" in results
    for query, found in (
        ("Sam", True),
        ("smith sam", True),
        ("sam smith", True),
        (sent, True),
        (sent[-6:], True),
        ("943 476 5919", True),
        ("9434765919", True),
        ("943-476-5919", True),
        # The reference as people write it: without its leading zeros, in lower case.
        (f"EH-{sent.split('-')[1]}-{int(sent.split('-')[2])}", True),
        (f"eh-{sent.split('-')[1]}-{int(sent.split('-')[2])}", True),
        (f"{sent.split('-')[1]}-{int(sent.split('-')[2])}", True),
        (f"EH-{sent.split('-')[1]}-{int(sent.split('-')[2]) + 1}", False),
        ("Nobody", False),
        ("%", False),
        ("'; DROP TABLE referral; --", False),
    ):
        results = hub_client.get("/hub/referrals", params={"q": query})
        assert results.status_code == 200
        assert (sent in results.text) is found, query
    # With htmx the results come alone, for the live search.
    live = hub_client.get("/hub/referrals", params={"q": "Sam"}, headers={"HX-Request": "true"})
    assert '<div id="inbox-results">' in live.text and "<html" not in live.text
    # The count's words come out of band into the live region that stays on the page.
    assert re.search(
        r'<p class="govuk-body" id="inbox-count" hx-swap-oob="innerHTML">1 referral', live.text
    )
    assert 'id="inbox-count" role="status"' in page.text
    for params in ({"status": "received"}, {"type": "early-help"}, {"urgency": "none"}):
        assert sent in hub_client.get("/hub/referrals", params=params).text
    for params in ({"status": "in-triage"}, {"urgency": "red"}):
        assert sent not in hub_client.get("/hub/referrals", params=params).text
    # Nonsense filters and pages are ignored, never a 500 ("²" is a digit to str.isdigit()).
    for params in (
        {"status": "<x>"},
        {"page": "-1"},
        {"page": "99999999999"},
        {"page": "²"},
        {"urgency": "x"},
    ):
        assert hub_client.get("/hub/referrals", params=params).status_code == 200


def test_a_professional_and_a_signed_out_user_get_no_hub_page(
    client: TestClient, sent: str
) -> None:
    assert client.get("/hub/referrals", follow_redirects=False).status_code == 303
    sign_in(client, REFERRER)
    for path in ("/hub/referrals", f"/hub/referrals/{sent}", f"/hub/referrals/{sent}/pdf"):
        assert client.get(path).status_code == 404
    assert "Referrals inbox" not in client.get("/").text


def test_status_urgency_and_messages_reach_the_referrer_without_child_data(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    url = f"/hub/referrals/{sent}"
    page = hub_client.get(url)
    assert page.status_code == 200
    for expected in ("Sam Smith", "Family member 1", "consent.pdf", "Who has viewed it"):
        assert expected in page.text
    assert "Hattie Hub" in page.text.split("Who has viewed it")[1]
    before = len(mail_to(settings, REFERRER))
    token = csrf_token_from(page.text)

    def act(path: str, **data: str) -> int:
        response = hub_client.post(
            f"{url}/{path}", data={"csrf_token": token, **data}, follow_redirects=False
        )
        return response.status_code

    assert act("status", status="in-triage", status_message="") == 303
    assert len(mail_to(settings, REFERRER)) == before  # no message, no email
    assert act("status", status="accepted-early-help", status_message="We will call Ann.") == 303
    assert act("urgency", urgency="amber") == 303
    assert act("messages", message="Could you send the attendance letters?") == 303
    # Bad input: a clear message and 422, never a 500.
    assert act("status", status="made-up") == 422
    assert act("urgency", urgency="purple") == 422
    assert act("messages", message="   ") == 422
    assert act("messages", message="x" * 5001) == 422
    mails = mail_to(settings, REFERRER)[before:]
    assert len(mails) == 2
    for mail in mails:
        assert sent in mail.subject and "new message" in mail.subject
        assert "Sam" not in mail.text_body and "Smith" not in mail.text_body
        assert "Ann" not in mail.text_body
    page = hub_client.get(url).text
    assert "Status changed to Accepted for Early Help by Hattie Hub" in page
    assert "Urgency set to Amber" in page
    assert "Could you send the attendance letters?" in page
    # The referrer: status and an unread marker in the list, the thread, and a reply.
    sign_in(client, REFERRER)
    listing = client.get("/submitted").text
    assert "Accepted for Early Help" in listing and "2 new messages" in listing
    view = client.get(f"/referrals/{sent}/view").text
    assert "We will call Ann." in view and "Could you send the attendance letters?" in view
    assert "Urgency" not in view  # the hub's own record
    assert "new message" not in client.get("/submitted").text  # read now
    reply = post(client, f"/referrals/{sent}/messages", reply="Attached to an email today.")
    assert reply.status_code == 303
    assert post(client, f"/referrals/{sent}/messages", reply="").status_code == 422
    inbox = hub_client.get("/hub/referrals").text
    assert "1 new reply" in inbox
    assert "Attached to an email today." in hub_client.get(url).text
    assert "new repl" not in hub_client.get("/hub/referrals").text


def test_removing_a_document_destroys_it_and_keeps_the_record(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    url = f"/hub/referrals/{sent}"
    page = hub_client.get(url).text
    key = re.search(rf"{url}/documents/([A-Za-z0-9_-]{{32}})\"", page)
    assert key
    download = hub_client.get(f"{url}/documents/{key.group(1)}")
    assert download.status_code == 200 and download.content == PDF
    remove_url = f"{url}/documents/{key.group(1)}/remove"
    form = hub_client.get(remove_url)
    assert form.status_code == 200
    token = csrf_token_from(form.text)
    empty = hub_client.post(remove_url, data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "Enter why the document is being removed" in empty.text
    done = hub_client.post(
        remove_url,
        data={"csrf_token": token, "reason": "About another family"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            document = session.scalars(select(Document)).one()
            assert document.removed_at is not None and document.removed_reason
            assert session.get(DocumentContent, document.id) is None
            remover = session.get(User, document.removed_by_id)
            assert remover is not None and remover.email == HUB
            events = [e.event_type for e in session.scalars(select(AuditEvent))]
            assert "document.removed" in events and "referral.viewed" in events
    finally:
        engine.dispose()
    assert hub_client.get(f"{url}/documents/{key.group(1)}").status_code == 404
    page = hub_client.get(url).text
    assert "Removed" in page and "About another family" in page
    sign_in(client, REFERRER)
    assert client.get(f"/referrals/{sent}/documents/{key.group(1)}").status_code == 404
    assert "removed by the" in client.get(f"/referrals/{sent}/view").text


def test_the_hub_pdf_has_the_timeline(
    hub_client: TestClient, sent: str, settings: Settings
) -> None:
    import io

    import pypdf

    url = f"/hub/referrals/{sent}"
    token = csrf_token_from(hub_client.get(url).text)
    hub_client.post(f"{url}/messages", data={"csrf_token": token, "message": "Thanks, noted."})
    response = hub_client.get(f"{url}/pdf")
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Timeline" in text and "Thanks, noted." in text and "DRAFT" not in text


def test_hub_staff_never_see_drafts(
    client: TestClient, hub_client: TestClient, settings: Settings
) -> None:
    register(client, settings, REFERRER)
    draft = start_referral(client)
    for path in (f"/hub/referrals/{draft}", f"/hub/referrals/{draft}/pdf"):
        assert hub_client.get(path).status_code == 404
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            assert session.scalars(select(Referral)).one().status == "draft"
    finally:
        engine.dispose()

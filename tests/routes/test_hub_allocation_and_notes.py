"""Hub staff allocate sent referrals (Assign to me, to a colleague, Unassign), filter the inbox
by Mine, Unallocated or a person, and keep internal notes that only hub staff ever see: never
the referrer, in no email, not in the referrer's PDF or what they sent."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pypdf
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.models import AuditEvent, OutboxMessage, Referral, ReferralMessage, User
from app.services.accounts import create_user_by_operator, disable_by_operator, user_by_email
from app.settings import Settings
from testkit.journeys import (
    STRONG_PASSWORD,
    complete_referral,
    make_hub_user,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, csrf_token_from

REFERRER = "grace.hopper@school.example.org"
HUB = "hub.worker@hillingdon.example.gov.uk"
COLLEAGUE = "colin.colleague@hillingdon.example.gov.uk"
AWAY = "anna.away@hillingdon.example.gov.uk"
NOTE = "Spoke to the school nurse: mother asked us not to call before 3pm."


def send_referral(client: TestClient, forename: str, surname: str) -> str:
    reference = start_referral(client, forename, surname)
    complete_referral(client, reference)
    assert post(client, f"/referrals/{reference}/send").status_code == 303
    return reference


@pytest.fixture
def sent(client: TestClient, settings: Settings) -> str:
    """A referral sent by the referrer, who stays signed in on `client`."""
    register(client, settings, REFERRER)
    return send_referral(client, "Sam", "Smith")


@pytest.fixture
def hub_client(app: Starlette, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """Hattie Hub, signed in; Colin Colleague is hub staff too, Anna Away's account is
    disabled."""
    make_hub_user(settings, HUB, now=clock())
    make_hub_user(settings, COLLEAGUE, now=clock(), name="Colin Colleague")
    make_hub_user(settings, AWAY, now=clock(), name="Anna Away")
    with database(settings) as session:
        away = user_by_email(session, AWAY)
        assert away is not None
        disable_by_operator(session, away, now=clock())
        session.commit()
    with TestClient(app, headers={"Accept-Encoding": "identity"}) as hub:
        assert sign_in(hub, HUB).status_code == 303
        yield hub


class database:
    """A session on the test's database, for reading what was stored."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_database_engine(settings.database_url)

    def __enter__(self) -> Any:
        self.session = create_session_factory(self.engine)()
        return self.session

    def __exit__(self, *_: object) -> None:
        self.session.close()
        self.engine.dispose()


def user_id(settings: Settings, email: str) -> int:
    with database(settings) as session:
        user = user_by_email(session, email)
        assert user is not None
        return int(user.id)


def allocation_events(settings: Settings) -> list[dict[str, Any]]:
    with database(settings) as session:
        return [
            event.details
            for event in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.event_type == "referral.allocated")
                .order_by(AuditEvent.id)
            )
        ]


def timeline_kinds(settings: Settings) -> list[str]:
    with database(settings) as session:
        return list(session.scalars(select(ReferralMessage.kind).order_by(ReferralMessage.id)))


def act(hub: TestClient, reference: str, path: str, **data: str) -> Any:
    token = csrf_token_from(hub.get(f"/hub/referrals/{reference}").text)
    return hub.post(
        f"/hub/referrals/{reference}/{path}",
        data={"csrf_token": token, **data},
        follow_redirects=False,
    )


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def summary_value(page: str, key: str) -> str:
    match = re.search(
        rf'<dt class="govuk-summary-list__key">\s*{key}\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
        page,
        re.S,
    )
    assert match, key
    return match.group(1)


def notice(page: str) -> str:
    """The success banner's words, after an action."""
    match = re.search(r'<p class="govuk-notification-banner__heading">(.*?)</p>', page, re.S)
    assert match, "no notice"
    return match.group(1).strip()


# Allocation ---------------------------------------------------------------------------------


def test_hub_staff_assign_to_me_reallocate_to_a_colleague_and_unassign(
    hub_client: TestClient, sent: str, settings: Settings
) -> None:
    url = f"/hub/referrals/{sent}"
    page = hub_client.get(url).text
    assert summary_value(page, "Allocated to") == "Unallocated"
    assert "Assign to me" in page and "Unassign" not in page
    # Every member of hub staff whose account is not disabled can be chosen.
    assert "Colin Colleague</option>" in page and "Hattie Hub (you)</option>" in page
    assert "Anna Away" not in page
    me, colleague = user_id(settings, HUB), user_id(settings, COLLEAGUE)

    assert act(hub_client, sent, "allocation", allocate_to="me").headers["location"] == url
    page = hub_client.get(url).text
    assert notice(page) == "Allocated to you"
    assert summary_value(page, "Allocated to") == "Hattie Hub (you)"
    assert "Assign to me" not in page and "Unassign" in page
    assert "Allocated to Hattie Hub by Hattie Hub" in page

    assert act(hub_client, sent, "allocation", allocate_to=str(colleague)).status_code == 303
    page = hub_client.get(url).text
    assert notice(page) == "Allocated to Colin Colleague"
    assert summary_value(page, "Allocated to") == "Colin Colleague"
    assert "Reallocated from Hattie Hub to Colin Colleague by Hattie Hub" in page

    assert act(hub_client, sent, "allocation", allocate_to="nobody").status_code == 303
    page = hub_client.get(url).text
    assert summary_value(page, "Allocated to") == "Unallocated"
    assert "Unassigned from Colin Colleague by Hattie Hub" in page

    # Asked again: said so, and nothing new recorded.
    assert act(hub_client, sent, "allocation", allocate_to="nobody").status_code == 303
    assert notice(hub_client.get(url).text) == "It was already unallocated"
    assert allocation_events(settings) == [
        {"from": None, "to": me},
        {"from": me, "to": colleague},
        {"from": colleague, "to": None},
    ]
    assert timeline_kinds(settings) == ["allocation"] * 3


def test_a_bad_allocation_is_refused_with_a_message_and_changes_nothing(
    hub_client: TestClient, sent: str, settings: Settings
) -> None:
    referrer, away = user_id(settings, REFERRER), user_id(settings, AWAY)
    tried = {
        "": "Select who to allocate it to",
        "   ": "Select who to allocate it to",
        "someone": "Select a member of hub staff",
        # The referrer (a professional), a disabled member of hub staff, nobody at all.
        str(referrer): "Select a member of hub staff",
        str(away): "Select a member of hub staff",
        "999999": "Select a member of hub staff",
        "-1": "Select a member of hub staff",
        "²": "Select a member of hub staff",
        "1 OR 1=1": "Select a member of hub staff",
        "x" * 10_000: "Select a member of hub staff",
    }
    for value, message in tried.items():
        response = act(hub_client, sent, "allocation", allocate_to=value)
        assert response.status_code == 422, value[:20]
        assert message in response.text
        assert response.text.count(message) == 2  # the summary and the field
        assert 'href="#allocate_to"' in response.text
        assert "<title>Error: " in response.text
    assert allocation_events(settings) == []
    assert timeline_kinds(settings) == []


def test_the_inbox_filters_by_mine_unallocated_and_a_person(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    mine = sent
    colleagues = send_referral(client, "Ada", "Smith")
    nobodys = send_referral(client, "Ben", "Smith")
    colleague = user_id(settings, COLLEAGUE)
    assert act(hub_client, mine, "allocation", allocate_to="me").status_code == 303
    assert act(hub_client, colleagues, "allocation", allocate_to=str(colleague)).status_code == 303

    def listed(**params: str) -> set[str]:
        response = hub_client.get("/hub/referrals", params=params)
        assert response.status_code == 200
        return set(re.findall(r"EH-\d{4}-\d{6}", response.text.split('id="inbox-results"')[1]))

    assert listed() == {mine, colleagues, nobodys}
    assert listed(allocated="mine") == {mine}
    assert listed(allocated="unallocated") == {nobodys}
    assert listed(allocated=str(colleague)) == {colleagues}
    assert listed(allocated=str(colleague), q="Ada") == {colleagues}
    assert listed(allocated=str(colleague), q="Ben") == set()
    # Nonsense, a professional's id and a disabled account's: no filter, never a 500.
    for nonsense in ("<x>", "²", str(user_id(settings, REFERRER)), str(user_id(settings, AWAY))):
        assert listed(allocated=nonsense) == {mine, colleagues, nobodys}, nonsense
    # Who each is allocated to, in its own column; the filter keeps its choice.
    page = hub_client.get("/hub/referrals", params={"allocated": "mine"}).text
    row = next(r for r in page.split("<tr") if mine in r)
    assert "Hattie Hub" in row
    assert '<option value="mine" selected>Mine</option>' in page
    assert "1 referral found" in page
    page = hub_client.get("/hub/referrals").text
    assert "Colin Colleague" in next(r for r in page.split("<tr") if colleagues in r)
    assert "Unallocated" in next(r for r in page.split("<tr") if nobodys in r)
    # With htmx, the results alone, with the count out of band.
    live = hub_client.get(
        "/hub/referrals", params={"allocated": "unallocated"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in live.text and nobodys in live.text and mine not in live.text
    assert 'hx-swap-oob="innerHTML">1 referral found' in live.text


# Internal notes -----------------------------------------------------------------------------


def test_internal_notes_are_checked_kept_on_error_and_attributed(
    hub_client: TestClient, sent: str, settings: Settings
) -> None:
    url = f"/hub/referrals/{sent}"
    tried = {
        "": "Enter a note",
        " \n\t ": "Enter a note",
        # Invisible characters only: nothing visible is left.
        "\u200b\u202e\ufeff": "Enter a note",
        "x" * 5001: "The note must be 5,000 characters or fewer",
    }
    for note, message in tried.items():
        response = act(hub_client, sent, "notes", note=note)
        assert response.status_code == 422, repr(note[:10])
        assert message in response.text and 'href="#note"' in response.text
        assert "<title>Error: " in response.text
    # What was typed comes back in the box, to be shortened rather than typed again.
    too_long = "Long note. " * 500
    response = act(hub_client, sent, "notes", note=too_long)
    assert response.status_code == 422
    assert too_long.strip() in response.text
    assert timeline_kinds(settings) == []

    assert act(hub_client, sent, "notes", note="x" * 5000).status_code == 303
    typed = "Called\u200b the\u202e school\ufeff: " + NOTE
    assert act(hub_client, sent, "notes", note=f"  {typed}  ").headers["location"] == url
    page = hub_client.get(url).text
    assert "Note added" in page
    assert "Internal note by Hattie Hub" in page and "Hub staff only" in page
    assert "Called the school: " + NOTE in page and "\u200b" not in page
    with database(settings) as session:
        notes = list(session.scalars(select(ReferralMessage).where(ReferralMessage.kind == "note")))
        assert [len(note.body) for note in notes] == [5000, len("Called the school: " + NOTE)]
        author = session.get(User, notes[1].author_id)
        assert author is not None and author.email == HUB
        events = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.event_type == "referral.note-added")
            )
        )
        # Who and which note, never its words.
        assert [event.details for event in events] == [{"note": note.id} for note in notes]
        assert all(event.actor_user_id == author.id for event in events)


def test_the_hub_pdf_has_the_notes_in_a_part_marked_for_hub_staff_only(
    hub_client: TestClient, sent: str, settings: Settings
) -> None:
    assert act(hub_client, sent, "notes", note=NOTE).status_code == 303
    assert act(hub_client, sent, "allocation", allocate_to="me").status_code == 303
    response = hub_client.get(f"/hub/referrals/{sent}/pdf")
    assert response.status_code == 200
    pages = [
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
    ]
    # The notes start a page of their own, after everything else.
    first = next(i for i, text in enumerate(pages) if "Internal notes — hub staff only" in text)
    before, internal = " ".join(pages[:first]), " ".join(pages[first:])
    assert "allocated to Hattie Hub" in before and "No documents attached" in before
    assert NOTE not in before and "No documents attached" not in internal
    assert "Never shared with the referrer" in internal
    assert "note by Hattie Hub" in internal and NOTE in internal


# Only hub staff -----------------------------------------------------------------------------


def test_a_referrer_never_sees_allocation_or_notes_in_pages_pdf_or_emails(
    client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    colleague = user_id(settings, COLLEAGUE)
    assert act(hub_client, sent, "allocation", allocate_to="me").status_code == 303
    assert act(hub_client, sent, "notes", note=NOTE).status_code == 303
    assert act(hub_client, sent, "allocation", allocate_to=str(colleague)).status_code == 303
    # Something the referrer does see, so their thread is not simply empty.
    assert (
        act(hub_client, sent, "messages", message="Thank you, we are looking at it.").status_code
        == 303
    )
    assert NOTE in hub_client.get(f"/hub/referrals/{sent}").text

    hidden = (NOTE, "Internal note", "Hub staff only", "Colin Colleague", "Allocat", "Unassign")
    pages = {
        path: client.get(path)
        for path in (
            "/",
            "/submitted",
            "/recover",
            f"/referrals/{sent}/view",
            f"/referrals/{sent}/sent",
            f"/referrals/{sent}/check-answers",
        )
    }
    assert "Thank you, we are looking at it." in pages[f"/referrals/{sent}/view"].text
    for path, response in pages.items():
        assert response.status_code == 200, path
        for words in hidden:
            assert words not in response.text, f"{path} shows {words!r}"
    pdf = client.get(f"/referrals/{sent}/pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Sam Smith" in text
    for words in hidden:
        assert words not in text, f"the referrer's PDF has {words!r}"
    with database(settings) as session:
        mails = list(session.scalars(select(OutboxMessage)))
    assert mails  # the message to the referrer was emailed
    for mail in mails:
        for words in hidden:
            assert words not in mail.subject + mail.text_body + mail.html_body


def test_nobody_but_hub_staff_can_allocate_or_add_notes(
    app: Starlette, client: TestClient, hub_client: TestClient, sent: str, settings: Settings
) -> None:
    """The referrer, someone signed out, and a member of staff whose hub role was taken
    away: 404 (or sign in), and nothing changes. What was allocated to the latter can still
    be found, to be allocated to someone else."""
    colleague = user_id(settings, COLLEAGUE)
    assert act(hub_client, sent, "allocation", allocate_to=str(colleague)).status_code == 303
    forms = {"allocation": {"allocate_to": "me"}, "notes": {"note": NOTE}}
    for path, data in forms.items():
        response = post(client, f"/hub/referrals/{sent}/{path}", **data)
        assert response.status_code == 404 and NOTE not in response.text
    with TestClient(app) as signed_out:
        for path, data in forms.items():
            response = post(signed_out, f"/hub/referrals/{sent}/{path}", **data)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")
    with database(settings) as session:
        create_user_by_operator(
            session,
            email=COLLEAGUE,
            name="Colin Colleague",
            role="professional",
            password=STRONG_PASSWORD,
            now=app.state.clock(),
        )
        session.commit()
    with TestClient(app) as former:
        assert sign_in(former, COLLEAGUE).status_code == 303
        assert former.get(f"/hub/referrals/{sent}").status_code == 404
        assert former.get("/hub/referrals", params={"allocated": "mine"}).status_code == 404
        for path, data in forms.items():
            assert post(former, f"/hub/referrals/{sent}/{path}", **data).status_code == 404
    # Nor can hub staff allocate to them any more; what they hold is found by their name.
    page = hub_client.get(f"/hub/referrals/{sent}").text
    assert summary_value(page, "Allocated to") == "Colin Colleague"
    assert "Colin Colleague</option>" not in page.split('id="allocate_to"')[1]
    assert act(hub_client, sent, "allocation", allocate_to=str(colleague)).status_code == 422
    inbox = hub_client.get("/hub/referrals", params={"allocated": str(colleague)}).text
    assert f'value="{colleague}" selected>Colin Colleague</option>' in inbox
    assert sent in inbox and "1 referral found" in inbox
    assert timeline_kinds(settings) == ["allocation"]
    with database(settings) as session:
        assert session.scalars(select(Referral.allocated_to_id)).one() == colleague

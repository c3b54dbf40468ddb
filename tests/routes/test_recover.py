"""Recover a form (help guide 10): the user's drafts with the child's name, reference, when each
was started and last saved and the day it will be deleted; the form's title is the link that
opens it ("Click on the form to open it"), at the section saved last; Delete asks first, then
deletes the draft with its answers and documents, audited without the child's details. Nobody
else's drafts, and no sent forms, are listed or deletable."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.models import (
    AuditEvent,
    Document,
    DocumentContent,
    EndedDraft,
    Referral,
    SectionAnswers,
    User,
)
from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    complete_referral,
    complete_section,
    post,
    register,
    sign_in,
    start_referral,
)
from tests.conftest import Clock, csrf_token_from, make_settings
from tests.routes.test_documents import database, files_in, upload
from tests.services.test_documents import pdf_bytes

EMAIL = "florence.nightingale@health.example.org"
OTHER_EMAIL = "elizabeth.fry@school.example.org"
# Names that appear nowhere else: an audit record that mentions them keeps the child's data.
CHILD_FORENAME = "Zebedee"
CHILD_SURNAME = "Farquharson"
IDENTITY = {"Accept-Encoding": "identity"}
DIRECTORY = {"document_storage": "directory"}
STORAGES = pytest.mark.parametrize(
    "settings", [{}, DIRECTORY], indirect=True, ids=["database-store", "directory-store"]
)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The test settings, with the document store a test asks for (indirect parametrisation)."""
    overrides: dict[str, Any] = dict(getattr(request, "param", {}))
    if overrides.get("document_storage") == "directory":
        overrides["document_directory"] = tmp_path / "documents"
    return make_settings(database_url, **overrides)


@pytest.fixture
def other_client(app: Starlette, settings: Settings) -> Iterator[TestClient]:
    """Another professional, signed in to their own account."""
    with TestClient(app, headers=IDENTITY) as other:
        register(other, settings, OTHER_EMAIL)
        yield other


# What the page shows ------------------------------------------------------------------------


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@dataclass(frozen=True)
class Card:
    title: str
    opens: str  # where the title, a link, goes
    delete_href: str
    rows: dict[str, str]


TITLE_LINK = re.compile(
    r'<h2 class="govuk-summary-card__title">'
    r'<a class="govuk-link govuk-link--no-visited-state" href="([^"]+)">([^<]*)</a></h2>'
)


def cards(page: str) -> list[Card]:
    """The summary card of each draft on Recover a form, in page order."""
    found = []
    for card in page.split('<div class="govuk-summary-card">')[1:]:
        title = TITLE_LINK.search(card)
        assert title, card
        links = {
            text_of(re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", label)): href
            for href, label in re.findall(r'<a class="govuk-link" href="([^"]+)">(.*?)</a>', card)
        }
        keys = re.findall(r'<dt class="govuk-summary-list__key">(.*?)</dt>', card, re.S)
        values = re.findall(r'<dd class="govuk-summary-list__value">(.*?)</dd>', card, re.S)
        found.append(
            Card(
                text_of(title.group(2)),
                html.unescape(title.group(1)),
                html.unescape(links["Delete"]),
                {text_of(k): text_of(v) for k, v in zip(keys, values, strict=True)},
            )
        )
    return found


def delete_url(reference: str) -> str:
    return f"/referrals/{reference}/delete"


def confirm_delete(client: TestClient, reference: str) -> httpx.Response:
    """Select "Yes, delete the draft" on the confirmation page as it was drawn."""
    page = client.get(delete_url(reference)).text
    return client.post(
        delete_url(reference), data={"csrf_token": csrf_token_from(page)}, follow_redirects=False
    )


# What is stored -----------------------------------------------------------------------------


def referral_row(settings: Settings, reference: str) -> Referral | None:
    with database(settings) as session:
        return session.scalars(
            select(Referral).where(Referral.reference == reference)
        ).one_or_none()


def counts(settings: Settings) -> dict[str, int]:
    with database(settings) as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Referral, SectionAnswers, Document, DocumentContent)
        }


def audit_events(settings: Settings, event_type: str | None = None) -> list[AuditEvent]:
    with database(settings) as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if event_type is not None:
            query = query.where(AuditEvent.event_type == event_type)
        return list(session.scalars(query))


def user_id(settings: Settings, email: str) -> int:
    with database(settings) as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


# The list -----------------------------------------------------------------------------------


def test_recover_lists_my_drafts_newest_first_with_when_each_will_be_deleted(
    app: Starlette, client: TestClient, settings: Settings, clock: Clock
) -> None:
    # 11:30pm on 10 July (UTC) is already 11 July in the UK (BST): dates are the UK's.
    clock.now = datetime(2027, 7, 10, 23, 30, tzinfo=UTC)
    register(client, settings, EMAIL)
    oldest = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    clock.advance(minutes=10)
    sent = start_referral(client, "Kim", "Jones")
    complete_referral(client, sent)
    assert post(client, f"/referrals/{sent}/send").status_code == 303
    clock.advance(days=2)
    sign_in(client, EMAIL)  # the session ended while the days went by
    newest = start_referral(client, "Lee", "Brown")
    # Saving the oldest again makes it the most recently saved.
    clock.advance(days=1)
    sign_in(client, EMAIL)
    complete_section(client, oldest, "family", COMPLETE_ANSWERS["family"])
    with TestClient(app, headers=IDENTITY) as other:
        register(other, settings, OTHER_EMAIL)
        others = start_referral(other, "Pat", "Green")
        other_page = other.get("/recover").text

    page = client.get("/recover")

    assert page.status_code == 200
    assert page.template.name == "pages/forms/recover.html"  # type: ignore[attr-defined]
    assert "<title>Recover an Early Help Form" in page.text
    assert '<h1 class="govuk-heading-l">Recover an Early Help Form</h1>' in page.text
    assert "Each is deleted 30 days after you last saved it" in page.text
    listed = cards(page.text)
    assert [card.title for card in listed] == [
        f"{CHILD_FORENAME} {CHILD_SURNAME} – {oldest}",
        f"Lee Brown – {newest}",
    ]
    assert sent not in page.text and others not in page.text
    assert listed[0].rows == {
        "Started": "11 July 2027 at 12:30am",
        "Last saved": "14 July 2027 at 12:40am",
        "Will be deleted on": "13 August 2027",
    }
    assert listed[1].rows == {
        "Started": "13 July 2027 at 12:40am",
        "Last saved": "13 July 2027 at 12:40am",
        "Will be deleted on": "12 August 2027",
    }
    assert listed[0].delete_href == delete_url(oldest)
    # The other professional sees only their own.
    assert [card.title for card in cards(other_page)] == [f"Pat Green – {others}"]


def test_each_draft_is_a_card_whose_title_is_the_link_that_opens_it(
    client: TestClient, settings: Settings
) -> None:
    """The guide: "Click on the form to open it". The title is a link inside the card's
    heading; Delete names the form to screen readers; no link sits inside another."""
    register(client, settings, EMAIL)
    reference = start_referral(client, "Kim", "Jones")
    page = client.get("/recover").text
    [card] = cards(page)
    assert card.title == f"Kim Jones – {reference}"
    assert card.opens == f"/referrals/{reference}"
    assert client.get(card.opens).status_code == 200
    delete = f'href="/referrals/{reference}/delete">Delete<span class="govuk-visually-hidden">'
    assert delete + f" (Kim Jones – {reference})</span></a>" in page
    main = page[page.index("<main") : page.index("</main>")]
    assert not re.search(r"<a [^>]*>(?:(?!</a>).)*<a ", main, re.S)


def test_deletion_date_is_thirty_days_after_the_last_save_in_uk_time(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    # Saved at 11:30pm UTC on 9 February: 30 days on is 11 March, still GMT.
    clock.now = datetime(2026, 2, 9, 23, 30, tzinfo=UTC)
    register(client, settings, EMAIL)
    reference = start_referral(client)
    [card] = cards(client.get("/recover").text)
    assert card.rows["Will be deleted on"] == "11 March 2026"
    # Saved at 11:30pm UTC on 1 March: 30 days on is 31 March at 12:30am BST.
    clock.now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    sign_in(client, EMAIL)
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    [card] = cards(client.get("/recover").text)
    assert card.rows["Last saved"] == "1 March 2026 at 11:30pm"
    assert card.rows["Will be deleted on"] == "1 April 2026"


def test_recover_says_so_when_there_are_no_drafts(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    page = client.get("/recover").text
    assert "You have no forms in progress." in page
    assert cards(page) == []


def test_recover_needs_signing_in(client: TestClient) -> None:
    response = client.get("/recover", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_the_user_menu_links_to_recover_a_form(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    assert '<a class="portal-header__link" href="/recover">Recover a form</a>' in (
        client.get("/account").text
    )


@pytest.mark.parametrize("settings", [{"draft_retention_days": 45}], indirect=True, ids=["45-days"])
def test_every_page_gives_the_draft_retention_period_the_council_set(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    [card] = cards(client.get("/recover").text)
    assert card.rows["Will be deleted on"] == "7 January 2027"  # 45 days after 23 November
    assert "Each is deleted 45 days after you last saved it" in client.get("/recover").text
    how_it_works = text_of(client.get(f"/referrals/{reference}/how-it-works").text)
    assert "We keep draft forms for 45 days after you last save them" in how_it_works
    # "Save and come back later" on a section: the banner on the task list.
    url = f"/referrals/{reference}/sections/family"
    page = client.get(url).text
    version = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert version
    response = client.post(
        url,
        data={"csrf_token": csrf_token_from(page), "version": version[1], "action": "save"},
    )
    assert "Find this form under Recover a form within 45 days" in text_of(response.text)
    assert "30 days" not in how_it_works + text_of(response.text)


# Opening a form -----------------------------------------------------------------------------


def test_the_forms_title_opens_it_at_the_section_saved_last(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    clock.advance(minutes=5)
    complete_section(client, reference, "consent", COMPLETE_ANSWERS["consent"])
    clock.advance(minutes=5)
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    [card] = cards(client.get("/recover").text)
    assert card.opens == f"/referrals/{reference}/sections/family"
    assert client.get(card.opens).status_code == 200

    clock.advance(minutes=5)
    complete_section(client, reference, "consent", COMPLETE_ANSWERS["consent"])
    [card] = cards(client.get("/recover").text)
    assert card.opens == f"/referrals/{reference}/sections/consent"


def test_the_forms_title_opens_the_task_list_when_no_section_has_been_saved(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    with database(settings) as session:
        # A draft whose start-page answers are gone (none saved): the task list, not a guess.
        referral = session.scalars(select(Referral).where(Referral.reference == reference)).one()
        for row in session.scalars(
            select(SectionAnswers).where(SectionAnswers.referral_id == referral.id)
        ):
            session.delete(row)
        session.commit()
    [card] = cards(client.get("/recover").text)
    assert card.opens == f"/referrals/{reference}"


def test_a_form_started_with_a_service_ticked_continues_where_the_user_left_it(
    client: TestClient, settings: Settings
) -> None:
    """The start page stores Your Details (the child's name) and Request for Support (the
    service ticked for the tile) at the same moment. The user has saved nothing yet and left
    from How it works, whose Next leads to the task list: the form's title goes there too, not
    to whichever of the two rows the database happened to return last."""
    register(client, settings, EMAIL)
    response = post(client, "/start/send", child_forename="Kim", child_surname="Jones")
    reference = response.headers["location"].split("/")[2]
    [card] = cards(client.get("/recover").text)
    assert card.opens == f"/referrals/{reference}"


# Delete -------------------------------------------------------------------------------------


@STORAGES
def test_professional_can_delete_a_draft_with_its_answers_and_documents(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    kept = start_referral(client, "Lee", "Brown")
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    consent = f"{CHILD_FORENAME} {CHILD_SURNAME} consent.pdf"
    assert upload(client, reference, [(consent, pdf_bytes())]).status_code == 303
    before = counts(settings)
    assert before["Document"] == 1
    assert before["DocumentContent"] == (1 if settings.document_storage == "database" else 0)
    assert len(files_in(settings)) == (1 if settings.document_storage == "directory" else 0)

    [card] = [c for c in cards(client.get("/recover").text) if reference in c.title]
    page = client.get(card.delete_href)
    assert page.status_code == 200
    assert page.template.name == "pages/forms/delete_draft.html"  # type: ignore[attr-defined]
    assert "<title>Delete the draft " + reference in page.text
    assert '<h1 class="govuk-heading-l">Delete this draft?</h1>' in page.text
    assert f"{CHILD_FORENAME} {CHILD_SURNAME} – {reference}" in page.text
    assert "Its answers and documents will be deleted now. This cannot be undone." in page.text
    assert f'<form method="post" action="{delete_url(reference)}"' in page.text
    assert '<a class="govuk-link" href="/recover">No, keep it</a>' in page.text
    assert referral_row(settings, reference) is not None  # asking deletes nothing

    response = confirm_delete(client, reference)

    assert response.status_code == 303
    assert response.headers["location"] == "/recover"
    assert referral_row(settings, reference) is None
    assert counts(settings) == {
        "Referral": 1,
        "SectionAnswers": 1,  # the kept draft's Your Details
        "Document": 0,
        "DocumentContent": 0,
    }
    assert files_in(settings) == {}
    recover = client.get("/recover").text
    assert f"Draft {reference} has been deleted." in recover
    assert "govuk-notification-banner--success" in recover
    assert [c.title for c in cards(recover)] == [f"Lee Brown – {kept}"]
    assert f"Draft {reference} has been deleted." not in client.get("/recover").text  # once
    for path in ("", "/delete", "/documents"):
        assert client.get(f"/referrals/{reference}{path}").status_code == 404

    [event] = audit_events(settings, "referral.deleted")
    assert event.subject_type == "referral" and event.subject_id == reference
    assert event.actor_user_id == user_id(settings, EMAIL)
    assert event.details["reason"] == "deleted-by-owner"
    assert event.details["documents"] == 1
    # No audit record keeps the child's details, or the name of a deleted file.
    for recorded in audit_events(settings):
        details = json.dumps(recorded.details)
        for personal in (CHILD_FORENAME, CHILD_SURNAME, consent):
            assert personal not in details, recorded.event_type


def ended_drafts(settings: Settings) -> list[EndedDraft]:
    with database(settings) as session:
        return list(session.scalars(select(EndedDraft).order_by(EndedDraft.id)))


def test_a_deleted_draft_is_counted_for_the_hubs_reports_with_nothing_personal(
    client: TestClient, settings: Settings, clock: Clock
) -> None:
    """Deleting a draft leaves one `ended_draft` row: when it started and ended, its tile, the
    section the user saved last (not one the portal filled in for them) and how many sections
    were completed. Nothing in it leads back to the child, the family or the referrer."""
    register(client, settings, EMAIL)
    started = clock()
    untouched = start_referral(client, "Lee", "Brown")
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    clock.advance(minutes=5)
    complete_section(client, reference, "family", COMPLETE_ANSWERS["family"])
    clock.advance(minutes=5)
    page = client.get(f"/referrals/{reference}/sections/consent").text
    version = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert version
    saved = client.post(
        f"/referrals/{reference}/sections/consent",
        data={
            "csrf_token": csrf_token_from(page),
            "version": version.group(1),
            "consent_sought": "yes",
            "action": "save",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    clock.advance(minutes=5)

    assert confirm_delete(client, reference).status_code == 303
    assert confirm_delete(client, untouched).status_code == 303

    [deleted, never_saved] = ended_drafts(settings)
    assert (
        deleted.started_at,
        deleted.ended_at,
        deleted.reason,
        deleted.referral_option,
        deleted.last_section,
        deleted.sections_completed,
    ) == (started, clock(), "deleted", "early-help", "consent", 1)
    # Your Details was filled in by the portal (the child's name): not the user's save.
    assert (never_saved.last_section, never_saved.sections_completed) == (None, 0)
    assert set(EndedDraft.__table__.c.keys()) == {
        "id",
        "started_at",
        "ended_at",
        "reason",
        "referral_option",
        "last_section",
        "sections_completed",
    }
    stored = json.dumps(
        [
            {column.key: str(getattr(row, column.key)) for column in EndedDraft.__table__.c}
            for row in (deleted, never_saved)
        ]
    )
    for personal in (reference, untouched, CHILD_FORENAME, CHILD_SURNAME, EMAIL, "Quennell"):
        assert personal not in stored


def test_deleting_needs_the_forms_csrf_token(client: TestClient, settings: Settings) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client)
    response = client.post(delete_url(reference), follow_redirects=False)
    assert response.status_code == 403
    assert referral_row(settings, reference) is not None


def test_another_professional_can_neither_see_nor_delete_my_draft(
    client: TestClient, other_client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    page = other_client.get(delete_url(reference))
    assert page.status_code == 404
    assert CHILD_FORENAME not in page.text
    token = csrf_token_from(other_client.get("/").text)
    response = other_client.post(
        delete_url(reference), data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 404
    assert referral_row(settings, reference) is not None
    assert audit_events(settings, "referral.deleted") == []
    assert reference in client.get("/recover").text


def test_a_sent_form_is_not_a_draft_and_cannot_be_deleted(
    client: TestClient, settings: Settings
) -> None:
    register(client, settings, EMAIL)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    complete_referral(client, reference)
    page = client.get(delete_url(reference)).text  # drawn before it was sent
    assert post(client, f"/referrals/{reference}/send").status_code == 303

    assert reference not in client.get("/recover").text
    response = client.get(delete_url(reference), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/referrals/{reference}/sent"
    response = client.post(
        delete_url(reference), data={"csrf_token": csrf_token_from(page)}, follow_redirects=False
    )
    assert response.status_code == 409
    stored = referral_row(settings, reference)
    assert stored is not None and stored.status == "submitted"
    assert audit_events(settings, "referral.deleted") == []
    assert client.get(f"/referrals/{reference}/sent").status_code == 200

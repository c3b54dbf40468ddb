"""Send to Local Authority (help guide 5.11): every mandatory answer is checked first, the
confirmation is a dialog with htmx and a page without, the form is sent exactly once however
often (or however many tabs at once) Submit is pressed, the referrer and the hub are told
without any of the child's details, and a sent form can no longer be changed by anyone."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.models import (
    AuditEvent,
    Document,
    OutboxMessage,
    Referral,
    ReferralService,
    ReferralSubmission,
    SectionAnswers,
    User,
)
from app.settings import Settings
from testkit.journeys import (
    COMPLETE_ANSWERS,
    complete_referral,
    complete_section,
    mail_to,
    post,
    register,
    start_referral,
)
from tests.conftest import Clock, backends, csrf_token_from, make_settings

EMAIL = "mary.seacole@health.example.org"
OTHER_EMAIL = "edith.cavell@school.example.org"
HUB_EMAIL = "stronger.families@council.example.org"
# Names that appear nowhere else: an email that mentions them carries the family's data.
CHILD_FORENAME = "Zebedee"
CHILD_SURNAME = "Farquharson"
FAMILY_SURNAME = COMPLETE_ANSWERS["family"]["surname"]
IDENTITY = {"Accept-Encoding": "identity"}
HTMX = {"HX-Request": "true"}


# The database, read directly --------------------------------------------------------------


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    engine = create_database_engine(settings.database_url)
    try:
        with create_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def stored_referral(settings: Settings, reference: str) -> Referral:
    with database(settings) as session:
        return session.scalars(select(Referral).where(Referral.reference == reference)).one()


def submissions(settings: Settings) -> list[ReferralSubmission]:
    with database(settings) as session:
        return list(session.scalars(select(ReferralSubmission)))


def events(settings: Settings, event_type: str) -> list[AuditEvent]:
    with database(settings) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type)))


def outbox(settings: Settings) -> list[OutboxMessage]:
    with database(settings) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def user_id(settings: Settings, email: str) -> int:
    with database(settings) as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def stored_form(settings: Settings) -> dict[str, Any]:
    """Everything a referrer can change: each section's answers, version and status, and the
    documents."""
    with database(settings) as session:
        sections = {
            row.section_id: (row.answers, row.version, row.status)
            for row in session.scalars(select(SectionAnswers))
        }
        documents = sorted((d.key, d.filename, d.size) for d in session.scalars(select(Document)))
    return {"sections": sections, "documents": documents}


def assert_nothing_sent(settings: Settings, reference: str, mail_before: int) -> None:
    assert stored_referral(settings, reference).status == "draft"
    assert stored_referral(settings, reference).submitted_at is None
    assert submissions(settings) == []
    assert events(settings, "referral.submitted") == []
    assert len(outbox(settings)) == mail_before


# Pages -------------------------------------------------------------------------------------


def template_of(response: httpx.Response) -> str:
    return str(response.template.name)  # type: ignore[attr-defined]


def send_url(reference: str) -> str:
    return f"/referrals/{reference}/send"


def sent_url(reference: str) -> str:
    return f"/referrals/{reference}/sent"


def submit_from(client: TestClient, page: str, reference: str) -> httpx.Response:
    """Select Submit on a confirmation page (or dialog) as it was drawn."""
    return client.post(
        send_url(reference), data={"csrf_token": csrf_token_from(page)}, follow_redirects=False
    )


def error_links(page: str) -> list[str]:
    summary = page.split('govuk-error-summary__list"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', summary)


def is_redirect_to_sent(response: httpx.Response, reference: str) -> bool:
    return response.status_code == 303 and response.headers["location"] == sent_url(reference)


def says_already_sent(response: httpx.Response, reference: str) -> bool:
    """Submit pressed for a form that was sent already: a page that says so (409), not the
    completion page as though this press had sent it."""
    return (
        response.status_code == 409
        and "This form has already been sent" in response.text
        and f'href="{sent_url(reference)}"' in response.text
    )


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    return start_referral(client, CHILD_FORENAME, CHILD_SURNAME)


@pytest.fixture
def complete(client: TestClient, reference: str) -> str:
    """A referral with every mandatory answer given: ready to send."""
    complete_referral(client, reference)
    return reference


@pytest.fixture
def other_client(app: Starlette, settings: Settings) -> Iterator[TestClient]:
    """Another professional, signed in to their own account."""
    with TestClient(app, headers=IDENTITY) as other:
        register(other, settings, OTHER_EMAIL)
        yield other


# 1. Missing answers ------------------------------------------------------------------------


def test_sending_with_missing_answers_lists_them_and_sends_nothing(
    client: TestClient, settings: Settings, reference: str
) -> None:
    complete_section(client, reference, "your-details", COMPLETE_ANSWERS["your-details"])
    mail_before = len(outbox(settings))

    response = client.get(send_url(reference), follow_redirects=False)

    assert response.status_code == 422
    assert template_of(response) == "pages/referrals/check_answers.html"
    assert "<title>Error: Check your answers" in response.text
    assert "You cannot send this form yet" in response.text
    links = error_links(response.text)
    base = f"/referrals/{reference}/sections"
    for expected in (
        f"{base}/consent#consent_sought",
        f"{base}/services#previous_services_known",
        f"{base}/family-assessment#whats_happening",
        f"{base}/family-assessment#positive_change",
    ):
        assert expected in links
    # Answered sections, sections with nothing mandatory and hidden sections are not listed.
    sections = ("your-details", "family", "request-for-support", "additional-details")
    for section in (*sections, "participation-team"):
        assert not any(f"/sections/{section}#" in link for link in links)
    # Each link lands on its field.
    for link in links:
        path, _, field = link.partition("#")
        assert f'id="{field}"' in client.get(path).text, link

    assert_nothing_sent(settings, reference, mail_before)


def test_posting_submit_with_missing_answers_sends_nothing(
    client: TestClient, settings: Settings, reference: str
) -> None:
    mail_before = len(outbox(settings))
    response = post(client, send_url(reference))
    assert response.status_code == 422
    assert "You cannot send this form yet" in response.text
    assert f"/referrals/{reference}/sections/your-details#referrer_phone" in error_links(
        response.text
    )
    assert_nothing_sent(settings, reference, mail_before)
    # Nothing to confirm yet: the confirmation page sends the referrer to the form.
    response = client.get(sent_url(reference), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/referrals/{reference}"


def test_submit_without_the_csrf_token_is_refused_and_sends_nothing(
    client: TestClient, settings: Settings, complete: str
) -> None:
    mail_before = len(outbox(settings))
    response = client.post(send_url(complete), data={}, follow_redirects=False)
    assert response.status_code == 403
    assert_nothing_sent(settings, complete, mail_before)


def test_with_htmx_missing_answers_load_check_answers_whole(
    client: TestClient, settings: Settings, reference: str
) -> None:
    mail_before = len(outbox(settings))
    response = client.get(send_url(reference), headers=HTMX, follow_redirects=False)
    assert response.headers["HX-Redirect"] == send_url(reference)
    assert "HX-Request" in response.headers["Vary"]
    assert_nothing_sent(settings, reference, mail_before)


def test_answers_changed_after_the_confirmation_are_checked_again(
    client: TestClient, settings: Settings, complete: str
) -> None:
    confirmation = client.get(send_url(complete))
    assert confirmation.status_code == 200
    # In another tab, SEND services are asked for: the SEND Information section now applies
    # and none of it is answered.
    complete_section(client, complete, "request-for-support", {"services": "send"})
    mail_before = len(outbox(settings))

    response = submit_from(client, confirmation.text, complete)

    assert response.status_code == 422
    assert "You cannot send this form yet" in response.text
    links = error_links(response.text)
    assert f"/referrals/{complete}/sections/send-information#send_areas_of_need" in links
    assert f"/referrals/{complete}/sections/send-information#send_tried" in links
    assert_nothing_sent(settings, complete, mail_before)


# 2. Sending a complete referral --------------------------------------------------------------


def test_check_answers_offers_send_to_local_authority(client: TestClient, complete: str) -> None:
    page = client.get(f"/referrals/{complete}/check-answers")
    assert page.status_code == 200
    assert "Send to Local Authority" in page.text
    assert f'action="{send_url(complete)}"' in page.text
    assert "You cannot send this form yet" not in page.text


def test_without_javascript_the_confirmation_is_a_page(client: TestClient, complete: str) -> None:
    response = client.get(send_url(complete), follow_redirects=False)
    assert response.status_code == 200
    assert template_of(response) == "pages/referrals/send.html"
    assert "HX-Request" in response.headers["Vary"]
    assert "Send the form to the Local Authority?" in response.text
    assert f'<form method="post" action="{send_url(complete)}"' in response.text
    assert re.search(r'<button type="submit"[^>]*>Submit</button>', response.text)
    assert re.search(
        rf'<a href="/referrals/{complete}/check-answers"[^>]*>Cancel</a>', response.text
    )


def test_with_htmx_the_confirmation_is_a_dialog(client: TestClient, complete: str) -> None:
    response = client.get(send_url(complete), headers=HTMX, follow_redirects=False)
    assert response.status_code == 200
    assert template_of(response) == "partials/send_dialog.html"
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<dialog class="portal-dialog" id="send-dialog"')
    assert f'<form method="post" action="{send_url(complete)}"' in response.text
    assert re.search(r'<button type="submit"[^>]*>Submit</button>', response.text)
    assert re.search(r'<button type="button"[^>]*data-close-dialog>Cancel</button>', response.text)
    # Submit from the dialog is the same plain post, with the session's CSRF token.
    assert 'name="csrf_token"' in response.text


def test_submit_sends_the_referral_and_tells_the_referrer(
    client: TestClient, settings: Settings, clock: Clock, complete: str
) -> None:
    clock.advance(minutes=7)
    mail_before = len(outbox(settings))
    confirmation = client.get(send_url(complete)).text

    response = submit_from(client, confirmation, complete)

    assert is_redirect_to_sent(response, complete)
    page = client.get(sent_url(complete))
    assert page.status_code == 200
    assert template_of(page) == "pages/referrals/sent.html"
    assert "The process is now complete" in page.text
    assert complete in page.text
    assert "What happens next" in page.text
    assert settings.hub_name in page.text and settings.hub_phone in page.text
    assert "23 November 2026 at 9:07am" in page.text

    referral = stored_referral(settings, complete)
    assert referral.status == "submitted"
    assert referral.submitted_at == clock.now
    [submission] = submissions(settings)
    assert submission.referral_id == referral.id
    assert submission.submitted_at == clock.now
    assert submission.submitted_by_id == user_id(settings, EMAIL)
    [event] = events(settings, "referral.submitted")
    assert event.subject_id == complete
    assert event.actor_user_id == user_id(settings, EMAIL)

    # One email, to the referrer; no hub mailbox is set, so nothing else.
    assert len(outbox(settings)) == mail_before + 1
    confirmation_mail = mail_to(settings, EMAIL)[-1]
    assert complete in confirmation_mail.subject
    assert complete in confirmation_mail.text_body
    assert settings.hub_phone in confirmation_mail.text_body
    assert "23 November 2026 at 9:07am" in confirmation_mail.text_body
    for body in (
        confirmation_mail.subject,
        confirmation_mail.text_body,
        confirmation_mail.html_body,
    ):
        for name in (CHILD_FORENAME, CHILD_SURNAME, FAMILY_SURNAME):
            assert name not in body


@pytest.fixture
def hub_settings(database_url: str) -> Settings:
    return make_settings(database_url, hub_notify_email=HUB_EMAIL)


@pytest.fixture
def hub_notified_client(
    hub_settings: Settings, clock: Clock, fast_password_hashing: None
) -> Iterator[TestClient]:
    with TestClient(create_app(hub_settings, clock=clock), headers=IDENTITY) as hub_client:
        yield hub_client


def test_the_hub_mailbox_is_told_when_one_is_set(
    hub_notified_client: TestClient, hub_settings: Settings
) -> None:
    client = hub_notified_client
    register(client, hub_settings, EMAIL)
    reference = start_referral(client, CHILD_FORENAME, CHILD_SURNAME)
    complete_referral(client, reference)
    mail_before = len(outbox(hub_settings))

    assert is_redirect_to_sent(
        submit_from(client, client.get(send_url(reference)).text, reference), reference
    )

    assert len(outbox(hub_settings)) == mail_before + 2
    [hub_mail] = mail_to(hub_settings, HUB_EMAIL)
    assert reference in hub_mail.subject and reference in hub_mail.text_body
    for body in (hub_mail.subject, hub_mail.text_body, hub_mail.html_body):
        for name in (CHILD_FORENAME, CHILD_SURNAME, FAMILY_SURNAME):
            assert name not in body
    assert reference in mail_to(hub_settings, EMAIL)[-1].subject


# 3. Exactly once -----------------------------------------------------------------------------


def assert_sent_once(settings: Settings, reference: str, mail_before: int) -> None:
    assert stored_referral(settings, reference).status == "submitted"
    assert len(submissions(settings)) == 1
    assert len(events(settings, "referral.submitted")) == 1
    assert len(outbox(settings)) == mail_before + 1
    assert sum(reference in m.subject for m in mail_to(settings, EMAIL)) == 1


def test_submit_twice_in_a_row_sends_once(
    client: TestClient, settings: Settings, complete: str
) -> None:
    mail_before = len(outbox(settings))
    first = post(client, send_url(complete))
    second = post(client, send_url(complete))
    assert is_redirect_to_sent(first, complete)
    assert says_already_sent(second, complete)
    assert_sent_once(settings, complete, mail_before)


def test_an_old_confirmation_page_submitted_again_sends_nothing_more(
    client: TestClient, settings: Settings, clock: Clock, complete: str
) -> None:
    mail_before = len(outbox(settings))
    confirmation = client.get(send_url(complete)).text
    assert is_redirect_to_sent(submit_from(client, confirmation, complete), complete)
    sent_at = stored_referral(settings, complete).submitted_at

    # Back to the confirmation page (from the browser's history) and Submit again, later.
    clock.advance(minutes=30)
    again = submit_from(client, confirmation, complete)

    assert says_already_sent(again, complete)
    assert_sent_once(settings, complete, mail_before)
    assert stored_referral(settings, complete).submitted_at == sent_at
    # Send to Local Authority itself now leads to the confirmation that it was sent.
    assert is_redirect_to_sent(client.get(send_url(complete), follow_redirects=False), complete)


def test_with_htmx_send_on_a_form_already_sent_loads_the_sent_page_whole(
    client: TestClient, settings: Settings, complete: str
) -> None:
    """Check answers left open in a tab, the form sent from another, then Send to Local
    Authority pressed in the first: htmx must load the confirmation that it was sent as a page
    (HX-Redirect), as it does for missing answers. A 303 is followed by the browser's XHR
    itself, and the whole sent page would be swapped into the check answers page's dialog
    slot."""
    assert is_redirect_to_sent(post(client, send_url(complete)), complete)
    mail_before = len(outbox(settings))

    response = client.get(send_url(complete), headers=HTMX, follow_redirects=False)

    assert response.headers.get("HX-Redirect") == sent_url(complete), (
        response.status_code,
        dict(response.headers),
    )
    assert not 300 <= response.status_code < 400
    assert len(outbox(settings)) == mail_before


def race(
    app: Starlette, client: TestClient, requests: list[tuple[str, str, dict[str, str]]]
) -> list[httpx.Response | BaseException]:
    """Make the requests (method, path, form) at the same moment, each from its own tab: its
    own TestClient (and so its own event loop and database connections) sharing the signed-in
    session."""
    barrier = threading.Barrier(len(requests))
    results: list[httpx.Response | BaseException] = [RuntimeError("no answer")] * len(requests)

    with ExitStack() as stack:
        tabs = [
            stack.enter_context(TestClient(app, headers=IDENTITY, cookies=dict(client.cookies)))
            for _ in requests
        ]

        def make(number: int) -> None:
            method, path, data = requests[number]
            try:
                barrier.wait(timeout=30)
                results[number] = tabs[number].request(
                    method, path, data=data, follow_redirects=False
                )
            except BaseException as error:  # noqa: BLE001 - reported by the test
                results[number] = error

        threads = [threading.Thread(target=make, args=(n,)) for n in range(len(requests))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


TABS = 4


def test_submit_from_several_tabs_at_the_same_moment_sends_once(
    app: Starlette, client: TestClient, settings: Settings, complete: str
) -> None:
    mail_before = len(outbox(settings))
    token = csrf_token_from(client.get(send_url(complete)).text)

    results = race(app, client, [("POST", send_url(complete), {"csrf_token": token})] * TABS)

    for result in results:
        assert not isinstance(result, BaseException), repr(result)
        sent_or_told = is_redirect_to_sent(result, complete) or says_already_sent(result, complete)
        assert sent_or_told, (result.status_code, result.text[:500])
    # One press sent it; every other is told it had been sent already.
    assert sum(is_redirect_to_sent(r, complete) for r in results) == 1
    assert_sent_once(settings, complete, mail_before)
    assert client.get(sent_url(complete)).status_code == 200


def services_asked_for(settings: Settings, reference: str) -> list[str]:
    with database(settings) as session:
        return sorted(
            session.scalars(
                select(ReferralService.service)
                .join(Referral, Referral.id == ReferralService.referral_id)
                .where(Referral.reference == reference)
            )
        )


def test_sending_keeps_the_services_asked_for_for_the_hubs_reports(
    client: TestClient, settings: Settings, complete: str
) -> None:
    """The hub's reports count referrals by the services asked for in Request for Support:
    one row each, written as the referral is sent (a draft has none), once however often
    Submit is pressed; a referral that asks for no particular service has none."""
    assert services_asked_for(settings, complete) == []
    assert is_redirect_to_sent(post(client, send_url(complete)), complete)
    assert says_already_sent(post(client, send_url(complete)), complete)
    assert services_asked_for(settings, complete) == ["stronger-families"]

    unsure = start_referral(client, "Kim", "Lee")
    complete_referral(client, unsure)
    complete_section(client, unsure, "request-for-support", {})
    assert is_redirect_to_sent(post(client, send_url(unsure)), unsure)
    assert services_asked_for(settings, unsure) == []


# 4. Read-only after sending ------------------------------------------------------------------


def upload_document(client: TestClient, reference: str, page: str) -> httpx.Response:
    return client.post(
        f"/referrals/{reference}/documents",
        data={"csrf_token": csrf_token_from(page), "description": "consent"},
        files={"documents": ("consent.txt", b"Ann Quennell gave verbal consent.\n", "text/plain")},
        follow_redirects=False,
    )


def section_post(
    client: TestClient,
    reference: str,
    section: str,
    page: str,
    fields: dict[str, str],
    *,
    path: str = "",
    htmx: bool = False,
) -> httpx.Response:
    """Post a section form (or one of its htmx endpoints) from a page drawn before sending."""
    version = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert version
    return client.post(
        f"/referrals/{reference}/sections/{section}{path}",
        data={"csrf_token": csrf_token_from(page), "version": version.group(1), **fields},
        headers=HTMX if htmx else {},
        follow_redirects=False,
    )


def test_a_sent_referral_can_no_longer_be_changed(
    client: TestClient, settings: Settings, complete: str
) -> None:
    reference = complete
    documents_page = client.get(f"/referrals/{reference}/documents").text
    assert upload_document(client, reference, documents_page).status_code == 303
    documents_page = client.get(f"/referrals/{reference}/documents").text
    key = re.search(rf"/referrals/{reference}/documents/([^/\"]+)/remove", documents_page)
    assert key, "no Remove button for the uploaded document"
    # Tabs left open on the form before it was sent.
    sections = list(COMPLETE_ANSWERS)
    pages = {s: client.get(f"/referrals/{reference}/sections/{s}").text for s in sections}
    member = re.search(r'name="family_members-item" value="([0-9a-f]+)"', pages["family"])
    assert member
    assert is_redirect_to_sent(post(client, send_url(reference)), reference)
    before = stored_form(settings)

    # Reading the form's pages leads to the confirmation that it was sent.
    for path in (
        *(f"/referrals/{reference}/sections/{s}" for s in sections),
        f"/referrals/{reference}",
        f"/referrals/{reference}/how-it-works",
        f"/referrals/{reference}/documents",
    ):
        response = client.get(path, follow_redirects=False)
        assert is_redirect_to_sent(response, reference), (path, response.status_code)

    # Every change is refused, with a page that says why (and htmx is sent there whole).
    your_details = {**COMPLETE_ANSWERS["your-details"], "child_forename": "Changed"}
    family_member = f"family_members-{member.group(1)}"
    changes: list[tuple[str, dict[str, str], str]] = [
        ("your-details", {**your_details, "action": "next"}, ""),
        ("your-details", {**your_details, "action": "save"}, ""),
        ("your-details", {**your_details, "action": "find-address:child_address"}, ""),
        ("your-details", {**your_details, "action": "enter-address:child_address"}, ""),
        (
            "your-details",
            {**your_details, "action": "find-address:child_address"},
            "/address/child_address",
        ),
        ("your-details", your_details, "/autosave"),
        (
            "family",
            {
                "family_members-item": member.group(1),
                f"{family_member}-forename": "Changed",
                "action": "add-item:family_members",
            },
            "",
        ),
        (
            "family",
            {
                "family_members-item": member.group(1),
                "action": f"confirm-remove:family_members:{member.group(1)}",
            },
            "",
        ),
        (
            "family-assessment",
            {
                **COMPLETE_ANSWERS["family-assessment"],
                "whats_happening": "Changed",
                "action": "next",
            },
            "",
        ),
    ]
    for section, fields, path in changes:
        for htmx in (False, True):
            response = section_post(
                client, reference, section, pages[section], fields, path=path, htmx=htmx
            )
            assert response.status_code == 409, (section, fields.get("action"), path, htmx)
            assert "This form has already been sent" in response.text
            if htmx:
                assert response.headers["HX-Redirect"] == sent_url(reference)

    for htmx in (False, True):
        headers = HTMX if htmx else {}
        response = client.post(
            f"/referrals/{reference}/documents",
            data={"csrf_token": csrf_token_from(documents_page), "description": "consent"},
            files={"documents": ("late.txt", b"Sent too late.\n", "text/plain")},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 409, ("upload", htmx)
        assert "This form has already been sent" in response.text
        response = client.post(
            f"/referrals/{reference}/documents/{key.group(1)}/remove",
            data={"csrf_token": csrf_token_from(documents_page)},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 409, ("remove", htmx)
        assert "This form has already been sent" in response.text

    assert stored_form(settings) == before
    assert stored_referral(settings, reference).child_forename == CHILD_FORENAME
    # The answers sent can still be read, without any way to change them.
    check = client.get(f"/referrals/{reference}/check-answers")
    assert check.status_code == 200
    assert "can no longer be changed" in check.text
    assert "?return=check" not in check.text and "Change documents" not in check.text
    assert "Send to Local Authority" not in check.text
    assert client.get(f"/referrals/{reference}/documents/{key.group(1)}").status_code == 200


@pytest.mark.parametrize("backend", [b for b in backends() if b == "postgresql"])
def test_a_save_at_the_moment_of_sending_cannot_send_a_missing_answer(
    app: Starlette, client: TestClient, settings: Settings, complete: str
) -> None:
    """A save in one tab while Submit is pressed in another: either the save lands first and
    the submission sees it, or the referral is sent and the save is refused. Never a referral
    sent with a mandatory answer that was removed between the check and the send.

    The interleaving is forced on PostgreSQL: the test holds the referral's row (as another
    instance would) while the save and the submission queue behind it, the save first. The
    submission has checked the answers by then; nothing makes it check them again once it
    holds the row, so it sends what the save has just emptied."""
    reference = complete
    page = client.get(f"/referrals/{reference}/sections/your-details").text
    token = csrf_token_from(page)
    version = re.search(r'name="version"[^>]*value="(-?\d+)"', page)
    assert version
    blanked = {
        **COMPLETE_ANSWERS["your-details"],
        "child_forename": "",
        "csrf_token": token,
        "version": version.group(1),
        "action": "save",
    }
    referral_id = stored_referral(settings, reference).id
    results: dict[str, httpx.Response | BaseException] = {}

    def waiting_for_locks(connection: Any) -> int:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )

    def until_waiting(monitor: Any, count: int) -> None:
        deadline = time.monotonic() + 20
        while waiting_for_locks(monitor) < count:
            assert time.monotonic() < deadline, f"{count} request(s) never queued"
            time.sleep(0.01)

    with ExitStack() as stack:
        engine = create_database_engine(settings.database_url)
        stack.callback(engine.dispose)
        tabs = {
            name: stack.enter_context(
                TestClient(app, headers=IDENTITY, cookies=dict(client.cookies))
            )
            for name in ("save", "send")
        }

        def make(name: str, path: str, data: dict[str, str]) -> None:
            try:
                results[name] = tabs[name].post(path, data=data, follow_redirects=False)
            except BaseException as error:  # noqa: BLE001 - reported by the test
                results[name] = error

        threads = {
            "save": threading.Thread(
                target=make,
                args=("save", f"/referrals/{reference}/sections/your-details", blanked),
            ),
            "send": threading.Thread(
                target=make, args=("send", send_url(reference), {"csrf_token": token})
            ),
        }
        monitor = stack.enter_context(
            engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        )
        holder = stack.enter_context(engine.connect())
        # Whatever happens, the row is let go before the tabs close.
        stack.callback(lambda: [thread.join(timeout=30) for thread in threads.values()])
        stack.callback(holder.rollback)
        holder.execute(
            text("SELECT id FROM referral WHERE id = :id FOR UPDATE"), {"id": referral_id}
        )
        threads["save"].start()
        until_waiting(monitor, 1)
        threads["send"].start()
        until_waiting(monitor, 2)
        holder.rollback()
        for thread in threads.values():
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads.values())

    saved, sent = results["save"], results["send"]
    assert not isinstance(saved, BaseException), repr(saved)
    assert not isinstance(sent, BaseException), repr(sent)
    referral = stored_referral(settings, reference)
    with database(settings) as session:
        answers = session.scalars(
            select(SectionAnswers.answers).where(SectionAnswers.section_id == "your-details")
        ).one()
    if referral.status == "submitted":
        assert answers.get("child_forename"), (
            "sent with the child's forename removed by a save made while it was being sent "
            f"(save answered {saved.status_code}, send answered {sent.status_code})"
        )
    else:
        assert sent.status_code == 422 and submissions(settings) == []


# 5. Someone else's referral ------------------------------------------------------------------


def test_another_professional_cannot_check_send_or_see_someone_elses_referral(
    client: TestClient, other_client: TestClient, settings: Settings, complete: str
) -> None:
    for path in (f"/referrals/{complete}/check-answers", send_url(complete), sent_url(complete)):
        assert other_client.get(path, follow_redirects=False).status_code == 404, path
        assert other_client.get(path, headers=HTMX, follow_redirects=False).status_code == 404, path
    assert post(other_client, send_url(complete)).status_code == 404
    assert stored_referral(settings, complete).status == "draft"
    assert submissions(settings) == []

    assert is_redirect_to_sent(post(client, send_url(complete)), complete)
    for path in (f"/referrals/{complete}/check-answers", send_url(complete), sent_url(complete)):
        response = other_client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert complete not in response.text
    assert post(other_client, send_url(complete)).status_code == 404
    assert len(submissions(settings)) == 1

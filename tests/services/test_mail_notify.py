"""The outbox sent through GOV.UK Notify, against a real HTTP server standing in for Notify
(testkit/notify.py) on 127.0.0.1, on both databases. Nothing here can reach the real Notify:
every setting points at the test server, and a test checks that the client does.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.main import create_app
from app.models import OutboxMessage, Referral, User
from app.services import account_mail, hub, retention, submission
from app.services.mail import MailWorker, deliver_due_mail, enqueue_mail, mail_provider
from app.services.mail_templates import COMMON_PLACEHOLDERS, TEMPLATES
from app.services.notify import NotifyProvider
from app.settings import NOTIFY_BASE_URL, Settings
from testkit.journeys import latest_code, post, start_registration
from testkit.notify import FakeNotify, notify_api_key, start_fake_notify
from tests.conftest import Clock, add_professional, make_settings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADDRESS = "worker@school.example"
REPLY_TO = str(uuid.uuid4())
# A template id for every kind, as the operator sets them from Notify.
TEMPLATE_IDS = {kind: str(uuid.uuid4()) for kind in TEMPLATES}


def utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    fake = start_fake_notify(
        {TEMPLATE_IDS[kind]: template for kind, template in TEMPLATES.items()},
        reply_to_ids=frozenset({REPLY_TO}),
    )
    try:
        yield fake
    finally:
        fake.stop()


def notify_settings(database_url: str, fake: FakeNotify, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "mail_provider": "notify",
        "notify_api_key": Secret(fake.api_key),
        "notify_base_url": fake.base_url,
        "notify_reply_to_id": REPLY_TO,
        "notify_template_ids": tuple(TEMPLATE_IDS.items()),
        **overrides,
    }
    settings = make_settings(database_url, **values)
    # Never the real service, whatever a test overrides.
    assert settings.notify_base_url.startswith("http://127.0.0.1:")
    return settings


@pytest.fixture
def settings_for_notify(database_url: str, notify: FakeNotify) -> Settings:
    return notify_settings(database_url, notify)


def queue_code(
    sessions: sessionmaker[Session], settings: Settings, *, to: str = ADDRESS, code: str = "123456"
) -> int:
    """Queue a registration code as the registration flow does, as if at NOW."""
    with sessions() as session:
        account_mail.registration_code(session, settings, to=to, code=code)
        session.flush()
        message = session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
        assert message is not None
        message.created_at = message.next_attempt_at = NOW
        session.commit()
        return message.id


def reference_of(sessions: sessionmaker[Session], message_id: int) -> str:
    """The reference Notify is given for the message: its id and when it was queued."""
    stored = load(sessions, message_id)
    return f"outbox-{message_id}-{utc(stored.created_at):%Y%m%dT%H%M%S%f}"


def load(sessions: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with sessions() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def portal_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "portal.mail" and r.levelno == level]


def test_the_tests_reach_only_the_test_server_never_the_real_notify(
    settings_for_notify: Settings, notify: FakeNotify
) -> None:
    provider = mail_provider(settings_for_notify)
    assert isinstance(provider, NotifyProvider)
    assert provider.base_url == notify.base_url != NOTIFY_BASE_URL
    assert provider._client().base_url == notify.base_url


def test_a_message_goes_through_notify_once_with_its_template_personalisation_and_reference(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    message_id = queue_code(sessions, settings_for_notify)

    assert deliver_due_mail(sessions, settings_for_notify, now=NOW) == 1

    [email] = notify.sent
    stored = load(sessions, message_id)
    assert email.template_id == TEMPLATE_IDS["registration-code"]
    assert email.email_address == ADDRESS
    assert email.reference == reference_of(sessions, message_id) == "outbox-1-20261123T090000000000"
    assert email.email_reply_to_id == REPLY_TO
    assert email.personalisation == stored.personalisation
    assert email.personalisation["code"] == "123456"
    assert set(email.personalisation) == {"code", *COMMON_PLACEHOLDERS}
    # Notify's copy of the template says what the SMTP text says, word for word.
    assert (email.subject, email.body + "\n") == (stored.subject, stored.text_body)
    assert utc(stored.sent_at) == NOW
    assert (stored.attempts, stored.failed_at, stored.last_error) == (1, None, None)
    # Sent is sent.
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(hours=1)) == 0
    assert len(notify.sent) == 1


def test_rate_limited_by_notify_the_message_waits_its_back_off_and_goes_once(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    message_id = queue_code(sessions, settings_for_notify)
    notify.fail_next(429, "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds")

    assert deliver_due_mail(sessions, settings_for_notify, now=NOW) == 0
    stored = load(sessions, message_id)
    assert (stored.attempts, stored.sent_at, stored.failed_at) == (1, None, None)
    assert utc(stored.next_attempt_at) == NOW + timedelta(seconds=30)
    assert stored.last_error is not None and "429" in stored.last_error
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(seconds=10)) == 0

    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(seconds=30)) == 1
    assert [status for status, _reference in notify.answered] == [429, 201]
    assert len(notify.sent) == 1
    assert load(sessions, message_id).attempts == 2


def test_notify_failing_for_a_while_is_retried_until_it_sends(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    message_id = queue_code(sessions, settings_for_notify)
    notify.fail_next(500, "Internal server error", times=3)
    now = NOW
    for delay in (30, 60, 120):
        assert deliver_due_mail(sessions, settings_for_notify, now=now) == 0
        stored = load(sessions, message_id)
        assert utc(stored.next_attempt_at) == now + timedelta(seconds=delay)
        assert stored.failed_at is None
        now += timedelta(seconds=delay)
    assert deliver_due_mail(sessions, settings_for_notify, now=now) == 1
    assert [status for status, _reference in notify.answered] == [500, 500, 500, 201]
    assert load(sessions, message_id).attempts == 4
    assert len(notify.sent) == 1


@pytest.mark.parametrize(
    ("arrange", "words"),
    [
        (
            lambda fake, settings: fake.fail_next(
                400, "Can't send to this recipient using a team-only API key"
            ),
            "team-only API key",
        ),
        (
            lambda fake, settings: fake.fail_next(
                400, "Can't send to this recipient when service is in trial mode"
            ),
            "trial mode",
        ),
        (lambda fake, settings: fake.fail_next(404, "Not found"), "404"),
        (lambda fake, settings: fake.templates.clear(), "Template not found"),
    ],
    ids=["team-only-key", "trial-mode", "not-found", "template-deleted-in-notify"],
)
def test_a_message_notify_refuses_for_good_is_failed_at_once_and_never_retried(
    sessions: sessionmaker[Session],
    settings_for_notify: Settings,
    notify: FakeNotify,
    caplog: pytest.LogCaptureFixture,
    arrange: Callable[[FakeNotify, Settings], None],
    words: str,
) -> None:
    message_id = queue_code(sessions, settings_for_notify)
    arrange(notify, settings_for_notify)

    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, settings_for_notify, now=NOW) == 0
        for later in (timedelta(minutes=1), timedelta(hours=2), timedelta(days=3)):
            assert deliver_due_mail(sessions, settings_for_notify, now=NOW + later) == 0

    stored = load(sessions, message_id)
    assert utc(stored.failed_at) == NOW
    assert (stored.sent_at, stored.attempts) == (None, 1)
    assert stored.last_error is not None and words in stored.last_error
    assert ADDRESS not in stored.last_error
    assert len(notify.answered) == 1  # asked once, never again
    assert notify.sent == []
    errors = portal_records(caplog, logging.ERROR)
    assert len(errors) == 1
    assert f"id={message_id}" in errors[0].getMessage()
    assert all(ADDRESS not in record.getMessage() for record in caplog.records)
    assert all("123456" not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("to", "kind", "personalisation", "words"),
    [
        ("not an address", "registration-code", None, "Not a valid email address"),
        ("worker@localhost", "registration-code", None, "Not a valid email address"),
        (ADDRESS, "already-registered", {"code": "1"}, "Missing personalisation: name"),
        (ADDRESS, "registration-code", {}, "Missing personalisation: code"),
    ],
    ids=["address-with-spaces", "address-without-a-domain", "wrong-values", "no-values"],
)
def test_a_message_notify_finds_invalid_is_failed_at_once_without_its_address(
    sessions: sessionmaker[Session],
    settings_for_notify: Settings,
    notify: FakeNotify,
    to: str,
    kind: str,
    personalisation: dict[str, str] | None,
    words: str,
) -> None:
    """Notify's own checks of what it is sent: a queued message that fails them is failed,
    not retried for two days."""
    values = {
        **account_mail.common_personalisation(settings_for_notify),
        **({"code": "123456"} if personalisation is None else personalisation),
    }
    with sessions() as session:
        message = enqueue_mail(
            session, to=to, subject="Hello", text="Hi", html="<p>Hi</p>", kind=kind
        )
        message.personalisation = values
        message.created_at = message.next_attempt_at = NOW
        session.commit()
        message_id = message.id

    assert deliver_due_mail(sessions, settings_for_notify, now=NOW) == 0
    stored = load(sessions, message_id)
    assert utc(stored.failed_at) == NOW
    assert stored.last_error is not None and words in stored.last_error
    assert to not in stored.last_error
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(hours=1)) == 0
    assert len(notify.answered) == 1


def test_mail_queued_before_kinds_were_recorded_is_failed_at_once_without_asking_notify(
    sessions: sessionmaker[Session],
    settings_for_notify: Settings,
    notify: FakeNotify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with sessions() as session:
        old = enqueue_mail(session, to=ADDRESS, subject="Your code", text="Hi", html="<p>Hi</p>")
        old.created_at = old.next_attempt_at = NOW
        session.commit()
        message_id = old.id

    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, settings_for_notify, now=NOW) == 0
        assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(hours=1)) == 0

    stored = load(sessions, message_id)
    assert utc(stored.failed_at) == NOW
    assert stored.last_error is not None
    assert "queued before emails recorded their kind" in stored.last_error
    assert notify.answered == []
    [error] = portal_records(caplog, logging.ERROR)
    assert f"id={message_id}" in error.getMessage()


def test_a_kind_with_no_template_set_is_failed_and_named(
    sessions: sessionmaker[Session], database_url: str, notify: FakeNotify
) -> None:
    partial = tuple((k, v) for k, v in TEMPLATE_IDS.items() if k != "registration-code")
    settings = notify_settings(database_url, notify, notify_template_ids=partial)
    message_id = queue_code(sessions, settings)

    assert deliver_due_mail(sessions, settings, now=NOW) == 0
    stored = load(sessions, message_id)
    assert utc(stored.failed_at) == NOW
    assert stored.last_error is not None and "registration-code" in stored.last_error
    assert notify.answered == []


def other_secret(fake: FakeNotify) -> str:
    return f"portal_test-{fake.service_id}-{uuid.uuid4()}"


def other_service(fake: FakeNotify) -> str:
    return f"portal_test-{uuid.uuid4()}-{fake.secret}"


@pytest.mark.parametrize("wrong_key", [other_secret, other_service], ids=["secret", "service"])
def test_a_wrong_api_key_is_logged_as_an_error_and_the_mail_kept_until_it_is_fixed(
    sessions: sessionmaker[Session],
    database_url: str,
    notify: FakeNotify,
    caplog: pytest.LogCaptureFixture,
    wrong_key: Callable[[FakeNotify], str],
) -> None:
    key = wrong_key(notify)
    wrong = notify_settings(database_url, notify, notify_api_key=Secret(key))
    message_id = queue_code(sessions, wrong)

    with caplog.at_level(logging.INFO, logger="portal.mail"):
        assert deliver_due_mail(sessions, wrong, now=NOW) == 0

    stored = load(sessions, message_id)
    assert (stored.failed_at, stored.sent_at, stored.attempts) == (None, None, 1)
    assert utc(stored.next_attempt_at) == NOW + timedelta(seconds=30)
    assert stored.last_error is not None and "403" in stored.last_error
    [error] = portal_records(caplog, logging.ERROR)
    assert f"id={message_id}" in error.getMessage()
    assert "NOTIFY_API_KEY" in error.getMessage()
    for text in (stored.last_error, *(record.getMessage() for record in caplog.records)):
        assert key not in text and key[-36:] not in text
    assert notify.answered == [(403, reference_of(sessions, message_id))]

    # The operator sets the right key; the next attempt sends it.
    fixed = notify_settings(database_url, notify)
    assert deliver_due_mail(sessions, fixed, now=NOW + timedelta(seconds=30)) == 1
    assert [email.reference for email in notify.sent] == [reference_of(sessions, message_id)]


def test_an_answer_slower_than_the_timeout_is_retried(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    provider = NotifyProvider(settings_for_notify, timeout=0.5)
    message_id = queue_code(sessions, settings_for_notify)
    notify.stall_next()

    try:
        assert deliver_due_mail(sessions, settings_for_notify, now=NOW, provider=provider) == 0
    finally:
        notify.release()
    stored = load(sessions, message_id)
    assert (stored.failed_at, stored.attempts) == (None, 1)
    assert stored.last_error is not None and "did not answer (ReadTimeout)" in stored.last_error

    later = NOW + timedelta(seconds=30)
    assert deliver_due_mail(sessions, settings_for_notify, now=later, provider=provider) == 1
    assert len(notify.sent) == 1


def test_an_email_notify_took_whose_answer_was_lost_is_not_sent_again(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    """Notify accepts the email but its answer comes after the client stopped waiting: the
    retry asks Notify for the message's reference first, finds it, and sends nothing more."""
    provider = NotifyProvider(settings_for_notify, timeout=0.5)
    message_id = queue_code(sessions, settings_for_notify)
    notify.accept_then_stall_next()
    try:
        assert deliver_due_mail(sessions, settings_for_notify, now=NOW, provider=provider) == 0
    finally:
        notify.release()
    assert len(notify.sent) == 1  # Notify has it; the portal does not know
    stored = load(sessions, message_id)
    assert (stored.sent_at, stored.failed_at, stored.attempts) == (None, None, 1)

    later = NOW + timedelta(seconds=30)
    assert deliver_due_mail(sessions, settings_for_notify, now=later, provider=provider) == 1
    reference = reference_of(sessions, message_id)
    assert notify.looked_up == [reference]
    assert len(notify.sent) == 1
    assert [ref for _status, ref in notify.answered] == [reference]  # one POST, ever
    assert utc(load(sessions, message_id).sent_at) == later


def test_a_retry_that_notify_cannot_answer_about_waits_rather_than_risk_a_second_copy(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    provider = NotifyProvider(settings_for_notify, timeout=0.5)
    message_id = queue_code(sessions, settings_for_notify)
    notify.fail_next(500)
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW, provider=provider) == 0
    notify.stop()  # gone when the retry asks whether the first attempt reached it
    later = NOW + timedelta(seconds=30)
    assert deliver_due_mail(sessions, settings_for_notify, now=later, provider=provider) == 0
    stored = load(sessions, message_id)
    assert (stored.sent_at, stored.failed_at, stored.attempts) == (None, None, 2)
    assert stored.last_error is not None and "could not ask GOV.UK Notify" in stored.last_error
    notify.start()
    # Back: the first attempt never reached it, so the third sends it, once.
    assert deliver_due_mail(sessions, settings_for_notify, now=later + timedelta(minutes=2)) == 1
    assert [email.reference for email in notify.sent] == [reference_of(sessions, message_id)]


def test_notify_gone_then_back_loses_and_repeats_nothing_with_two_senders_at_once(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    addresses = [f"person{number}@school.example" for number in range(6)]
    ids = [queue_code(sessions, settings_for_notify, to=address) for address in addresses]
    provider = mail_provider(settings_for_notify)  # one provider, shared by both threads

    notify.stop()  # Notify unreachable: nothing listens on its port
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW, provider=provider) == 0
    for message_id in ids:
        stored = load(sessions, message_id)
        assert (stored.attempts, stored.failed_at) == (1, None)
        assert stored.last_error is not None and "did not answer" in stored.last_error

    notify.start()  # back, on the same port, but overloaded for its first two answers
    notify.fail_next(503, "Service unavailable", times=2)
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait(timeout=10)
            later = NOW + timedelta(seconds=30)
            results.append(
                deliver_due_mail(sessions, settings_for_notify, now=later, provider=provider)
            )
        except Exception as error:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 4

    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(minutes=2)) == 2
    assert deliver_due_mail(sessions, settings_for_notify, now=NOW + timedelta(hours=3)) == 0
    for address in addresses:
        assert len(notify.to(address)) == 1
    assert sorted(email.reference or "" for email in notify.sent) == sorted(
        reference_of(sessions, message_id) for message_id in ids
    )
    assert all(load(sessions, message_id).sent_at is not None for message_id in ids)


def test_the_mail_worker_sends_by_the_provider_the_settings_name(
    sessions: sessionmaker[Session], settings_for_notify: Settings, settings: Settings
) -> None:
    worker = MailWorker(sessions, settings_for_notify)
    assert isinstance(worker.provider, NotifyProvider)
    assert not isinstance(MailWorker(sessions, settings).provider, NotifyProvider)


def test_every_kind_of_email_the_portal_queues_is_one_notify_accepts(
    sessions: sessionmaker[Session], settings_for_notify: Settings, notify: FakeNotify
) -> None:
    """Each email as its flow composes it: it carries its kind, and its personalisation holds
    what its template needs and nothing of the child's; the test server (which checks each
    template's placeholders) sends every one."""
    settings = make_settings(
        settings_for_notify.database_url,
        **{
            name: getattr(settings_for_notify, name)
            for name in (
                "mail_provider",
                "notify_api_key",
                "notify_base_url",
                "notify_reply_to_id",
                "notify_template_ids",
            )
        },
        hub_notify_email="hub-inbox@council.example",
    )
    with sessions() as session:
        user = add_professional(session, ADDRESS)
        # Never stored: the emails read only these of its fields.
        referral = Referral(
            reference="EH-2026-000123",
            owner_id=user.id,
            submitted_at=NOW,
            updated_at=NOW - timedelta(days=25),
            child_forename="Sam",
            child_surname="Smith",
        )
        account_mail.registration_code(session, settings, to=ADDRESS, code="123456")
        account_mail.already_registered(session, settings, user=user)
        account_mail.reset_code(session, settings, user=user, code="654321")
        account_mail.password_changed(session, settings, user=user)
        account_mail.sign_in_throttled(session, settings, user=user)
        submission.confirmation_mail(session, settings, referral, user)
        submission.hub_mail(session, settings, referral)
        hub.new_message_mail(session, settings, referral)
        hub.reply_mail(session, settings, referral)
        retention.reminder_mail(session, settings, referral, user)
        session.commit()
        queued = session.query(OutboxMessage).order_by(OutboxMessage.id).all()
        for message in queued:
            message.next_attempt_at = NOW
        session.commit()
        session.expunge_all()

    assert [message.kind for message in queued] == list(TEMPLATES)
    for message in queued:
        assert message.kind is not None and message.personalisation is not None
        template = TEMPLATES[message.kind]
        assert set(template.placeholders) <= set(message.personalisation)
        assert set(message.personalisation) <= {*template.placeholders, *COMMON_PLACEHOLDERS}
        assert all(isinstance(value, str) for value in message.personalisation.values())
        for words in ("Sam", "Smith"):
            assert words not in " ".join(message.personalisation.values())
            assert words not in message.subject + message.text_body

    assert deliver_due_mail(sessions, settings, now=NOW) == len(TEMPLATES)
    assert [email.template_id for email in notify.sent] == list(TEMPLATE_IDS.values())
    for message, email in zip(queued, notify.sent, strict=True):
        assert (email.subject, email.body + "\n") == (message.subject, message.text_body)


def test_every_placeholder_is_a_value_the_portal_gives(settings: Settings) -> None:
    """The table of kinds and what each template needs, as the docs print it."""
    given = {
        "registration-code": {"code"},
        "already-registered": {"name", "sign_in_url", "reset_url"},
        "password-reset-code": {"name", "code"},
        "password-changed": {"name", "reset_url"},
        "sign-in-paused": {"name", "reset_url"},
        "referral-sent": {"name", "reference", "sent_on", "sign_in_url"},
        "hub-new-referral": {"reference", "sign_in_url"},
        "hub-message": {"name", "reference", "sign_in_url"},
        "referrer-reply": {"reference", "sign_in_url"},
        "draft-reminder": {"name", "reference", "retention_days", "deletion_date", "draft_url"},
    }
    assert set(given) == set(TEMPLATES)
    for kind, template in TEMPLATES.items():
        assert set(template.placeholders) - set(COMMON_PLACEHOLDERS) == given[kind], kind
    assert set(account_mail.common_personalisation(settings)) == set(COMMON_PLACEHOLDERS)


def test_composing_refuses_an_unknown_kind_a_missing_value_or_one_the_template_does_not_use(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions() as session:
        with pytest.raises(KeyError):
            account_mail.compose(
                session, settings, to=ADDRESS, kind="newsletter", personalisation={}
            )
        with pytest.raises(KeyError, match="code"):
            account_mail.compose(
                session, settings, to=ADDRESS, kind="registration-code", personalisation={}
            )
        with pytest.raises(ValueError, match="child_name"):
            account_mail.compose(
                session,
                settings,
                to=ADDRESS,
                kind="registration-code",
                personalisation={"code": "123456", "child_name": "Sam Smith"},
            )
        session.rollback()


def test_a_value_that_looks_like_a_placeholder_is_sent_as_it_is(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    with sessions() as session:
        user = User(
            email=ADDRESS, email_key=ADDRESS, forename="((code))", surname="<b>", password_hash="x"
        )
        session.add(user)
        session.flush()
        account_mail.reset_code(session, settings, user=user, code="654321")
        session.flush()
        message = session.query(OutboxMessage).one()
        assert message.text_body.startswith("Dear ((code)) <b>,\n\nYour code is 654321")
        assert "<p>Dear ((code)) &lt;b&gt;,</p>" in message.html_body
        session.rollback()


def test_registering_with_notify_as_the_provider_sends_the_code_through_notify(
    database_url: str, notify: FakeNotify, clock: Clock, fast_password_hashing: None
) -> None:
    """The whole way: the registration flow queues the code, the app's mail worker (woken by
    the commit) sends it through the test server, and the code in it is the one that works."""
    settings = notify_settings(database_url, notify)
    address = "new.starter@school.example"
    with TestClient(create_app(settings, clock=clock)) as client:
        response = start_registration(client, address)
        assert response.headers["location"] == "/register/code"
        email = notify.wait_for(address)
        assert email.template_id == TEMPLATE_IDS["registration-code"]
        assert email.personalisation["code"] == latest_code(settings, address)
        response = post(
            client, "/register/code", code=email.personalisation["code"], action="check"
        )
        assert response.headers["location"] == "/register/complete"


def bearer(fake: FakeNotify, *, secret: str | None = None, issued: float | None = None) -> str:
    claims = {"iss": fake.service_id, "iat": int(time.time() if issued is None else issued)}
    return "Bearer " + jwt.encode(claims, secret or fake.secret, algorithm="HS256")


def test_the_test_server_refuses_what_notify_refuses(notify: FakeNotify) -> None:
    """So that a client mistake fails here as it would against Notify."""
    template_id = TEMPLATE_IDS["registration-code"]
    good = {
        "email_address": ADDRESS,
        "template_id": template_id,
        "personalisation": {"code": "1", "service_name": "x", "council_name": "y", "hub_name": "z"},
    }
    url = f"{notify.base_url}/v2/notifications/email"

    def answer(body: dict[str, Any], authorization: str) -> tuple[int, str]:
        response = httpx.post(url, json=body, headers={"Authorization": authorization})
        errors = response.json().get("errors") or [{}]
        return response.status_code, errors[0].get("message", "")

    assert answer(good, "")[0] == 403
    assert answer(good, bearer(notify, secret=str(uuid.uuid4())))[0] == 403
    assert "30 seconds" in answer(good, bearer(notify, issued=time.time() - 60))[1]
    assert "30 seconds" in answer(good, bearer(notify, issued=time.time() + 60))[1]
    token = bearer(notify)
    assert answer({**good, "template_id": str(uuid.uuid4())}, token) == (400, "Template not found")
    assert answer({**good, "personalisation": {"code": "1"}}, token) == (
        400,
        "Missing personalisation: service_name, council_name, hub_name",
    )
    assert answer({**good, "email_reply_to_id": str(uuid.uuid4())}, token)[0] == 400
    assert answer(good, token)[0] == 201
    assert notify.sent[0].body.startswith("Your code is 1")
    key = notify_api_key("portal_live")
    assert key.startswith("portal_live-") and len(key) == len("portal_live-") + 73


def test_the_docs_give_each_template_as_the_portal_declares_it() -> None:
    """docs/OPERATIONS.md is what operators paste into Notify; the README names each setting
    with the personalisation its template gets."""
    root = Path(__file__).resolve().parents[2]
    operations = (root / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for template in TEMPLATES.values():
        assert f"```\n{template.subject}\n```" in operations, template.kind
        assert f"```\n{template.body}\n```" in operations, template.kind
        [row] = [line for line in readme.splitlines() if line.startswith(f"| `{template.setting}`")]
        for name in template.placeholders:
            if name not in COMMON_PLACEHOLDERS:
                assert f"`(({name}))`" in row, (template.setting, name)
    for name in COMMON_PLACEHOLDERS:
        assert f"`(({name}))`" in readme

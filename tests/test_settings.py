from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.services.mail_templates import TEMPLATES
from app.settings import Settings, SettingsError, contrast_ratio

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "BASE_URL": "https://portal.example.gov.uk",
    "DATABASE_URL": "postgresql://portal@db/portal",
    "SECURITY_CONTACT": "mailto:security@example.gov.uk",
    "MAIL_FROM": "Children's Portal <no-reply@example.gov.uk>",
    "HUB_PHONE": "020 7946 0000",
    "MASH_PHONE": "020 7946 0001",
    "OUT_OF_HOURS_PHONE": "020 7946 0002",
    "CLAMD_HOST": "clamd.internal",
}


def test_development_defaults_need_no_environment() -> None:
    settings = Settings.from_environ({})
    assert settings.environment == "development"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "var/portal.db"
    )
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.session_cookie_name == "portal-session"
    assert len(str(settings.secret_key)) >= 32


def test_every_operator_variable_is_read() -> None:
    settings = Settings.from_environ(
        {
            **PRODUCTION,
            "HOST": "0.0.0.0",
            "PORT": "9000",
            "SMTP_HOST": "smtp.example.gov.uk",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "portal",
            "SMTP_PASSWORD": "s3cret",
            "SMTP_STARTTLS": "true",
            "MAIL_FROM": "portal@example.gov.uk",
            "HUB_NOTIFY_EMAIL": "hub@example.gov.uk",
            "COUNCIL_NAME": "Example Council",
            "COUNCIL_COLOUR": "#1D70B8",
            "HUB_PHONE": "020 7946 0000",
            "MASH_PHONE": "020 7946 0001",
            "OUT_OF_HOURS_PHONE": "020 7946 0002",
            "LEAP_URL": "https://leap.example.gov.uk/",
        }
    )
    assert settings.hub_phone == "020 7946 0000" and settings.out_of_hours_phone.endswith("0002")
    assert settings.leap_url == "https://leap.example.gov.uk/"
    assert settings.port == 9000 and settings.smtp_port == 587 and settings.smtp_starttls
    assert str(settings.smtp_password) == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.council_colour == "#1d70b8"
    assert settings.session_cookie_name == "__Host-portal-session"
    assert settings.is_production


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({**PRODUCTION, "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({**PRODUCTION, "SECRET_KEY": "short"}, "at least 32 characters"),
        ({**PRODUCTION, "BASE_URL": "http://portal.example.gov.uk"}, "https://"),
        ({"PORTAL_ENV": "staging"}, "PORTAL_ENV must be one of"),
        ({"PORT": "eighty"}, "PORT"),
        ({"COUNCIL_COLOUR": "green"}, "COUNCIL_COLOUR must be a colour"),
        ({"COUNCIL_COLOUR": "#ffdd00"}, "contrast"),
        ({"LEAP_URL": "javascript:alert(1)"}, "LEAP_URL must be an https:// address"),
    ],
    ids=[
        "no-key",
        "short-key",
        "http-base-url",
        "unknown-env",
        "bad-port",
        "bad-colour",
        "pale",
        "leap-not-https",
    ],
)
def test_bad_settings_are_refused_with_the_setting_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    ("setting", "example"),
    [
        ("SECURITY_CONTACT", "mailto:security@childrens-portal.invalid"),
        ("SECURITY_CONTACT", "https://security.example/report"),
        ("MAIL_FROM", "Children's Portal <no-reply@childrens-portal.invalid>"),
        ("HUB_PHONE", "01632 960001"),
        ("MASH_PHONE", "01632960002"),
        ("OUT_OF_HOURS_PHONE", "+44 1632 960003"),
    ],
)
def test_production_refuses_the_example_values_and_names_each(setting: str, example: str) -> None:
    with pytest.raises(SettingsError, match=setting):
        Settings.from_environ({**PRODUCTION, setting: example})


def test_production_with_every_example_left_names_them_all() -> None:
    bare = {
        name: value
        for name, value in PRODUCTION.items()
        if name
        not in {"SECURITY_CONTACT", "MAIL_FROM", "HUB_PHONE", "MASH_PHONE", "OUT_OF_HOURS_PHONE"}
    }
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ(bare)
    message = str(refused.value)
    for name in ("SECURITY_CONTACT", "MAIL_FROM", "HUB_PHONE", "MASH_PHONE", "OUT_OF_HOURS_PHONE"):
        assert name in message
    # Development and tests start with the examples, as before.
    assert Settings.from_environ({}).hub_phone == "01632 960001"


def test_production_scans_uploads_unless_told_not_to() -> None:
    without = {name: value for name, value in PRODUCTION.items() if name != "CLAMD_HOST"}
    with pytest.raises(SettingsError, match="CLAMD_HOST and CLAMD_PORT"):
        Settings.from_environ(without)
    assert Settings.from_environ({**without, "VIRUS_SCAN": "off"}).virus_scan == "off"
    socket = Settings.from_environ({**without, "CLAMD_SOCKET": "/run/clamav/clamd.ctl"})
    assert socket.clamd_socket == "/run/clamav/clamd.ctl"
    named = Settings.from_environ({**PRODUCTION, "CLAMD_PORT": "3311", "CLAMD_TIMEOUT": "5"})
    assert (named.clamd_host, named.clamd_port, named.clamd_timeout) == ("clamd.internal", 3311, 5)
    with pytest.raises(SettingsError, match="VIRUS_SCAN must be auto or off"):
        Settings.from_environ({"VIRUS_SCAN": "maybe"})
    # Development starts with no scanner, as `make run` has none.
    assert Settings.from_environ({}).clamd_host == ""


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_documents_are_kept_in_the_database_by_default() -> None:
    settings = Settings.from_environ({})
    assert settings.document_storage == "database"
    assert settings.document_directory is None
    assert (settings.max_document_mb, settings.max_referral_documents_mb) == (20, 100)


def test_document_settings_are_read() -> None:
    settings = Settings.from_environ(
        {
            "DOCUMENT_STORAGE": "directory",
            "DOCUMENT_DIRECTORY": "/srv/portal/documents",
            "MAX_DOCUMENT_MB": "10",
            "MAX_REFERRAL_DOCUMENTS_MB": "50",
        }
    )
    assert settings.document_storage == "directory"
    assert settings.document_directory == Path("/srv/portal/documents")
    assert (settings.max_document_mb, settings.max_referral_documents_mb) == (10, 50)
    # One file may be as big as all of a form's documents together.
    same = Settings.from_environ({"MAX_DOCUMENT_MB": "100", "MAX_REFERRAL_DOCUMENTS_MB": "100"})
    assert same.max_document_mb == same.max_referral_documents_mb == 100


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DOCUMENT_STORAGE": "s3"}, "DOCUMENT_STORAGE must be database or directory"),
        ({"DOCUMENT_STORAGE": "directory"}, "DOCUMENT_DIRECTORY must be set"),
        ({"MAX_DOCUMENT_MB": "twenty"}, "MAX_DOCUMENT_MB"),
        ({"MAX_DOCUMENT_MB": "1.5"}, "MAX_DOCUMENT_MB"),
        ({"MAX_DOCUMENT_MB": "0"}, "1 <= MAX_DOCUMENT_MB"),
        ({"MAX_DOCUMENT_MB": "-5"}, "1 <= MAX_DOCUMENT_MB"),
        ({"MAX_DOCUMENT_MB": "200"}, "MAX_DOCUMENT_MB <= MAX_REFERRAL_DOCUMENTS_MB"),
        ({"MAX_REFERRAL_DOCUMENTS_MB": "10"}, "MAX_DOCUMENT_MB <= MAX_REFERRAL_DOCUMENTS_MB"),
        ({"MAX_REFERRAL_DOCUMENTS_MB": "1001"}, "MAX_REFERRAL_DOCUMENTS_MB <= 1000"),
        ({"MAX_REFERRAL_DOCUMENTS_MB": "lots"}, "MAX_REFERRAL_DOCUMENTS_MB"),
    ],
    ids=[
        "unknown-storage",
        "directory-without-path",
        "size-not-a-number",
        "size-not-whole",
        "size-zero",
        "size-negative",
        "file-bigger-than-form",
        "form-smaller-than-file",
        "form-over-1000",
        "form-not-a-number",
    ],
)
def test_bad_document_settings_are_refused_with_the_setting_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environ(environ)


def test_retention_defaults_follow_the_help_guide() -> None:
    settings = Settings.from_environ({})
    assert (settings.draft_retention_days, settings.draft_reminder_days) == (30, 7)
    assert settings.submitted_visible_days == 90
    assert settings.hub_retention_days is None  # kept until the council says otherwise
    assert settings.purge_interval_minutes == 60
    assert Settings.from_environ({"HUB_RETENTION_DAYS": ""}).hub_retention_days is None


def test_retention_settings_are_read() -> None:
    settings = Settings.from_environ(
        {
            "DRAFT_RETENTION_DAYS": "60",
            "DRAFT_REMINDER_DAYS": "14",
            "SUBMITTED_VISIBLE_DAYS": "180",
            "HUB_RETENTION_DAYS": "2555",
            "PURGE_INTERVAL_MINUTES": "15",
        }
    )
    assert (settings.draft_retention_days, settings.draft_reminder_days) == (60, 14)
    assert settings.submitted_visible_days == 180
    assert settings.hub_retention_days == 2555
    assert settings.purge_interval_minutes == 15
    # The edges that are allowed: no reminder, and the hub keeping forms exactly as long as
    # their referrers see them.
    edges = Settings.from_environ({"DRAFT_REMINDER_DAYS": "0", "HUB_RETENTION_DAYS": "90"})
    assert (edges.draft_reminder_days, edges.hub_retention_days) == (0, 90)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DRAFT_REMINDER_DAYS": "30"}, "DRAFT_RETENTION_DAYS must be more than"),
        ({"DRAFT_REMINDER_DAYS": "45"}, "DRAFT_RETENTION_DAYS must be more than"),
        ({"DRAFT_RETENTION_DAYS": "5"}, "DRAFT_RETENTION_DAYS must be more than"),
        ({"DRAFT_RETENTION_DAYS": "0", "DRAFT_REMINDER_DAYS": "0"}, "DRAFT_RETENTION_DAYS"),
        ({"DRAFT_RETENTION_DAYS": "-30"}, "DRAFT_RETENTION_DAYS"),
        ({"DRAFT_REMINDER_DAYS": "-1"}, "DRAFT_REMINDER_DAYS"),
        ({"DRAFT_RETENTION_DAYS": "thirty"}, "DRAFT_RETENTION_DAYS"),
        ({"DRAFT_REMINDER_DAYS": "1.5"}, "DRAFT_REMINDER_DAYS"),
        ({"SUBMITTED_VISIBLE_DAYS": "0"}, "SUBMITTED_VISIBLE_DAYS"),
        ({"SUBMITTED_VISIBLE_DAYS": "-90"}, "SUBMITTED_VISIBLE_DAYS"),
        ({"SUBMITTED_VISIBLE_DAYS": "ninety"}, "SUBMITTED_VISIBLE_DAYS"),
        ({"PURGE_INTERVAL_MINUTES": "0"}, "PURGE_INTERVAL_MINUTES"),
        ({"PURGE_INTERVAL_MINUTES": "hourly"}, "PURGE_INTERVAL_MINUTES"),
        ({"HUB_RETENTION_DAYS": "30"}, "HUB_RETENTION_DAYS must be empty (keep) or at least"),
        (
            {"HUB_RETENTION_DAYS": "100", "SUBMITTED_VISIBLE_DAYS": "120"},
            "HUB_RETENTION_DAYS must be empty (keep) or at least SUBMITTED_VISIBLE_DAYS",
        ),
        ({"HUB_RETENTION_DAYS": "-1"}, "HUB_RETENTION_DAYS"),
        ({"HUB_RETENTION_DAYS": "forever"}, "HUB_RETENTION_DAYS"),
        ({"HUB_RETENTION_DAYS": "7 years"}, "HUB_RETENTION_DAYS"),
        # So many days that the dates they lead to are past the calendar's end (year 9999):
        # every purge pass, and every Recover a form page, would fail.
        ({"DRAFT_RETENTION_DAYS": "3000000"}, "DRAFT_RETENTION_DAYS"),
    ],
    ids=[
        "reminder-equals-retention",
        "reminder-after-retention",
        "retention-shorter-than-reminder",
        "retention-zero",
        "retention-negative",
        "reminder-negative",
        "retention-not-a-number",
        "reminder-not-whole",
        "visible-zero",
        "visible-negative",
        "visible-not-a-number",
        "interval-zero",
        "interval-not-a-number",
        "hub-shorter-than-visible",
        "hub-shorter-than-longer-visible",
        "hub-negative",
        "hub-not-a-number",
        "hub-words",
        "retention-beyond-the-calendar",
    ],
)
def test_bad_retention_settings_are_refused_with_the_setting_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environ(environ)


# GOV.UK Notify ------------------------------------------------------------------------------

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
KEY_SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
NOTIFY_KEY = f"portal_live-{SERVICE_ID}-{KEY_SECRET}"


def template_ids() -> dict[str, str]:
    """A template id for every kind of email, each different."""
    return {
        template.setting: f"00000000-0000-4000-8000-{number:012d}"
        for number, template in enumerate(TEMPLATES.values(), start=1)
    }


NOTIFY = {"MAIL_PROVIDER": "notify", "NOTIFY_API_KEY": NOTIFY_KEY, **template_ids()}


def test_mail_goes_by_smtp_unless_notify_is_chosen() -> None:
    settings = Settings.from_environ({})
    assert settings.mail_provider == "smtp"
    assert settings.notify_base_url == "https://api.notifications.service.gov.uk"
    assert settings.notify_template_id("registration-code") is None


def test_notify_settings_are_read_with_a_template_for_every_kind() -> None:
    settings = Settings.from_environ(
        {
            **PRODUCTION,
            **NOTIFY,
            "MAIL_PROVIDER": "Notify",
            "NOTIFY_REPLY_TO_ID": "A1B2C3D4-0000-4000-8000-000000000001",
            "NOTIFY_TEMPLATE_DRAFT_REMINDER": "ABCDEF01-0000-4000-8000-000000000099",
            # Notify sends from its own address: the example MAIL_FROM is not used.
            "MAIL_FROM": "Children's Portal <no-reply@childrens-portal.invalid>",
        }
    )
    assert settings.mail_provider == "notify"
    assert str(settings.notify_api_key) == NOTIFY_KEY
    assert KEY_SECRET not in repr(settings)
    assert settings.notify_base_url == "https://api.notifications.service.gov.uk"
    assert settings.notify_reply_to_id == "a1b2c3d4-0000-4000-8000-000000000001"
    assert settings.notify_template_id("draft-reminder") == "abcdef01-0000-4000-8000-000000000099"
    assert settings.notify_template_id("registration-code") == (
        "00000000-0000-4000-8000-000000000001"
    )
    assert {kind for kind, _id in settings.notify_template_ids} == set(TEMPLATES)


def test_every_notify_template_setting_is_named_after_its_kind() -> None:
    assert [template.setting for template in TEMPLATES.values()] == [
        "NOTIFY_TEMPLATE_REGISTRATION_CODE",
        "NOTIFY_TEMPLATE_ALREADY_REGISTERED",
        "NOTIFY_TEMPLATE_PASSWORD_RESET_CODE",
        "NOTIFY_TEMPLATE_PASSWORD_CHANGED",
        "NOTIFY_TEMPLATE_SIGN_IN_PAUSED",
        "NOTIFY_TEMPLATE_REFERRAL_SENT",
        "NOTIFY_TEMPLATE_HUB_NEW_REFERRAL",
        "NOTIFY_TEMPLATE_HUB_MESSAGE",
        "NOTIFY_TEMPLATE_REFERRER_REPLY",
        "NOTIFY_TEMPLATE_DRAFT_REMINDER",
    ]


def test_notify_without_some_templates_names_every_one_missing() -> None:
    environ = {
        name: value
        for name, value in NOTIFY.items()
        if name not in {"NOTIFY_TEMPLATE_HUB_MESSAGE", "NOTIFY_TEMPLATE_DRAFT_REMINDER"}
    }
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ(environ)
    message = str(refused.value)
    assert "NOTIFY_TEMPLATE_HUB_MESSAGE" in message
    assert "NOTIFY_TEMPLATE_DRAFT_REMINDER" in message
    assert "NOTIFY_TEMPLATE_REGISTRATION_CODE" not in message


@pytest.mark.parametrize(
    "key",
    [
        "",
        SERVICE_ID,
        f"{SERVICE_ID}-{KEY_SECRET}",  # no key name
        f"-{SERVICE_ID}-{KEY_SECRET}",
        f"portal_live-{SERVICE_ID}-{KEY_SECRET[:-1]}",  # a character short
        f"portal_live-{SERVICE_ID}-{KEY_SECRET}0",
        f"portal_live-{SERVICE_ID}{KEY_SECRET}",
        f"portal live-{SERVICE_ID}-{KEY_SECRET}",
        f"portal_live-{SERVICE_ID}-{KEY_SECRET.replace('e', 'g')}",
        f"portal_live-{SERVICE_ID}\n-{KEY_SECRET}",
        "secret-that-is-not-a-notify-key-at-all-but-long-enough-to-be-sliced-into-parts",
    ],
    ids=[
        "empty",
        "service-id-alone",
        "no-name",
        "empty-name",
        "short-secret",
        "long-secret",
        "ids-run-together",
        "space-in-name",
        "not-hex",
        "line-break",
        "made-up",
    ],
)
def test_a_malformed_notify_key_stops_start_up_without_being_printed(key: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({**NOTIFY, "NOTIFY_API_KEY": key})
    message = str(refused.value)
    assert "NOTIFY_API_KEY" in message
    if key:
        assert key not in message
        assert KEY_SECRET[:8] not in message


def test_a_notify_key_with_spaces_around_it_is_read_without_them() -> None:
    settings = Settings.from_environ({**NOTIFY, "NOTIFY_API_KEY": f"  {NOTIFY_KEY}\n"})
    assert str(settings.notify_api_key) == NOTIFY_KEY


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MAIL_PROVIDER": "sendgrid"}, "MAIL_PROVIDER must be smtp or notify"),
        ({**NOTIFY, "NOTIFY_TEMPLATE_HUB_MESSAGE": "hub-message"}, "NOTIFY_TEMPLATE_HUB_MESSAGE"),
        (
            {**NOTIFY, "NOTIFY_TEMPLATE_SIGN_IN_PAUSED": "00000000-0000-4000-8000-00000000000"},
            "NOTIFY_TEMPLATE_SIGN_IN_PAUSED",
        ),
        ({"NOTIFY_TEMPLATE_REFERRAL_SENT": "{template}"}, "NOTIFY_TEMPLATE_REFERRAL_SENT"),
        ({**NOTIFY, "NOTIFY_REPLY_TO_ID": "hub@example.gov.uk"}, "NOTIFY_REPLY_TO_ID"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "http://api.notifications.service.gov.uk"}, "https://"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "api.notifications.service.gov.uk"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "https://notify.example/v2"}, "no path"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "https://notify.example?x=1"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "https://user:pw@notify.example"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "https://notify.example:port"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "https://"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "ftp://127.0.0.1"}, "NOTIFY_BASE_URL"),
        ({**NOTIFY, "NOTIFY_BASE_URL": "http://10.0.0.5:8080"}, "NOTIFY_BASE_URL"),
        (
            {**PRODUCTION, **NOTIFY, "NOTIFY_BASE_URL": "http://127.0.0.1:8080"},
            "outside production",
        ),
        ({**NOTIFY, "PORTAL_ENV": "test"}, "NOTIFY_BASE_URL must be set when PORTAL_ENV=test"),
    ],
    ids=[
        "unknown-provider",
        "template-not-an-id",
        "template-id-short",
        "template-placeholder-with-smtp",
        "reply-to-an-address",
        "base-url-http",
        "base-url-no-scheme",
        "base-url-path",
        "base-url-query",
        "base-url-password",
        "base-url-bad-port",
        "base-url-no-host",
        "base-url-ftp",
        "base-url-http-elsewhere",
        "base-url-local-http-in-production",
        "test-run-without-base-url",
    ],
)
def test_bad_notify_settings_are_refused_with_the_setting_named(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_environ(environ)


def test_a_test_server_on_this_machine_may_stand_in_for_notify_outside_production() -> None:
    for url in ("http://127.0.0.1:8123", "http://localhost:8123/", "http://[::1]:8123"):
        settings = Settings.from_environ({**NOTIFY, "PORTAL_ENV": "test", "NOTIFY_BASE_URL": url})
        assert settings.notify_base_url == url.rstrip("/")
    # Meant on purpose, a test run may name the real service.
    real = Settings.from_environ(
        {
            **NOTIFY,
            "PORTAL_ENV": "test",
            "NOTIFY_BASE_URL": "https://api.notifications.service.gov.uk",
        }
    )
    assert real.notify_base_url == "https://api.notifications.service.gov.uk"

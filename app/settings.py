"""Every setting the portal reads from the environment, typed, read once.

`Settings.from_environ()` is the only place that touches `os.environ`; everything else receives
a `Settings`. Defaults suit development on one machine; production refuses to start without the
settings that have no safe default.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from starlette.config import Config
from starlette.datastructures import Secret

from app.services.mail_templates import TEMPLATES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "portal.db"

Environment = Literal["development", "test", "production"]
# Retention periods longer than this are refused (dates that far off overflow).
MAX_RETENTION_DAYS = 36_500
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")
MAIL_PROVIDERS = ("smtp", "notify")
NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# A GOV.UK Notify API key is "{key name}-{service id}-{secret}": the last 73 characters are
# two UUIDs joined by a hyphen (what the client library reads the key as).
_NOTIFY_API_KEY = re.compile(rf"\S+-{_UUID}-{_UUID}")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


def _hex_colour(name: str, value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise SettingsError(f"{name} must be a colour like #00594f, not {value!r}")
    return value.lower()


def _https_url(name: str, value: str) -> str:
    if not re.fullmatch(r"https://[^\s\"'<>]+", value):
        raise SettingsError(f"{name} must be an https:// address, not {value!r}")
    return value


def _uuid(name: str, value: str) -> str:
    if not re.fullmatch(_UUID, value):
        raise SettingsError(
            f"{name} must be a GOV.UK Notify id like 3d6b7f8e-1c2a-4b5d-9e0f-123456789abc, "
            f"not {value!r}"
        )
    return value.lower()


def _notify_base_url(value: str, environment: Environment, provider: str) -> str:
    """GOV.UK Notify's address: https, or http on this machine outside production (a test
    server). A test run must name it, so that it never sends real email by default."""
    if not value:
        if environment == "test" and provider == "notify":
            raise SettingsError(
                "NOTIFY_BASE_URL must be set when PORTAL_ENV=test and MAIL_PROVIDER=notify "
                f"(a test server; {NOTIFY_BASE_URL} only if real email is meant)"
            )
        return NOTIFY_BASE_URL
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if (
        not parts.hostname
        or parts.username is not None
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
        or re.search(r"\s", value)
        or not (
            parts.scheme == "https"
            or (parts.scheme == "http" and local and environment != "production")
        )
    ):
        raise SettingsError(
            f"NOTIFY_BASE_URL must be an https:// address with no path, like {NOTIFY_BASE_URL} "
            "(http:// only to 127.0.0.1 or localhost, outside production)"
        )
    return value.rstrip("/")


def _relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _is_reserved_address(value: str) -> bool:
    """An address at a name reserved for examples (RFC 2606): it reaches nobody."""
    if value.startswith("https://"):
        domain = urlsplit(value).hostname or ""
    else:
        domain = value.rpartition("@")[2].strip(" >").lower()
    return domain.endswith((".invalid", ".example", ".test")) or domain in {
        "example.com",
        "example.org",
        "example.net",
    }


def _is_fictional_number(value: str) -> bool:
    """A number in Ofcom's range for drama (01632 960000 to 960999): it rings nowhere."""
    digits = re.sub(r"[^0-9]", "", value)
    return digits.startswith(("01632960", "441632960"))


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Settings:
    """The portal's configuration. Build it with `from_environ()`; tests pass their own values."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret_key: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)))
    # Keys being retired: still accepted for sessions and email codes, never used to sign.
    previous_secret_keys: tuple[Secret, ...] = ()
    base_url: str = "http://127.0.0.1:8000"
    environment: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    smtp_starttls: bool = False
    # Who sends the outbox: "smtp" (the SMTP_ settings) or "notify" (GOV.UK Notify, with a
    # template id for each kind of email, by kind).
    mail_provider: str = "smtp"
    notify_api_key: Secret = field(default_factory=lambda: Secret(""))
    notify_base_url: str = NOTIFY_BASE_URL
    notify_reply_to_id: str = ""
    notify_template_ids: tuple[tuple[str, str], ...] = ()
    mail_from: str = "Children's Portal <no-reply@childrens-portal.invalid>"
    hub_notify_email: str = ""
    council_name: str = "London Borough of Hillingdon"
    council_colour: str = "#00594f"
    hub_name: str = "Stronger Families Hub"
    # Phone numbers default to Ofcom's drama range (01632 960xxx): set the real ones.
    hub_phone: str = "01632 960001"
    mash_phone: str = "01632 960002"
    out_of_hours_phone: str = "01632 960003"
    leap_url: str = "https://leap.hillingdon.gov.uk/"
    address_provider: str = "gazetteer"
    os_places_url: str = "https://api.os.uk/search/places/v1"
    os_places_api_key: Secret = field(default_factory=lambda: Secret(""))
    log_level: str = "INFO"
    # Documents attached to referrals: kept in the database, or in a directory every app
    # instance can read; and how big they may be.
    document_storage: str = "database"
    document_directory: Path | None = None
    max_document_mb: int = 20
    max_referral_documents_mb: int = 100
    # How many PDFs one app instance makes at once (each takes a CPU core while it runs).
    pdf_concurrency: int = 2
    # Retention: drafts are deleted this many days after their last save, with a reminder
    # this many days before; sent forms stay in their referrer's list this long; the hub keeps
    # sent forms for the council's retention period (None: kept until deleted by hand).
    draft_retention_days: int = 30
    draft_reminder_days: int = 7
    submitted_visible_days: int = 90
    hub_retention_days: int | None = None
    purge_interval_minutes: int = 60
    # Where to report a vulnerability (security.txt): a mailto: or https: address.
    security_contact: str = "mailto:security@childrens-portal.invalid"
    # The request model (app/request_model.py): worker threads for ordinary requests and for
    # CPU-heavy ones, how long a request may wait for one, database connections and how long
    # to wait for one, how slowly a body may arrive, and uploads on their way per user.
    request_workers: int = 8
    cpu_workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    request_queue_seconds: float = 10.0
    database_pool_size: int | None = None
    database_pool_timeout: float = 3.0
    request_body_idle_seconds: float = 10.0
    request_body_min_rate: int = 1024
    uploads_per_user: int = 3
    # The case system's API: calls one token may make in a minute (across every instance).
    api_calls_per_minute: int = 120
    # Virus scanning of uploads with clamd: "auto" scans when a clamd is named, "off" never
    # (production must say so), and where clamd listens, and how long a scan may take.
    virus_scan: str = "auto"
    clamd_host: str = ""
    clamd_port: int = 3310
    clamd_socket: str = ""
    clamd_timeout: float = 30.0
    # A sent referral is due for the hub's first decision this many working days after the
    # day it was sent (weekends and England and Wales bank holidays skipped).
    hub_decision_working_days: int = 1

    @property
    def pool_size(self) -> int:
        """Connections per instance: one per worker thread, and a few for the mail and
        retention workers, the health check and error pages."""
        if self.database_pool_size is not None:
            return self.database_pool_size
        return self.request_workers + self.cpu_workers + 4

    def notify_template_id(self, kind: str) -> str | None:
        """The GOV.UK Notify template that sends emails of `kind`, if one is set."""
        return dict(self.notify_template_ids).get(kind)

    @property
    def secret_keys(self) -> list[str]:
        """Every key that verifies, oldest first; the last (SECRET_KEY) is the one that signs."""
        return [*(str(key) for key in self.previous_secret_keys), str(self.secret_key)]

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def session_cookie_name(self) -> str:
        # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
        return "__Host-portal-session" if self.is_production else "portal-session"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from the environment (or the mapping given)."""
        config = Config(environ=dict(os.environ if environ is None else environ))
        environment = config("PORTAL_ENV", default="development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(
                f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
            )
        secret = config("SECRET_KEY", cast=str, default="")
        if not secret:
            if environment == "production":
                raise SettingsError("SECRET_KEY must be set in production (32 or more characters)")
            # A fresh key each start: sessions end on restart, which is fine while developing.
            secret = secrets.token_urlsafe(32)
        if environment == "production" and len(secret) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters in production")
        previous = [key.strip() for key in config("PREVIOUS_SECRET_KEYS", default="").split(",")]
        previous = [key for key in previous if key]
        if environment == "production" and any(len(key) < 32 for key in previous):
            raise SettingsError(
                "PREVIOUS_SECRET_KEYS must be keys of at least 32 characters, separated by commas"
            )
        base_url = config("BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
        if environment == "production" and not base_url.startswith("https://"):
            raise SettingsError("BASE_URL must start with https:// in production")
        council_colour = _hex_colour(
            "COUNCIL_COLOUR", config("COUNCIL_COLOUR", default=cls.council_colour)
        )
        if contrast_ratio(council_colour, "#ffffff") < 4.5:
            raise SettingsError(
                "COUNCIL_COLOUR must be dark enough for white text (contrast 4.5:1 or more)"
            )
        address_provider = config("ADDRESS_PROVIDER", default=cls.address_provider)
        if address_provider not in {"gazetteer", "os-places"}:
            raise SettingsError(
                f"ADDRESS_PROVIDER must be gazetteer or os-places, not {address_provider!r}"
            )
        os_places_api_key = config("OS_PLACES_API_KEY", default="")
        if address_provider == "os-places" and not os_places_api_key:
            raise SettingsError("OS_PLACES_API_KEY must be set when ADDRESS_PROVIDER=os-places")
        document_storage = config("DOCUMENT_STORAGE", default=cls.document_storage)
        if document_storage not in {"database", "directory"}:
            raise SettingsError(
                f"DOCUMENT_STORAGE must be database or directory, not {document_storage!r}"
            )
        document_directory_text = config("DOCUMENT_DIRECTORY", default="")
        if document_storage == "directory" and not document_directory_text:
            raise SettingsError("DOCUMENT_DIRECTORY must be set when DOCUMENT_STORAGE=directory")
        try:
            port = config("PORT", cast=int, default=8000)
            max_document_mb = config("MAX_DOCUMENT_MB", cast=int, default=cls.max_document_mb)
            max_referral_documents_mb = config(
                "MAX_REFERRAL_DOCUMENTS_MB", cast=int, default=cls.max_referral_documents_mb
            )
            pdf_concurrency = config("PDF_CONCURRENCY", cast=int, default=cls.pdf_concurrency)
            draft_retention_days = config(
                "DRAFT_RETENTION_DAYS", cast=int, default=cls.draft_retention_days
            )
            draft_reminder_days = config(
                "DRAFT_REMINDER_DAYS", cast=int, default=cls.draft_reminder_days
            )
            submitted_visible_days = config(
                "SUBMITTED_VISIBLE_DAYS", cast=int, default=cls.submitted_visible_days
            )
            hub_retention_text = config("HUB_RETENTION_DAYS", default="").strip()
            if hub_retention_text and not hub_retention_text.isdigit():
                raise SettingsError(
                    "HUB_RETENTION_DAYS must be a whole number of days, or empty to keep "
                    f"sent forms, not {hub_retention_text!r}"
                )
            hub_retention_days = int(hub_retention_text) if hub_retention_text else None
            purge_interval_minutes = config(
                "PURGE_INTERVAL_MINUTES", cast=int, default=cls.purge_interval_minutes
            )
            smtp_port = config("SMTP_PORT", cast=int, default=25)
            request_workers = config("REQUEST_WORKERS", cast=int, default=cls.request_workers)
            cpu_workers = config("CPU_WORKERS", cast=int, default=os.cpu_count() or 2)
            request_queue_seconds = config(
                "REQUEST_QUEUE_SECONDS", cast=float, default=cls.request_queue_seconds
            )
            pool_size_text = config("DATABASE_POOL_SIZE", default="").strip()
            database_pool_size = int(pool_size_text) if pool_size_text else None
            database_pool_timeout = config(
                "DATABASE_POOL_TIMEOUT", cast=float, default=cls.database_pool_timeout
            )
            request_body_idle_seconds = config(
                "REQUEST_BODY_IDLE_SECONDS", cast=float, default=cls.request_body_idle_seconds
            )
            request_body_min_rate = config(
                "REQUEST_BODY_MIN_RATE", cast=int, default=cls.request_body_min_rate
            )
            uploads_per_user = config("UPLOADS_PER_USER", cast=int, default=cls.uploads_per_user)
            api_calls_per_minute = config(
                "API_CALLS_PER_MINUTE", cast=int, default=cls.api_calls_per_minute
            )
            clamd_port = config("CLAMD_PORT", cast=int, default=cls.clamd_port)
            clamd_timeout = config("CLAMD_TIMEOUT", cast=float, default=cls.clamd_timeout)
            smtp_starttls = config("SMTP_STARTTLS", cast=bool, default=False)
        except ValueError as error:
            raise SettingsError(str(error)) from error
        if not 1 <= max_document_mb <= max_referral_documents_mb <= 1000:
            raise SettingsError(
                "MAX_DOCUMENT_MB and MAX_REFERRAL_DOCUMENTS_MB must be whole megabytes, with "
                "1 <= MAX_DOCUMENT_MB <= MAX_REFERRAL_DOCUMENTS_MB <= 1000"
            )
        if not 1 <= pdf_concurrency <= 64:
            raise SettingsError("PDF_CONCURRENCY must be a whole number from 1 to 64")
        longest = MAX_RETENTION_DAYS
        for name, days in (
            ("DRAFT_RETENTION_DAYS", draft_retention_days),
            ("SUBMITTED_VISIBLE_DAYS", submitted_visible_days),
            ("HUB_RETENTION_DAYS", hub_retention_days or 0),
        ):
            if days > longest:
                raise SettingsError(f"{name} must be {longest:,} days (100 years) or fewer")
        if not 0 <= draft_reminder_days < draft_retention_days:
            raise SettingsError(
                "DRAFT_RETENTION_DAYS must be more than DRAFT_REMINDER_DAYS (and both 0 or more)"
            )
        if submitted_visible_days < 1 or purge_interval_minutes < 1:
            raise SettingsError(
                "SUBMITTED_VISIBLE_DAYS and PURGE_INTERVAL_MINUTES must be 1 or more"
            )
        if hub_retention_days is not None and hub_retention_days < submitted_visible_days:
            raise SettingsError(
                "HUB_RETENTION_DAYS must be empty (keep) or at least SUBMITTED_VISIBLE_DAYS"
            )
        if not 1 <= api_calls_per_minute <= 100_000:
            raise SettingsError("API_CALLS_PER_MINUTE must be a whole number from 1 to 100000")
        for name, count in (
            ("REQUEST_WORKERS", request_workers),
            ("CPU_WORKERS", cpu_workers),
            ("DATABASE_POOL_SIZE", database_pool_size or 1),
            ("UPLOADS_PER_USER", uploads_per_user),
        ):
            if not 1 <= count <= 500:
                raise SettingsError(f"{name} must be a whole number from 1 to 500")
        for name, seconds in (
            ("REQUEST_QUEUE_SECONDS", request_queue_seconds),
            ("DATABASE_POOL_TIMEOUT", database_pool_timeout),
            ("REQUEST_BODY_IDLE_SECONDS", request_body_idle_seconds),
        ):
            if not 0 < seconds <= 600:
                raise SettingsError(f"{name} must be a number of seconds from 0 to 600")
        virus_scan = config("VIRUS_SCAN", default=cls.virus_scan).strip().lower()
        if virus_scan not in {"auto", "off"}:
            raise SettingsError(f"VIRUS_SCAN must be auto or off, not {virus_scan!r}")
        clamd_host = config("CLAMD_HOST", default="").strip()
        clamd_socket = config("CLAMD_SOCKET", default="").strip()
        if environment == "production" and virus_scan != "off" and not (clamd_host or clamd_socket):
            raise SettingsError(
                "In production uploads are scanned for viruses: set CLAMD_HOST and CLAMD_PORT "
                "(or CLAMD_SOCKET) to where clamd listens, or VIRUS_SCAN=off to run without "
                "scanning"
            )
        if not 0 < clamd_timeout <= 600:
            raise SettingsError("CLAMD_TIMEOUT must be a number of seconds from 0 to 600")
        if request_body_min_rate < 0:
            raise SettingsError("REQUEST_BODY_MIN_RATE must be 0 or more bytes a second")
        decision_days_text = config(
            "HUB_DECISION_WORKING_DAYS", default=str(cls.hub_decision_working_days)
        ).strip()
        # ASCII digits only ("²" is a digit to str.isdigit() but not to int()).
        if not re.fullmatch(r"[0-9]{1,2}", decision_days_text) or not (
            1 <= int(decision_days_text) <= 30
        ):
            raise SettingsError(
                "HUB_DECISION_WORKING_DAYS must be a whole number of working days from 1 to 30, "
                f"not {decision_days_text!r}"
            )
        security_contact = config("SECURITY_CONTACT", default=cls.security_contact)
        if not re.match(r"(mailto:[^@\s]+@[^@\s]+|https://\S+)$", security_contact):
            raise SettingsError("SECURITY_CONTACT must be a mailto: or https:// address")
        hub_phone = config("HUB_PHONE", default=cls.hub_phone)
        mash_phone = config("MASH_PHONE", default=cls.mash_phone)
        out_of_hours_phone = config("OUT_OF_HOURS_PHONE", default=cls.out_of_hours_phone)
        mail_from = config("MAIL_FROM", default=cls.mail_from)
        mail_provider = config("MAIL_PROVIDER", default=cls.mail_provider).strip().lower()
        if mail_provider not in MAIL_PROVIDERS:
            raise SettingsError(
                f"MAIL_PROVIDER must be {' or '.join(MAIL_PROVIDERS)}, not {mail_provider!r}"
            )
        # Never quoted in a message: it is a secret.
        notify_api_key = config("NOTIFY_API_KEY", default="").strip()
        if notify_api_key and not _NOTIFY_API_KEY.fullmatch(notify_api_key):
            raise SettingsError(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key: it must be the key's name, its "
                "service id and its secret joined by hyphens, as Notify shows it when it is made "
                "(the key itself is not shown here)"
            )
        if mail_provider == "notify" and not notify_api_key:
            raise SettingsError("NOTIFY_API_KEY must be set when MAIL_PROVIDER=notify")
        notify_base_url = _notify_base_url(
            config("NOTIFY_BASE_URL", default="").strip(), environment, mail_provider
        )
        reply_to_text = config("NOTIFY_REPLY_TO_ID", default="").strip()
        notify_reply_to_id = _uuid("NOTIFY_REPLY_TO_ID", reply_to_text) if reply_to_text else ""
        notify_template_ids: list[tuple[str, str]] = []
        missing_templates: list[str] = []
        for template in TEMPLATES.values():
            template_text = config(template.setting, default="").strip()
            if template_text:
                notify_template_ids.append((template.kind, _uuid(template.setting, template_text)))
            else:
                missing_templates.append(template.setting)
        if mail_provider == "notify" and missing_templates:
            raise SettingsError(
                "With MAIL_PROVIDER=notify every kind of email needs its GOV.UK Notify template "
                f"id; these are missing: {', '.join(missing_templates)} (see docs/OPERATIONS.md)"
            )
        if environment == "production":
            placeholders = [
                name
                for name, value, placeholder in (
                    ("SECURITY_CONTACT", security_contact, _is_reserved_address(security_contact)),
                    (
                        "MAIL_FROM",
                        mail_from,
                        # GOV.UK Notify sends from the Notify service's own address.
                        mail_provider == "smtp" and _is_reserved_address(mail_from),
                    ),
                    ("HUB_PHONE", hub_phone, _is_fictional_number(hub_phone)),
                    ("MASH_PHONE", mash_phone, _is_fictional_number(mash_phone)),
                    (
                        "OUT_OF_HOURS_PHONE",
                        out_of_hours_phone,
                        _is_fictional_number(out_of_hours_phone),
                    ),
                )
                if placeholder
            ]
            if placeholders:
                raise SettingsError(
                    "In production these must be the council's own, not the examples the portal "
                    f"starts with: {', '.join(placeholders)} (see the README's configuration "
                    "table)"
                )
        return cls(
            database_url=config("DATABASE_URL", default=cls.database_url),
            secret_key=Secret(secret),
            previous_secret_keys=tuple(Secret(key) for key in previous),
            base_url=base_url,
            environment=environment,
            host=config("HOST", default="127.0.0.1"),
            port=port,
            smtp_host=config("SMTP_HOST", default=""),
            smtp_port=smtp_port,
            smtp_username=config("SMTP_USERNAME", default=""),
            smtp_password=Secret(config("SMTP_PASSWORD", default="")),
            smtp_starttls=smtp_starttls,
            mail_provider=mail_provider,
            notify_api_key=Secret(notify_api_key),
            notify_base_url=notify_base_url,
            notify_reply_to_id=notify_reply_to_id,
            notify_template_ids=tuple(notify_template_ids),
            mail_from=mail_from,
            hub_notify_email=config("HUB_NOTIFY_EMAIL", default=""),
            council_name=config("COUNCIL_NAME", default=cls.council_name),
            council_colour=council_colour,
            hub_name=config("HUB_NAME", default=cls.hub_name),
            hub_phone=hub_phone,
            mash_phone=mash_phone,
            out_of_hours_phone=out_of_hours_phone,
            leap_url=_https_url("LEAP_URL", config("LEAP_URL", default=cls.leap_url)),
            address_provider=address_provider,
            os_places_url=config("OS_PLACES_URL", default=cls.os_places_url),
            os_places_api_key=Secret(os_places_api_key),
            log_level=config("LOG_LEVEL", default="INFO").upper(),
            document_storage=document_storage,
            document_directory=Path(document_directory_text) if document_directory_text else None,
            max_document_mb=max_document_mb,
            max_referral_documents_mb=max_referral_documents_mb,
            pdf_concurrency=pdf_concurrency,
            draft_retention_days=draft_retention_days,
            draft_reminder_days=draft_reminder_days,
            submitted_visible_days=submitted_visible_days,
            hub_retention_days=hub_retention_days,
            purge_interval_minutes=purge_interval_minutes,
            security_contact=security_contact,
            request_workers=request_workers,
            cpu_workers=cpu_workers,
            request_queue_seconds=request_queue_seconds,
            database_pool_size=database_pool_size,
            database_pool_timeout=database_pool_timeout,
            request_body_idle_seconds=request_body_idle_seconds,
            request_body_min_rate=request_body_min_rate,
            uploads_per_user=uploads_per_user,
            api_calls_per_minute=api_calls_per_minute,
            virus_scan=virus_scan,
            clamd_host=clamd_host,
            clamd_port=clamd_port,
            clamd_socket=clamd_socket,
            clamd_timeout=clamd_timeout,
            hub_decision_working_days=int(decision_days_text),
        )

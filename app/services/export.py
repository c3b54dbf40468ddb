"""A sent referral handed over to a case system: the export (JSON) and its JSON Schema, the
referrals changed since a moment, and the hub inbox as rows for a spreadsheet (CSV).

The export holds every visible answer keyed by the declaration's question ids
(`engine.exported_answers`), the documents with their checksums, the referral's history from
the hub's timeline, its reference, dates and referrer. Its schema is generated from the same
declaration (`export_schema`); docs/EXPORT.md describes both, and docs/referral-export.schema.json
is the published copy a test keeps equal to what is generated.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.json_schema import answers_schema
from app.assessment.model import Assessment
from app.assessment.reference import REFERRAL_OPTIONS
from app.models import Document, Referral, ReferralMessage, User
from app.services import answers as answer_store
from app.services import documents as store
from app.services import hub
from app.services.referrals import RECEIVED, SUBMITTED

# Raised when an export could break a reader of the last one: a question id renamed or
# removed, an answer's shape changed. A question added is not a new version (docs/EXPORT.md).
EXPORT_VERSION = "1"
SCHEMA_ID = f"urn:childrens-portal:referral-export:v{EXPORT_VERSION}"
API_ROOT = f"/api/v{EXPORT_VERSION}"
MAX_PAGE_SIZE = 100


def referral_path(reference: str) -> str:
    return f"{API_ROOT}/referrals/{reference}"


def document_path(reference: str, key: str) -> str:
    return f"{referral_path(reference)}/documents/{key}"


def iso(moment: datetime | None) -> str | None:
    """A moment in UTC as ISO 8601 with its zone: 2026-11-23T09:00:00Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# The referrals changed since a moment -------------------------------------------------------


def _changes() -> Any:
    """Every moment something happened to a referral: sent, an entry in its timeline (status,
    urgency, messages both ways, a document removed), a document added or removed."""
    return union_all(
        select(Referral.id.label("referral_id"), Referral.submitted_at.label("at")).where(
            Referral.submitted_at.is_not(None)
        ),
        select(ReferralMessage.referral_id, ReferralMessage.created_at),
        select(Document.referral_id, Document.uploaded_at),
        select(Document.referral_id, Document.removed_at).where(Document.removed_at.is_not(None)),
    ).subquery()


def _changed_at() -> Any:
    changes = _changes()
    return (
        select(changes.c.referral_id, func.max(changes.c.at).label("changed_at"))
        .group_by(changes.c.referral_id)
        .subquery()
    )


def changed_at(session: Session, referral: Referral) -> datetime:
    """When the sent referral last changed (for the hub, or its referrer's side)."""
    last = _changed_at()
    moment = session.scalar(select(last.c.changed_at).where(last.c.referral_id == referral.id))
    assert referral.submitted_at is not None
    return moment or referral.submitted_at


@dataclass(frozen=True)
class Position:
    """Where a page of changed referrals ends: its last referral's change and reference.
    The next page starts after it."""

    changed_at: datetime
    reference: str

    def cursor(self) -> str:
        raw = f"{iso(self.changed_at)}|{self.reference}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str) -> Position | None:
        """The position a cursor names, or None when it is not one this service made."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", cursor):
            return None
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            moment_text, reference = text.split("|")
            moment = datetime.fromisoformat(moment_text)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if moment.tzinfo is None or not re.fullmatch(r"EH-\d{4}-\d{6,}", reference):
            return None
        return cls(moment, reference)


@dataclass(frozen=True)
class ChangedPage:
    referrals: list[tuple[Referral, datetime]]
    next: Position | None


def changed_referrals(
    session: Session, *, since: datetime | None, after: Position | None, page_size: int
) -> ChangedPage:
    """Sent referrals (never drafts) that changed at or after `since`, oldest change first,
    then by reference: a stable order, so paging by `after` misses none. A referral that
    changes again while a client pages moves to the end, and comes round again."""
    last = _changed_at()
    conditions: list[ColumnElement[bool]] = [Referral.status == SUBMITTED]
    if since is not None:
        conditions.append(last.c.changed_at >= since)
    if after is not None:
        conditions.append(
            or_(
                last.c.changed_at > after.changed_at,
                and_(last.c.changed_at == after.changed_at, Referral.reference > after.reference),
            )
        )
    rows = session.execute(
        select(Referral, last.c.changed_at)
        .join(last, last.c.referral_id == Referral.id)
        .where(*conditions)
        .order_by(last.c.changed_at, Referral.reference)
        .limit(page_size + 1)
    ).all()
    found = [(referral, moment) for referral, moment in rows]
    if len(found) <= page_size:
        return ChangedPage(found, None)
    found = found[:page_size]
    referral, moment = found[-1]
    return ChangedPage(found, Position(moment, referral.reference))


def listed(referral: Referral, moment: datetime) -> dict[str, Any]:
    """One referral in the list of changed ones."""
    return {
        "reference": referral.reference,
        "changed_at": iso(moment),
        "sent_at": iso(referral.submitted_at),
        "status": referral.hub_status or RECEIVED,
        "href": referral_path(referral.reference),
    }


# One referral's export ----------------------------------------------------------------------


def coded(code: str | None, labels: dict[str, str]) -> dict[str, str] | None:
    return None if code is None else {"code": code, "label": labels.get(code, code)}


def exported_document(referral: Referral, document: Document) -> dict[str, Any]:
    removed = document.removed_at is not None
    return {
        "key": document.key,
        "filename": document.filename,
        "description": document.description or None,
        "kind": document.kind,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": iso(document.uploaded_at),
        "sent_with_message": document.message_id is not None,
        "download_path": None if removed else document_path(referral.reference, document.key),
        "removed": (
            {"removed_at": iso(document.removed_at), "reason": document.removed_reason or ""}
            if removed
            else None
        ),
    }


def history(session: Session, referral: Referral) -> list[dict[str, Any]]:
    """Sent, then every entry of the hub's timeline, oldest first."""
    entries = hub.timeline(session, referral, for_role=hub.HUB)
    authors = hub.authors_of(session, entries)
    sent_with: dict[int, list[str]] = {}
    for message_id, documents in store.documents_by_message(session, referral).items():
        sent_with[message_id] = [document.key for document in documents]
    labels = {"status": hub.STATUSES, "urgency": hub.URGENCIES}
    found: list[dict[str, Any]] = [
        {
            "at": iso(referral.submitted_at),
            "kind": "sent",
            "by": hub.REFERRER,
            "author": None,
            "code": RECEIVED,
            "label": hub.STATUSES[RECEIVED],
            "message": None,
            "documents": [],
        }
    ]
    for entry in entries:
        author = authors.get(entry.author_id) if entry.author_id is not None else None
        found.append(
            {
                "at": iso(entry.created_at),
                "kind": entry.kind,
                "by": entry.author_role,
                "author": author.full_name if author else None,
                "code": entry.status,
                "label": labels.get(entry.kind, {}).get(entry.status or "") or None,
                "message": entry.body or None,
                "documents": sent_with.get(entry.id, []),
            }
        )
    return found


def referral_export(session: Session, referral: Referral, assessment: Assessment) -> dict[str, Any]:
    """The whole sent referral as the case system receives it (see `export_schema`)."""
    referrer = session.get(User, referral.owner_id)
    assert referrer is not None
    stored = answer_store.answers_by_section(answer_store.stored_sections(session, referral))
    account = {"full_name": referrer.full_name, "email": referrer.email}
    option = REFERRAL_OPTIONS.get(referral.referral_option)
    return {
        "export_version": EXPORT_VERSION,
        "reference": referral.reference,
        "referral_type": {
            "code": referral.referral_option,
            "label": option.title if option else referral.referral_option,
        },
        "created_at": iso(referral.created_at),
        "sent_at": iso(referral.submitted_at),
        "changed_at": iso(changed_at(session, referral)),
        "status": coded(referral.hub_status or RECEIVED, hub.STATUSES),
        "urgency": coded(referral.urgency, hub.URGENCIES),
        "child": {
            "forename": referral.child_forename,
            "surname": referral.child_surname,
            "date_of_birth": (
                referral.child_date_of_birth.isoformat() if referral.child_date_of_birth else None
            ),
            "nhs_number": referral.child_nhs_number,
        },
        "referrer": {
            "name": referrer.full_name,
            "email": referrer.email,
            "organisation": referral.referrer_organisation,
        },
        "answers": engine.exported_answers(assessment, stored, account=account),
        "documents": [
            exported_document(referral, document)
            for document in store.documents_of(session, referral)
        ],
        "history": history(session, referral),
    }


# The schema ---------------------------------------------------------------------------------


def _nullable(shape: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [shape, {"type": "null"}]}


def _codes(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "code": {"oneOf": [{"const": code, "title": label} for code, label in labels.items()]},
            "label": {"type": "string"},
        },
        "required": ["code", "label"],
        "additionalProperties": False,
    }


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object with exactly these properties, every one present."""
    return {
        "type": "object",
        **extra,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def export_schema(assessment: Assessment) -> dict[str, Any]:
    """The JSON Schema (2020-12) every export validates against, generated from the
    declaration: its answers from `answers_schema`, the rest from what `referral_export`
    writes."""
    moment = {"type": "string", "format": "date-time"}
    text = {"type": "string"}
    optional_text = {"type": ["string", "null"]}
    document = _object(
        {
            "key": {"type": "string", "description": "The document's id in download_path"},
            "filename": text,
            "description": optional_text,
            "kind": {"enum": sorted(store.KINDS)},
            "content_type": text,
            "size": {"type": "integer", "minimum": 0, "description": "In bytes"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "uploaded_at": moment,
            "sent_with_message": {
                "type": "boolean",
                "description": "Sent later, with the referrer's reply to the hub",
            },
            "download_path": {
                "type": ["string", "null"],
                "description": "Where the API gives the file; null once it is removed",
            },
            "removed": _nullable(
                _object(
                    {"removed_at": moment, "reason": text},
                    description="Removed by the hub as attached in error: the file is gone",
                )
            ),
        }
    )
    entry = _object(
        {
            "at": moment,
            "kind": {
                "type": "string",
                "description": "sent, status, urgency, message or document-removed",
            },
            "by": {"enum": [hub.HUB, hub.REFERRER]},
            "author": optional_text,
            "code": {
                "type": ["string", "null"],
                "description": "The status or urgency code the entry set",
            },
            "label": optional_text,
            "message": optional_text,
            "documents": {
                "type": "array",
                "items": text,
                "description": "Keys of the documents sent with a reply",
            },
        }
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "A sent Early Help Assessment, as the Children's Portal exports it",
        "description": (
            f"Export version {EXPORT_VERSION}, generated from the form's declaration. See "
            "docs/EXPORT.md. Moments are UTC (ISO 8601); dates are ISO 8601 dates."
        ),
        **_object(
            {
                "export_version": {"const": EXPORT_VERSION},
                "reference": {"type": "string", "pattern": r"^EH-\d{4}-\d{6,}$"},
                "referral_type": _object(
                    {
                        "code": {"enum": sorted(REFERRAL_OPTIONS)},
                        "label": text,
                    }
                ),
                "created_at": moment,
                "sent_at": moment,
                "changed_at": moment,
                "status": _codes(hub.STATUSES),
                "urgency": _nullable(_codes(hub.URGENCIES)),
                "child": _object(
                    {
                        "forename": text,
                        "surname": text,
                        "date_of_birth": {"type": ["string", "null"], "format": "date"},
                        "nhs_number": {"type": ["string", "null"], "pattern": "^[0-9]{10}$"},
                    }
                ),
                "referrer": _object({"name": text, "email": text, "organisation": optional_text}),
                "answers": answers_schema(assessment),
                "documents": {"type": "array", "items": document},
                "history": {"type": "array", "items": entry},
            }
        ),
    }


# The inbox as a spreadsheet -----------------------------------------------------------------

CSV_HEADINGS = (
    "Reference",
    "Referral type",
    "Sent",
    "Child's forename",
    "Child's surname",
    "Child's date of birth",
    "Status",
    "Urgency",
    "Referrer",
    "Referrer's organisation",
)
# A spreadsheet takes a cell starting with one of these as a formula (or, for tab and carriage
# return, may drop them and then take what follows as one): such a cell starts with ' instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """A cell no spreadsheet runs: text starting like a formula (after any spaces) is
    prefixed with an apostrophe, which the spreadsheet shows as text."""
    if value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def uk_date(moment: date | None) -> str:
    return moment.strftime("%d/%m/%Y") if moment else ""


def csv_rows(rows: Iterable[hub.InboxRow], *, sent_at: Any) -> Iterable[list[str]]:
    """The inbox's rows for the hub's own spreadsheets: no free-text answer beyond the names,
    and every cell safe from formula injection. `sent_at` formats the moment sent."""
    yield list(CSV_HEADINGS)
    for row in rows:
        referral = row.referral
        option = REFERRAL_OPTIONS.get(referral.referral_option)
        cells = [
            referral.reference,
            option.title if option else referral.referral_option,
            sent_at(referral.submitted_at),
            referral.child_forename,
            referral.child_surname,
            uk_date(referral.child_date_of_birth),
            hub.STATUSES.get(referral.hub_status or RECEIVED, referral.hub_status or ""),
            hub.URGENCIES.get(referral.urgency or "", "Not set"),
            row.referrer.full_name,
            referral.referrer_organisation or "",
        ]
        yield [spreadsheet_cell(cell) for cell in cells]


def schema_text(assessment: Assessment) -> str:
    """The schema as published in docs/referral-export.schema.json."""
    return json.dumps(export_schema(assessment), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    # python -m app.services.export > docs/referral-export.schema.json
    from app.assessment.schema import ASSESSMENT

    print(schema_text(ASSESSMENT), end="")

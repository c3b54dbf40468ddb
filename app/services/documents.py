"""Documents attached to a referral (help guide 5.10): what may be uploaded, checked by content
and not only by name; where the bytes are kept; and reading them back.

A file is accepted when its name is safe, it is not empty or too big, its content is one of the
allowed kinds and matches its extension, and it is not password protected or built to expand
far beyond its size (a "zip bomb"). The bytes are stored under a random key the server makes,
in the database (default) or in a directory every app instance can read.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Document, DocumentContent, Referral, User
from app.services.audit import Event, Origin, record_event
from app.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS = {
    kind.name: kind
    for kind in (
        Kind("pdf", "PDF", "application/pdf", (".pdf",)),
        Kind("doc", "Word", "application/msword", (".doc",)),
        Kind(
            "docx",
            "Word",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        Kind("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text", (".odt",)),
        Kind("rtf", "RTF", "application/rtf", (".rtf",)),
        Kind("txt", "text", "text/plain; charset=utf-8", (".txt",)),
        Kind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
        Kind("png", "PNG", "image/png", (".png",)),
        Kind("xls", "Excel", "application/vnd.ms-excel", (".xls",)),
        Kind(
            "xlsx",
            "Excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
        ),
    )
}
KIND_BY_EXTENSION = {ext: kind for kind in KINDS.values() for ext in kind.extensions}
ALLOWED = (
    "a PDF, Word (DOC or DOCX), OpenDocument text (ODT), RTF, text (TXT), JPEG, PNG or Excel "
    "(XLS or XLSX) file"
)
ACCEPT = ",".join(sorted(KIND_BY_EXTENSION))

MAX_FILENAME = 200
# A container (DOCX, XLSX, ODT) may not expand to more than this, nor by more than RATIO times.
MAX_EXPANDED = 200 * MB
MAX_RATIO = 100
MAX_ENTRIES = 5000

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Office's password protection wraps the document in an OLE2 file with this stream.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# Control characters, and the bidirectional controls that can make "exe.pdf" read as "fdp.exe".
CONTROL = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class UploadProblem(Exception):
    """Why one file cannot be accepted, in words for the person who chose it."""


def shown_filename(raw: str) -> str:
    """A file's name as it may be shown back in a message: no control or bidirectional
    characters, at most 60 characters."""
    return CONTROL.sub("", unicodedata.normalize("NFC", raw).strip())[:60] or "The file"


def safe_filename(raw: str) -> str:
    """The file's name as given, if it is safe to keep and show; UploadProblem otherwise.

    Browsers send only the name. A path in it ("../../etc/passwd.pdf") was not sent by a
    browser and is refused rather than quietly cut down. (The multipart parser itself already
    keeps only the last part of a Windows path.)"""
    name = unicodedata.normalize("NFC", raw).strip()
    shown = shown_filename(raw)
    if not name:
        raise UploadProblem("Select a file to upload")
    if CONTROL.search(name):
        raise UploadProblem(
            f"The name of {shown} has hidden characters that can disguise what the file is: "
            "rename the file using only letters, numbers, spaces and hyphens, then upload it "
            "again"
        )
    if "/" in name or "\\" in name or name.startswith("."):
        raise UploadProblem(
            f"The name of {shown} is not allowed: rename the file without slashes or dots at "
            "the start, then upload it again"
        )
    if len(name) > MAX_FILENAME:
        raise UploadProblem(
            f"The name of {shown}… is too long: rename the file with {MAX_FILENAME} characters "
            "or fewer, then upload it again"
        )
    if Path(name).suffix.lower() not in KIND_BY_EXTENSION:
        raise UploadProblem(f"{shown} must be {ALLOWED}")
    return name


def _zip_kind(data: bytes, filename: str) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except Exception:  # noqa: BLE001 - whatever a damaged archive raises, it is damaged
        raise UploadProblem(f"{filename} is damaged and cannot be opened") from None
    if len(entries) > MAX_ENTRIES:
        raise UploadProblem(f"{filename} cannot be checked: it holds too many parts")
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise UploadProblem(f"{filename} is password protected: remove the password and try again")
    expanded = sum(entry.file_size for entry in entries)
    if expanded > MAX_EXPANDED or expanded > MAX_RATIO * max(len(data), 1):
        raise UploadProblem(f"{filename} cannot be checked: it expands to far more than its size")
    names = {entry.filename for entry in entries}
    if "word/document.xml" in names and "[Content_Types].xml" in names:
        return "docx"
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        return "xlsx"
    if "mimetype" in names:
        try:
            mimetype = archive.read("mimetype")
        except Exception:  # noqa: BLE001 - zlib, lzma and bz2 errors alike mean damaged
            raise UploadProblem(f"{filename} is damaged and cannot be opened") from None
        if mimetype.strip() == b"application/vnd.oasis.opendocument.text":
            return "odt"
    return "zip"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)


def identify(data: bytes, filename: str) -> Kind:
    """The kind of a file's content, if it is allowed and agrees with the file's name."""
    if not data:
        raise UploadProblem(f"{filename} is empty")
    extension = Path(filename).suffix.lower()
    expected = KIND_BY_EXTENSION[extension]
    if data.startswith(b"%PDF-"):
        # An encryption dictionary: the document cannot be read without its password.
        # (The name ends at whitespace or a delimiter: "/Encrypt 6 0 R", "/Encrypt<<...>>".)
        encrypt = re.compile(rb"/Encrypt[\s()<>\[\]{}/%]")
        if encrypt.search(data[-65536:]) or encrypt.search(data[:65536]):
            raise UploadProblem(
                f"{filename} is password protected: remove the password and try again"
            )
        found = "pdf"
    elif data.startswith(OLE2):
        if ENCRYPTED_PACKAGE in data[:MB]:
            raise UploadProblem(
                f"{filename} is password protected: remove the password and try again"
            )
        # Word 97-2003 and Excel 97-2003 share one container: the name tells which.
        found = expected.name if expected.name in {"doc", "xls"} else "ole"
    elif data.startswith(b"PK\x03\x04"):
        found = _zip_kind(data, filename)
    elif data.startswith(b"{\\rtf"):
        found = "rtf"
    elif data.startswith(b"\xff\xd8\xff"):
        found = "jpeg"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        found = "png"
    elif _is_text(data):
        found = "txt"
    else:
        found = "other"
    if found != expected.name:
        raise UploadProblem(
            f"{filename} is not really {article(expected.label)} {expected.label} file: its "
            f"content does not match its name. Upload {ALLOWED}"
        )
    return expected


def article(label: str) -> str:
    return "an" if label[0] in "AEIOU" or label in {"RTF"} else "a"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB"


def download_disposition(filename: str) -> str:
    """Content-Disposition for a download: always an attachment, with an ASCII fallback name
    and the real one encoded (RFC 6266), so no name can break out of the header."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", filename).strip() or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# Storage ------------------------------------------------------------------------------------


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _path(settings: Settings, key: str) -> Path:
    if settings.document_directory is None:
        raise RuntimeError("DOCUMENT_DIRECTORY is not set")
    if not re.fullmatch(r"[A-Za-z0-9_-]{32}", key):
        raise ValueError("not a document key")
    return settings.document_directory / key[:2] / key


def write_content(session: Session, settings: Settings, document: Document, data: bytes) -> None:
    """Keep a document's bytes where settings say. A file is written whole under a temporary
    name and then renamed, so no reader ever sees part of one."""
    if document.storage == "database":
        session.add(DocumentContent(document_id=document.id, content=data))
        return
    path = _path(settings, document.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_content(session: Session, settings: Settings, document: Document) -> bytes:
    if document.storage == "database":
        content = session.get(DocumentContent, document.id)
        if content is None:
            raise FileNotFoundError(document.key)
        return content.content
    return _path(settings, document.key).read_bytes()


def forget_file(settings: Settings, document: Document) -> None:
    """Remove a document's file from the directory store (the database store needs nothing:
    its content row goes with the document row)."""
    if document.storage == "directory":
        _path(settings, document.key).unlink(missing_ok=True)


def documents_of(session: Session, referral: Referral) -> list[Document]:
    """Every document of the referral: the assessment's and those sent later with replies."""
    return list(
        session.scalars(
            select(Document)
            .where(Document.referral_id == referral.id)
            .order_by(Document.uploaded_at, Document.id)
        )
    )


def assessment_documents(session: Session, referral: Referral) -> list[Document]:
    """The documents attached to the assessment itself (not those sent later with a reply)."""
    return list(
        session.scalars(
            select(Document)
            .where(Document.referral_id == referral.id, Document.message_id.is_(None))
            .order_by(Document.uploaded_at, Document.id)
        )
    )


def documents_by_message(session: Session, referral: Referral) -> dict[int, list[Document]]:
    """The documents sent with each of the referral's messages, by message id."""
    found: dict[int, list[Document]] = {}
    for document in session.scalars(
        select(Document)
        .where(Document.referral_id == referral.id, Document.message_id.is_not(None))
        .order_by(Document.uploaded_at, Document.id)
    ):
        assert document.message_id is not None
        found.setdefault(document.message_id, []).append(document)
    return found


def lock_referral(session: Session, referral: Referral) -> None:
    """Take the referral's row for this transaction without changing it (a sent referral, whose
    referrer sends documents with a reply): two uploads at once are checked against the form's
    total one after the other. (A draft is locked by `referrals.lock_draft`.)"""
    session.execute(
        update(Referral)
        .where(Referral.id == referral.id)
        .values(id=Referral.id)
        .execution_options(synchronize_session=False)
    )


def total_size(session: Session, referral: Referral) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Document.size), 0)).where(
                Document.referral_id == referral.id
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Upload:
    """One file as the browser sent it."""

    filename: str
    data: bytes
    too_big: bool = False  # more bytes came than the per-file limit allows


def add_documents(
    session: Session,
    settings: Settings,
    referral: Referral,
    user: User,
    uploads: Sequence[Upload],
    description: str = "",
    *,
    now: datetime,
    message_id: int | None = None,
) -> tuple[list[Document], list[str]]:
    """Check each file and keep the good ones: (documents added, problems with the others).
    The caller has locked the referral (as a draft, or for a reply that carries the files,
    `message_id`) and commits; if it does not commit, files written to the directory store
    must be removed again (`forget_file`)."""
    added: list[Document] = []
    problems: list[str] = []
    try:
        _add_each(
            session, settings, referral, user, uploads, description, now, added, problems,
            message_id,
        )  # fmt: skip
    except BaseException:
        # Nothing partial: files already written for this upload go with the transaction.
        for document in added:
            forget_file(settings, document)
        raise
    return added, problems


def _add_each(
    session: Session,
    settings: Settings,
    referral: Referral,
    user: User,
    uploads: Sequence[Upload],
    description: str,
    now: datetime,
    added: list[Document],
    problems: list[str],
    message_id: int | None,
) -> None:
    used = total_size(session, referral)
    allowed_total = settings.max_referral_documents_mb * MB
    for upload in uploads:
        try:
            name = safe_filename(upload.filename)
            if upload.too_big or len(upload.data) > settings.max_document_mb * MB:
                raise UploadProblem(f"{name} must be smaller than {settings.max_document_mb} MB")
            if used + len(upload.data) > allowed_total:
                raise UploadProblem(
                    f"{name} cannot be added: a form's documents can add up to "
                    f"{settings.max_referral_documents_mb} MB, and "
                    f"{human_size(max(allowed_total - used, 0))} is left"
                )
            kind = identify(upload.data, name)
        except UploadProblem as problem:
            problems.append(str(problem))
            continue
        document = Document(
            key=new_key(),
            referral_id=referral.id,
            filename=name,
            kind=kind.name,
            content_type=kind.content_type,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            description=description,
            storage=settings.document_storage,
            uploaded_by_id=user.id,
            uploaded_at=now,
            message_id=message_id,
        )
        session.add(document)
        session.flush()
        added.append(document)
        write_content(session, settings, document, upload.data)
        used += len(upload.data)


def _audit(
    session: Session,
    event: Event,
    actor: User,
    origin: Origin,
    referral: Referral,
    document: Document | None = None,
    **details: object,
) -> None:
    """An event about a document (or, with none kept, the referral), never naming a file."""
    if document is not None:
        subject_type, subject_id = "document", document.key
        details = {"referral": referral.reference, **details}
    else:
        subject_type, subject_id = "referral", referral.reference
    record_event(
        session,
        event,
        actor_user_id=actor.id,
        subject_type=subject_type,
        subject_id=subject_id,
        origin=origin,
        details=details,
    )


def record_uploads(
    session: Session,
    referral: Referral,
    actor: User,
    origin: Origin,
    *,
    added: Sequence[Document],
    infected: Sequence[tuple[Upload, str]],
) -> None:
    """Audit an upload: each document kept, and each file refused for a virus (by the
    signature found and its size; never its name)."""
    for upload, signature in infected:
        _audit(
            session, Event.DOCUMENT_INFECTED, actor, origin, referral,
            signature=signature, size=len(upload.data),
        )  # fmt: skip
    for document in added:
        sent_with = {} if document.message_id is None else {"message": document.message_id}
        _audit(
            session, Event.DOCUMENT_UPLOADED, actor, origin, referral, document,
            kind=document.kind, size=document.size, **sent_with,
        )  # fmt: skip


def record_download(
    session: Session, referral: Referral, document: Document, actor: User, origin: Origin
) -> None:
    _audit(session, Event.DOCUMENT_DOWNLOADED, actor, origin, referral, document)


def remove_by_owner(
    session: Session, referral: Referral, document: Document, actor: User, origin: Origin
) -> None:
    """The referrer removes a document from their draft (the caller has locked it, commits,
    then forgets the file)."""
    _audit(session, Event.DOCUMENT_REMOVED, actor, origin, referral, document, by="referrer")
    session.delete(document)


# What a document is -------------------------------------------------------------------------

DESCRIPTION_MAX = 200


def description_problem(description: str) -> str | None:
    """What is wrong with a description, if anything (it is optional: none is fine)."""
    if len(description) > DESCRIPTION_MAX:
        return f"The description must be {DESCRIPTION_MAX} characters or fewer"
    return None


def change_description(
    session: Session,
    referral: Referral,
    document: Document,
    description: str,
    actor: User,
    origin: Origin,
) -> None:
    """The owner says what a document of their draft is, or changes or clears what they said
    (the caller has locked the draft, and commits). Audited without the words."""
    if document.description == description:
        return
    document.description = description
    _audit(
        session, Event.DOCUMENT_DESCRIPTION_CHANGED, actor, origin, referral, document,
        described=bool(description),
    )  # fmt: skip

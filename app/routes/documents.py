"""Upload Documents (help guide 5.10): the page, uploading one or several files, saying what a
document is, downloading one, and removing one before the form is sent. Without JavaScript the
upload is a plain multipart form (choose the files, then Upload Document); with it, Upload
Document opens the file chooser and the files chosen go at once, with progress shown, and the
list updates in place.

The checks an upload goes through (its size before the body is read, the virus scan, the
content checks and the form's total) are here once, and also serve the files a referrer sends
later with a reply to the hub (app/routes/my_forms.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.db import request_session
from app.form_handling import is_htmx, redirect
from app.models import Document, Referral
from app.plain_text import visible_text
from app.request_log import origin_of
from app.request_model import FormLimits, PortalRoute, posted_form
from app.routes.referrals import editable_referral_or_404, owned_referral_or_404
from app.security.sessions import current_user, now_for, require_user, signed_in_user
from app.services import documents as store
from app.services.referrals import lock_draft
from app.services.virus_scan import CLEAN, Clamd, ScannerUnavailable, Verdict
from app.settings import Settings
from app.templating import render

logger = logging.getLogger("portal.documents")

REMOVED_FLASH = "document_removed"
ADDED_FLASH = "documents_added"
DESCRIBED_FLASH = "document_described"
# Multipart overhead allowed on top of the files themselves (boundaries, headers, fields).
FORM_OVERHEAD = 64 * 1024
MAX_FILES_AT_ONCE = 20
SCANNER_UNAVAILABLE = (
    "The selected files could not be checked for viruses just now, so they were not uploaded. "
    "Try again in a few minutes"
)
STORAGE_FAILED = (
    "The selected files could not be saved. Nothing was added to this form. Try again in a "
    "few minutes"
)
TOO_MANY_FILES = (
    f"The selected files could not be uploaded. Select at most {MAX_FILES_AT_ONCE} files at a "
    "time and try again"
)
UNREADABLE = (
    "The selected files could not be uploaded: the form arrived incomplete or could not be "
    "read. Try again, and if it happens again, rename the files using only letters, numbers, "
    "spaces and hyphens"
)


def documents_url(referral: Referral) -> str:
    return f"/referrals/{referral.reference}/documents"


def page_context(request: Request, referral: Referral, **extra: Any) -> dict[str, Any]:
    settings: Settings = request.state.settings
    documents = store.documents_of(request_session(request), referral)
    used = sum(document.size for document in documents)
    allowed = settings.max_referral_documents_mb * store.MB
    return {
        "referral": referral,
        "documents": documents,
        "documents_url": documents_url(referral),
        "human_size": store.human_size,
        "kinds": store.KINDS,
        "accept": store.ACCEPT,
        "max_document_mb": settings.max_document_mb,
        "max_referral_documents_mb": settings.max_referral_documents_mb,
        "space_left": store.human_size(max(allowed - used, 0)),
        # (field id, message) in page order: a field may have several (one per bad file).
        "errors": [],
        "added": [],
        "removed": None,
        "described": None,
        **extra,
    }


def answer(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    """The page, or with htmx just its documents block (list and upload form)."""
    if is_htmx(request):
        response = render(request, "partials/documents.html", context, status_code=status_code)
    else:
        response = render(
            request, "pages/referrals/documents.html", context, status_code=status_code
        )
    response.headers["Vary"] = "HX-Request"
    return response


@require_user
def documents_page(request: Request) -> Response:
    referral = editable_referral_or_404(request)
    if request.method == "GET":
        removed = request.session.pop(REMOVED_FLASH, None)
        added = request.session.pop(ADDED_FLASH, [])
        described = request.session.pop(DESCRIBED_FLASH, None)
        context = page_context(request, referral, removed=removed, added=added, described=described)
        return answer(request, context)
    return upload(request, referral)


def size_refusal(request: Request) -> tuple[int, str] | None:
    """Before a body with files is read: (status, message) if its Content-Length is missing or
    more than a form's documents may add up to; None if it may be read."""
    settings: Settings = request.state.settings
    limit = settings.max_referral_documents_mb * store.MB + FORM_OVERHEAD
    length = request.headers.get("content-length", "")
    if not re.fullmatch(r"[0-9]{1,15}", length):
        # Browsers always say how big an upload is; without it the size cannot be checked.
        return 411, "The selected files could not be uploaded: try again"
    if int(length) > limit:
        # Too big to be a form within the limits: refused before any of it is read.
        return 413, (
            f"The selected files are too big: a form's documents can add up to "
            f"{settings.max_referral_documents_mb} MB, and each file must be smaller than "
            f"{settings.max_document_mb} MB"
        )
    return None


def upload_allowed(request: Request) -> Response | None:
    """Before an upload's body is read: only the owner of a draft may send one, and only one
    that fits the limits (a refusal is answered at once, with nothing read)."""
    if current_user(request) is None:
        return require_user(documents_page)(request)
    referral = editable_referral_or_404(request)
    refusal = size_refusal(request)
    if refusal is None:
        return None
    status, message = refusal
    context = page_context(request, referral, errors=[("documents", message)])
    return answer(request, context, status_code=status)


def form_problem(request: Request) -> str | None:
    """Why a form with files could not be read (too many files or fields, a broken body), in
    words for the person who sent it; None if it was read."""
    form_error = getattr(request.state, "form_error", None)
    if form_error is None:
        return None
    if "Too many files" in str(form_error.detail):
        return TOO_MANY_FILES
    return UNREADABLE


def files_from(request: Request, field: str) -> list[store.Upload]:
    """The files posted in `field`, each read once and never copied: a file over the per-file
    limit is kept only by name, to be named in the error."""
    settings: Settings = request.state.settings
    per_file = settings.max_document_mb * store.MB
    uploads: list[store.Upload] = []
    for item in posted_form(request).getlist(field):
        if not isinstance(item, UploadFile):
            continue
        if not item.filename and not item.size:
            continue  # the empty part a browser sends when no file was chosen
        item.file.seek(0)
        data = item.file.read(per_file + 1)
        too_big = len(data) > per_file
        uploads.append(store.Upload(item.filename or "", b"" if too_big else data, too_big))
        del data
    return uploads


class UploadRefused(Exception):
    """Nothing of an upload was kept, for a reason that is not the files' fault (the scanner
    or the store is unavailable): answer `status` with `message`, and Retry-After."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def keep_uploads(
    request: Request,
    referral: Referral,
    uploads: list[store.Upload],
    *,
    prepare: Callable[[Session], int | None],
    all_or_nothing: bool = False,
) -> tuple[list[Document], list[str]]:
    """Scan the files, then (in one transaction that `prepare` opens by locking the referral,
    and which may make the message the files go with, returning its id) check and keep the
    good ones, audited: (documents kept, a problem for each file refused). With
    `all_or_nothing`, a refused file means nothing is kept (`prepare`'s work neither).
    UploadRefused if the scanner or the store is unavailable: nothing is kept then."""
    settings: Settings = request.state.settings
    db = request_session(request)
    # Nothing is written yet: give the connection back while the files are scanned.
    db.commit()
    try:
        clean, infected = scanned(request, uploads)
    except ScannerUnavailable as unavailable:
        logger.warning("virus scanner unavailable: %s", unavailable)
        raise UploadRefused(503, SCANNER_UNAVAILABLE) from None
    user = signed_in_user(request)
    origin = origin_of(request)
    found = [(upload, verdict.signature) for upload, verdict in infected]
    added: list[Document] = []
    try:
        message_id = prepare(db)
        added, problems = store.add_documents(
            db, settings, referral, user, clean, now=now_for(request), message_id=message_id
        )
        problems += [
            f"{store.shown_filename(upload.filename)} contains a virus, so it was not "
            "uploaded and nothing of it was kept. Ask your organisation's IT support to check "
            "the file before you send it again"
            for upload, _verdict in infected
        ]
        if problems and all_or_nothing:
            db.rollback()
            for document in added:
                store.forget_file(settings, document)
            added = []
        store.record_uploads(db, referral, user, origin, added=added, infected=found)
        db.commit()
    except OSError:
        # The document store could not write (disk full, storage unreachable): nothing is kept,
        # the referral is as it was, and the person is told plainly rather than shown an error.
        db.rollback()
        for document in added:
            store.forget_file(settings, document)
        logger.exception("documents could not be stored for an upload")
        raise UploadRefused(503, STORAGE_FAILED) from None
    except BaseException:
        db.rollback()
        for document in added:
            store.forget_file(settings, document)
        raise
    return added, problems


def upload(request: Request, referral: Referral) -> Response:
    problem = form_problem(request)
    if problem is not None:
        context = page_context(request, referral, errors=[("documents", problem)])
        return answer(request, context, status_code=400)
    uploads = files_from(request, "documents")
    if not uploads:
        context = page_context(request, referral, errors=[("documents", "Select a file to upload")])
        return answer(request, context, status_code=422)
    now = now_for(request)
    try:
        added, problems = keep_uploads(
            request, referral, uploads, prepare=lambda db: lock_draft(db, referral, now=now)
        )
    except UploadRefused as refused:
        context = page_context(request, referral, errors=[("documents", refused.message)])
        response = answer(request, context, status_code=refused.status)
        response.headers["Retry-After"] = "60"
        return response
    names = [document.filename for document in added]
    if problems:
        # The good files are kept; each bad one is named with what is wrong.
        errors = [("documents", problem) for problem in problems]
        context = page_context(request, referral, errors=errors, added=names)
        return answer(request, context, status_code=422)
    if is_htmx(request):
        return answer(request, page_context(request, referral, added=names))
    request.session[ADDED_FLASH] = names
    return redirect(documents_url(referral))


def scanned(
    request: Request, uploads: list[store.Upload]
) -> tuple[list[store.Upload], list[tuple[store.Upload, Verdict]]]:
    """Each file through the virus scanner, if there is one: (the clean ones, the infected ones
    with what was found). ScannerUnavailable if any cannot be scanned: nothing is kept
    unscanned."""
    scanner: Clamd | None = request.state.virus_scanner
    if scanner is None:
        return uploads, []
    clean: list[store.Upload] = []
    infected: list[tuple[store.Upload, Verdict]] = []
    for upload in uploads:
        verdict = scanner.scan(upload.data) if upload.data and not upload.too_big else CLEAN
        if verdict.clean:
            clean.append(upload)
        else:
            infected.append((upload, verdict))
    return clean, infected


def referral_document_or_404(request: Request, referral: Referral) -> Document:
    """The document in the path if it belongs to `referral` and has not been removed."""
    document = request_session(request).scalar(
        select(Document).where(
            Document.referral_id == referral.id, Document.key == request.path_params["key"]
        )
    )
    if document is None or document.removed_at is not None:
        raise HTTPException(404)
    return document


def document_download(request: Request, referral: Referral, document: Document) -> Response:
    """The document as an attachment (never shown inline) with its type as found on upload;
    audited. For its owner here, and for hub staff (app/routes/hub.py)."""
    settings: Settings = request.state.settings
    db = request_session(request)
    try:
        content = store.read_content(db, settings, document)
    except FileNotFoundError:
        raise HTTPException(404) from None
    store.record_download(db, referral, document, signed_in_user(request), origin_of(request))
    db.commit()
    return attachment(document, content)


def attachment(document: Document, content: bytes) -> Response:
    """A document's content as a download: never shown inline, never run."""
    return Response(
        content,
        media_type=document.content_type,
        headers={
            "Content-Disposition": store.download_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            # A document is never a page of this site: nothing in it may run or be framed.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@require_user
def download(request: Request) -> Response:
    referral = owned_referral_or_404(request)
    return document_download(request, referral, referral_document_or_404(request, referral))


@require_user
def remove(request: Request) -> Response:
    referral = editable_referral_or_404(request)
    document = referral_document_or_404(request, referral)
    settings: Settings = request.state.settings
    db = request_session(request)
    lock_draft(db, referral, now=now_for(request))
    store.remove_by_owner(db, referral, document, signed_in_user(request), origin_of(request))
    db.commit()
    store.forget_file(settings, document)
    if is_htmx(request):
        return answer(request, page_context(request, referral, removed=document.filename))
    request.session[REMOVED_FLASH] = document.filename
    return redirect(documents_url(referral))


@require_user
def describe(request: Request) -> Response:
    """The page behind "Add a description" / "Change description" of one document of a draft:
    GET shows what it says now; POST saves it (none at all is fine) and goes back to the
    list."""
    referral = editable_referral_or_404(request)
    document = referral_document_or_404(request, referral)
    context: dict[str, Any] = {
        "referral": referral,
        "document": document,
        "documents_url": documents_url(referral),
        "description": document.description,
        "errors": {},
    }
    if request.method == "GET":
        return render(request, "pages/referrals/document_description.html", context)
    value = posted_form(request).get("description")
    description = visible_text(value).strip() if isinstance(value, str) else ""
    problem = store.description_problem(description)
    if problem:
        context.update(description=description, errors={"description": problem})
        return render(
            request, "pages/referrals/document_description.html", context, status_code=422
        )
    db = request_session(request)
    lock_draft(db, referral, now=now_for(request))
    store.change_description(
        db, referral, document, description, signed_in_user(request), origin_of(request)
    )
    db.commit()
    request.session[DESCRIBED_FLASH] = document.filename
    return redirect(f"{documents_url(referral)}#documents-list")


UPLOAD_PATH = re.compile(r"/referrals/[^/]+/(?:documents|messages)")


def takes_files(scope: Scope) -> bool:
    """Whether this request may carry files (an upload, or a reply to the hub), so its body may
    be larger than a form's: the route checks its own Content-Length against the document
    limits."""
    return scope["method"] == "POST" and UPLOAD_PATH.fullmatch(scope["path"]) is not None


routes = [
    PortalRoute(
        "/referrals/{reference}/documents",
        documents_page,
        methods=["GET", "POST"],
        name="documents",
        before_body=upload_allowed,
        form_limits=FormLimits(max_files=MAX_FILES_AT_ONCE, max_fields=20, max_part_size=64 * 1024),
    ),
    PortalRoute("/referrals/{reference}/documents/{key}", download, name="document"),
    PortalRoute(
        "/referrals/{reference}/documents/{key}/description",
        describe,
        methods=["GET", "POST"],
        name="document_description",
    ),
    PortalRoute(
        "/referrals/{reference}/documents/{key}/remove",
        remove,
        methods=["POST"],
        name="remove_document",
    ),
]

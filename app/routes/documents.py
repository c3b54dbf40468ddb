"""Upload Documents (help guide 5.10): the page, uploading one or several files, downloading
one, and removing one before the form is sent. Without JavaScript the upload is a plain
multipart form; with htmx it shows progress and the list updates in place."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
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
# What the document is: suggestions, or the user's own words.
DESCRIPTIONS = (
    ("consent", "Written consent from the family"),
    ("attendance-letters", "Attendance letters"),
    ("plan-or-report", "A plan or report"),
    ("other", "Something else"),
)
DESCRIPTION_MAX = 200
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
        "descriptions": DESCRIPTIONS,
        "description": "",
        "description_other": "",
        # (field id, message) in page order: a field may have several (one per bad file).
        "errors": [],
        "added": [],
        "removed": None,
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
        return answer(request, page_context(request, referral, removed=removed, added=added))
    return upload(request, referral)


def description_from(form: Any) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(chosen code, own words, the description to store, errors)."""
    code = form.get("description")
    code = code if isinstance(code, str) else ""
    other = form.get("description_other")
    other = visible_text(other).strip() if isinstance(other, str) else ""
    labels = dict(DESCRIPTIONS)
    if code not in labels:
        return "", other, "", [("description", "Select what the document is")]
    if code == "other":
        if not other:
            return code, other, "", [("description_other", "Describe the document")]
        if len(other) > DESCRIPTION_MAX:
            message = f"The description must be {DESCRIPTION_MAX} characters or fewer"
            return code, other, "", [("description_other", message)]
        return code, other, other, []
    return code, other, labels[code], []


def upload_allowed(request: Request) -> Response | None:
    """Before an upload's body is read: only the owner of a draft may send one, and only one
    that fits the limits (a refusal is answered at once, with nothing read)."""
    if current_user(request) is None:
        return require_user(documents_page)(request)
    referral = editable_referral_or_404(request)
    settings: Settings = request.state.settings
    limit = settings.max_referral_documents_mb * store.MB + FORM_OVERHEAD
    length = request.headers.get("content-length", "")
    if not re.fullmatch(r"[0-9]{1,15}", length):
        # Browsers always say how big an upload is; without it the size cannot be checked.
        message = "The selected files could not be uploaded: try again"
        context = page_context(request, referral, errors=[("documents", message)])
        return answer(request, context, status_code=411)
    if int(length) > limit:
        # Too big to be a form within the limits: refused before any of it is read.
        message = (
            f"The selected files are too big: a form's documents can add up to "
            f"{settings.max_referral_documents_mb} MB, and each file must be smaller than "
            f"{settings.max_document_mb} MB"
        )
        context = page_context(request, referral, errors=[("documents", message)])
        return answer(request, context, status_code=413)
    return None


def upload(request: Request, referral: Referral) -> Response:
    settings: Settings = request.state.settings
    per_file = settings.max_document_mb * store.MB
    form_error = getattr(request.state, "form_error", None)
    if form_error is not None:
        # Too many files or fields, or a form that cannot be read: say which.
        if "Too many files" in str(form_error.detail):
            message = (
                f"The selected files could not be uploaded. Select at most "
                f"{MAX_FILES_AT_ONCE} files at a time and try again"
            )
        else:
            message = (
                "The selected files could not be uploaded: the form arrived incomplete or "
                "could not be read. Try again, and if it happens again, rename the files using "
                "only letters, numbers, spaces and hyphens"
            )
        context = page_context(request, referral, errors=[("documents", message)])
        return answer(request, context, status_code=400)
    form = posted_form(request)
    code, other, description, errors = description_from(form)
    uploads: list[store.Upload] = []
    for item in form.getlist("documents"):
        if not isinstance(item, UploadFile):
            continue
        if not item.filename and not item.size:
            continue  # the empty part a browser sends when no file was chosen
        # Read once, never copied: a file over the limit is only named in the error.
        item.file.seek(0)
        data = item.file.read(per_file + 1)
        too_big = len(data) > per_file
        uploads.append(store.Upload(item.filename or "", b"" if too_big else data, too_big))
        del data
    if not uploads:
        errors = [("documents", "Select a file to upload"), *errors]
    context_extra: dict[str, Any] = {"description": code, "description_other": other}
    if errors:
        context = page_context(request, referral, errors=errors, **context_extra)
        return answer(request, context, status_code=422)

    db = request_session(request)
    # Nothing is written yet: give the connection back while the files are scanned.
    db.commit()
    try:
        uploads, infected = scanned(request, uploads)
    except ScannerUnavailable as unavailable:
        logger.warning("virus scanner unavailable: %s", unavailable)
        context = page_context(
            request, referral, errors=[("documents", SCANNER_UNAVAILABLE)], **context_extra
        )
        response = answer(request, context, status_code=503)
        response.headers["Retry-After"] = "60"
        return response
    now = now_for(request)
    user = signed_in_user(request)
    lock_draft(db, referral, now=now)
    added: list[Document] = []
    try:
        added, problems = store.add_documents(
            db, settings, referral, user, uploads, description, now=now
        )
        for upload, _verdict in infected:
            problems.append(
                f"{store.shown_filename(upload.filename)} contains a virus, so it was not "
                "uploaded and nothing of it was kept. Ask your organisation's IT support to "
                "check the file before you send it again"
            )
        store.record_uploads(
            db,
            referral,
            user,
            origin_of(request),
            added=added,
            infected=[(upload, verdict.signature) for upload, verdict in infected],
        )
        db.commit()
    except OSError:
        # The document store could not write (disk full, storage unreachable): nothing is kept,
        # the referral is as it was, and the person is told plainly rather than shown an error.
        db.rollback()
        for document in added:
            store.forget_file(settings, document)
        logger.exception("documents could not be stored for an upload")
        context = page_context(
            request,
            referral,
            errors=[("documents", STORAGE_FAILED)],
            **context_extra,
        )
        response = answer(request, context, status_code=503)
        response.headers["Retry-After"] = "60"
        return response
    except BaseException:
        db.rollback()
        for document in added:
            store.forget_file(settings, document)
        raise
    if problems:
        # The good files are kept; each bad one is named with what is wrong.
        context = page_context(
            request,
            referral,
            errors=[("documents", problem) for problem in problems],
            added=[document.filename for document in added],
            **context_extra,
        )
        return answer(request, context, status_code=422)
    if is_htmx(request):
        context = page_context(request, referral, added=[document.filename for document in added])
        return answer(request, context)
    request.session[ADDED_FLASH] = [document.filename for document in added]
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


UPLOAD_PATH = re.compile(r"/referrals/[^/]+/documents")


def takes_files(scope: Scope) -> bool:
    """Whether this request is an upload, whose body may be larger than a form's: the upload
    checks its own Content-Length against the document limits."""
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
        "/referrals/{reference}/documents/{key}/remove",
        remove,
        methods=["POST"],
        name="remove_document",
    ),
]

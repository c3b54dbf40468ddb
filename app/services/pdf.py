"""The assessment as an accessible PDF (help guide 7): WeasyPrint draws the same schema-driven
summary as check your answers, with a small print stylesheet, as tagged PDF/UA-1.

The PDF is made in memory and never written to disk. It cannot fetch anything: every URL it
meets is refused, so nothing in an answer can make the server open a file or a web address.
Renders run in worker processes, at most `PDF_CONCURRENCY` at a time per app instance.
WeasyPrint's layout is Python that holds the interpreter lock while it works: in a thread it
would stall every other request of the process for most of a second; in a process of its own
it only takes a CPU core, so page loads and autosaves stay quick while PDFs are made.

WeasyPrint is imported in the workers only: a machine without its system libraries (Pango)
serves every page but this one, which says PDFs are unavailable (`PdfUnavailable`), and
`portal serve` says which library is missing when it starts (`PdfRenderer.check`).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from pathlib import Path
from threading import BoundedSemaphore, Lock
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from app.models import Referral, User
from app.services.audit import Event, Origin, record_event
from app.system_packages import PDF_LIBRARIES

if TYPE_CHECKING:
    from weasyprint import CSS

logger = logging.getLogger("portal.pdf")

STYLESHEET = Path(__file__).resolve().parent.parent / "pdf" / "assessment.css"
PDF_VARIANT = "pdf/ua-1"


class RefusedFetch(Exception):
    """The PDF tried to load something: nothing may be loaded."""


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise RefusedFetch(url)


class PdfUnavailable(Exception):
    """WeasyPrint cannot run on this machine: a system library it needs cannot be loaded."""


@cache
def stylesheet() -> CSS:
    from weasyprint import CSS

    return CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=refuse_every_url)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page of HTML (made by the portal's templates), tagged for accessibility."""
    try:
        from weasyprint import HTML
    except OSError as error:  # cffi: "cannot load library 'libpango-1.0-0': ..."
        raise PdfUnavailable(str(error)) from None
    document = HTML(string=html, url_fetcher=refuse_every_url, base_url="about:blank")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet()], pdf_variant=PDF_VARIANT)
    return pdf


PR_SET_PDEATHSIG = 1


def _start_worker() -> None:
    """In each PDF worker: end with the app process however it ends (even SIGKILL), and give way
    to requests: a PDF can wait a moment, a keystroke's save should not."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the app ended while this worker started
        os._exit(0)
    os.nice(10)


CHECK_PAGE = "<!DOCTYPE html><html lang=en><title>Check</title><p>PDFs can be made.</p></html>"
OK, UNAVAILABLE, UNCHECKED = "ok", "unavailable", "unchecked"


def why_unavailable(error: Exception) -> str:
    """What an operator needs to know: the system packages missing, as the check finds them,
    and WeasyPrint's own words."""
    missing = [package.name for package in PDF_LIBRARIES if not package.present()]
    install = (
        f"install the system package{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
        f"(`make run` installs {'them' if len(missing) > 1 else 'it'}; or apt-get install "
        f"{' '.join(missing)}) and restart the portal"
        if missing
        else "install WeasyPrint's system libraries (Pango) and restart the portal"
    )
    return f"PDFs cannot be made: {install}. WeasyPrint said: {error}"


class PdfRenderer:
    """Makes PDFs in worker processes, a bounded number at a time; the workers start with the
    first PDF (or `check`) and stop with the app (`close`). `render` is called from a request's
    worker thread, which waits for the PDF (never the event loop). `status` is what the last
    PDF showed: `ok`, `unavailable` or, before any, `unchecked` (the health check says it)."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self.status = UNCHECKED
        self.slots = BoundedSemaphore(concurrency)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = Lock()

    def _executor(self) -> Executor:
        with self._pool_lock:
            return self._started_pool()

    def _started_pool(self) -> Executor:
        if self._pool is None:
            # Spawned, not forked: a fresh interpreter, never a copy of the app's threads and
            # connections; WeasyPrint is loaded once per worker, with the first PDF.
            self._pool = ProcessPoolExecutor(
                max_workers=self.concurrency,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
            )
        return self._pool

    def render(self, html: str) -> bytes:
        """The PDF of `html`; PdfUnavailable if WeasyPrint cannot run here."""
        with self.slots:
            try:
                pdf = self._render(html)
            except PdfUnavailable:
                self.status = UNAVAILABLE
                raise
        self.status = OK
        return pdf

    def _render(self, html: str) -> bytes:
        try:
            return self._executor().submit(html_to_pdf, html).result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start new ones and try once more.
            self.close()
            return self._executor().submit(html_to_pdf, html).result()

    def check(self) -> bool:
        """Make a tiny PDF, as `portal serve` does at start-up: True if it could be made, else
        False after a warning that says what is missing (the rest of the portal works)."""
        try:
            self.render(CHECK_PAGE)
        except PdfUnavailable as error:
            logger.warning(why_unavailable(error))
            return False
        except Exception:
            logger.exception("the PDF check failed: PDFs may not be made")
            return False
        logger.info("PDFs can be made")
        return True

    def close(self) -> None:
        """Stop the workers (a PDF being made is finished first)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def record_pdf_created(
    session: Session, referral: Referral, actor: User, origin: Origin, *, draft: bool
) -> None:
    """Audit a PDF made of a referral (by its referrer or by hub staff)."""
    record_event(
        session,
        Event.REFERRAL_PDF_CREATED,
        actor_user_id=actor.id,
        subject_type="referral",
        subject_id=referral.reference,
        origin=origin,
        details={"draft": draft},
    )

"""The assessment as an accessible PDF (help guide 7): WeasyPrint draws the same schema-driven
summary as check your answers, with a small print stylesheet, as tagged PDF/UA-1.

The PDF is made in memory and never written to disk. It cannot fetch anything: every URL it
meets is refused, so nothing in an answer can make the server open a file or a web address.
Renders run in a worker thread, at most `PDF_CONCURRENCY` at a time per app instance, so page
loads and autosaves stay quick while PDFs are made.
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from weasyprint import CSS, HTML

STYLESHEET = Path(__file__).resolve().parent.parent / "pdf" / "assessment.css"
PDF_VARIANT = "pdf/ua-1"


class RefusedFetch(Exception):
    """The PDF tried to load something: nothing may be loaded."""


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise RefusedFetch(url)


@cache
def stylesheet() -> CSS:
    return CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=refuse_every_url)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page of HTML (made by the portal's templates), tagged for accessibility."""
    document = HTML(string=html, url_fetcher=refuse_every_url, base_url="about:blank")
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet()], pdf_variant=PDF_VARIANT)
    return pdf


class PdfRenderer:
    """Makes PDFs off the event loop, a bounded number at a time."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)

    async def render(self, html: str) -> bytes:
        async with self.slots:
            return await run_in_threadpool(html_to_pdf, html)

"""The application factory: `create_app(settings)` returns the whole portal as a Starlette app."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from app.assessment.model import Assessment
from app.assessment.schema import ASSESSMENT
from app.assets import STATIC_DIR, AssetFiles, theme_css
from app.compression import CompressionMiddleware
from app.db import (
    DatabaseSessionMiddleware,
    PoolSettings,
    create_database_engine,
    create_session_factory,
)
from app.models import utc_now
from app.request_log import RequestLogMiddleware
from app.request_model import Lanes, SlowBodyMiddleware
from app.routes import (
    accounts,
    api,
    dev,
    documents,
    errors,
    health,
    home,
    hub,
    hub_exports,
    hub_reports,
    my_forms,
    pdf,
    referrals,
    start,
    submission,
    task_list,
    two_factor,
)
from app.routes import assessment as assessment_pages
from app.security.csrf import CSRFMiddleware
from app.security.headers import SecurityHeadersMiddleware
from app.security.sessions import RotatingSessionMiddleware
from app.services.mail import MailWorker, wake_after_commit
from app.services.pdf import PdfRenderer
from app.services.retention import RetentionWorker
from app.services.virus_scan import scanner_from
from app.settings import Settings
from app.templating import create_templates

# The signed cookie itself expires after this long without a request; the accounts' own idle
# and absolute timeouts are enforced on the server.
SESSION_COOKIE_MAX_AGE = 12 * 60 * 60


def configure_logging(settings: Settings) -> None:
    """Log lines in UTC with the zone shown, whatever the server's own time zone is, so lines
    from several servers (and the audit log, which is UTC) line up."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    for handler in logging.getLogger().handlers:
        if handler.formatter is not None:
            handler.formatter.converter = time.gmtime
    # The GOV.UK Notify client warns of every failed request; portal.mail says the same, by
    # message id, and whether the message is kept.
    logging.getLogger("notifications_python_client").setLevel(logging.ERROR)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    assessment: Assessment = ASSESSMENT,
    check_pdfs: bool = False,
) -> Starlette:
    """Build the portal. Nothing slow happens here: the database is first touched per request.

    `clock` gives the current time everywhere in the app; tests pass one they can move on.
    `assessment` is the declared form; tests may pass another to prove the app follows it.
    `check_pdfs` (`portal serve`) makes a tiny PDF as the app starts, beside it, not before:
    if WeasyPrint's libraries are missing, the log says so at once.
    """
    settings = settings or Settings.from_environ()
    templates = create_templates(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        engine = create_database_engine(
            settings.database_url,
            PoolSettings(settings.pool_size, settings.database_pool_timeout),
            loop_guard=not settings.is_production,
        )
        session_factory = create_session_factory(engine)
        mail_worker = MailWorker(session_factory, settings)
        wake_after_commit(session_factory, mail_worker)
        await mail_worker.start()
        retention_worker = RetentionWorker(session_factory, settings, clock)
        await retention_worker.start()
        pdf_renderer = PdfRenderer(settings.pdf_concurrency)
        pdf_check = None
        if check_pdfs:
            pdf_check = asyncio.create_task(asyncio.to_thread(pdf_renderer.check))
        lanes = Lanes.create(
            pages=settings.request_workers,
            heavy=settings.cpu_workers,
            queue_seconds=settings.request_queue_seconds,
            uploads_per_user=settings.uploads_per_user,
        )
        try:
            yield {
                "settings": settings,
                "templates": templates,
                "engine": engine,
                "session_factory": session_factory,
                "clock": clock,
                "assessment": assessment,
                "pdf_renderer": pdf_renderer,
                "lanes": lanes,
                "virus_scanner": scanner_from(settings),
            }
        finally:
            lanes.close()
            if pdf_check is not None:
                await pdf_check
            pdf_renderer.close()
            await retention_worker.stop()
            await mail_worker.stop()
            engine.dispose()

    routes: list[BaseRoute] = [
        *home.routes,
        *health.routes,
        *accounts.routes,
        *two_factor.routes,
        *my_forms.routes,
        *start.routes,
        *referrals.routes,
        *task_list.routes,
        *assessment_pages.routes,
        *documents.routes,
        *submission.routes,
        *pdf.routes,
        *hub.routes,
        *hub_exports.routes,
        *hub_reports.routes,
        *api.routes,
        *(dev.routes if settings.environment == "development" else []),
        Mount("/static", app=AssetFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(
            SecurityHeadersMiddleware,
            hsts=settings.is_production,
            inline_styles=[theme_css(settings.council_colour)],
        ),
        Middleware(CompressionMiddleware, minimum_size=500),
        Middleware(
            RotatingSessionMiddleware,
            secret_keys=settings.secret_keys,
            session_cookie=settings.session_cookie_name,
            max_age=SESSION_COOKIE_MAX_AGE,
            same_site="lax",
            https_only=settings.is_production,
        ),
        Middleware(
            SlowBodyMiddleware,
            idle_seconds=settings.request_body_idle_seconds,
            min_rate=settings.request_body_min_rate,
        ),
        Middleware(
            CSRFMiddleware,
            reject=errors.render_request_rejection,
            large_bodies=documents.takes_files,
            bearer_only=api.bearer_only,
        ),
        Middleware(DatabaseSessionMiddleware),
    ]
    app = Starlette(
        debug=False,
        routes=routes,
        middleware=middleware,
        exception_handlers=errors.exception_handlers,
        lifespan=lifespan,
    )
    # For code holding the app rather than a request (the tests' journeys): the same objects
    # every request sees.
    app.state.settings, app.state.clock = settings, clock
    return app


def create_app_from_environ() -> Starlette:
    """Entry point for uvicorn's factory mode: settings from the environment."""
    settings = Settings.from_environ()
    configure_logging(settings)
    return create_app(settings, check_pdfs=True)

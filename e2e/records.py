"""People and referrals made in the live portal's database, as its operators and its own
services make them: for journeys about what happens after a referral is sent, so that they need
not fill every section in the browser first.

Hub staff are made the way operators make them (`portal create-user --role hub`, password on
standard input). Against a portal that is already running (E2E_BASE_URL) this needs the portal's
database: E2E_DATABASE_URL (see e2e/conftest.py).
"""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfWriter
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.assessment import engine
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.models import Referral, SectionAnswers, User
from app.services import hub as hub_service
from app.services.accounts import create_user_by_operator
from app.services.answers import answers_by_section, save_section, stored_sections
from app.services.documents import Upload, add_documents
from app.services.referrals import create_draft
from app.services.submission import submit
from app.settings import Settings
from e2e.journeys import HUB_STAFF_NAME, PASSWORD, REFERRER_NAME
from testkit.answers import YOUR_DETAILS, form_of


def letters(count: int = 6) -> str:
    """Random lower-case letters: child names that no other journey's referral shares."""
    return "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:count])


def nhs_number() -> str:
    """A random valid NHS number (modulus 11 check digit), as "943 476 5919" is written."""
    while True:
        digits = [int(d) for d in f"{uuid.uuid4().int % 10**9:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10 and digits[0] != 0:
            text = "".join(map(str, [*digits, check]))
            return f"{text[:3]} {text[3:6]} {text[6:]}"


def small_pdf(title: str) -> bytes:
    """A real one-page PDF (pypdf), its title in its metadata so each one differs."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def posted_answers(forename: str, surname: str, nhs: str, today: datetime) -> dict[str, Any]:
    """Every section of an early help referral, as the referrer would post it."""
    consent_day = today - timedelta(days=3)
    member = "family_members-00000000-"
    return {
        "your-details": {
            **YOUR_DETAILS,
            "child_forename": forename,
            "child_surname": surname,
            "child_nhs_number": nhs,
        },
        "family": {
            "family_members-item": ["00000000"],
            member + "forename": "Jo",
            member + "surname": surname,
            member + "relationship": "mother",
            member + "lives_with_child": "yes",
            member + "parental_responsibility": "yes",
        },
        "request-for-support": {"services": ["portage"]},
        "consent": {
            "consent_sought": "yes",
            "consent_type": "written",
            "consent_given_by": f"Jo {surname}, mother",
            "consent_date-day": str(consent_day.day),
            "consent_date-month": str(consent_day.month),
            "consent_date-year": str(consent_day.year),
        },
        "additional-details": {"has_disability": "no", "has_sen": "not-known"},
        "services": {"previous_services_known": "none"},
        "family-assessment": {
            question.id: f"What we know about: {question.label}"
            for question in ASSESSMENT.section("family-assessment").questions  # type: ignore[union-attr]
        },
    }


@dataclass
class Portal:
    """The live portal's database, reached as its operators and its own services reach it."""

    environ: dict[str, str]
    settings: Settings
    database: Engine
    hub_email: str = ""

    def session(self) -> Session:
        return create_session_factory(self.database)()

    def create_hub_staff(self, email: str, name: str, *, manager: bool = False) -> None:
        """`portal create-user --role hub` (with `--manager`, a manager of the hub), the
        password on standard input, as operators do."""
        command = [sys.executable, "-m", "app.cli", "create-user", "--role", "hub"]
        result = subprocess.run(
            [*command, "--email", email, "--name", name, *(["--manager"] if manager else [])],
            input=PASSWORD + "\n",
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"created a hub account for {email}" in result.stdout

    def create_hub_staff_quickly(self) -> str:
        """Another member of hub staff, through the service `portal create-user` uses (without
        starting a process); their first sign-in sets up their authenticator app."""
        return self._create_account("hana.okafor", "council.example.gov.uk", HUB_STAFF_NAME, "hub")

    def create_hub_colleague(self, name: str) -> str:
        """Another member of hub staff, to allocate referrals to (they need not sign in)."""
        return self._create_account("rhys.morgan", "council.example.gov.uk", name, "hub")

    def create_referrer(self) -> str:
        return self._create_account(
            "priya.shah", "school.example.org", REFERRER_NAME, "professional"
        )

    def _create_account(self, local: str, domain: str, name: str, role: str) -> str:
        email = f"{local}.{uuid.uuid4().hex[:8]}@{domain}"
        with self.session() as session:
            create_user_by_operator(
                session, email=email, name=name, role=role, password=PASSWORD, now=datetime.now(UTC)
            )
            session.commit()
        return email

    def referral(
        self,
        referrer: str,
        forename: str,
        surname: str,
        *,
        option: str = "early-help",
        nhs: str | None = None,
        documents: tuple[tuple[str, bytes], ...] = (),
        send: bool = True,
        hub_status: str | None = None,
        status_message: str = "",
        urgency: str | None = None,
        hub_messages: tuple[str, ...] = (),
        sent_at: datetime | None = None,
    ) -> str:
        """A referral with every section answered (and sent, unless `send` is False); its
        reference. `hub_status` (with `status_message`), `urgency` and `hub_messages` are set
        and sent as hub staff would, in that order. `nhs=""`: no NHS number; `sent_at`: sent
        then, rather than now."""
        now = sent_at or datetime.now(UTC)
        with self.session() as session:
            user = session.scalars(select(User).where(User.email == referrer)).one()
            referral = create_draft(
                session,
                user,
                option_code=option,
                child_forename=forename,
                child_surname=surname,
                now=now,
            )
            session.flush()
            for section_id, fields in posted_answers(
                forename, surname, nhs_number() if nhs is None else nhs, now
            ).items():
                section = ASSESSMENT.section(section_id)
                assert section is not None, section_id
                existing = stored_version(session, referral.id, section_id)
                save_section(
                    session,
                    referral,
                    section,
                    engine.answers_from_form(section, form_of(fields)),
                    expected_version=existing,
                    status=engine.COMPLETED,
                    now=now,
                )
            if documents:
                uploads = [Upload(name, data) for name, data in documents]
                added, problems = add_documents(
                    session, self.settings, referral, user, uploads, "A plan or report", now=now
                )
                assert not problems and len(added) == len(uploads), problems
            assert not missing_answers(session, referral), missing_answers(session, referral)
            if send:
                assert submit(session, self.settings, referral, user, now=now)
            if hub_status or urgency or hub_messages:
                staff = session.scalars(select(User).where(User.email == self.hub_email)).one()
                if hub_status:
                    hub_service.set_status(
                        session, self.settings, referral, staff, hub_status, status_message, now=now
                    )
                if urgency:
                    hub_service.set_urgency(session, referral, staff, urgency, now=now)
                for body in hub_messages:
                    hub_service.send_message(
                        session, self.settings, referral, staff, body, role="hub", now=now
                    )
            session.commit()
            return referral.reference


def stored_version(session: Session, referral_id: int, section_id: str) -> int:
    version = session.scalar(
        select(SectionAnswers.version).where(
            SectionAnswers.referral_id == referral_id, SectionAnswers.section_id == section_id
        )
    )
    return int(version or 0)


def missing_answers(session: Session, referral: Referral) -> list[str]:
    """What would stop the referral being sent: nothing, for a complete one."""
    answers = answers_by_section(stored_sections(session, referral))
    shown = engine.effective_answers(ASSESSMENT, answers)
    today = datetime.now(UTC).date()
    return [
        f"{section.id}: {problem.message}"
        for section in engine.visible_sections(ASSESSMENT, answers)
        for problem in engine.section_problems(section, shown, today=today, check_required=True)
    ]


def open_portal(environ: dict[str, str]) -> Portal:
    """The portal's database, reached with the environment the portal runs with, and a new
    member of hub staff in it."""
    settings = Settings.from_environ(environ)
    portal = Portal(environ, settings, create_database_engine(settings.database_url))
    portal.hub_email = f"hana.okafor.{uuid.uuid4().hex[:8]}@council.example.gov.uk"
    portal.create_hub_staff(portal.hub_email, HUB_STAFF_NAME)
    return portal

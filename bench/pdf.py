"""Create PDF: time and memory to make the PDF of a fully filled referral.

Run: `python -m bench.pdf` (or `make bench`). It builds the portal on a temporary SQLite
database, fills a referral through the portal's own services (every section, a family of six,
four current services, the eight long answers of 5.9), then asks the running app for its PDF:
several times for the median, then 20 times in a row watching the process's memory. Prints
Markdown for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import io
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pypdf
from sqlalchemy import select
from starlette.testclient import TestClient

from app.assessment import engine
from app.assessment.schema import ASSESSMENT
from app.db import create_database_engine, create_session_factory
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import Referral, SectionAnswers
from app.services.answers import save_section
from app.settings import Settings
from bench.page_weight import signed_in_with_a_draft

TIMED_RUNS = 9
RUNS_IN_A_ROW = 20
LONG_ANSWER = (
    "The family moved to the area in the spring and the children started at new schools. "
    "Mum works shifts and older siblings look after the younger ones after school. "
) * 12  # about 2,000 characters, a long answer as professionals write them

MEMBERS = [
    ("Ann", "Smith", "mother", "yes"),
    ("Bob", "Smith", "father", "no"),
    ("Cat", "Smith", "sister", "yes"),
    ("Dan", "Smith", "brother", "yes"),
    ("Eve", "Jones", "grandparent", "no"),
    ("Fay", "Jones", "aunt", "no"),
]
SERVICES = ["School nurse", "CAMHS", "Youth Justice Service", "Housing"]


class Fields:
    """Form fields as a browser posts them, for the engine to read."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def get(self, key: str, /) -> Any:
        value = self.fields.get(key)
        return value[0] if isinstance(value, list) else value

    def getlist(self, key: str) -> list[Any]:
        value = self.fields.get(key)
        return value if isinstance(value, list) else ([] if value is None else [value])


def posted_answers() -> dict[str, dict[str, Any]]:
    """Every section's fields, as a referrer would post them."""
    family: dict[str, Any] = {"family_members-item": []}
    for number, (forename, surname, relationship, lives) in enumerate(MEMBERS):
        key = f"{number:08x}"
        family["family_members-item"].append(key)
        prefix = f"family_members-{key}-"
        family.update(
            {
                prefix + "forename": forename,
                prefix + "surname": surname,
                prefix + "date_of_birth-day": "12",
                prefix + "date_of_birth-month": "3",
                prefix + "date_of_birth-year": str(1960 + number * 7),
                prefix + "relationship": relationship,
                prefix + "lives_with_child": lives,
                prefix + "address-line1": f"{number + 1} Station Road",
                prefix + "address-town": "Hayes",
                prefix + "address-postcode": "UB3 4DS",
                prefix + "parental_responsibility": "not-known",
                prefix + "phone": "07700 900123",
                prefix + "language": "English",
                prefix + "notes": LONG_ANSWER[:400],
            }
        )
    services: dict[str, Any] = {"current_services-item": [], "previous_services_known": "none"}
    for number, name in enumerate(SERVICES):
        key = f"{number:08x}"
        services["current_services-item"].append(key)
        prefix = f"current_services-{key}-"
        services.update(
            {
                prefix + "service": name,
                prefix + "worker_name": "Alex Worker",
                prefix + "role": "Key worker",
                prefix + "phone": "01895 250111",
                prefix + "email": "worker@agency.example.org",
                prefix + "involved_since-day": "1",
                prefix + "involved_since-month": "9",
                prefix + "involved_since-year": "2025",
            }
        )
    return {
        "your-details": {
            "referrer_phone": "01895250111",
            "referrer_job_title": "Health visitor",
            "referrer_organisation": "Uxbridge Health Centre",
            "professional_capacity": "confirmed",
            "relationship_to_child": "Health visitor",
            "child_forename": "Sam",
            "child_surname": "Smith",
            "child_born": "yes",
            "child_dob-day": "29",
            "child_dob-month": "2",
            "child_dob-year": "2020",
            "child_gender": "female",
            "child_ethnicity": "white-british",
            "child_nhs_number": "943 476 5919",
            "child_address-line1": "3 Ashgrove Road",
            "child_address-town": "Uxbridge",
            "child_address-postcode": "UB8 9EP",
        },
        "family": family,
        "request-for-support": {"services": ["send", "stronger-families"]},
        "services": services,
        "family-assessment": {
            question.id: LONG_ANSWER
            for section in ASSESSMENT.sections
            if section.id == "family-assessment"
            for question in section.questions
        },
    }


def fill(url: str, reference: str) -> None:
    database = create_database_engine(url)
    try:
        with create_session_factory(database)() as session:
            referral = session.scalars(
                select(Referral).where(Referral.reference == reference)
            ).one()
            for section_id, fields in posted_answers().items():
                section = ASSESSMENT.section(section_id)
                assert section is not None, section_id
                answers = engine.answers_from_form(section, Fields(fields))
                existing = session.scalar(
                    select(SectionAnswers.version).where(
                        SectionAnswers.referral_id == referral.id,
                        SectionAnswers.section_id == section_id,
                    )
                )
                save_section(
                    session,
                    referral,
                    section,
                    answers,
                    expected_version=existing or 0,
                    status=engine.IN_PROGRESS,
                    now=datetime.now(UTC),
                )
            session.commit()
    finally:
        database.dispose()


def _status_kib(pid: int | str, field: str) -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def pdf_workers() -> list[int]:
    """The app's PDF worker processes: this process's children."""
    children: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(pid) for pid in text)
    return children


def resident_kib() -> int:
    """Resident memory now (Linux), in KiB: the app's process and its PDF workers."""
    return _status_kib("self", "VmRSS") + sum(_status_kib(p, "VmRSS") for p in pdf_workers())


def peak_kib() -> int:
    """Peak resident memory: the app's process, plus each PDF worker's own peak."""
    return _status_kib("self", "VmHWM") + sum(_status_kib(p, "VmHWM") for p in pdf_workers())


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        settings = Settings(database_url=url, environment="test")
        with TestClient(create_app(settings)) as client:
            reference = signed_in_with_a_draft(client, url)
            fill(url, reference)
            path = f"/referrals/{reference}/pdf"
            first = client.get(path)
            first.raise_for_status()
            reader = pypdf.PdfReader(io.BytesIO(first.content))
            text = " ".join(page.extract_text() for page in reader.pages)
            assert all(member[0] in text for member in MEMBERS), "a family member is missing"
            assert all(re.sub(" ", "", name) in text.replace(" ", "") for name in SERVICES)
            times = []
            for _ in range(TIMED_RUNS):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                times.append(time.perf_counter() - started)
            memory = []
            for _ in range(RUNS_IN_A_ROW):
                client.get(path).raise_for_status()
                memory.append(resident_kib())
            peak, workers = peak_kib(), len(pdf_workers())
            quiet, busy = page_loads_while_pdfs_render(client, reference, path)
    print("\n## Create PDF (`python -m bench.pdf`)\n")
    print(
        f"A fully filled referral: every section, a family of {len(MEMBERS)}, "
        f"{len(SERVICES)} current services and the eight long answers of 5.9 "
        f"(about 2,000 characters each): {len(reader.pages)} A4 pages, "
        f"{len(first.content):,} bytes, tagged PDF/UA-1. Each figure is a whole request to "
        "the running app (database, template, WeasyPrint), one at a time.\n"
    )
    print("| measure | value |")
    print("|---|---:|")
    print(f"| median of {TIMED_RUNS} renders | {statistics.median(times) * 1000:,.0f} ms |")
    print(f"| fastest / slowest | {min(times) * 1000:,.0f} / {max(times) * 1000:,.0f} ms |")
    print(f"| peak memory, app and {workers} PDF workers (VmHWM) | {peak / 1024:,.0f} MiB |")
    print(
        f"| resident memory after render 1 / 10 / {RUNS_IN_A_ROW} of {RUNS_IN_A_ROW} in a row "
        f"| {memory[0] / 1024:,.0f} / {memory[9] / 1024:,.0f} / {memory[-1] / 1024:,.0f} MiB |"
    )
    growth = (memory[-1] - memory[0]) / 1024
    print(f"| growth from render 1 to {RUNS_IN_A_ROW} | {growth:+,.1f} MiB |")
    print(
        f"\nWhile {PDF_THREADS} users ask for PDFs over and over (at most "
        f"{Settings().pdf_concurrency} are made at once, in worker processes), another user's "
        f"task list loads in a median of {busy:,.0f} ms, against {quiet:,.0f} ms when nothing "
        f"else runs ({busy / quiet:.1f}×): the event loop stays free while PDFs are made."
    )
    return 0


PDF_THREADS = 4


def page_loads_while_pdfs_render(
    client: TestClient, reference: str, pdf_path: str
) -> tuple[float, float]:
    """Median time (ms) of a task-list request alone, then while PDFs are being made."""
    page = f"/referrals/{reference}"

    def median_page_load() -> float:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            client.get(page).raise_for_status()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    quiet = median_page_load()
    stop = threading.Event()

    def make_pdfs() -> None:
        while not stop.is_set():
            client.get(pdf_path).raise_for_status()

    workers = [threading.Thread(target=make_pdfs) for _ in range(PDF_THREADS)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1)  # let the renders get going
        busy = median_page_load()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    return quiet, busy


if __name__ == "__main__":
    sys.exit(main())

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
from pathlib import Path

import pypdf
from starlette.testclient import TestClient

from app.main import create_app
from app.migrations import upgrade_to_head
from app.settings import Settings
from bench.page_weight import signed_in_with_a_draft
from testkit.answers import MEMBERS, SERVICES, fill

TIMED_RUNS = 9
RUNS_IN_A_ROW = 20


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

"""Uploads are scanned by a real clamd before anything is stored (app/services/virus_scan.py).

clamd is Debian's, started by the tests on a free port with a one-line signature database (the
EICAR test file's): the EICAR file is refused and audited, a clean PDF is kept, a scanner that
is stopped or stops answering means the upload is refused ("try again later") and nothing is
kept unscanned, within a bounded wait; /healthz reports the scanner.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.main import create_app
from app.services.virus_scan import Clamd, ScannerUnavailable
from app.settings import Settings
from testkit.clamd import SIGNATURE_NAME, ClamdServer, eicar
from testkit.journeys import audit_types, post, register
from tests.conftest import Clock, make_settings
from tests.routes.test_documents import error_summary, stored, stored_names, upload
from tests.services.test_documents import pdf_bytes

EMAIL = "vera.virus@school.example.org"
CLAMD_TIMEOUT = 1.5


@pytest.fixture
def settings(database_url: str, clamd: ClamdServer) -> Settings:
    return make_settings(
        database_url, clamd_host="127.0.0.1", clamd_port=clamd.port, clamd_timeout=CLAMD_TIMEOUT
    )


@pytest.fixture
def client(settings: Settings, clock: Clock, fast_password_hashing: None) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


@pytest.fixture
def reference(client: TestClient, settings: Settings) -> str:
    register(client, settings, EMAIL)
    response = post(client, "/start/early-help", child_forename="Sam", child_surname="Smith")
    return response.headers["location"].split("/")[2]


def test_the_scanner_tells_eicar_from_a_clean_file(clamd: ClamdServer) -> None:
    scanner = Clamd(host="127.0.0.1", port=clamd.port, timeout=CLAMD_TIMEOUT)
    infected = scanner.scan(eicar())
    assert not infected.clean and infected.signature.startswith(SIGNATURE_NAME)
    assert scanner.scan(pdf_bytes()).clean
    assert scanner.answers()


def test_an_infected_file_is_refused_audited_and_a_clean_one_beside_it_kept(
    client: TestClient, reference: str, settings: Settings
) -> None:
    response = upload(client, reference, [("report.pdf", pdf_bytes()), ("letter.txt", eicar())])
    assert response.status_code == 422
    [(link, message)] = error_summary(response.text)
    assert link == "#documents"
    assert message.startswith("letter.txt contains a virus, so it was not uploaded")
    assert stored_names(settings) == ["report.pdf"]
    assert "document.infected" in audit_types(settings)


def test_a_clean_pdf_is_accepted(client: TestClient, reference: str, settings: Settings) -> None:
    response = upload(client, reference, [("consent.pdf", pdf_bytes())])
    assert response.status_code == 303
    assert stored_names(settings) == ["consent.pdf"]
    assert client.get("/healthz").text == "ok\nvirus scanner: ok\npdfs: unchecked"


def test_with_the_scanner_stopped_nothing_is_kept_unscanned(
    client: TestClient, reference: str, settings: Settings, tmp_path: Path
) -> None:
    """A scanner nobody answers at: the upload is refused with "try again", and /healthz
    reports it while the portal stays up."""
    gone = make_settings(
        settings.database_url, clamd_host="127.0.0.1", clamd_port=1, clamd_timeout=CLAMD_TIMEOUT
    )
    with TestClient(create_app(gone)) as other:
        register(other, gone, "otto.other@school.example.org")
        draft = post(other, "/start/early-help", child_forename="Al", child_surname="Smith")
        response = upload(other, draft.headers["location"].split("/")[2], [("a.pdf", pdf_bytes())])
        assert response.status_code == 503 and response.headers["retry-after"]
        [(_, message)] = error_summary(response.text)
        assert "could not be checked for viruses just now" in message
        health = other.get("/healthz")
        assert (
            health.status_code == 200
            and health.text == "ok\nvirus scanner: unavailable\npdfs: unchecked"
        )
    assert stored(settings) == []


def test_a_scanner_that_stops_answering_is_waited_for_a_bounded_time(
    client: TestClient, reference: str, settings: Settings, clamd: ClamdServer
) -> None:
    clamd.pause()
    try:
        started = time.monotonic()
        response = upload(client, reference, [("slow.pdf", pdf_bytes())])
        waited = time.monotonic() - started
    finally:
        clamd.resume()
    assert response.status_code == 503
    assert "could not be checked for viruses just now" in error_summary(response.text)[0][1]
    assert waited < CLAMD_TIMEOUT * 4, waited  # bounded by CLAMD_TIMEOUT, not hanging
    assert stored(settings) == []
    # Answering again: the same file goes through.
    assert upload(client, reference, [("slow.pdf", pdf_bytes())]).status_code == 303


def test_an_unreachable_scanner_raises_rather_than_passing_a_file() -> None:
    with pytest.raises(ScannerUnavailable):
        Clamd(host="127.0.0.1", port=1, timeout=0.5).scan(eicar())

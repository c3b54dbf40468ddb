"""Finding addresses: the gazetteer on both databases, OS Places against a local HTTP server
that answers like the API."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session
from starlette.datastructures import Secret

from app.db import create_database_engine, create_session_factory
from app.services.addresses import (
    MAX_RESULTS,
    Address,
    AddressLookupUnavailable,
    GazetteerProvider,
    OSPlacesProvider,
    provider_for,
)
from testkit.postgres import free_port
from tests.conftest import make_settings

SEED = Path(__file__).resolve().parents[2] / "db" / "seed" / "gazetteer.csv"
API_PATH = "/search/places/v1"
HANG_LIMIT_SECONDS = 10.0


def seeded(postcode: str) -> list[Address]:
    """The addresses the CSV holds for `postcode`, in file order."""
    with SEED.open(newline="") as file:
        return [
            Address(row["uprn"], row["line1"], row["line2"], row["town"], row["postcode"])
            for row in csv.DictReader(file)
            if row["postcode"] == postcode
        ]


def lines(addresses: list[Address]) -> list[str]:
    return [address.line1 for address in addresses]


# --- the gazetteer, on the real seeded database -------------------------------------------


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = create_database_engine(database_url)
    try:
        with create_session_factory(engine)() as db_session:
            yield db_session
    finally:
        engine.dispose()


@pytest.mark.parametrize("postcode", ["UB8 9EP", "UB10 8NE", "HA4 2BW"])
def test_gazetteer_returns_the_addresses_at_a_postcode_in_order(
    session: Session, postcode: str
) -> None:
    expected = seeded(postcode)
    assert expected, f"the seed has no addresses at {postcode}"

    assert GazetteerProvider().find(session, "", postcode) == expected


def test_gazetteer_address_values_are_complete(session: Session) -> None:
    found = GazetteerProvider().find(session, "3", "UB8 9EP")

    assert found == [Address("900000000003", "3 Ashgrove Road", "", "Uxbridge", "UB8 9EP")]
    assert found[0].label == "3 Ashgrove Road, Uxbridge, UB8 9EP"


@pytest.mark.parametrize(
    ("house", "expected"),
    [
        # "3" is number 3, not 13 (which the postcode also has).
        ("3", ["3 Ashgrove Road"]),
        (" 3 ", ["3 Ashgrove Road"]),
        # The number of a building divided into flats.
        ("7", ["Flat 1, 7 Ashgrove Road"]),
        # Number 1, or flat 1.
        ("1", ["1 Ashgrove Road", "Flat 1, 7 Ashgrove Road"]),
        # A name rather than a number.
        ("Flat 2", ["Flat 2, 14 Ashgrove Road"]),
        ("flat 2", ["Flat 2, 14 Ashgrove Road"]),
    ],
)
def test_gazetteer_house_narrows_to_that_house(
    session: Session, house: str, expected: list[str]
) -> None:
    assert "13 Ashgrove Road" in lines(seeded("UB8 9EP"))

    assert lines(GazetteerProvider().find(session, house, "UB8 9EP")) == expected


@pytest.mark.parametrize("house", ["99", "Rose Cottage", ""])
def test_gazetteer_house_that_matches_nothing_returns_every_address(
    session: Session, house: str
) -> None:
    assert GazetteerProvider().find(session, house, "UB8 9EP") == seeded("UB8 9EP")


@pytest.mark.parametrize("postcode", ["UB8 1ZZ", "UB8 9E", "SW1A 1AA"])
def test_gazetteer_postcode_without_addresses_returns_nothing(
    session: Session, postcode: str
) -> None:
    assert GazetteerProvider().find(session, "", postcode) == []
    assert GazetteerProvider().find(session, "3", postcode) == []


@pytest.mark.parametrize("postcode", ["UB8 9EP", "ub8 9ep", "UB89EP", "ub89Ep", " UB8 9EP"])
def test_gazetteer_matches_the_postcode_whatever_its_spacing_and_case(
    session: Session, postcode: str
) -> None:
    assert GazetteerProvider().find(session, "", postcode) == seeded("UB8 9EP")


# --- OS Places, against a local server --------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    path: str
    query: dict[str, list[str]]


class FakePlaces:
    """What the local server answers (set per test) and the requests it received."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.status = 200
        self.body = b'{"results": []}'
        self.hang = False
        self.release = threading.Event()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    def answer(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def answer_json(self, payload: object, status: int = 200) -> None:
        self.answer(status, json.dumps(payload).encode())

    def answer_dpa(self, *dpas: dict[str, Any]) -> None:
        self.answer_json({"header": {"totalresults": len(dpas)}, "results": list(dpas)})

    def record(self, path: str) -> None:
        parts = urlsplit(path)
        with self._lock:
            self.requests.append(Recorded(parts.path, parse_qs(parts.query)))


class PlacesServer(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so none outlives its test.
    daemon_threads = False

    def __init__(self, places: FakePlaces) -> None:
        self.places = places
        super().__init__(("127.0.0.1", places.port), PlacesHandler)


class PlacesHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        places = cast(PlacesServer, self.server).places
        places.record(self.path)
        if places.hang:
            # Accept the request and never answer (until the test is over).
            places.release.wait(HANG_LIMIT_SECONDS)
            return
        self.send_response(places.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(places.body)))
        self.end_headers()
        self.wfile.write(places.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def places() -> Iterator[FakePlaces]:
    fake = FakePlaces(free_port())
    server = PlacesServer(fake)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(HANG_LIMIT_SECONDS)
        assert not thread.is_alive()


@pytest.fixture
def no_database() -> Iterator[Session]:
    """OS Places does not use the session it is given."""
    with Session() as unbound:
        yield unbound


def dpa(**fields: object) -> dict[str, Any]:
    return {"DPA": {"POST_TOWN": "UXBRIDGE", "POSTCODE": "UB8 1JN", **fields}}


def numbered(*numbers: str, street: str = "HIGH STREET") -> list[dict[str, Any]]:
    return [
        dpa(UPRN=f"1000214485{i:02}", BUILDING_NUMBER=number, THOROUGHFARE_NAME=street)
        for i, number in enumerate(numbers)
    ]


def test_os_places_request_carries_postcode_key_and_maxresults(
    places: FakePlaces, no_database: Session
) -> None:
    provider = OSPlacesProvider(places.base_url + "/", "secret-key")

    provider.find(no_database, "", "UB8 1JN")

    assert places.requests == [
        Recorded(
            f"{API_PATH}/postcode",
            {"postcode": ["UB8 1JN"], "key": ["secret-key"], "maxresults": [str(MAX_RESULTS)]},
        )
    ]


def test_os_places_dpa_becomes_an_address(places: FakePlaces, no_database: Session) -> None:
    places.answer_dpa(
        dpa(
            UPRN="100021448562",
            UDPRN="23747771",
            ADDRESS="10, HIGH STREET, UXBRIDGE, UB8 1JN",
            BUILDING_NUMBER="10",
            THOROUGHFARE_NAME="HIGH STREET",
            POST_TOWN="UXBRIDGE",
            POSTCODE="UB8 1JN",
            STATUS="APPROVED",
        )
    )

    found = OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")

    assert found == [Address("100021448562", "10 High Street", "", "Uxbridge", "UB8 1JN")]
    assert found[0].label == "10 High Street, Uxbridge, UB8 1JN"


@pytest.mark.parametrize(
    ("fields", "line1", "line2"),
    [
        ({"BUILDING_NUMBER": "10", "THOROUGHFARE_NAME": "HIGH STREET"}, "10 High Street", ""),
        (
            {"BUILDING_NAME": "CIVIC CENTRE", "THOROUGHFARE_NAME": "HIGH STREET"},
            "Civic Centre",
            "High Street",
        ),
        (
            {
                "SUB_BUILDING_NAME": "FLAT 2",
                "BUILDING_NAME": "ROSE COURT",
                "BUILDING_NUMBER": "10",
                "THOROUGHFARE_NAME": "HIGH STREET",
            },
            "Flat 2 Rose Court",
            "10 High Street",
        ),
        (
            {
                "SUB_BUILDING_NAME": "FLAT 2",
                "BUILDING_NAME": "ROSE COURT",
                "THOROUGHFARE_NAME": "HIGH STREET",
            },
            "Flat 2 Rose Court",
            "High Street",
        ),
        (
            {
                "BUILDING_NUMBER": "5",
                "THOROUGHFARE_NAME": "MILL ROAD",
                "DEPENDENT_LOCALITY": "COWLEY",
            },
            "5 Mill Road",
            "Cowley",
        ),
        (
            # line2 already holds the street: the locality is left out.
            {
                "BUILDING_NAME": "THE OLD FORGE",
                "THOROUGHFARE_NAME": "MILL ROAD",
                "DEPENDENT_LOCALITY": "COWLEY",
            },
            "The Old Forge",
            "Mill Road",
        ),
        (
            {
                "BUILDING_NUMBER": "1",
                "DEPENDENT_THOROUGHFARE_NAME": "ORCHARD MEWS",
                "THOROUGHFARE_NAME": "HIGH STREET",
            },
            "1 Orchard Mews High Street",
            "",
        ),
        # No name, number or street: the first part of ADDRESS.
        ({"ADDRESS": "THE LODGE, UXBRIDGE, UB8 1JN"}, "The Lodge", ""),
    ],
)
def test_os_places_lines_are_built_and_title_cased(
    places: FakePlaces,
    no_database: Session,
    fields: dict[str, object],
    line1: str,
    line2: str,
) -> None:
    places.answer_dpa(dpa(UPRN="100021448562", **fields))

    [address] = OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")

    assert (address.line1, address.line2, address.town) == (line1, line2, "Uxbridge")


@pytest.mark.parametrize("uprn", ["100021448562", 100021448562])
def test_os_places_uprn_is_kept_as_a_string(
    places: FakePlaces, no_database: Session, uprn: object
) -> None:
    places.answer_dpa(dpa(UPRN=uprn, BUILDING_NUMBER="10", THOROUGHFARE_NAME="HIGH STREET"))

    [address] = OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")

    assert address.uprn == "100021448562"


def test_os_places_keeps_the_order_of_the_results(places: FakePlaces, no_database: Session) -> None:
    places.answer_dpa(*numbered("2", "1", "10"))

    found = OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")

    assert lines(found) == ["2 High Street", "1 High Street", "10 High Street"]
    assert [a.uprn for a in found] == ["100021448500", "100021448501", "100021448502"]


@pytest.mark.parametrize(
    ("house", "expected"),
    [
        ("3", ["3 High Street"]),
        ("30", ["30 High Street"]),
        ("99", ["3 High Street", "13 High Street", "30 High Street"]),
        ("", ["3 High Street", "13 High Street", "30 High Street"]),
    ],
)
def test_os_places_house_narrows_to_that_house(
    places: FakePlaces, no_database: Session, house: str, expected: list[str]
) -> None:
    places.answer_dpa(*numbered("3", "13", "30"))

    found = OSPlacesProvider(places.base_url, "k").find(no_database, house, "UB8 1JN")

    assert lines(found) == expected


def test_os_places_house_number_of_a_flat_finds_the_flat(
    places: FakePlaces, no_database: Session
) -> None:
    places.answer_dpa(
        dpa(UPRN="1", BUILDING_NUMBER="7", THOROUGHFARE_NAME="ASHGROVE ROAD"),
        dpa(
            UPRN="2",
            SUB_BUILDING_NAME="FLAT 1",
            BUILDING_NUMBER="7",
            THOROUGHFARE_NAME="ASHGROVE ROAD",
        ),
        dpa(UPRN="3", BUILDING_NUMBER="8", THOROUGHFARE_NAME="ASHGROVE ROAD"),
    )

    found = OSPlacesProvider(places.base_url, "k").find(no_database, "7", "UB8 9EP")

    assert [a.uprn for a in found] == ["1", "2"]


def test_os_places_title_case_keeps_apostrophes_lower_case(
    places: FakePlaces, no_database: Session
) -> None:
    places.answer_dpa(dpa(UPRN="1", BUILDING_NUMBER="12", THOROUGHFARE_NAME="ST JOHN'S ROAD"))

    [address] = OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")

    assert address.line1 == "12 St John's Road"


def test_os_places_unknown_postcode_400_is_no_addresses(
    places: FakePlaces, no_database: Session
) -> None:
    places.answer_json(
        {"error": {"statuscode": 400, "message": "Requested postcode must contain..."}}, 400
    )

    assert OSPlacesProvider(places.base_url, "k").find(no_database, "", "ZZ1 1ZZ") == []


@pytest.mark.parametrize(
    "payload",
    [
        {"results": [{"LPI": {"UPRN": "1", "ADDRESS": "1, HIGH STREET"}}]},
        {"header": {"totalresults": 0}},
        {"results": []},
    ],
)
def test_os_places_answer_without_dpa_addresses_is_no_addresses(
    places: FakePlaces, no_database: Session, payload: object
) -> None:
    places.answer_json(payload)

    assert OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN") == []


@pytest.mark.parametrize("status", [401, 429, 500, 503])
def test_os_places_error_status_is_unavailable(
    places: FakePlaces, no_database: Session, status: int
) -> None:
    places.answer_json({"error": {"statuscode": status}}, status)

    with pytest.raises(AddressLookupUnavailable):
        OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")
    assert len(places.requests) == 1


@pytest.mark.parametrize(
    "body",
    [b"<html>Service Unavailable</html>", b'{"results": [', b"[]", b'{"results": [{"DPA": 1}]}'],
)
def test_os_places_unreadable_answer_is_unavailable(
    places: FakePlaces, no_database: Session, body: bytes
) -> None:
    places.answer(200, body)

    with pytest.raises(AddressLookupUnavailable):
        OSPlacesProvider(places.base_url, "k").find(no_database, "", "UB8 1JN")


def test_os_places_that_never_answers_is_unavailable_within_the_timeout(
    places: FakePlaces, no_database: Session
) -> None:
    places.hang = True
    provider = OSPlacesProvider(places.base_url, "k", timeout=0.5)

    started = time.monotonic()
    with pytest.raises(AddressLookupUnavailable):
        provider.find(no_database, "", "UB8 1JN")
    elapsed = time.monotonic() - started

    assert len(places.requests) == 1  # it was accepted and read, just not answered
    assert 0.4 <= elapsed < 5


def test_os_places_nothing_listening_is_unavailable(no_database: Session) -> None:
    provider = OSPlacesProvider(f"http://127.0.0.1:{free_port()}{API_PATH}", "k", timeout=2)

    with pytest.raises(AddressLookupUnavailable):
        provider.find(no_database, "", "UB8 1JN")


# --- choosing the provider ---------------------------------------------------------------


def test_provider_for_is_the_gazetteer_by_default(database_url: str, session: Session) -> None:
    provider = provider_for(make_settings(database_url))

    assert isinstance(provider, GazetteerProvider)
    assert lines(provider.find(session, "3", "UB8 9EP")) == ["3 Ashgrove Road"]


def test_provider_for_os_places_uses_its_url_and_key(
    database_url: str, places: FakePlaces, no_database: Session
) -> None:
    settings = make_settings(
        database_url,
        address_provider="os-places",
        os_places_url=places.base_url,
        os_places_api_key=Secret("k"),
    )
    places.answer_dpa(*numbered("10"))

    provider = provider_for(settings)

    assert isinstance(provider, OSPlacesProvider)
    assert lines(provider.find(no_database, "", "UB8 1JN")) == ["10 High Street"]
    assert places.requests == [
        Recorded(
            f"{API_PATH}/postcode",
            {"postcode": ["UB8 1JN"], "key": ["k"], "maxresults": [str(MAX_RESULTS)]},
        )
    ]

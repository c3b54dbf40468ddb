"""Finding addresses from a house number or name and a postcode ("Find Address").

Two providers behind one interface: the gazetteer table (the default, seeded from
db/seed/gazetteer.csv) and Ordnance Survey's Places API (ADDRESS_PROVIDER=os-places). A
provider that fails raises AddressLookupUnavailable, and the page offers manual entry.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import GazetteerAddress
from app.settings import Settings

logger = logging.getLogger("portal.addresses")
MAX_RESULTS = 100


class AddressLookupUnavailable(Exception):
    """The address service did not answer; the user can still enter the address."""


@dataclass(frozen=True)
class Address:
    uprn: str
    line1: str
    line2: str
    town: str
    postcode: str

    @property
    def label(self) -> str:
        return ", ".join(
            part for part in (self.line1, self.line2, self.town, self.postcode) if part
        )


class AddressProvider(Protocol):
    def find(self, session: Session, house: str, postcode: str) -> list[Address]:
        """Addresses at `postcode` (normalised, "UB8 1UW") for `house`; all of them at the
        postcode when none match the house (a typo should not hide the list)."""
        ...


def _matches_house(address: Address, house: str) -> bool:
    if not house:
        return True
    wanted = house.strip().lower()
    lines = f"{address.line1} {address.line2}".lower()
    if any(character.isdigit() for character in wanted):
        # Whole words: "1" is number 1 (or flat 1), not 11; "3a" is not 13A; "flat 2" not 21.
        return re.search(rf"\b{re.escape(wanted)}\b", lines) is not None
    return wanted in lines  # a house name, or part of one


def _title(text: str) -> str:
    """OS Places writes in capitals: "ST JOHN'S ROAD" -> "St John's Road" (str.title would
    give "John'S")."""
    return re.sub(r"[a-z]+(?:'[a-z]+)?", lambda word: word.group(0).capitalize(), text.lower())


def _narrow(addresses: list[Address], house: str) -> list[Address]:
    """The addresses for the house asked for; all of them when none match (a typo should not
    hide the list)."""
    matching = [a for a in addresses if _matches_house(a, house)]
    return (matching or addresses)[:MAX_RESULTS]


class GazetteerProvider:
    def find(self, session: Session, house: str, postcode: str) -> list[Address]:
        key = postcode.replace(" ", "").upper()
        rows = session.scalars(
            select(GazetteerAddress)
            .where(GazetteerAddress.postcode_key == key)
            .order_by(GazetteerAddress.id)
        )
        addresses = [Address(r.uprn, r.line1, r.line2, r.town, r.postcode) for r in rows]
        return _narrow(addresses, house)


class OSPlacesProvider:
    """Ordnance Survey Places API, postcode search (DPA addresses)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def find(self, session: Session, house: str, postcode: str) -> list[Address]:
        try:
            response = httpx.get(
                f"{self.base_url}/postcode",
                params={"postcode": postcode, "key": self.api_key, "maxresults": MAX_RESULTS},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            logger.warning("OS Places did not answer: %s", type(error).__name__)
            raise AddressLookupUnavailable from error
        if response.status_code == 400:
            return []  # OS Places answers 400 for a postcode it does not know
        if response.status_code != 200:
            logger.warning("OS Places answered %s", response.status_code)
            raise AddressLookupUnavailable
        try:
            results = response.json().get("results", [])
            addresses = [self._address(item["DPA"]) for item in results if "DPA" in item]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning("OS Places sent an answer that could not be read")
            raise AddressLookupUnavailable from error
        return _narrow(addresses, house)

    @staticmethod
    def _address(dpa: dict[str, Any]) -> Address:
        building = " ".join(
            _title(str(dpa[key])) for key in ("SUB_BUILDING_NAME", "BUILDING_NAME") if dpa.get(key)
        )
        street = " ".join(
            _title(str(dpa[key]))
            for key in ("BUILDING_NUMBER", "DEPENDENT_THOROUGHFARE_NAME", "THOROUGHFARE_NAME")
            if dpa.get(key)
        )
        line1, line2 = (building, street) if building else (street, "")
        locality = _title(str(dpa.get("DEPENDENT_LOCALITY", "")))
        if locality and not line2:
            line2 = locality
        return Address(
            uprn=str(dpa.get("UPRN", "")),
            line1=line1 or _title(str(dpa.get("ADDRESS", "")).split(",")[0]),
            line2=line2,
            town=_title(str(dpa.get("POST_TOWN", ""))),
            postcode=str(dpa.get("POSTCODE", "")),
        )


def provider_for(settings: Settings) -> AddressProvider:
    if settings.address_provider == "os-places":
        return OSPlacesProvider(settings.os_places_url, str(settings.os_places_api_key))
    return GazetteerProvider()

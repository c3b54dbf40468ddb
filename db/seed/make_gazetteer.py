"""Writes gazetteer.csv: invented addresses in Hillingdon's postcode districts for the default
address lookup. Street names and house numbers are made up; the postcodes have the right form
for their districts. Run it again only to change the sample (the output is committed)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

STREETS = {
    ("UB8", "Uxbridge"): ["Ashgrove Road", "Colham Mill Lane", "Fernbank Close", "Kingfisher Way"],
    ("UB10", "Hillingdon"): ["Beechcroft Avenue", "Orchard Rise", "Swakeleys Crescent"],
    ("UB3", "Hayes"): ["Canalside Walk", "Dawley Gardens", "Printers Row"],
    ("UB4", "Hayes"): ["Yeading Green", "Hawthorn Drive", "Larchwood Road"],
    ("UB7", "West Drayton"): ["Moorview Lane", "Heron Court", "Station Approach"],
    ("HA4", "Ruislip"): ["Manor Farm Way", "Bury Street Close", "Pinn Meadow"],
    ("HA6", "Northwood"): ["Copse Hill", "Green Lane Mews", "Woodside Road"],
    ("UB9", "Harefield"): ["Breakspear Lane", "Coppermill Road"],
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def main() -> None:
    rng = random.Random(2026)  # noqa: S311 - sample data, and the same sample every run
    rows = []
    uprn = 900_000_000_001
    for (district, town), streets in STREETS.items():
        for street in streets:
            letters = rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
            postcode = f"{district} {rng.randint(1, 9)}{letters}"
            houses = rng.randint(10, 18)
            for number in range(1, houses + 1):
                flat = number % 7 == 0
                line1 = f"Flat {number // 7}, {number} {street}" if flat else f"{number} {street}"
                rows.append([str(uprn), line1, "", town, postcode])
                uprn += 1
    with (Path(__file__).parent / "gazetteer.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["uprn", "line1", "line2", "town", "postcode"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()

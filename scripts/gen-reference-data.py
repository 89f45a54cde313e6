#!/usr/bin/env python3
"""Regenerates data/countries.csv and data/regions.csv.

The source is Debian's iso-codes package (/usr/share/iso-codes/json), which
tracks the ISO 3166 Maintenance Agency's lists of countries (ISO 3166-1) and
their subdivisions (ISO 3166-2). To refresh after an iso-codes update:

    apt-get install iso-codes && python3 scripts/gen-reference-data.py

Mortar embeds the CSV files at build time and loads missing rows at start-up.
"""

import csv
import json
import pathlib
import unicodedata

SOURCE = pathlib.Path("/usr/share/iso-codes/json")
DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def sort_key(name: str) -> tuple[str, str]:
    """Orders names alphabetically ignoring accents and case ("Åland" near "Albania")."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return (folded, name)


def main() -> None:
    countries = json.loads((SOURCE / "iso_3166-1.json").read_text(encoding="utf-8"))["3166-1"]
    rows = sorted(
        ((c["alpha_2"], c.get("common_name", c["name"])) for c in countries),
        key=lambda row: sort_key(row[1]),
    )
    with open(DATA / "countries.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iso", "name"])
        writer.writerows(rows)

    subdivisions = json.loads((SOURCE / "iso_3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    regions = sorted(
        (s["code"].split("-", 1)[0], s["code"].split("-", 1)[1], s["name"]) for s in subdivisions
    )
    regions.sort(key=lambda row: (row[0], sort_key(row[2])))
    with open(DATA / "regions.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["country_iso", "iso", "name"])
        writer.writerows(regions)
    print(f"{len(rows)} countries, {len(regions)} regions")


if __name__ == "__main__":
    main()

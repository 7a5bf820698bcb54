"""Courtyard and building finding on writer e's training rows (a dev set for nlp/locate.py, not held out).

Run from the repository root: `python bench/locate_dev.py [-v]`. Reads data/colloquial/e.locate.csv
(text,courtyard,building: writer e's messages with the courtyard and building they name) against
writer e's own town, data/colloquial/e.org.yaml, and prints the share found right, split by whether
the name is written in Latin script; -v lists the misses.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from courtyard.places import places_from_file  # noqa: E402
from nlp import Analyzer  # noqa: E402
from nlp.building import building_number, find_building  # noqa: E402
from nlp.text import normalize  # noqa: E402

DATA = ROOT / "data" / "colloquial" / "e.locate.csv"
ORG = ROOT / "data" / "colloquial" / "e.org.yaml"
_LATIN = re.compile(r"[A-Za-z]{2}")


def main() -> int:
    analyzer = Analyzer(places_from_file(ORG))
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    groups: dict[str, list[bool]] = {"all": [], "Latin script in text": [], "Chinese only": []}
    buildings: list[bool] = []
    misses = []
    for row in rows:
        courtyard = analyzer.locate(row["text"])
        right = (courtyard or "") == row["courtyard"]
        groups["all"].append(right)
        groups["Latin script in text" if _LATIN.search(row["text"]) else "Chinese only"].append(right)
        buildings.append((building_number(find_building(normalize(row["text"]))) or "") == row["building"])
        if not right:
            misses.append(f"  expected {row['courtyard'] or '-'}, got {courtyard or '-'}: {row['text']}")
    for name, hits in groups.items():
        print(f"courtyard, {name}: {sum(hits) / max(len(hits), 1):.3f} ({sum(hits)}/{len(hits)})")
    print(f"building number: {sum(buildings) / max(len(buildings), 1):.3f} ({sum(buildings)}/{len(buildings)})")
    if "-v" in sys.argv[1:]:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

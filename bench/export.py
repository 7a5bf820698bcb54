"""`courtyard export` on a 100 k-ticket ledger: wall time and peak memory, against a bare dump.

Usage: python bench/export.py [--tickets 100000]
The baseline is the least any export can do: Python's sqlite3 and csv modules copying the ticket
table's rows to a CSV file, no names joined, no formatting. Each command runs in its own process
under /usr/bin/time, so its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from sweep import build  # noqa: E402  (bench/sweep.py: the same synthetic ledger)

COURTYARD = str(Path(sys.executable).parent / "courtyard")
BARE_DUMP = (
    "import csv, sqlite3, sys\n"
    "rows = sqlite3.connect(sys.argv[1]).execute('SELECT * FROM ticket ORDER BY id')\n"
    "with open(sys.argv[2], 'w', newline='', encoding='utf-8') as f:\n"
    "    w = csv.writer(f); w.writerows(rows)\n"
)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one command."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *command], env=env, capture_output=True, text=True, check=True
    )
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        db = Path(workdir) / "ledger.db"
        build(db, args.tickets, 300)
        env = dict(os.environ, COURTYARD_DB_URL=f"sqlite:///{db}")
        bare = timed([sys.executable, "-c", BARE_DUMP, str(db), str(Path(workdir) / "bare.csv")], env)
        print(f"bare sqlite3 -> csv dump: {bare[0]:.2f} s, peak {bare[1]:.0f} MB")
        for fmt in ("csv", "xlsx"):
            out = Path(workdir) / f"ledger.{fmt}"
            seconds, peak = timed([COURTYARD, "export", "--format", fmt, "-o", str(out)], env)
            print(
                f"courtyard export --format {fmt}: {seconds:.2f} s ({seconds / bare[0]:.1f}x), peak {peak:.0f} MB, "
                f"file {out.stat().st_size / 1e6:.1f} MB"
            )


if __name__ == "__main__":
    main()

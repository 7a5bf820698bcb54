"""Courtyard names read straight from a SQLite file with the standard library.

For `courtyard classify`, whose cold start is measured: SQLAlchemy, SQLModel and the table models cost
it more than a second. Returns what storage.org_chart.courtyard_names returns for the same database,
as plain tuples (name, aliases, lat, lon).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

Names = tuple[str, tuple[str, ...], float | None, float | None]


def courtyard_names_sqlite(path: Path) -> list[Names]:
    """The courtyards of a SQLite database file in id order, with their aliases; none before the schema exists."""
    # Opened read-write though it only reads: the last connection to close tidies the WAL files away.
    with closing(sqlite3.connect(path, timeout=5.0)) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"courtyard", "courtyardalias"} <= tables:
            return []
        aliases: dict[int, list[str]] = {}
        for courtyard_id, alias in connection.execute("SELECT courtyard_id, alias FROM courtyardalias ORDER BY id"):
            aliases.setdefault(courtyard_id, []).append(alias)
        rows = connection.execute("SELECT id, name, lat, lon FROM courtyard ORDER BY id").fetchall()
    return [(name, tuple(aliases.get(key, ())), lat, lon) for key, name, lat, lon in rows]

"""Courtyard names for `courtyard classify`, read without bringing up the whole server (cold start matters)."""

from __future__ import annotations

from pathlib import Path

import nlp


def places_from_file(path: Path) -> list[nlp.Place]:
    """The courtyards of an org chart file (raises OrgFileError)."""
    from storage.orgfile import load_org_chart  # only this path needs YAML and the models

    chart = load_org_chart(path)
    return [nlp.Place(name=y.name, aliases=y.aliases, lat=y.lat, lon=y.lon) for y in chart.courtyards()]


def places_from_database(url: str) -> list[nlp.Place]:
    """The courtyards of the configured database; none when it does not exist yet (it is not created)."""
    if url.startswith("sqlite:///"):  # read with the standard library: SQLAlchemy and the models cost ~1 s
        from storage.org_names import courtyard_names_sqlite

        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            return []  # the common case for a first try of the command
        return [nlp.Place(name, aliases, lat=lat, lon=lon) for name, aliases, lat, lon in courtyard_names_sqlite(path)]
    from sqlalchemy import inspect

    from storage import org_chart as org_repo
    from storage.db import Database, make_engine

    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("courtyard"):
            return []
        with Database(engine).transaction() as session:
            names = org_repo.courtyard_names(session=session)
        return [nlp.Place(name=c.name, aliases=c.aliases, lat=c.lat, lon=c.lon) for c in names]
    finally:
        engine.dispose()

"""The standard-library reader of courtyard names (for `courtyard classify`) agrees with the repository."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

from courtyard.runtime import demo_org_path
from handlers.org_import import import_org_file
from storage import migrate
from storage import org_chart as org_repo
from storage.db import Database, make_engine
from storage.org_names import courtyard_names_sqlite


def test_it_reads_what_the_repository_reads(tmp_path: Path) -> None:
    path = tmp_path / "org.db"
    engine = make_engine(f"sqlite:///{path}")
    assert courtyard_names_sqlite(path) == []  # no schema yet
    migrate.upgrade(engine)
    db = Database(engine)
    import_org_file(db=db, path=demo_org_path())
    with db.transaction() as session:
        expected = [astuple(names) for names in org_repo.courtyard_names(session=session)]
    engine.dispose()
    assert any(aliases for _, aliases, _, _ in expected)
    assert courtyard_names_sqlite(path) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["org.db"]  # it leaves no WAL files behind

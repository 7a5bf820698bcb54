"""The Alembic migrations build exactly the schema the models describe, with SQLite in WAL mode."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage import migrate
from storage.db import make_engine


def test_migrations_match_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second run is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _not_full_text_index})
        diff = compare_metadata(context, SQLModel.metadata)
        assert diff == []
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _not_full_text_index(name: str | None, type_: str, parent_names: object) -> bool:
    """The FTS5 table over ticketsearch (and its shadow tables) is the database's index, not a model."""
    return not (type_ == "table" and (name or "").startswith("ticketsearch_fts"))

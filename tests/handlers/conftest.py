"""Fixtures shared by the use-case tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from courtyard import runtime
from storage.db import Database, make_engine
from storage.migrate import upgrade
from tests.conftest import database_url


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """A migrated database (a SQLite file, or PostgreSQL when configured) holding the demo town."""
    engine = make_engine(database_url(tmp_path))
    upgrade(engine)
    database = Database(engine)
    runtime.ensure_org_chart(database, None)
    return database

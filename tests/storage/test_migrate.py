"""Schema upgrades at start: done by a child process, so a serving process never loads Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import migrate
from storage.db import make_engine

PROBE = """
import sys
from storage import migrate
from storage.db import make_engine
engine = make_engine(sys.argv[1])
migrate.upgrade_in_child(engine)
print(migrate.at_head(engine), "alembic" in sys.modules)
"""


def test_a_new_database_is_upgraded_by_a_child_and_alembic_stays_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    for _ in range(2):  # the second start finds the schema at head and does nothing
        done = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True, check=True)
        assert done.stdout.split() == ["True", "False"]
    engine = make_engine(url)
    assert migrate.at_head(engine)
    engine.dispose()


def test_the_shipped_head_is_the_last_migration() -> None:
    names = sorted(p.name for p in (migrate.MIGRATIONS / "versions").glob("00*.py"))
    assert migrate.shipped_head() == names[-1][:4]


def test_a_child_that_fails_says_why(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'future.db'}")
    with engine.begin() as connection:  # a schema from a newer release: Alembic does not know its revision
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
    try:
        with pytest.raises(RuntimeError, match=r"(?s)schema upgrade failed.*9999"):
            migrate.upgrade_in_child(engine)
    finally:
        engine.dispose()

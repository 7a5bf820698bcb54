"""Brings a database up to the current schema with the Alembic migrations shipped in this package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^(down_)?revision(?:\s*:[^=]*)?=\s*(?:['\"]([^'\"]*)['\"]|None)", re.M)
CHILD_URL = "COURTYARD_MIGRATE_URL"  # how upgrade_in_child hands the database to its child


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def shipped_head() -> str | None:
    """The head revision of the shipped migrations, read from their files; None unless exactly one."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, revision in _REVISION.findall(path.read_text("utf-8")):
            (parents if down else revisions).add(revision)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is the shipped head, asked without loading Alembic."""
    head = shipped_head()
    with engine.connect() as connection:
        if head is None or not inspect(connection).has_table("alembic_version"):
            return False
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied; a no-op on an up-to-date database."""
    if at_head(engine):
        return
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade_in_child(engine: Engine) -> None:
    """upgrade(), but a schema that needs work is upgraded by a short-lived child process, so a long-running
    server never holds Alembic and its template and highlighting libraries (~10 MB). An in-memory
    SQLite database, which a child cannot see, is upgraded here."""
    if at_head(engine):
        return
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        upgrade(engine)
        return
    # The child imports this very package: its folder leads the path, and -P keeps the working folder off it.
    path = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")) if p)
    env = os.environ | {CHILD_URL: engine.url.render_as_string(hide_password=False), "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-P", "-m", "storage.migrate"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"schema upgrade failed:\n{done.stderr.strip()}")


if __name__ == "__main__":
    from storage.db import make_engine

    child_engine = make_engine(os.environ[CHILD_URL])
    try:
        upgrade(child_engine)
    finally:
        child_engine.dispose()

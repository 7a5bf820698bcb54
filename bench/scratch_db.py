"""Throw-away PostgreSQL databases for the benches: one created per run on a given server, dropped after."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


def fresh_postgres(server: str, prefix: str) -> tuple[str, str]:
    """A new empty database on server; (its URL, its name)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(server: str, name: str) -> None:
    """Drop a database fresh_postgres made, even if a connection is still open."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()

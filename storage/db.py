"""Engine and session factory: SQLite in WAL mode by default, any SQLAlchemy URL (PostgreSQL) otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


READ_ONLY = "courtyard_read_only"  # execution option of Database.snapshot


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for url; SQLite gets WAL, foreign keys and write-locking transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a read that later writes cannot then deadlock with another
        # writer, and two deliveries of one WeChat message queue up instead of both filing.
        # A snapshot only reads; in WAL mode it then never holds up a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """Hands out sessions on one engine; one transaction per `transaction()` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction for long reads (an export): one consistent view, no write lock."""
        with Session(self.engine.execution_options(**{READ_ONLY: True})) as session:
            yield session  # closing the session rolls the read transaction back


def try_insert(session: Session, row: SQLModel) -> bool:
    """Insert row in a savepoint; False, with the session still usable, when a unique key already holds it.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    conflicts, so a False here means the other row is committed and can be read.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True

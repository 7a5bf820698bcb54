"""Engine and session factory: SQLite in WAL mode by default, any SQLAlchemy URL (PostgreSQL) otherwise."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_SECONDS = 10
# Any fixed number both sides agree on: the key of PostgreSQL's advisory lock for start-up work.
STARTUP_LOCK_KEY = 0x636F7572  # "cour"

READ_ONLY = "courtyard_read_only"  # execution option of Database.snapshot


def make_engine(url: str, *, echo: bool = False, wait_seconds: float | None = None, durable: bool = True) -> Engine:
    """An engine for url; SQLite gets WAL, foreign keys and write-locking transactions.

    wait_seconds bounds how long a statement waits for a lock (and PostgreSQL for a connection);
    durable=False is for measuring only: SQLite then syncs less (a committed message may be lost
    in a power cut, not in a crash of the process).
    """
    if url.startswith("sqlite"):
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if wait_seconds is None else int(wait_seconds * 1000)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
        )
        _tune_sqlite(engine, busy_ms=busy_ms, synchronous="FULL" if durable else "NORMAL")
        return engine
    # A server that does not answer (down, firewalled) is given up on instead of waited for forever.
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
    if wait_seconds is not None and url.startswith("postgresql"):
        wait_ms = int(wait_seconds * 1000)
        connect_args = {"connect_timeout": max(1, round(wait_seconds)), "options": f"-c lock_timeout={wait_ms}"}
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def _tune_sqlite(engine: Engine, *, busy_ms: int, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before it returns, so a 编号 already sent survives a power cut
        # (NORMAL in WAL mode may lose the last commits; bench/faults.py measures the cost).
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a read that later writes cannot then deadlock with another
        # writer, and two deliveries of one WeChat message queue up instead of both filing.
        # A snapshot only reads; in WAL mode it then never holds up a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class DatabaseBusy(Exception):
    """A write waited longer than allowed for this process's turn at SQLite's write lock."""


class Database:
    """Hands out sessions on one engine; one transaction per `transaction()` block.

    On SQLite, this process's writers queue on a lock of their own before taking SQLite's: SQLite's
    busy handler polls, so under load one writer could otherwise lose every turn for seconds.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        wait_seconds: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
        stuck_after_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        # A writer holding the turn longer than this is stuck (a lock held elsewhere): the next ones
        # give up at once instead of queueing behind it.
        self.stuck_after_seconds = stuck_after_seconds
        self._writer = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._turn_taken_at: float | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        if self._writer is None:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
            return
        self._take_turn()
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            self._turn_taken_at = None
            assert self._writer is not None
            self._writer.release()

    def _take_turn(self) -> None:
        assert self._writer is not None
        deadline = time.monotonic() + self.wait_seconds
        while not self._writer.acquire(timeout=0.05):
            if self.writer_stuck():
                raise DatabaseBusy("the write before this one is stuck waiting for the database")
            if time.monotonic() > deadline:
                raise DatabaseBusy(f"no turn at the database within {self.wait_seconds:g} s")
        self._turn_taken_at = time.monotonic()

    def writer_stuck(self) -> bool:
        """Whether this process's current SQLite writer has waited or worked past stuck_after_seconds."""
        taken = self._turn_taken_at
        limit = self.stuck_after_seconds
        return limit is not None and taken is not None and time.monotonic() - taken > limit

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction for long reads (an export): one consistent view, no write lock."""
        with Session(self.engine.execution_options(**{READ_ONLY: True})) as session:
            yield session  # closing the session rolls the read transaction back

    def ping(self) -> None:
        """Raise unless the database would take a write now (on SQLite this takes the write lock)."""
        with self.transaction() as session:
            session.execute(text("SELECT 1"))


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


def is_unavailable(exc: BaseException) -> bool:
    """Whether exc means the database cannot take writes now (down, locked, read-only, unreachable),
    as opposed to a fault in what was asked of it."""
    if isinstance(exc, (OperationalError, InterfaceError, DatabaseBusy)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def database_now(session: Session) -> datetime:
    """The database's own clock (UTC): leases are judged on it, never on a simulated `--at` time."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return value.astimezone(UTC)  # type: ignore[no-any-return]
    # SQLite's clock is the host's: the only one every process on this machine shares.
    raw = session.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the database-wide start-up lock: schema upgrades and org imports of several processes
    starting together run one after the other, and the later ones find the work done.

    PostgreSQL: a session advisory lock on a connection of its own. SQLite: an flock on a file beside
    the database (SQLite's write lock is per transaction; this work spans several).
    """
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        fd = os.open(f"{database}.startup-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
            connection.commit()

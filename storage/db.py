"""Engine and session factory: SQLite in WAL mode by default, any SQLAlchemy URL (PostgreSQL) otherwise."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, literal, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, SQLModel, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_SECONDS = 10
# Any fixed number both sides agree on: the key of PostgreSQL's advisory lock for start-up work.
STARTUP_LOCK_KEY = 0x636F7572  # "cour"

READ_ONLY = "courtyard_read_only"  # execution option of Database.snapshot


def make_engine(
    url: str,
    *,
    echo: bool = False,
    wait_seconds: float | None = None,
    durable: bool = True,
    pool_size: int | None = None,
    pre_ping: bool = True,
) -> Engine:
    """An engine for url; SQLite gets WAL, foreign keys and write-locking transactions.

    wait_seconds bounds how long a statement waits for a lock (and PostgreSQL for a connection);
    durable=False is for measuring only: SQLite then syncs less (a committed message may be lost
    in a power cut, not in a crash of the process). PostgreSQL: pool_size connections kept open
    (one per thread that writes at once: none is closed and opened again under load); pre_ping=False
    spares a round trip per transaction, for callers that retry on a connection found dead
    (is_stale_connection).
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
    pool: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": pool_size // 2}
    return create_engine(url, echo=echo, pool_pre_ping=pre_ping, connect_args=connect_args, **pool)


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


class _Batch:
    """Grouped write transactions sharing one SQLite transaction: each body in a savepoint, one commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.opened = time.monotonic()
        self.members = 0
        self.done = threading.Event()
        self.error: BaseException | None = None


class _Turn:
    """This process's turn at one SQLite file, shared by every Database on it (webhook, sweeps, pages)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken_at: float | None = None  # when the current holder took it
        self.holder: Database | None = None  # whose writer holds it
        self.queued = 0  # writers waiting for it (read without the lock: a hint, never a promise)
        self.queue_lock = threading.Lock()
        self.batch: _Batch | None = None  # the open group, touched only by the holder of the turn


_TURNS: dict[str, _Turn] = {}
_TURNS_LOCK = threading.Lock()


def _turn_for(engine: Engine) -> _Turn:
    """The turn of engine's SQLite file (an in-memory database has one of its own)."""
    database = engine.url.database
    key = os.path.realpath(database) if database and database != ":memory:" else f"memory:{id(engine)}"
    with _TURNS_LOCK:
        return _TURNS.setdefault(key, _Turn())


def _finish(turn: _Turn, batch: _Batch) -> None:
    """Commit the open group (the holder of the turn only); a failure is every member's failure."""
    turn.batch = None
    try:
        connection = batch.session.connection()
        try:
            batch.session.commit()
        except BaseException:
            # Whatever state a failed commit left the connection in, it is not used again.
            with contextlib.suppress(Exception):  # the commit's own error is the one every member gets
                connection.invalidate()
            raise
    except BaseException as exc:
        batch.error = exc
    finally:
        try:
            batch.session.close()
        finally:
            batch.done.set()


def _discard(turn: _Turn, batch: _Batch) -> None:
    """Roll back a group whose only member failed (the holder of the turn only)."""
    turn.batch = None
    try:
        batch.session.rollback()
    finally:
        batch.session.close()
        batch.done.set()


# A group commits when nobody queues to join it, or once it is this large or this old: one fsync per
# group instead of one per message, and an early member waits at most about this long for the rest.
GROUP_MAX_MEMBERS = 64
GROUP_MAX_SECONDS = 0.05
_ORPHAN_CHECK_SECONDS = 0.05


class Database:
    """Hands out sessions on one engine; one transaction per `transaction()` block.

    On SQLite, this process's writers queue on a lock of their own before taking SQLite's: SQLite's
    busy handler polls, so under load one writer could otherwise lose every turn for seconds. Blocks
    opened with `transaction(group=True)` (the webhook's) go further: while others queue behind them
    they share one SQLite transaction, each in a savepoint of its own, and all leave their blocks only
    once the shared commit is on disk (group commit: one fsync for many messages, the same durability).
    On PostgreSQL every block is its own transaction and they run side by side.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        wait_seconds: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
        stuck_after_seconds: float | None = None,
        group_max_seconds: float = GROUP_MAX_SECONDS,
    ) -> None:
        self.engine = engine
        self.group_max_seconds = group_max_seconds
        self.wait_seconds = wait_seconds
        # A writer holding the turn longer than this is stuck (a lock held elsewhere): the next ones
        # give up at once instead of queueing behind it.
        self.stuck_after_seconds = stuck_after_seconds
        self._turn = _turn_for(engine) if engine.dialect.name == "sqlite" else None

    @property
    def groups_commits(self) -> bool:
        """Whether transaction(group=True) shares commits here (SQLite) or is a plain transaction."""
        return self._turn is not None

    @contextmanager
    def transaction(self, *, group: bool = False) -> Iterator[Session]:
        if self._turn is None:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
            return
        if group:
            with self._grouped() as session:
                yield session
            return
        self._take_turn()
        try:
            self._finish_open_batch()
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            self._release_turn()

    @contextmanager
    def _grouped(self) -> Iterator[Session]:
        turn = self._turn
        assert turn is not None
        self._take_turn()
        joined: _Batch | None = None
        try:
            batch = turn.batch
            first = batch is None
            if batch is None:
                session = Session(self.engine, expire_on_commit=False)
                try:
                    session.begin()
                    session.connection()  # BEGIN IMMEDIATE now: a locked database fails this block only
                except BaseException:
                    session.close()
                    raise
                batch = turn.batch = _Batch(session)
            try:
                try:
                    if first:
                        # Alone in the transaction so far: should it fail, the whole transaction goes
                        # back, so it needs no savepoint (two statements fewer a group).
                        yield batch.session
                    else:
                        with batch.session.begin_nested():
                            yield batch.session
                except BaseException:
                    # Rows this member wrote outside the ORM (insert_once) are rolled back, but objects
                    # made for them would stay in the shared session, and SQLite reuses their ids.
                    batch.session.expunge_all()
                    if first:
                        _discard(turn, batch)
                    raise
                batch.members += 1
                joined = batch
            finally:
                full = batch.members >= GROUP_MAX_MEMBERS or time.monotonic() - batch.opened > self.group_max_seconds
                if turn.batch is batch and (full or turn.queued == 0):
                    _finish(turn, batch)
        finally:
            self._release_turn()
        if joined is not None:
            self._await(joined)

    def writers_queued(self) -> int:
        """How many writers of this process wait for their turn at this SQLite file (0 on PostgreSQL)."""
        return self._turn.queued if self._turn is not None else 0

    def _finish_open_batch(self) -> None:
        assert self._turn is not None
        if self._turn.batch is not None:
            _finish(self._turn, self._turn.batch)

    def _await(self, batch: _Batch) -> None:
        """Wait until the group is committed; raise its error. Should the writer it was left open for
        have given up its place in the queue, the group is committed by whoever notices first."""
        turn = self._turn
        assert turn is not None
        while not batch.done.wait(_ORPHAN_CHECK_SECONDS):
            if turn.lock.acquire(blocking=False):
                try:
                    if turn.batch is batch:
                        _finish(turn, batch)
                finally:
                    turn.lock.release()
        if batch.error is not None:
            raise batch.error

    def _release_turn(self) -> None:
        assert self._turn is not None
        self._turn.taken_at = None
        self._turn.holder = None
        self._turn.lock.release()

    def _take_turn(self) -> None:
        turn = self._turn
        assert turn is not None
        deadline = time.monotonic() + self.wait_seconds
        with turn.queue_lock:
            turn.queued += 1
        try:
            while not turn.lock.acquire(timeout=0.05):
                if self.writer_stuck():
                    raise DatabaseBusy("the write before this one is stuck waiting for the database")
                if time.monotonic() > deadline:
                    raise DatabaseBusy(f"no turn at the database within {self.wait_seconds:g} s")
        finally:
            with turn.queue_lock:
                turn.queued -= 1
        turn.taken_at = time.monotonic()
        turn.holder = self

    def writer_stuck(self) -> bool:
        """Whether this process's current SQLite writer has waited or worked past stuck_after_seconds."""
        # Only this Database's own writers count (the webhook's): behind another part of the process
        # (a sweep) a writer waits its turn, up to wait_seconds, as it would wait for another process.
        turn = self._turn
        taken = turn.taken_at if turn is not None and turn.holder is self else None
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


def insert_once(session: Session, model: type[SQLModel], values: dict[str, Any], *, returning: str = "") -> Any:
    """One INSERT … ON CONFLICT DO NOTHING, no savepoint and no ORM object: the `returning` column's
    value (True without one) when the row went in, None when a unique key already holds it.

    Like try_insert, on PostgreSQL a concurrent insert of the same key waits for the other
    transaction; a None then means the other row is committed and can be read.
    """
    statement = _insert_once_statement(model.__table__, session.get_bind().dialect.name, returning)  # type: ignore[attr-defined]
    if returning:
        return session.execute(statement, values).scalar_one_or_none()
    result = session.execute(statement, values)
    return True if result.rowcount else None  # type: ignore[attr-defined]


@functools.cache
def _insert_once_statement(table: Any, dialect: str, returning: str) -> Any:
    """insert_once's statement, built once per table (the values are bound at execution)."""
    statement: Any = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table).on_conflict_do_nothing()
    return statement.returning(table.c[returning]) if returning else statement


def fixed_values(values: Iterable[object]) -> list[Any]:
    """Values for an IN list written into a statement built once: each its own bound value, so the
    statement is compiled once (a plain list is expanded again at every execution)."""
    return [literal(value) for value in values]


def is_unavailable(exc: BaseException) -> bool:
    """Whether exc means the database cannot take writes now (down, locked, read-only, unreachable),
    as opposed to a fault in what was asked of it."""
    if isinstance(exc, (OperationalError, InterfaceError, DatabaseBusy)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def is_stale_connection(exc: BaseException) -> bool:
    """Whether exc means a pooled connection had died (a server restart): the transaction never ran
    and a retry on a fresh connection may succeed."""
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

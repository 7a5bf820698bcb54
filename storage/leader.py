"""Leader election through the database: which one process runs the sweeps.

PostgreSQL: a session-level advisory lock held on a connection of its own (the server frees it the
moment that connection dies). SQLite: a lease row the holder renews by heartbeat, judged on the
database's clock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, create_engine, delete, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.db import Database, database_now, is_unavailable, try_insert
from storage.models import SchedulerLease

log = logging.getLogger(__name__)

# Any fixed number every process agrees on (not STARTUP_LOCK_KEY): "swep".
SCHEDULER_LOCK_KEY = 0x73776570
SCHEDULER = "scheduler"
# A SQLite lease not renewed for this long is free: with a heartbeat every 5 s a dead leader's
# lease is taken over well within 30 s.
LEASE_SECONDS = 20.0
# How long a heartbeat of the PostgreSQL leader may take before its connection counts as lost.
PG_HEARTBEAT_TIMEOUT_MS = 5_000


class Leadership(Protocol):
    """One process's claim to a role; acquire and heartbeat say whether this process holds it now."""

    holder: str

    def acquire(self) -> bool: ...

    def heartbeat(self) -> bool: ...

    def release(self) -> None: ...


def holder_id() -> str:
    """This process, recognisable in the lease row: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def leadership(engine: Engine, *, name: str = SCHEDULER, lease_seconds: float = LEASE_SECONDS) -> Leadership:
    """The election for name on this engine's database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLeadership(engine, key=SCHEDULER_LOCK_KEY if name == SCHEDULER else _key(name))
    return LeaseLeadership(Database(engine, wait_seconds=2.0), name=name, lease_seconds=lease_seconds)


def _key(name: str) -> int:
    return int.from_bytes(name.encode()[:4].ljust(4, b"_"), "big")


class AdvisoryLeadership:
    """PostgreSQL: pg_try_advisory_lock on a dedicated connection, checked in pg_locks by each heartbeat."""

    def __init__(self, engine: Engine, *, key: int) -> None:
        self.holder = holder_id()
        self.key = key
        # A pool of its own without pooling: closing the connection really closes it, and frees the lock.
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": 5,
                # The server, too, notices a leader whose host vanished without closing the connection.
                "options": f"-c statement_timeout={PG_HEARTBEAT_TIMEOUT_MS} -c tcp_keepalives_idle=5"
                " -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
                "application_name": f"courtyard leader {self.holder}"[:63],
                # A dead network path is noticed by the kernel within ~15 s, not hours.
                "keepalives": 1,
                "keepalives_idle": 5,
                "keepalives_interval": 2,
                "keepalives_count": 3,
            },
        )
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Take the lock if no other process holds it; True while this process holds it."""
        if self._connection is not None:
            return self.heartbeat()
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as exc:
            log.warning("scheduler election: cannot reach PostgreSQL: %s", _first_line(exc))
            return False
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar_one())
            connection.commit()
        except SQLAlchemyError as exc:
            log.warning("scheduler election failed: %s", _first_line(exc))
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def heartbeat(self) -> bool:
        """Whether the lock is still ours: the connection answers and pg_locks shows the lock granted to it."""
        connection = self._connection
        if connection is None:
            return False
        try:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid = 0 AND objid = :key AND objsubid = 1"
                ),
                {"key": self.key},
            ).scalar_one()
            connection.commit()
        except SQLAlchemyError as exc:
            log.warning("scheduler leadership lost with its connection: %s", _first_line(exc))
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        """Give the lock up (closing its connection frees it in any case)."""
        connection = self._connection
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            connection.commit()
        except SQLAlchemyError:
            pass  # the connection is gone, and the lock with it
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                connection.invalidate()


class LeaseLeadership:
    """SQLite: a row naming the holder and when its lease ends, renewed by every heartbeat."""

    def __init__(self, db: Database, *, name: str, lease_seconds: float) -> None:
        self.holder = holder_id()
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self._db = db
        self._valid_until = 0.0  # monotonic: past it, an unrenewed lease may be someone else's

    def acquire(self) -> bool:
        """Take the lease if it is free or expired (or renew ours); True while this process holds it."""
        return self._renew(take=True)

    def heartbeat(self) -> bool:
        """Renew our lease; False once another process holds it, or ours ran out unrenewed."""
        return self._renew(take=False)

    def release(self) -> None:
        """Give the lease up so that another process can take it at once."""
        self._valid_until = 0.0
        try:
            with self._db.transaction() as session:
                session.execute(
                    delete(SchedulerLease).where(
                        SchedulerLease.name == self.name,  # type: ignore[arg-type]
                        SchedulerLease.holder == self.holder,  # type: ignore[arg-type]
                    )
                )
        except SQLAlchemyError as exc:
            log.warning("could not release the scheduler lease (it expires by itself): %s", _first_line(exc))

    def _renew(self, *, take: bool) -> bool:
        started = time.monotonic()
        try:
            with self._db.transaction() as session:
                now = database_now(session)
                until = now + self.lease
                fresh = SchedulerLease(name=self.name, holder=self.holder, expires_at=until, heartbeat_at=now)
                row = session.get(SchedulerLease, self.name)
                if row is None:
                    if not take or not try_insert(session, fresh):
                        self._valid_until = 0.0
                        return False
                elif row.holder == self.holder or (take and row.expires_at <= now):
                    row.holder, row.expires_at, row.heartbeat_at = self.holder, fresh.expires_at, now
                    session.add(row)
                else:
                    self._valid_until = 0.0
                    return False
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("scheduler lease not renewed: %s", _first_line(exc))
            return time.monotonic() < self._valid_until
        # Stop counting on an unrenewed lease a little before another process may take it.
        self._valid_until = started + 0.8 * self.lease.total_seconds()
        return True


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__

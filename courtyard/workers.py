"""`courtyard serve --workers N` on PostgreSQL: N gunicorn worker processes on one port.

Each worker builds its own engine, webhook, web pages and elected scheduler after the fork (nothing
with a connection or a thread crosses it); of all workers, the one that wins the election runs the
sweeps. The master only binds the port and keeps N workers alive.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from sqlalchemy import make_url

from courtyard import messages, runtime
from courtyard.settings import Settings
from scheduler.election import ElectedScheduler
from scheduler.jobs import build_scheduler
from storage.db import Database, make_engine, startup_lock
from storage.leader import leadership

# A request (a webhook write, an export) may take this long before the master restarts its worker.
WORKER_TIMEOUT_SECONDS = 60


def workers_refusal(workers: int, database_url: str) -> str | None:
    """Why serve cannot run this many workers on this database, in Chinese; None when it can."""
    if workers < 1:
        return messages.WORKERS_AT_LEAST_ONE.format(workers=workers)
    if workers > 1 and make_url(database_url).get_backend_name() != "postgresql":
        return messages.WORKERS_NEED_POSTGRES.format(workers=workers)
    return None


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, as a container or taskset limits it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def workers_advice(workers: int, cores: int) -> str | None:
    """A warning, in Chinese, when more workers than cores are asked for; None otherwise.

    A message costs 15-25 ms of CPU (most of it SQLAlchemy), so a worker is busy computing, not
    waiting: past one worker a core, more workers only add context switches and PostgreSQL backends
    (on 2 cores, 4 workers spent 30-40 % more CPU a message than 1 or 2, bench/workers.py)."""
    return messages.WORKERS_OVER_CORES.format(workers=workers, cores=cores) if workers > cores else None


class _Workers(BaseApplication):  # type: ignore[misc]
    """gunicorn driven from code: our options, our app factory, no command line of its own."""

    def __init__(self, options: dict[str, Any], build: Callable[[], Any]) -> None:
        self._options = options
        self._build = build
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._build()


def run_workers(settings: Settings, *, host: str, port: int, threads: int, workers: int) -> int:
    """Serve with `workers` processes until stopped; gunicorn's exit status."""
    schedulers: list[ElectedScheduler] = []

    def build() -> Any:
        """One worker's app, built after the fork."""
        db = Database(make_engine(settings.courtyard_db_url))
        ready = threading.Event()
        with startup_lock(db.engine):  # the demo's seeding happens once, not in every worker
            parts = runtime.build_server(settings, db, ready, host=host, threads=threads)
        scheduler = ElectedScheduler(
            leadership(db.engine),
            lambda: build_scheduler(parts.sweeps, settings.tz, drain=parts.drains),
            on_change=runtime.announce_leadership,
        )
        schedulers.append(scheduler.start())
        ready.set()
        return parts.wsgi

    def when_ready(server: Any) -> None:
        address = f"http://{host}:{server.LISTENERS[0].getsockname()[1]}"
        print(messages.WORKERS_READY.format(workers=workers, address=address), flush=True)

    def worker_exit(_server: Any, _worker: Any) -> None:
        for scheduler in schedulers:
            scheduler.shutdown()

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": WORKER_TIMEOUT_SECONDS,
        "graceful_timeout": 10,
        "when_ready": when_ready,
        "worker_exit": worker_exit,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    try:
        _Workers(options, build).run()
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    sys.stdout.flush()
    return 0

"""One scheduler for all processes: elected through the database, taken over when the leader dies.

Runs on a SQLite file, and on PostgreSQL with COURTYARD_TEST_POSTGRES set.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from courtyard.runtime import announce_leadership
from scheduler.election import ElectedScheduler
from storage import migrate
from storage.db import make_engine
from storage.leader import Leadership, leadership
from tests.conftest import database_url
from tests.courtyard.test_cli import COURTYARD, env_for

LEASE = 2.0  # short, so that a dead leader's SQLite lease runs out quickly in the test

# A process on a host whose clock runs an hour ahead: Python's clocks (time.time, datetime.now) are
# moved before anything is imported. Leases are judged on the database's clock, so it cannot take over.
AHEAD_SCRIPT = """
import datetime, sys, time
real_datetime, real_time = datetime.datetime, time.time
class Ahead(real_datetime):
    @classmethod
    def now(cls, tz=None):
        return real_datetime.now(tz) + datetime.timedelta(hours=1)
    @classmethod
    def utcnow(cls):
        return real_datetime.utcnow() + datetime.timedelta(hours=1)
datetime.datetime = Ahead
time.time = lambda: real_time() + 3600
from storage.db import make_engine
from storage.leader import leadership
lock = leadership(make_engine(sys.argv[1]), lease_seconds=float(sys.argv[2]))
print("took it" if lock.acquire() else "refused", flush=True)
"""

LEADER_SCRIPT = """
import sys, time
from storage.db import make_engine
from storage.leader import leadership
lock = leadership(make_engine(sys.argv[1]), lease_seconds=float(sys.argv[2]))
while not lock.acquire():
    time.sleep(0.1)
print("leading", flush=True)
while lock.heartbeat():
    time.sleep(0.2)
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(database_url(tmp_path))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def until(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll condition until it holds (a bound against hanging, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def make_scheduler(
    lock: Leadership, runs: list[str], name: str, on_change: Callable[[bool, str], None] | None = None
) -> ElectedScheduler:
    def build() -> BackgroundScheduler:
        scheduler = BackgroundScheduler()
        scheduler.add_job(runs.append, "interval", seconds=0.05, args=[name], id="sweep")
        return scheduler

    return ElectedScheduler(lock, build, heartbeat_seconds=0.1, on_change=on_change)


def test_of_two_schedulers_exactly_one_runs_the_sweeps(engine: Engine) -> None:
    runs: list[str] = []
    first = make_scheduler(leadership(engine, lease_seconds=LEASE), runs, "first")
    second = make_scheduler(leadership(engine, lease_seconds=LEASE), runs, "second")
    for _ in range(3):
        first.tick()
        second.tick()
    assert (first.leading, second.leading) == (True, False)
    assert until(lambda: len(runs) >= 5)
    assert set(runs) == {"first"}

    first.shutdown()  # a clean stop hands over at the follower's next round
    second.tick()
    assert second.leading
    runs.clear()
    assert until(lambda: len(runs) >= 5)
    assert set(runs) == {"second"}
    second.shutdown()


def test_a_killed_leader_is_replaced(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    leader = subprocess.Popen([sys.executable, "-c", LEADER_SCRIPT, url, str(LEASE)], stdout=subprocess.PIPE, text=True)
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == "leading"
        runs: list[str] = []
        follower = make_scheduler(leadership(engine, lease_seconds=LEASE), runs, "follower")
        for _ in range(5):  # longer than the lease: a live leader's heartbeat keeps it
            follower.tick()
            time.sleep(LEASE / 4)
        assert not follower.leading and runs == []

        follower.start()
        leader.kill()
        leader.wait()
        assert follower.wait_until(leading=True, timeout=30), "nobody took over within 30 s"
        assert until(lambda: len(runs) >= 3)
        follower.shutdown()
    finally:
        leader.kill()
        leader.wait()


def test_a_host_whose_clock_runs_ahead_cannot_steal_a_live_lease(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    leader = subprocess.Popen([sys.executable, "-c", LEADER_SCRIPT, url, str(LEASE)], stdout=subprocess.PIPE, text=True)
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == "leading"
        for _ in range(2):
            ahead = subprocess.run(
                [sys.executable, "-c", AHEAD_SCRIPT, url, str(LEASE)], capture_output=True, text=True, timeout=120
            )
            assert ahead.stdout.strip() == "refused", ahead.stderr
        assert leader.poll() is None, "the leader still holds its lease"
    finally:
        leader.kill()
        leader.wait()


def test_a_leader_that_lost_the_lock_stops_running_the_sweeps_and_says_so(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []
    lock = leadership(engine, lease_seconds=LEASE)
    first = make_scheduler(lock, runs, "first", on_change=announce_leadership)
    with caplog.at_level(logging.INFO):
        first.tick()
        assert first.leading
        lock.release()  # as if its connection or lease went away behind its back
        thief = leadership(engine, lease_seconds=LEASE)
        assert thief.acquire()
        first.tick()
    assert not first.leading
    said = [r.getMessage() for r in caplog.records if r.name.startswith(("courtyard", "scheduler"))]
    assert len(said) == 2, said  # each change once, in Chinese
    assert said[0].startswith("本进程接手了定时任务") and lock.holder in said[0]
    assert said[1].startswith("本进程失去了定时任务的调度锁") and "以免重复提醒" in said[1]
    settled = len(runs)
    time.sleep(0.3)
    assert len(runs) <= settled + 1  # at most a run already under way
    thief.release()
    first.shutdown()


def test_sweep_from_a_shell_waits_for_the_lock_and_says_so(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    env = env_for(tmp_path, COURTYARD_DB_URL=url)
    held = leadership(engine)
    assert held.acquire()
    refused = subprocess.run(
        [COURTYARD, "sweep", "--wait", "1"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 1
    assert "正在执行定时任务" in refused.stdout and "本次不运行" in refused.stderr
    assert "定时任务已执行" not in refused.stdout

    held.release()
    done = subprocess.run([COURTYARD, "sweep"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "定时任务已执行" in done.stdout and "正在执行定时任务" not in done.stdout
    assert held.acquire(), "the shell sweep kept the lock after it finished"
    held.release()

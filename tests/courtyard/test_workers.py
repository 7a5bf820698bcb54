"""`courtyard serve --workers N`: several processes on one port on PostgreSQL; refused on SQLite and for 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from courtyard.workers import available_cores, workers_advice
from storage import migrate
from storage.db import make_engine
from storage.leader import SCHEDULER_LOCK_KEY
from tests.conftest import TOKEN, database_url
from tests.courtyard.test_cli import env_for, run
from tests.fake_wechat import FakeWeChat
from tests.support.serve import serving
from tests.support.wechat_client import WeChatPoster

needs_postgres = pytest.mark.skipif(
    not os.environ.get("COURTYARD_TEST_POSTGRES"), reason="several workers need PostgreSQL (COURTYARD_TEST_POSTGRES)"
)


def test_workers_on_sqlite_are_refused_in_chinese(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--port", "0", "--workers", "4")
    assert result.returncode == 2
    assert "SQLite 只能由一个进程写入" in result.stderr and "PostgreSQL" in result.stderr
    assert not (tmp_path / "cli.db").exists(), "refused before touching the database"


def test_zero_workers_are_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--port", "0", "--workers", "0")
    assert result.returncode == 2
    assert "--workers 至少为 1" in result.stderr


def test_more_workers_than_cores_are_advised_against() -> None:
    advice = workers_advice(4, 2)
    assert advice is not None and "4" in advice and "2 个 CPU 核" in advice and "建议 --workers 2" in advice
    assert workers_advice(2, 2) is None and workers_advice(1, 1) is None
    assert 1 <= available_cores() <= (os.cpu_count() or 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_unreachable_database_is_named_in_chinese(tmp_path: Path, workers: str) -> None:
    nobody_listens = f"postgresql+psycopg://courtyard:s3cret@127.0.0.1:{free_port()}/courtyard"
    result = run(tmp_path, "serve", "--port", "0", "--workers", workers, COURTYARD_DB_URL=nobody_listens)
    assert result.returncode == 1
    assert "无法连接数据库" in result.stderr and "COURTYARD_DB_URL" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout, "the password is not printed"
    assert "Traceback" not in result.stderr


def test_a_missing_sqlite_folder_is_named_in_chinese(tmp_path: Path) -> None:
    result = run(tmp_path, "org", "import", "x.yaml", COURTYARD_DB_URL=f"sqlite:///{tmp_path}/gone/courtyard.db")
    assert result.returncode == 1
    assert "无法连接数据库" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "gone").exists()


@pytest.fixture
def two_workers(tmp_path: Path, fake_wechat: FakeWeChat) -> Iterator[tuple[str, str]]:
    """`courtyard serve --workers 2` on a fresh PostgreSQL database; yields (base URL, database URL)."""
    url = database_url(tmp_path)
    with serving(tmp_path, env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=url), "--workers", "2") as served:
        assert "2 个工作进程" in served.started
        yield served.base_url, url


@needs_postgres
def test_two_workers_file_one_ticket_per_msgid_with_identical_replies(two_workers: tuple[str, str]) -> None:
    base_url, url = two_workers
    poster = WeChatPoster(base_url, token=TOKEN)
    texts = [f"桂花苑{n}栋门口的路灯坏了第{n}次" for n in range(1, 6)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for n, said in enumerate(texts, start=1):
            send = partial(poster.text, "o_same", said, msg_id=770000 + n)  # WeChat's retries of one message
            replies = [future.result() for future in [pool.submit(send) for _ in range(8)]]
            assert {r.status for r in replies} == {200}
            assert len({r.content for r in replies}) == 1, [r.content for r in replies]
            assert re.search(r"编号 \d+", replies[0].content or "")

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            for said in texts:
                filed = connection.execute(text("SELECT count(*) FROM ticket WHERE text = :t"), {"t": said})
                assert filed.scalar_one() == 1, said
        deadline = time.monotonic() + 30
        while leaders(engine) != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert leaders(engine) == 1, "exactly one worker runs the sweeps"
    finally:
        engine.dispose()


def leaders(engine: Engine) -> int:
    """How many connections hold the scheduler's advisory lock."""
    with engine.connect() as connection:
        held = connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted"),
            {"key": SCHEDULER_LOCK_KEY},
        )
        return int(held.scalar_one())


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes (its children, from /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def wait_for_workers(master: int, count: int) -> list[int]:
    """The workers once count of them run (gunicorn says it is ready before it forks them)."""
    deadline = time.monotonic() + 60
    while len(pids := worker_pids(master)) != count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pids) == count, pids
    return pids


@needs_postgres
def test_a_worker_killed_mid_load_loses_nothing_acknowledged_and_retries_file_once(
    tmp_path: Path, fake_wechat: FakeWeChat
) -> None:
    url = database_url(tmp_path)
    said = {780000 + n: f"{COURTYARDS[n % 3]}{n}栋{PROBLEMS[n % 4]}，第{n}次说了" for n in range(120)}
    acknowledged: dict[int, str] = {}
    with serving(tmp_path, env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=url), "--workers", "2") as served:
        poster = WeChatPoster(served.base_url, token=TOKEN)
        victims = wait_for_workers(served.process.pid, 2)

        def send(msg_id: int) -> None:
            try:
                reply = poster.text(f"o_load{msg_id % 40}", said[msg_id], msg_id=msg_id)
            except requests.RequestException:
                return  # the worker died under this request: WeChat retries it
            if reply.status == 200 and re.search(r"编号 \d+", reply.content or ""):
                acknowledged[msg_id] = reply.content or ""

        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(send, msg_id) for msg_id in said]
            while len(acknowledged) < 30 and not all(f.done() for f in futures):
                time.sleep(0.01)
            os.kill(victims[0], signal.SIGKILL)  # mid-load: requests are in flight on both workers
            for future in futures:
                future.result()
        assert len(acknowledged) >= 30

        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                for msg_id, reply in acknowledged.items():  # everything acknowledged is stored, with its ticket
                    stored = connection.execute(
                        text("SELECT reply FROM inboundmessage WHERE content = :t"), {"t": said[msg_id]}
                    ).all()
                    assert [row.reply for row in stored] == [reply], said[msg_id]
                    assert connection.execute(text("SELECT count(*) FROM ticket WHERE id = :n"), {"n": number(reply)})

            # WeChat retries every message whose answer it did not get (here: all of them, again).
            with ThreadPoolExecutor(max_workers=6) as pool:
                retries = dict(
                    zip(said, pool.map(lambda m: poster.text(f"o_load{m % 40}", said[m], msg_id=m), said), strict=True)
                )
            assert {reply.status for reply in retries.values()} == {200}
            for msg_id, first in acknowledged.items():
                assert retries[msg_id].content == first, "a retry is answered as the first delivery was"
            with engine.connect() as connection:
                messages = connection.execute(text("SELECT count(*) FROM inboundmessage WHERE content LIKE '%次说了'"))
                assert messages.scalar_one() == len(said), "every message stored once"
                filed = connection.execute(text("SELECT id FROM ticket WHERE text LIKE '%次说了'"))
                tickets = {row.id for row in filed}
        finally:
            engine.dispose()
        # Every ticket is the one some message's answer names: a message filed twice would leave a ticket
        # that no answer names (a retry is answered with the stored first answer).
        assert tickets == {number(reply.content or "") for reply in retries.values()}
        assert served.process.poll() is None
        assert victims[0] not in wait_for_workers(served.process.pid, 2), "the killed worker was replaced"


COURTYARDS = ("桂花苑", "银杏院", "东风院")


def number(reply: str) -> int:
    """The ticket number (编号 N) a reply names."""
    found = re.search(r"编号 (\d+)", reply)
    assert found, reply
    return int(found.group(1))


PROBLEMS = ("门口的路灯坏了", "垃圾三天没人收", "下水道堵了", "楼道灯不亮")


def test_a_sqlite_file_locked_by_another_process_is_named_in_chinese(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"
    migrate.upgrade(make_engine(f"sqlite:///{database}"))
    with closing(sqlite3.connect(database, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process stuck in a write transaction
        result = run(tmp_path, "sweep")
        other.execute("ROLLBACK")
    assert result.returncode == 1
    assert "被另一个进程锁住" in result.stderr and "Traceback" not in result.stderr

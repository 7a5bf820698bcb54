"""A reply promises only what is stored: the database locked or stopped mid-stream, over real HTTP."""

from __future__ import annotations

import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from handlers import texts
from storage.models import InboundMessage, Outbox
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say
from tests.support.postgres import private_postgres

_ids = itertools.count(8_100_000_000)


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def health(server: Running) -> int:
    return requests.get(server.base_url + "/healthz", timeout=2.5).status_code


def journal_empty(server: Running) -> bool:
    path = Path(server.settings.courtyard_journal)
    return not path.exists() or path.stat().st_size == 0


def inbound_rows(server: Running) -> list[InboundMessage]:
    with server.db.transaction() as session:
        return list(session.exec(select(InboundMessage)).all())


@contextmanager
def sqlite_locked(server: Running) -> Iterator[None]:
    """Another program holds SQLite's write lock (as a long backup or a stuck writer would)."""
    path = server.settings.courtyard_db_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def send_during_outage(server: Running, count: int) -> list[tuple[str, int, str]]:
    """count complaints from different people; each (openid, MsgId, reply), every reply a true promise."""
    sent = []
    for i in range(count):
        openid, msg_id = f"o_outage{i}", next(_ids)
        reply = server.poster.text(openid, f"翠竹苑{i + 1}栋楼道的灯坏了{i + 2}天了", msg_id=msg_id)
        assert reply.status == 200 and reply.content == texts.KEPT_FOR_LATER, reply
        sent.append((openid, msg_id, reply.content))
    return sent


def check_recovered(server: Running, fake: FakeWeChat, sent: list[tuple[str, int, str]], before: int) -> None:
    """After the outage: every acknowledged message in the database once, its answer pushed, retries answered alike."""
    assert wait_until(lambda: journal_empty(server) and health(server) == 200), "journal not replayed"
    rows = inbound_rows(server)
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)) == before + len(sent)
    by_key = {row.key: row for row in rows}
    for openid, msg_id, reply in sent:
        row = by_key[f"msg:{openid}:{msg_id}"]
        assert row.reply == reply and row.openid == openid and row.error is None
        again = server.poster.text(openid, "重发的同一条", msg_id=msg_id)  # WeChat's retry: same answer
        assert again.content == reply
    server.drain()
    for openid, _, _ in sent:
        late = [t for t in fake.texts_for(openid) if t.startswith("您在")]
        assert len(late) == 1 and "现在处理好了" in late[0]
        number_in(late[0])
    with server.db.transaction() as session:
        assert len(session.exec(select(Outbox).where(Outbox.kind == "late_answer")).all()) == len(sent)


def test_sqlite_locked_mid_stream_loses_and_doubles_nothing(server: Running, fake_wechat: FakeWeChat) -> None:
    if not server.settings.courtyard_db_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    number_in(say(server, "o_before", "桂花苑门口的路灯坏了"))
    with sqlite_locked(server):
        sent = send_during_outage(server, 4)
        again = server.poster.text(sent[0][0], "重发", msg_id=sent[0][1])
        assert again.content == texts.KEPT_FOR_LATER
        assert health(server) == 503
    check_recovered(server, fake_wechat, sent, before=1)
    assert "编号" in say(server, "o_after", "银杏院垃圾没人收")


def test_healthz_answers_while_every_worker_waits_on_a_lock(server: Running) -> None:
    if not server.settings.courtyard_db_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    with sqlite_locked(server), ThreadPoolExecutor(max_workers=8) as pool:
        replies = [
            pool.submit(server.poster.text, f"o_busy{i}", f"东风小区{i}号楼下水道堵了", msg_id=next(_ids))
            for i in range(8)
        ]
        # Every answer comes within 2.5 s although messages wait up to 3 s for the lock, and it
        # turns to 503 once the lock is seen.
        assert wait_until(lambda: health(server) == 503, timeout=20)
        assert {r.result().content for r in replies} == {texts.KEPT_FOR_LATER}
    assert wait_until(lambda: journal_empty(server))
    assert len(inbound_rows(server)) == 8


def test_database_and_journal_both_down_is_not_acknowledged(start_server: Callable[..., Running], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal's folder should be")
    server = start_server(courtyard_journal=str(blocker / "inbox.jsonl"))
    if not server.settings.courtyard_db_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    msg_id = next(_ids)
    with sqlite_locked(server):
        tries = [server.poster.text("o_unlucky", "桂花苑路灯坏了", msg_id=msg_id) for _ in range(3)]
    assert [t.status for t in tries[:2]] == [503, 503]  # WeChat retries
    assert tries[2].status == 200 and tries[2].content == texts.NOT_KEPT  # the last try is told the truth
    assert "已经" not in texts.NOT_KEPT and "没能保存" in texts.NOT_KEPT


def test_postgres_stopped_and_restarted_mid_stream(
    start_server: Callable[..., Running], fake_wechat: FakeWeChat
) -> None:
    if not os.environ.get("COURTYARD_TEST_POSTGRES"):
        pytest.skip("runs in the PostgreSQL pass of the suite (COURTYARD_TEST_POSTGRES)")
    postgres = private_postgres()
    try:
        server = start_server(courtyard_db_url=postgres.url)
        for i in range(3):
            number_in(say(server, f"o_pg_before{i}", f"桂花苑{i + 1}单元门禁坏了"))
        postgres.stop()
        sent = send_during_outage(server, 5)
        assert health(server) == 503
        postgres.start()
        check_recovered(server, fake_wechat, sent, before=3)
    finally:
        postgres.close()


def test_a_record_that_cannot_be_replayed_does_not_hold_up_the_rest(server: Running) -> None:
    from datetime import UTC, datetime

    from handlers.durability import to_record
    from handlers.messages import Inbound
    from storage.journal import Journal

    journal = Journal(Path(server.settings.courtyard_journal))
    journal.append({"key": "msg:broken", "reply": texts.KEPT_FOR_LATER})  # no message in it
    good = Inbound(openid="o_kept", kind="text", key="msg:8199", sent_at=datetime.now(UTC), text="银杏院路灯坏了")
    journal.append(to_record(good, reply=texts.KEPT_FOR_LATER, now=server.clock()))
    assert wait_until(lambda: journal_empty(server))
    assert [row.key for row in inbound_rows(server)] == ["msg:8199"]
    rejected = Journal(Path(server.settings.courtyard_journal + ".rejected")).records()
    assert [r["key"] for r in rejected] == ["msg:broken"]

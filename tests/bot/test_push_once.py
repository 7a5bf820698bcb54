"""A push is sent once: a slow WeChat API, a racing `courtyard sweep --at`, a drain that died mid-send."""

from __future__ import annotations

import logging
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from storage import outbox as outbox_repo
from storage.models import Outbox, OutboxStatus
from tests.conftest import Running
from tests.courtyard.test_cli import COURTYARD, env_for
from tests.fake_wechat import FakeWeChat, Fault
from tests.support.chat import number_in, say

LIFANG = "o_lifang"


def new_task_pushes(fake: FakeWeChat, number: int) -> list[str]:
    return [t for t in fake.texts_for(LIFANG) if t.startswith(f"【新任务】编号 {number}")]


def task_row(server: Running, number: int) -> Outbox:
    with server.db.transaction() as session:
        return session.exec(select(Outbox).where(Outbox.ticket_id == number, Outbox.kind == "new_task")).one()


def test_a_slow_api_and_a_racing_sweep_deliver_once(server: Running, fake_wechat: FakeWeChat, tmp_path: Path) -> None:
    number = number_in(say(server, "o_slow", "桂花苑门口的路灯坏了三天了"))
    fake_wechat.fail_next(Fault.LATE, kind="custom")  # answered after 6 s, longer than WeChat's old 5 s
    with ThreadPoolExecutor(max_workers=1) as pool:
        serving = pool.submit(server.drain)
        assert fake_wechat.wait_for(lambda: len(fake_wechat.requests) == 1, timeout=10)
        # An operator's sweep two minutes ahead of the server's clock, while the push is in flight.
        later = (server.clock() + timedelta(minutes=2)).isoformat()
        env = env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=server.settings.courtyard_db_url)
        swept = subprocess.run(
            [COURTYARD, "sweep", "--at", later], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert swept.returncode == 0, swept.stderr
        assert serving.result().get("sent:custom") == 1  # the late answer is recorded
    assert len(new_task_pushes(fake_wechat, number)) == 1
    row = task_row(server, number)
    assert (row.status, row.attempts, row.unknown_fate) == (OutboxStatus.SENT, 1, 0)


def test_a_push_of_unknown_fate_is_resent_once_and_logged(
    server: Running, fake_wechat: FakeWeChat, caplog: pytest.LogCaptureFixture
) -> None:
    number = number_in(say(server, "o_crash", "桂花苑3栋的化粪池堵了"))
    outbox_id = task_row(server, number).id
    assert outbox_id is not None

    def die_mid_send() -> None:
        """A drain claims the push and is killed before it records anything; its lease runs out."""
        with server.db.transaction() as session:
            assert outbox_repo.claim(session=session, outbox_id=outbox_id, now=server.clock(), lease=timedelta(0))
            session.execute(
                update(Outbox).where(col(Outbox.id) == outbox_id).values(lease_until=server.clock() - timedelta(days=30))
            )

    die_mid_send()
    caplog.set_level(logging.WARNING, logger="handlers.delivery")
    assert server.drain() == {"sent:custom": 1}
    assert "possibly doubled" in caplog.text
    assert len(new_task_pushes(fake_wechat, number)) == 1
    assert task_row(server, number).unknown_fate == 1

    with server.db.transaction() as session:  # sent, then another crash made it look in flight again
        session.execute(update(Outbox).where(col(Outbox.id) == outbox_id).values(status=OutboxStatus.PENDING))
    die_mid_send()
    assert server.drain() == {"failed": 1}  # a second unknown fate: not resent again
    assert len(new_task_pushes(fake_wechat, number)) == 1
    row = task_row(server, number)
    assert row.status == OutboxStatus.FAILED and "unknown fate" in (row.last_error or "")


def test_a_lease_is_judged_on_the_database_clock(server: Running) -> None:
    number = number_in(say(server, "o_lease", "桂花苑楼道灯不亮"))
    outbox_id = task_row(server, number).id
    assert outbox_id is not None
    with server.db.transaction() as session:
        assert outbox_repo.claim(session=session, outbox_id=outbox_id, now=server.clock(), lease=timedelta(minutes=2))
    far_ahead = server.clock() + timedelta(days=365)  # a simulated `--at` a year on
    with server.db.transaction() as session:
        assert outbox_id not in outbox_repo.due_ids(session=session, now=far_ahead, limit=100)
        assert outbox_repo.claim(session=session, outbox_id=outbox_id, now=far_ahead, lease=timedelta(minutes=2)) is None

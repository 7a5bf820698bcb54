"""Pushes reach people by the right WeChat channel, survive API failures, and are never sent twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlmodel import col, select

from storage.models import Outbox, OutboxStatus
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat, Fault
from tests.support.chat import number_in

LIFANG = "o_lifang"


def outbox(server: Running) -> list[Outbox]:
    with server.db.transaction() as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


def test_closed_window_falls_back_to_the_template(start_server, fake_wechat: FakeWeChat) -> None:
    server = start_server(wechat_template_task="TPL_TASK")
    fake_wechat.close_window(LIFANG)
    n = number_in(server.poster.text("o_r1", "桂花苑路灯坏了").content)
    assert server.drain() == {"sent:template": 1}
    [push] = fake_wechat.templates_for(LIFANG)
    assert push.template_id == "TPL_TASK" and f"编号 {n}" in push.data["keyword1"]


def test_without_a_template_the_push_waits_for_the_person(server: Running, fake_wechat: FakeWeChat) -> None:
    fake_wechat.close_window(LIFANG)
    first = number_in(server.poster.text("o_r1", "桂花苑路灯坏了").content)
    second = number_in(server.poster.text("o_r2", "桂花苑垃圾没人收").content)
    assert server.drain() == {"held": 2}
    assert fake_wechat.texts_for(LIFANG) == []
    fake_wechat.open_window(LIFANG)
    server.poster.text(LIFANG, "任务")  # the cadre writes: the window is open again
    assert server.drain() == {"sent:custom": 1}  # one summary, not a burst
    [summary] = fake_wechat.texts_for(LIFANG)
    assert summary.startswith("【未读汇总】") and "2 条通知" in summary
    assert f"编号 {first}" in summary and f"编号 {second}" in summary


def test_known_closed_window_goes_straight_to_the_template(start_server, fake_wechat: FakeWeChat) -> None:
    server = start_server(wechat_template_status="TPL_STATUS")
    n = number_in(server.poster.text("o_r1", "桂花苑路灯坏了").content)
    server.drain()
    server.poster.text(LIFANG, f"受理 {n}")
    later = server.clock() + timedelta(hours=49)  # the resident last wrote more than 48 hours ago
    assert server.drain(later) == {"sent:template": 1}
    assert not [r for r in fake_wechat.requests if r.openid == "o_r1" and r.kind == "custom"]


def test_unsubscribed_person_is_marked_failed_with_the_reason(server: Running, fake_wechat: FakeWeChat) -> None:
    fake_wechat.unsubscribe(LIFANG)
    server.poster.text("o_r1", "桂花苑路灯坏了")
    assert server.drain() == {"failed": 1}
    [row] = outbox(server)
    assert row.status == OutboxStatus.FAILED and "43004" in (row.last_error or "")


def test_transient_failures_back_off_then_deliver(server: Running, fake_wechat: FakeWeChat) -> None:
    fake_wechat.fail_next(Fault.HTTP_500, times=1)
    fake_wechat.fail_next(-1, times=1)
    server.poster.text("o_r1", "桂花苑路灯坏了")
    now = server.clock()
    assert server.drain(now) == {"pending": 1}
    assert server.drain(now) == {}  # backing off: not due yet
    assert server.drain(now + timedelta(seconds=2)) == {"pending": 1}
    assert server.drain(now + timedelta(seconds=5)) == {"sent:custom": 1}
    assert len(fake_wechat.texts_for(LIFANG)) == 1


def test_two_drains_racing_send_each_push_once(server: Running, fake_wechat: FakeWeChat) -> None:
    for i in range(40):
        server.poster.text(f"o_r{i}", f"桂花苑{i + 1}栋门口的路灯坏了")  # 40 buildings: 40 tickets
    start = threading.Barrier(4)

    def drain() -> None:
        start.wait()
        server.drain()

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    texts = fake_wechat.texts_for(LIFANG)
    assert len(texts) == len(set(texts)) == 40


def test_conversations_with_the_api_failing_30_percent(start_server, fake_wechat: FakeWeChat) -> None:
    """Many full loops while 30 % of API calls fail: every push arrives exactly once, by some channel."""
    server = start_server(wechat_template_task="TPL_TASK", wechat_template_status="TPL_STATUS")
    fake_wechat.fail_randomly(0.3, seed=20261125, codes=(-1, Fault.HTTP_500, 45015))
    numbers = [number_in(server.poster.text(f"o_r{i}", f"桂花苑{i}栋门口路灯坏了").content) for i in range(30)]
    for n in numbers:
        server.poster.text(LIFANG, f"受理 {n}")
        server.poster.text(LIFANG, f"办结 {n} 已修好")
    moment = server.clock()
    for _ in range(60):  # a drain a minute: retries, not a backlog (held.BACKLOG_AGE), so no summary
        moment += timedelta(minutes=1)
        server.drain(moment)
    rows = outbox(server)
    by_channel = Counter(f"{r.status}:{r.channel or '-'}" for r in rows)
    print("delivery by channel:", dict(by_channel), "attempts:", sum(r.attempts for r in rows), "pushes:", len(rows))
    assert len(rows) == 30 * 4  # new task, accepted, resolved, survey for each ticket
    sent = by_channel["sent:custom"] + by_channel["sent:template"]
    # A template refused with 45015 too waits for its person; nothing is lost or left pending.
    assert sent + by_channel["held:template"] + by_channel["held:-"] == len(rows)
    assert by_channel["sent:template"] > 0
    delivered = [m.text or m.data.get("remark", "") + str(m.data) for m in fake_wechat.messages]
    assert len(delivered) == len(set(delivered)) == sent

"""A person out of reach for days: held pushes collapse per ticket, come back as one summary, and the level above hears."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from scheduler.jobs import run_all
from storage.models import Outbox, OutboxStatus, TicketEvent
from tests.conftest import Running
from tests.courtyard.test_cli import COURTYARD, env_for
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIFANG, WANGMING, ZHAOQIANG = "o_lifang", "o_wangming", "o_zhaoqiang"
COMPLAINTS = [
    "桂花苑三号楼门口的路灯坏了三天了",
    "桂花苑五号楼楼道里堆满了垃圾没人收",
    "桂花苑七号楼下水道堵了，污水冒出来",
    "桂花苑一号楼的楼道灯不亮了",
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def sweep_hourly(server: Running, start: datetime, end: datetime) -> None:
    moment = start
    while moment <= end:
        run_all(server.sweep_deps, moment)
        moment += timedelta(hours=1)


def pushes(server: Running, openid: str) -> list[Outbox]:
    with server.db.transaction() as session:
        return list(session.exec(select(Outbox).where(Outbox.openid == openid).order_by(col(Outbox.id))).all())


def file_four(server: Running) -> list[int]:
    server.clock.set(at("2026-11-24T10:00"))
    return [number_in(say(server, f"o_neighbour{i}", text)) for i, text in enumerate(COMPLAINTS)]


def test_a_cadre_silent_for_three_days_gets_one_summary(server: Running, fake_wechat: FakeWeChat) -> None:
    server.clock.set(at("2026-11-23T09:00"))
    say(server, LIFANG, "任务")  # her 48-hour window closes on Wednesday 09:00
    numbers = file_four(server)
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-11-28T09:00"))
    delivered_before = len(fake_wechat.texts_for(LIFANG))
    held = [p for p in pushes(server, LIFANG) if p.status == OutboxStatus.HELD]
    # Due-soon on Thursday, overdue on Friday: per ticket only the latest state is still waiting.
    assert sorted(p.ticket_id for p in held) == sorted(numbers)
    assert all(p.text.startswith("【已超期】") for p in held)

    server.clock.set(at("2026-11-28T10:00"))  # Saturday: three days after her window closed
    say(server, LIFANG, "在吗")
    run_all(server.sweep_deps, at("2026-11-28T10:01"))
    released = fake_wechat.texts_for(LIFANG)[delivered_before:]
    assert len(released) == 1
    [summary] = released
    assert summary.startswith("【未读汇总】") and len(summary.encode()) <= 2048
    assert all(f"编号 {n}" in summary for n in numbers)
    assert "【即将到期】" not in summary and "已被后来的消息取代" in summary
    assert not [p for p in pushes(server, LIFANG) if p.status == OutboxStatus.HELD]
    # Writing again after that brings nothing more.
    server.clock.set(at("2026-11-28T10:05"))
    say(server, LIFANG, "任务")
    run_all(server.sweep_deps, at("2026-11-28T10:06"))
    assert len(fake_wechat.texts_for(LIFANG)) == delivered_before + 1


def test_the_community_hears_once_when_a_cadre_is_unreachable_for_a_working_day(
    server: Running, fake_wechat: FakeWeChat
) -> None:
    server.clock.set(at("2026-11-23T09:00"))
    say(server, LIFANG, "任务")
    numbers = file_four(server)
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-11-26T09:00"))
    assert not [t for t in fake_wechat.texts_for(WANGMING) if t.startswith("【联系不上】")]  # held Thursday 08:30
    sweep_hourly(server, at("2026-11-26T10:00"), at("2026-11-30T12:00"))
    sweep_hourly(server, at("2026-11-26T10:00"), at("2026-11-30T12:00"))  # again: nothing twice
    notices = [t for t in fake_wechat.texts_for(WANGMING) if t.startswith("【联系不上】")]
    assert len(notices) == 1
    [notice] = notices
    assert "· 李芳（桂花苑）" in notice and f"涉及编号 {'、'.join(map(str, sorted(numbers)))}" in notice
    assert not [t for t in fake_wechat.texts_for(ZHAOQIANG) if t.startswith("【联系不上】")]
    with server.db.transaction() as session:
        [sent] = [
            p for p in session.exec(select(Outbox).where(Outbox.openid == WANGMING)).all() if "联系不上" in p.text
        ]
        assert f"{sent.created_at.astimezone(SHANGHAI):%m-%d %H:%M}" == "11-27 09:00"  # type: ignore[union-attr]
        lines = session.exec(select(TicketEvent).where(TicketEvent.note == "李芳超过1个工作日收不到通知，已告知王明")).all()
        assert sorted(e.ticket_id for e in lines) == sorted(numbers)


def test_the_level_above_must_be_reachable(server: Running, fake_wechat: FakeWeChat) -> None:
    """王明 is out of reach too: the town hears of 李芳 instead (and of 王明)."""
    server.clock.set(at("2026-11-23T09:00"))
    say(server, LIFANG, "任务")
    say(server, WANGMING, "任务")
    file_four(server)
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-11-30T12:00"))
    notices = [t for t in fake_wechat.texts_for(ZHAOQIANG) if t.startswith("【联系不上】")]
    assert sorted(line[2:4] for t in notices for line in t.splitlines() if line.startswith("· ")) == ["李芳", "王明"]
    assert not [t for t in fake_wechat.texts_for(WANGMING) if t.startswith("【联系不上】")]


def test_a_resident_writing_after_a_silent_week_gets_one_push(server: Running, fake_wechat: FakeWeChat) -> None:
    server.clock.set(at("2026-11-24T10:00"))
    resident = "o_resident_a"
    numbers = [number_in(say(server, resident, text)) for text in COMPLAINTS]
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-12-03T09:00"))
    decided = [p for p in pushes(server, resident) if p.kind == "status"]
    assert len(decided) == 8  # two follow-ups per ticket while she was away
    server.clock.set(at("2026-12-03T10:00"))
    reply = say(server, resident, "查询")
    assert all(f"编号 {n}" in reply for n in numbers)
    run_all(server.sweep_deps, at("2026-12-03T10:01"))
    [summary] = fake_wechat.texts_for(resident)
    assert summary.startswith("【未读汇总】") and all(summary.count(f"编号 {n}") == 1 for n in numbers)


def test_a_held_call_to_work_on_a_ticket_done_meanwhile_is_dropped(server: Running, fake_wechat: FakeWeChat) -> None:
    """王明 was told by 督办 about two tickets while away; 李芳 resolved one: he hears only of the other."""
    server.clock.set(at("2026-11-20T09:00"))
    say(server, WANGMING, "任务")  # his window closes on Sunday
    first, second = file_four(server)[:2]
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-11-25T12:00"))  # 督办 to the community, held
    held = [p.ticket_id for p in pushes(server, WANGMING) if p.status == OutboxStatus.HELD]
    assert first in held and second in held
    server.clock.set(at("2026-11-25T13:00"))
    say(server, LIFANG, f"办结 {first} 已修好")
    for number in set(held) - {first, second}:
        say(server, LIFANG, f"办结 {number} 已处理")
    before = len(fake_wechat.texts_for(WANGMING))
    server.clock.set(at("2026-11-25T14:00"))
    say(server, WANGMING, "任务")
    run_all(server.sweep_deps, at("2026-11-25T14:01"))
    [released] = fake_wechat.texts_for(WANGMING)[before:]
    assert f"编号 {second}" in released and f"编号 {first}" not in released


def test_several_cadres_out_of_reach_make_one_push_to_the_community(server: Running, fake_wechat: FakeWeChat) -> None:
    server.clock.set(at("2026-11-23T09:00"))
    say(server, LIFANG, "任务")
    say(server, "o_chengang", "任务")
    server.clock.set(at("2026-11-24T10:00"))
    lamp = number_in(say(server, "o_r1", "桂花苑三号楼门口的路灯坏了三天了"))
    rubbish = number_in(say(server, "o_r2", "银杏院五号楼楼道里堆满了垃圾没人收"))
    sweep_hourly(server, at("2026-11-24T10:00"), at("2026-11-30T12:00"))
    [notice] = [t for t in fake_wechat.texts_for(WANGMING) if t.startswith("【联系不上】")]
    assert "· 李芳（桂花苑）" in notice and f"涉及编号 {lamp}" in notice
    assert "· 陈刚（银杏院）" in notice and f"涉及编号 {rubbish}" in notice


def test_the_survey_ask_keeps_the_news_of_the_result(server: Running, fake_wechat: FakeWeChat) -> None:
    server.clock.set(at("2026-11-24T10:00"))
    number = number_in(say(server, "o_resident_b", COMPLAINTS[0]))
    server.clock.set(at("2026-11-27T10:00"))  # her window has closed
    say(server, LIFANG, f"受理 {number}")
    say(server, LIFANG, f"办结 {number} 换了新灯泡")
    run_all(server.sweep_deps, at("2026-11-27T10:01"))
    server.clock.set(at("2026-11-28T09:00"))
    say(server, "o_resident_b", "你好")
    run_all(server.sweep_deps, at("2026-11-28T09:01"))
    [summary] = fake_wechat.texts_for("o_resident_b")
    assert "已受理" not in summary
    assert 0 < summary.index("换了新灯泡") < summary.index("打个分")  # the result, then the question


def test_a_backlog_goes_as_one_summary_with_only_the_latest_reminder_per_ticket(
    server: Running, fake_wechat: FakeWeChat
) -> None:
    """Days of sweeps with nothing draining (no credentials yet): one 【未读汇总】, where 【已超期】 stands for
    the 【新任务】, 【提醒】 and 【即将到期】 before it."""
    numbers = file_four(server)
    server.clock.set(at("2026-11-26T09:30"))
    say(server, LIFANG, "任务")  # her window is open when the pushes finally go
    moment = at("2026-11-24T10:00")
    while moment <= at("2026-11-27T12:00"):
        run_all(server.sweep_deps, moment, drain=False)
        moment += timedelta(hours=1)
    server.drain(at("2026-11-27T12:00"))
    [summary] = fake_wechat.texts_for(LIFANG)
    assert summary.startswith("【未读汇总】系统推送暂停期间积压了") and len(summary.encode()) <= 2048
    lines = [line for line in summary.splitlines() if line.startswith("· ")]
    assert sorted(line[2:7] for line in lines) == ["【已超期】"] * 4
    assert all(summary.count(f"编号 {n}（") == 1 for n in numbers)
    assert "已被后来的消息取代" in summary
    server.drain(at("2026-11-27T12:30"))
    assert len(fake_wechat.texts_for(LIFANG)) == 1


def _town_cadre_out_of_reach(server: Running, *awake: str) -> int:
    """赵强 last wrote on Friday; 李芳 and 王明 write every morning; a ticket is left unaccepted until 督办 reaches
    the town (held for 赵强) and a working day more passes."""
    server.clock.set(at("2026-11-20T09:00"))
    say(server, ZHAOQIANG, "任务")
    number = file_four(server)[0]
    moment = at("2026-11-24T10:00")
    while moment <= at("2026-11-30T12:00"):
        if moment.hour == 8:
            server.clock.set(moment)
            for openid in (LIFANG, WANGMING, *awake):
                say(server, openid, "任务")
        run_all(server.sweep_deps, moment)
        moment += timedelta(hours=1)
    return number


def test_an_unreachable_town_cadre_with_nobody_to_tell_is_shown_to_the_operator(
    server: Running, fake_wechat: FakeWeChat, caplog: pytest.LogCaptureFixture
) -> None:
    """The demo town has one town cadre: when he is out of reach nobody can be told by chat, so every
    `courtyard sweep` says so, the log says it once per ticket concerned (not on every sweep), and the
    tickets' histories show it once, for the leaders' pages."""
    with caplog.at_level(logging.WARNING, logger="handlers.followups"):
        number = _town_cadre_out_of_reach(server)
    assert not [t for m in fake_wechat.messages if (t := m.text or "").startswith("【联系不上】") and "赵强" in t]
    logged = [r.getMessage() for r in caplog.records if "无人可告知】赵强" in r.getMessage()]
    with server.db.transaction() as session:
        held = {p.ticket_id for p in session.exec(select(Outbox).where(Outbox.openid == ZHAOQIANG)).all()}
    assert 1 <= len(logged) <= len(held - {None}) + 1, logged
    assert all(r.levelno == logging.WARNING for r in caplog.records if "赵强" in r.getMessage())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="handlers.followups"):
        reports = run_all(server.sweep_deps, at("2026-11-30T13:00"))
    [warning] = [w for w in reports["ledger"].warnings if "赵强" in w]  # type: ignore[union-attr]
    assert warning.startswith("【联系不上，无人可告知】赵强") and "请电话联系" in warning
    assert not [r for r in caplog.records if "赵强" in r.getMessage()], "nothing new: not logged again"
    env = env_for(Path(server.settings.courtyard_db_url.removeprefix("sqlite:///")).parent)
    env["COURTYARD_DB_URL"] = server.settings.courtyard_db_url
    swept = subprocess.run(
        [COURTYARD, "sweep", "--at", "2026-11-30T14:00"], env=env, capture_output=True, text=True, timeout=120
    )
    assert swept.returncode == 0, swept.stderr
    assert "联系不上且无人可告知的干部" in swept.stdout and "【联系不上，无人可告知】赵强" in swept.stdout, swept.stdout
    with server.db.transaction() as session:
        notes = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == number)).all()
    untold = [e for e in notes if e.note.startswith("赵强超过1个工作日收不到通知，且没有")]
    assert len(untold) == 1


def test_an_unreachable_town_cadre_is_reported_to_another_town_cadre(
    start_server: Callable[..., Running], fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    org = tmp_path / "org.yaml"
    demo = Path(str(resources.files("courtyard").joinpath("demo_org.yaml"))).read_text(encoding="utf-8")
    org.write_text(demo + "  - {name: 钱军, role: town, openid: o_qianjun}\n", encoding="utf-8")
    server = start_server(org=org)
    _town_cadre_out_of_reach(server, "o_qianjun")
    [notice] = [t for t in fake_wechat.texts_for("o_qianjun") if t.startswith("【联系不上】")]
    assert "· 赵强（" in notice

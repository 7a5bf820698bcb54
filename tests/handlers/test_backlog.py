"""Pushes that piled up while nothing could be sent go, once a way to send exists, as one push per person."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from scheduler.jobs import run_all
from storage.models import Outbox, OutboxStatus
from tests.conftest import Running
from tests.courtyard.test_cli import COURTYARD, DATA, env_for, run
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say
from tests.support.wechat_client import WeChatPoster

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIFANG = "o_lifang"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def outbox(server: Running) -> list[Outbox]:
    with server.db.transaction() as session:
        return list(session.exec(select(Outbox)).all())


def test_refused_credentials_then_fixed_bring_one_push_per_person(server: Running, fake_wechat: FakeWeChat) -> None:
    """The AppSecret is refused for a morning (rotated in the console, not yet in the settings): nothing
    is given up, and when it works again each person gets at most one push, a summary when several."""
    secret, fake_wechat.app_secret = fake_wechat.app_secret, "rotated-in-the-console"
    server.clock.set(at("2026-11-24T09:00"))
    say(server, LIFANG, "任务")  # her window is open all morning
    residents = [f"o_backlog{i}" for i in range(4)]
    numbers = [
        number_in(say(server, who, f"桂花苑{i + 1}号楼门口的路灯坏了三天了")) for i, who in enumerate(residents)
    ]
    server.clock.set(at("2026-11-24T09:30"))
    for number in numbers:
        say(server, LIFANG, f"受理 {number}")
    say(server, LIFANG, f"办结 {numbers[0]} 换了新灯泡")
    moment = at("2026-11-24T09:31")
    while moment <= at("2026-11-24T12:00"):
        run_all(server.sweep_deps, moment)
        moment += timedelta(minutes=10)
    assert fake_wechat.messages == []
    assert not [p for p in outbox(server) if p.status == OutboxStatus.FAILED]  # nothing given up

    fake_wechat.app_secret = secret
    run_all(server.sweep_deps, at("2026-11-24T12:05"))
    run_all(server.sweep_deps, at("2026-11-24T12:10"))  # and again: nothing more
    per_person = Counter(m.openid for m in fake_wechat.messages)
    assert per_person and max(per_person.values()) == 1, per_person
    [summary] = fake_wechat.texts_for(LIFANG)
    assert summary.startswith("【未读汇总】系统推送暂停期间积压了") and len(summary.encode()) <= 2048
    # She resolved 编号 1 herself meanwhile: its call to work is dropped, the three others are listed.
    assert all(f"编号 {n}" in summary for n in numbers[1:]) and f"编号 {numbers[0]}" not in summary, summary
    [first] = fake_wechat.texts_for(residents[0])  # accepted, then resolved and the survey: one push
    assert first.startswith("【未读汇总】") and "换了新灯泡" in first and "回复 1 满意、2 基本满意、3 不满意" in first
    assert "已受理" not in first  # the news that it was resolved stands for the news that it was accepted
    for who, number in zip(residents[1:], numbers[1:], strict=True):
        [news] = fake_wechat.texts_for(who)
        assert f"编号 {number}" in news and "受理" in news


def test_serve_without_credentials_then_a_sweep_with_them_sends_one_push_per_person(
    tmp_path: Path, fake_wechat: FakeWeChat
) -> None:
    """`courtyard serve` on an own org chart and no AppID/secret keeps every push; the first drain with
    credentials (`courtyard sweep`) sends each person one push."""
    assert run(tmp_path, "org", "import", str(DATA / "org_small.yaml")).returncode == 0
    process = subprocess.Popen(
        [COURTYARD, "serve", "--port", "0"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        output = ""
        while "webhook" not in output:
            line = process.stdout.readline()
            assert line, output
            output += line
        base_url = output.split("webhook ", 1)[1].split("/wechat", 1)[0]
        poster = WeChatPoster(base_url, token=env_for(tmp_path)["WECHAT_TOKEN"])
        assert "任务" in (poster.text(LIFANG, "任务").content or "")
        numbers = [
            number_in(poster.text(f"o_wait{i}", f"桂花苑{i + 1}号楼楼道里堆满了垃圾没人收").content) for i in range(3)
        ]
        for number in numbers:
            assert "已受理" in (poster.text(LIFANG, f"受理 {number}").content or "")
        time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert fake_wechat.messages == []
    # The next morning at 10:00: past any quiet hours, within everybody's 48-hour window.
    later = f"{(datetime.now(SHANGHAI) + timedelta(days=1)).date()}T10:00"
    env = env_for(tmp_path, fake_wechat)
    swept = subprocess.run(
        [COURTYARD, "sweep", "--at", later], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert swept.returncode == 0, swept.stderr
    per_person = Counter(m.openid for m in fake_wechat.messages)
    assert per_person == Counter({LIFANG: 1, "o_wait0": 1, "o_wait1": 1, "o_wait2": 1}), per_person
    [summary] = fake_wechat.texts_for(LIFANG)
    assert summary.startswith("【未读汇总】") and all(f"编号 {n}" in summary for n in numbers)


def test_a_sweep_reaching_many_tickets_at_once_sends_one_summary(server: Running, fake_wechat: FakeWeChat) -> None:
    """Six tickets filed one morning and left alone: their six 【提醒】 come due in the same sweep and reach the
    cadre as one 【汇总】; each new task, decided as it came, went on its own."""
    server.clock.set(at("2026-11-24T09:00"))
    say(server, LIFANG, "任务")
    numbers = [number_in(say(server, f"o_burst{i}", f"桂花苑{i + 1}号楼楼道里的灯坏了")) for i in range(6)]
    run_all(server.sweep_deps, at("2026-11-24T09:01"))
    assert len(fake_wechat.texts_for(LIFANG)) == 6  # the new tasks, one each
    moment = at("2026-11-24T10:00")
    while moment <= at("2026-11-24T18:00"):
        run_all(server.sweep_deps, moment)
        moment += timedelta(hours=1)
    later = fake_wechat.texts_for(LIFANG)[6:]
    assert len(later) == 1, later
    [summary] = later
    assert summary.startswith("【汇总】同一时间有 6 条给您的通知") and len(summary.encode()) <= 2048
    assert all(f"编号 {n}（" in summary for n in numbers) and summary.count("【提醒】") == 6

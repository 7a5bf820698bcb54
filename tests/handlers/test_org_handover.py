"""An org import that removes a cadre hands their tickets on: the successor hears once, history records it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from courtyard import runtime
from storage.models import Cadre, Ticket, TicketEvent
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say

COURTYARD = str(Path(sys.executable).parent / "courtyard")
LIFANG_LINE = "          - {name: 李芳, role: courtyard, openid: o_lifang}\n"


def chart_without_lifang(tmp_path: Path, replacement: str = "") -> Path:
    text = runtime.demo_org_path().read_text(encoding="utf-8")
    assert LIFANG_LINE in text
    path = tmp_path / "org.yaml"
    path.write_text(text.replace(LIFANG_LINE, replacement), encoding="utf-8")
    return path


def org_import(server: Running, path: Path) -> subprocess.CompletedProcess[str]:
    env = {"COURTYARD_DB_URL": server.settings.courtyard_db_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [COURTYARD, "org", "import", str(path)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def after_import() -> datetime:
    """The CLI import runs on the real clock: drain as of a moment after it."""
    return datetime.now(UTC) + timedelta(seconds=1)


def three_tickets(server: Running) -> list[int]:
    numbers = [
        number_in(say(server, f"o_r{i}", text))
        for i, text in enumerate(["桂花苑三号楼路灯坏了", "桂花苑五号楼垃圾没人收", "桂花苑门口井盖松了"])
    ]
    say(server, "o_lifang", f"受理 {numbers[0]}")
    server.drain()
    return numbers


def test_the_courtyards_other_cadre_takes_over_and_hears_once(
    server: Running, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    numbers = three_tickets(server)
    newcomer = "          - {name: 孙红, role: courtyard, openid: o_sunhong}\n"
    result = org_import(server, chart_without_lifang(tmp_path, newcomer))
    assert result.returncode == 0, result.stderr
    assert "李芳 已不在组织架构中" in result.stdout and "孙红（编号 " in result.stdout
    assert server.drain(after_import()) == {"sent:custom": 1}
    [push] = fake_wechat.texts_for("o_sunhong")
    assert push.startswith("【工作交接】李芳已不在组织架构中，TA 名下 3 件诉求转由您负责")
    assert all(f"编号 {n}" in push for n in numbers) and len(push.encode()) <= 2048
    with server.db.transaction() as session:
        sun = session.exec(select(Cadre).where(Cadre.name == "孙红")).one()
        tickets = [session.get(Ticket, n) for n in numbers]
        assert all(t is not None and t.assignee_id == sun.id for t in tickets)
        assert [t.status for t in tickets if t is not None] == ["accepted", "new", "new"]
        events = session.exec(select(TicketEvent).where(TicketEvent.kind == "handed_over")).all()
        assert sorted(e.ticket_id for e in events) == sorted(numbers)
        assert all(e.note == "李芳已不在组织架构中，转交孙红" for e in events)
    # 孙红 now answers for them.
    assert f"编号 {numbers[1]}" in say(server, "o_sunhong", "任务")
    # Importing the same chart again hands nothing over twice.
    again = org_import(server, chart_without_lifang(tmp_path, newcomer))
    assert "已不在组织架构中" not in again.stdout
    assert server.drain(after_import()) == {}


def test_with_nobody_else_in_the_courtyard_the_community_cadre_takes_over(
    server: Running, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    numbers = three_tickets(server)
    before = len(fake_wechat.texts_for("o_wangming"))
    unbound = "          - {name: 孙红, role: courtyard}\n"  # cannot hear anything yet
    result = org_import(server, chart_without_lifang(tmp_path, unbound))
    assert "王明（编号 " in result.stdout, result.stdout
    server.drain(after_import())
    [push] = fake_wechat.texts_for("o_wangming")[before:]
    assert push.startswith("【工作交接】李芳") and all(f"编号 {n}" in push for n in numbers)

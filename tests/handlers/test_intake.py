"""Intake as residents write: urgent danger, small talk, the issue's example complaint, unsure categories."""

from __future__ import annotations

from sqlmodel import select

from storage.models import Ticket
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in


def test_urgent_reply_starts_with_the_emergency_number(server: Running, fake_wechat: FakeWeChat) -> None:
    reply = server.poster.text("o_a", "桂花苑3栋楼道里好大一股煤气味")
    assert reply.content is not None and reply.content.startswith("情况紧急请先拨打燃气公司")
    n = number_in(reply.content)
    server.drain()
    for cadre in ("o_lifang", "o_wangming"):  # the courtyard and the community at once
        assert any(t.startswith(f"【紧急任务】编号 {n}") for t in fake_wechat.texts_for(cadre)), cadre


def test_small_talk_files_nothing(server: Running) -> None:
    for text in ("你好", "谢谢", "在吗", "测试", "👍👍", "12345"):
        reply = server.poster.text("o_a", text)
        assert reply.content and "编号" not in reply.content, text
    with server.db.transaction() as session:
        assert session.exec(select(Ticket)).all() == []


def test_septic_tank_in_colloquial_sichuan_lands_with_the_right_cadre(server: Running, fake_wechat: FakeWeChat) -> None:
    n = number_in(server.poster.text("o_a", "桂花院子3栋那个化粪池又堵起了臭得很").content)
    with server.db.transaction() as session:
        ticket = session.get(Ticket, n)
        assert ticket is not None and ticket.category == "城乡建设"
    server.drain()
    assert any(f"编号 {n}（城乡建设）" in t and "桂花苑" in t for t in fake_wechat.texts_for("o_lifang"))

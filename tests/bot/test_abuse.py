"""Abuse over real HTTP: 绑定 guessing by one person and by a spray of accounts, and a one-person flood."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers import texts
from handlers.binding import WRONG_CODES_OVERALL, WRONG_CODES_PER_PERSON, invite
from handlers.conversation import FLOOD_LIMIT
from storage.models import InboundMessage, Ticket
from tests.conftest import Running
from tests.support.chat import say


def test_a_guesser_is_stopped_after_a_few_wrong_codes(server: Running) -> None:
    code, _ = invite(db=server.db, name="周伟", now=server.clock())
    for i in range(WRONG_CODES_PER_PERSON):
        assert say(server, "o_guesser", f"绑定 WRONG{i:03d}") == texts.BIND_FAILED
    assert say(server, "o_guesser", f"绑定 {code}") == texts.BIND_TOO_MANY  # not even checked
    assert say(server, "o_someone_else", "绑定 WRONG999") == texts.BIND_FAILED  # others are not punished
    server.clock.advance(timedelta(hours=1, minutes=1))
    assert say(server, "o_guesser", f"绑定 {code}").startswith("绑定成功")


def test_a_spray_across_accounts_meets_a_global_cap(server: Running) -> None:
    code, _ = invite(db=server.db, name="周伟", now=server.clock())
    accepted = 0
    for i in range(WRONG_CODES_OVERALL + 20):
        reply = say(server, f"o_spray{i}", f"绑定 WRONG{i:04d}")
        accepted += reply == texts.BIND_FAILED
        assert reply in (texts.BIND_FAILED, texts.BIND_BUSY)
    assert accepted == WRONG_CODES_OVERALL
    assert say(server, "o_real_cadre", f"绑定 {code}") == texts.BIND_BUSY
    server.clock.advance(timedelta(minutes=11))
    assert say(server, "o_real_cadre", f"绑定 {code}").startswith("绑定成功")


def test_a_flood_from_one_person_is_slowed_and_nothing_is_lost(server: Running, fake_wechat) -> None:
    sent = 40
    replies = [say(server, "o_flooder", f"桂花苑{i}栋门口的路灯坏了") for i in range(sent)]
    assert sum(r == texts.SLOW_DOWN for r in replies) == sent - FLOOD_LIMIT
    assert all("编号" in r for r in replies[:FLOOD_LIMIT])
    with server.db.transaction() as session:
        stored = session.exec(select(InboundMessage).where(InboundMessage.openid == "o_flooder")).all()
        assert sorted(r.content for r in stored) == sorted(f"桂花苑{i}栋门口的路灯坏了" for i in range(sent))
        assert len(session.exec(select(Ticket)).all()) <= FLOOD_LIMIT
    server.drain()
    assert len(fake_wechat.texts_for("o_lifang")) <= FLOOD_LIMIT
    assert say(server, "o_flooder", "查询").startswith("您反映过的问题")  # a short command files nothing: answered
    server.clock.advance(timedelta(minutes=2))
    assert "编号" in say(server, "o_flooder", "银杏院3栋的化粪池堵了")  # a minute later, heard again
    assert "编号" in say(server, "o_neighbour", "翠竹苑楼道灯不亮")  # nobody else was slowed

"""The org chart is read once per revision in each process: a 绑定 or an import in another process is
seen by the very next message (two engines on one database, PostgreSQL too)."""

from __future__ import annotations

from pathlib import Path

from courtyard import runtime
from handlers import org_import as org_use_cases
from handlers.binding import invite
from handlers.context import Context
from handlers.conversation import Conversation
from storage.db import Database, make_engine
from tests.support.chat import number_in
from tests.support.usecase import Chat, RecordingSender, open_chat

NOT_A_CADRE = "是负责干部使用的指令"


def other_process(chat: Chat) -> Chat:
    """Another server process on the same database: its own engine, caches and conversation."""
    db = Database(make_engine(chat.db.engine.url.render_as_string(hide_password=False)))
    ctx = Context(db=db, calendar=chat.ctx.calendar, clock=chat.clock)
    return Chat(db, ctx, Conversation(ctx), chat.clock, RecordingSender())


def test_a_bind_in_one_process_makes_a_cadre_at_the_next_message_in_another(tmp_path: Path) -> None:
    first = open_chat(tmp_path)
    second = other_process(first)
    assert NOT_A_CADRE in first.say("o_zhouwei", "任务")  # first has read the chart: 周伟 has no account
    code, _ = invite(db=second.db, name="周伟", now=second.clock())
    assert "绑定成功" in second.say("o_zhouwei", f"绑定 {code}")
    assert NOT_A_CADRE not in first.say("o_zhouwei", "任务")
    # first reads the account as 周伟's own, not as a stranger's
    assert "已经绑定为周伟" in first.say("o_zhouwei", f"绑定 {code}")
    second.db.engine.dispose()


def test_an_import_in_one_process_routes_the_next_message_in_another(tmp_path: Path) -> None:
    first = open_chat(tmp_path)
    second = other_process(first)
    number_in(first.say("o_a", "桂花苑3栋门口的路灯坏了"))
    assert first.pushes("o_lifang")
    text = runtime.demo_org_path().read_text(encoding="utf-8")
    lifang = "          - {name: 李芳, role: courtyard, openid: o_lifang}\n"
    chart = tmp_path / "org.yaml"
    chart.write_text(text.replace(lifang, "          - {name: 孙红, role: courtyard, openid: o_sunhong}\n"), "utf-8")
    org_use_cases.import_org_file(db=second.db, path=chart, now=second.clock())
    first.later(minutes=1)
    number_in(first.say("o_b", "桂花苑9栋的化粪池堵了，臭得很"))
    assert any("化粪池" in push for push in first.pushes("o_sunhong"))
    assert NOT_A_CADRE not in first.say("o_sunhong", "任务") and NOT_A_CADRE in first.say("o_lifang", "任务")
    second.db.engine.dispose()

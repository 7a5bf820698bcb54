"""Issue 13's tries, sent through the real /wechat in safe mode on the demo town: the right answers.

Run with `-s` to read the transcript.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from storage.models import Courtyard, Ticket
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in
from tests.support.transcript import Transcript


def filed(server: Running, number: int) -> tuple[Ticket, str | None]:
    """The ticket with that number and its courtyard's name."""
    with server.db.transaction() as session:
        ticket = session.exec(select(Ticket).where(Ticket.id == number)).one()
        yard = session.get(Courtyard, ticket.courtyard_id) if ticket.courtyard_id else None
        return ticket, yard.name if yard else None


def test_the_issue_tries_get_the_right_answers(
    start_server: Callable[..., Running], fake_wechat: FakeWeChat
) -> None:
    server = start_server(safe_mode=True)
    chat = Transcript(server, fake_wechat, {})

    chat.note("繁体字：燃气泄漏，院落用别名")
    reply = chat.say("o_trad", "聞到煤氣味了 東風小區3棟")
    assert reply.startswith("情况紧急请先拨打燃气公司抢修电话")
    ticket, yard = filed(server, number_in(reply))
    assert ticket.urgent and yard == "东风院"

    chat.note("英文夹中文：院落的拼音写法")
    reply = chat.say("o_latin", "Hi, the street light near Guihua garden is broken, 桂花苑3栋门口 please fix asap")
    ticket, yard = filed(server, number_in(reply))
    assert yard == "桂花苑" and not ticket.urgent and not reply.startswith("情况紧急")

    chat.note("电线掉地上：先打供电抢修，不是119")
    reply = chat.say("o_wire", "电线掉地上了")
    assert reply.startswith("情况紧急请先拨打95598")

    before = _count(server)
    chat.note("道谢、开场白、开场白之后问进度：回答，不立案")
    for text in ("谢谢你们 路灯亮了 巴适", "我想反映个事情", "我反映的路灯修得咋样了"):
        assert "编号" not in chat.say("o_chat", text)
    assert _count(server) == before
    print("\n" + str(chat))


def _count(server: Running) -> int:
    with server.db.transaction() as session:
        return len(session.exec(select(Ticket.id)).all())

"""Only a sender's own journaled messages hold up their next one; everybody else is filed at once."""

from __future__ import annotations

from pathlib import Path

from handlers import texts
from handlers.conversation import Conversation
from handlers.messages import Inbound
from storage.journal import Journal
from tests.support.usecase import open_chat

WAITING, OTHER = "o_waiting", "o_other"


def test_a_journaled_message_holds_up_its_sender_only(tmp_path: Path) -> None:
    chat = open_chat(tmp_path)
    journal = Journal(tmp_path / "inbox.jsonl")
    conversation = Conversation(chat.ctx, journal=journal)

    def message(openid: str, key: str, text: str) -> Inbound:
        return Inbound(openid=openid, kind="text", key=key, sent_at=chat.clock(), text=text)

    first = message(WAITING, "msg:1", "桂花苑3栋门口的路灯坏了三天了")
    assert conversation.keep_for_later(first) == texts.KEPT_FOR_LATER  # as under load or in an outage

    # Somebody with nothing in the journal gets a ticket number at once.
    other = conversation.handle(message(OTHER, "msg:2", "银杏院垃圾好几天没人清运了"))
    assert "编号 1" in other

    # The waiting sender's next message queues behind their first, so theirs stay in order.
    second = message(WAITING, "msg:3", "翠竹苑5栋楼道里有人飞线充电，太危险了")
    assert conversation.handle(second) == texts.KEPT_FOR_LATER
    assert [r["key"] for r in journal.records()] == ["msg:1", "msg:3"]

    assert conversation.replay_journal() == 2
    assert journal.is_empty()
    assert [t.text for t in chat.tickets()] == [
        "银杏院垃圾好几天没人清运了",
        "桂花苑3栋门口的路灯坏了三天了",
        "翠竹苑5栋楼道里有人飞线充电，太危险了",
    ]
    # With the journal empty, the sender's messages go straight in again.
    third = conversation.handle(message(WAITING, "msg:4", "东风院路面塌了一个坑，晚上看不见"))
    assert "编号 4" in third

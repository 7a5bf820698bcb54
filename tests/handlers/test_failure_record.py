"""A message whose handling fails is still kept, with what went wrong, and its retry gets the same answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from handlers import intake, texts
from handlers.messages import Inbound
from storage.models import InboundMessage
from tests.support.usecase import open_chat


def test_a_failed_message_is_recorded_with_its_error_and_answered_the_same_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = open_chat(tmp_path)

    def broken(**_: object) -> str:
        raise ValueError("a fault while filing")

    monkeypatch.setattr(intake, "file_complaint", broken)
    inbound = Inbound(openid="o_a", kind="text", key="k_fault", sent_at=chat.clock(), text="桂花苑3栋路灯坏了")
    assert chat.conversation.handle(inbound) == texts.SERVER_TROUBLE
    assert chat.conversation.handle(inbound) == texts.SERVER_TROUBLE  # WeChat's retry
    with chat.db.transaction() as session:
        [row] = session.exec(select(InboundMessage).where(InboundMessage.key == "k_fault")).all()
        assert row.reply == texts.SERVER_TROUBLE and row.content == "桂花苑3栋路灯坏了"
        assert row.error is not None and "a fault while filing" in row.error
    assert not chat.tickets()

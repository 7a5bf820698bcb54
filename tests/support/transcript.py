"""A conversation through the real /wechat written down as people see it: messages, replies and pushes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tests.fake_wechat import FakeWeChat
from tests.support.chat import say

if TYPE_CHECKING:
    from tests.conftest import Running


class Transcript:
    """Sends messages as named people and records both sides, with the pushes each change caused."""

    def __init__(self, server: Running, fake: FakeWeChat, names: dict[str, str]) -> None:
        self.server, self.fake, self.names = server, fake, names
        self.lines: list[str] = []
        self._seen = len(fake.messages)

    def say(self, openid: str, text: str) -> str:
        reply = say(self.server, openid, text)
        shown = text if len(text) <= 80 else f"{text[:60]}…（共{len(text)}字）"
        self.lines.append(f"{self.names.get(openid, openid)} ▸ {shown}")
        self.lines += ["  公众号 ◂ " + line for line in reply.split("\n")]
        self.pushes()
        return reply

    def pushes(self, at: datetime | None = None) -> list[tuple[str, str]]:
        """Drain the outbox (as of at) and record what was delivered since the last look."""
        self.server.drain(at)
        fresh = self.fake.messages[self._seen :]
        self._seen += len(fresh)
        delivered = [(m.openid, m.text or str(m.data)) for m in fresh]
        for openid, text in delivered:
            first, *rest = text.split("\n")
            self.lines.append(f"    ⟶ 推送给 {self.names.get(openid, openid)}：{first}")
            self.lines += [f"      {line}" for line in rest]
        return delivered

    def note(self, text: str) -> None:
        self.lines.append(f"# {text}")

    def __str__(self) -> str:
        return "\n".join(self.lines)

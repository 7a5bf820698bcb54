"""Small helpers for reading chat replies in tests."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.conftest import Running

_NUMBER = re.compile(r"编号 (\d+)")


def number_in(text: str | None) -> int:
    """The ticket number a reply or push names; fails the test when there is none."""
    assert text is not None, "no reply text"
    match = _NUMBER.search(text)
    assert match, f"no 编号 in {text!r}"
    return int(match.group(1))


def say(server: Running, openid: str, text: str) -> str:
    """Send a text message through the webhook as openid; the reply text (the call must succeed)."""
    reply = server.poster.text(openid, text)
    assert reply.status == 200 and reply.content, reply
    return reply.content

"""Small helpers for reading chat replies, and the tickets they name, in tests."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlmodel import select

from storage.models import Ticket, TicketEvent

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


def ticket(server: Running, number: int) -> Ticket:
    """The ticket with that number (the test fails when there is none)."""
    with server.db.transaction() as session:
        row = session.get(Ticket, number)
        assert row is not None
        return row


def events(server: Running, number: int) -> list[str]:
    """The kinds of a ticket's history events, oldest first."""
    with server.db.transaction() as session:
        rows = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id)).all()
        return [r.kind for r in rows]

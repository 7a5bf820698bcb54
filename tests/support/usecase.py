"""Use cases in process: Conversation.handle on a real database, a test clock and a sender that records."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from courtyard import runtime
from handlers import org_import as org_use_cases
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.delivery import Templates, drain
from handlers.messages import Inbound
from handlers.workcalendar import WorkCalendar
from storage import migrate
from storage.db import Database, make_engine
from storage.models import Ticket, TicketEvent
from tests.conftest import TEST_START, database_url
from tests.support.clock import TestClock

_KEYS = itertools.count(1)


@dataclass
class RecordingSender:
    """Takes every push and keeps it, per person, in order."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send_text(self, openid: str, text: str) -> None:
        self.sent.append((openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        self.sent.append((openid, data.get("first", "")))

    def to(self, openid: str) -> list[str]:
        return [text for who, text in self.sent if who == openid]


@dataclass
class Chat:
    """The demo town answering messages in process; `pushes` drains the outbox as of the clock."""

    db: Database
    ctx: Context
    conversation: Conversation
    clock: TestClock
    sender: RecordingSender

    def say(self, openid: str, text: str) -> str:
        inbound = Inbound(openid=openid, kind="text", key=f"k{next(_KEYS)}", sent_at=self.clock(), text=text)
        return self.conversation.handle(inbound)

    def pushes(self, openid: str, at: datetime | None = None) -> list[str]:
        """Everything openid has been sent so far, after draining what is due (as of at, default now)."""
        drain(db=self.db, sender=self.sender, templates=Templates(), now=at or self.clock())
        return self.sender.to(openid)

    def later(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def ticket(self, number: int) -> Ticket:
        with self.db.transaction() as session:
            row = session.get(Ticket, number)
            assert row is not None
            session.expunge(row)
            return row

    def tickets(self) -> list[Ticket]:
        with self.db.transaction() as session:
            rows = list(session.exec(select(Ticket).order_by(Ticket.id)).all())  # type: ignore[arg-type]
            for row in rows:
                session.expunge(row)
            return rows

    def events(self, number: int) -> list[str]:
        with self.db.transaction() as session:
            rows = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == number).order_by(TicketEvent.id))  # type: ignore[arg-type]
            return [r.kind for r in rows]


def open_chat(tmp_path: Path, start: datetime = TEST_START) -> Chat:
    """The demo town on a fresh database, as of start."""
    db = Database(make_engine(database_url(tmp_path)))
    migrate.upgrade(db.engine)
    runtime.ensure_org_chart(db, None)
    clock = TestClock(start)
    calendar = WorkCalendar(start.tzinfo, org_use_cases.load_policy(db=db))  # type: ignore[arg-type]
    ctx = Context(db=db, calendar=calendar, clock=clock)
    return Chat(db, ctx, Conversation(ctx), clock, RecordingSender())

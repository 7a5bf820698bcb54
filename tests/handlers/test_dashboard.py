"""The dashboard's today / this week / this month figures and its 12-week trend, against the same figures
worked out ticket by ticket in the test on a random ledger (the dashboard counts them in a few queries)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers import dashboard, stats
from handlers.policy import Policy
from handlers.workcalendar import WorkCalendar
from storage.db import Database
from storage.ledger_query import Activity, Scope
from storage.models import TicketStatus
from tests.support.ledger import seed

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar(TZ, Policy())
COUNTED = (TicketStatus.NEW, TicketStatus.ACCEPTED, TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class Filed:
    status: TicketStatus
    created: datetime
    accepted: datetime | None
    resolved: datetime | None
    due: datetime


def ledger(db: Database, now: datetime, rng: random.Random) -> list[Filed]:
    """About 150 tickets over the last 100 days, some accepted, resolved, withdrawn or past their deadline."""
    filed = []
    for _ in range(150):
        created = now - timedelta(minutes=rng.randrange(100 * 24 * 60))
        fate = rng.random()
        accepted = created + timedelta(hours=rng.choice((1, 20, 60))) if fate > 0.2 else None
        resolved = accepted + timedelta(days=rng.choice((1, 3, 9))) if accepted and fate > 0.45 else None
        accepted = accepted if accepted and accepted < now else None
        resolved = resolved if resolved and resolved < now else None
        status = (
            TicketStatus.WITHDRAWN
            if fate > 0.93
            else (TicketStatus.CLOSED if fate > 0.7 else TicketStatus.RESOLVED)
            if resolved
            else TicketStatus.ACCEPTED
            if accepted
            else TicketStatus.NEW
        )
        due = created + timedelta(days=rng.choice((2, 5, 7)))
        seed(db, courtyard=rng.choice(("桂花苑", "银杏院", "翠竹苑")), text="路灯坏了", created_at=created,
             status=status, accepted_at=accepted, resolved_at=resolved, due_at=due)  # fmt: skip
        filed.append(Filed(status, created, accepted, resolved, due))
    return filed


def by_hand(filed: list[Filed], first: date, last: date, now: datetime) -> Activity:
    """Activity between two local days (both included), one ticket at a time."""
    start = datetime.combine(first, time(), tzinfo=TZ)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=TZ)
    counted = [f for f in filed if f.status in COUNTED]

    def within(moment: datetime | None, until: datetime = end) -> bool:
        return moment is not None and start <= moment < until

    return Activity(
        collected=sum(within(f.created) for f in counted),
        accepted=sum(within(f.accepted) for f in counted),
        resolved=sum(within(f.resolved) for f in counted if f.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)),
        overdue=sum(within(f.due, min(end, now)) and (f.resolved is None or f.resolved > f.due) for f in counted),
    )


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 24, 10, 0, tzinfo=TZ),  # Tuesday; the month began on a Sunday, before the week
        datetime(2026, 12, 2, 15, 30, tzinfo=TZ),  # Wednesday; the week began in November, before the month
        datetime(2026, 6, 1, 0, 0, tzinfo=TZ),  # midnight of a Monday that starts a month
    ],
)
def test_activity_and_trend_are_the_tickets_counted_one_by_one(db: Database, now: datetime) -> None:
    filed = ledger(db, now, random.Random(now.toordinal()))
    today = now.date()
    board = dashboard.build(
        db=db, calendar=CALENDAR, scope=Scope(), period=stats.Period(today.replace(day=1), today), now=now
    )
    monday = today - timedelta(days=today.weekday())
    assert board.today == by_hand(filed, today, today, now)
    assert board.week == by_hand(filed, monday, today, now)
    assert board.month == by_hand(filed, today.replace(day=1), today, now)
    starts = [monday - timedelta(weeks=n) for n in range(dashboard.TREND_WEEKS - 1, -1, -1)]
    weeks = [by_hand(filed, d, min(d + timedelta(days=6), today), now) for d in starts]
    assert board.trend.weeks == [f"{d:%m-%d}" for d in starts]
    assert board.trend.collected == [w.collected for w in weeks]
    assert board.trend.resolved == [w.resolved for w in weeks]
    assert sum(board.trend.collected) > 50  # the ledger is not empty

"""What the leaders' dashboard shows: today / this week / this month, the 三率 with rankings, a weekly trend,
and the open tickets that need attention first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.policy import WorkCalendar
from handlers.stats import Period, Stats, Trend, compute, local_midnight, week_starts
from storage import ledger_query
from storage.db import Database
from storage.ledger_query import Activity, LedgerEntry, Scope, Span

TREND_WEEKS = 12
ATTENTION_LIMIT = 20


@dataclass(frozen=True)
class Dashboard:
    today: Activity
    week: Activity
    month: Activity
    stats: Stats
    trend: Trend
    attention: list[LedgerEntry]
    attention_total: int


def build(*, db: Database, calendar: WorkCalendar, scope: Scope, period: Period, now: datetime) -> Dashboard:
    """The dashboard as of now, with the 三率 and rankings over period."""
    today = now.astimezone(calendar.tz).date()
    tomorrow = local_midnight(today + timedelta(days=1), calendar)
    fixed = [
        Span(local_midnight(today, calendar), tomorrow),
        Span(local_midnight(today - timedelta(days=today.weekday()), calendar), tomorrow),
        Span(local_midnight(today.replace(day=1), calendar), tomorrow),
    ]
    starts = week_starts(today, TREND_WEEKS)
    weeks = [Span(local_midnight(d, calendar), local_midnight(d + timedelta(days=7), calendar)) for d in starts]
    with db.snapshot() as session:
        counts = ledger_query.activity(session=session, scope=scope, spans=fixed + weeks, now=now)
        attention, attention_total = ledger_query.attention(
            session=session, scope=scope, now=now, limit=ATTENTION_LIMIT
        )
    trend = Trend(
        weeks=[f"{d:%m-%d}" for d in starts],
        collected=[a.collected for a in counts[3:]],
        resolved=[a.resolved for a in counts[3:]],
    )
    stats = compute(db=db, calendar=calendar, scope=scope, period=period, now=now)
    return Dashboard(counts[0], counts[1], counts[2], stats, trend, attention, attention_total)

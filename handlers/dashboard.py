"""What the leaders' dashboard shows: today / this week / this month, the 三率 with rankings, a weekly trend,
and the open tickets that need attention first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from handlers.stats import Period, Stats, Trend, compute, local_midnight, week_starts
from handlers.workcalendar import WorkCalendar
from storage import ledger_query
from storage.db import Database
from storage.ledger_query import Activity, LedgerEntry, Place, Scope, Span

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
    places: list[Place]  # courtyards with a location and their open tickets, for the small map


def build(*, db: Database, calendar: WorkCalendar, scope: Scope, period: Period, now: datetime) -> Dashboard:
    """The dashboard as of now, with the 三率 and rankings over period."""
    today = now.astimezone(calendar.tz).date()
    tomorrow = today + timedelta(days=1)
    starts = week_starts(today, TREND_WEEKS)
    month, monday = today.replace(day=1), today - timedelta(days=today.weekday())
    # Every figure shown is a sum over consecutive pieces of time cut at these days (at most 16 pieces).
    cuts = sorted({*starts, month, today, tomorrow})
    pieces = list(pairwise(cuts))
    spans = [Span(local_midnight(a, calendar), local_midnight(b, calendar)) for a, b in pieces]
    recent = next(n for n, (a, _) in enumerate(pieces) if a >= min(month, monday))
    with db.snapshot() as session:
        counts = ledger_query.activity(session=session, scope=scope, spans=spans, now=now, recent_from=recent)
        attention, attention_total = ledger_query.attention(
            session=session, scope=scope, now=now, limit=ATTENTION_LIMIT
        )
        places = ledger_query.places(session=session, scope=scope)

    def total(since: date, until: date) -> Activity:
        picked = [a for (start, end), a in zip(pieces, counts, strict=True) if since <= start and end <= until]
        return Activity(*(sum(figure) for figure in zip(*picked, strict=True))) if picked else Activity(0, 0, 0, 0)

    weeks = [total(d, min(d + timedelta(days=7), tomorrow)) for d in starts]
    trend = Trend(
        weeks=[f"{d:%m-%d}" for d in starts],
        collected=[a.collected for a in weeks],
        resolved=[a.resolved for a in weeks],
    )
    stats = compute(db=db, calendar=calendar, scope=scope, period=period, now=now)
    fixed = total(today, tomorrow), total(monday, tomorrow), total(month, tomorrow)
    return Dashboard(*fixed, stats, trend, attention, attention_total, places)

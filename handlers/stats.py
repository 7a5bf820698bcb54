"""The numbers leaders report on (三率: 响应率, 解决率, 满意率), per period, courtyard, community and category."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from handlers import texts
from handlers.policy import WorkCalendar
from storage import ledger_query
from storage.db import Database
from storage.ledger_query import ANSWERED_SURVEY, DONE_STATUSES, Scope, StatRow

EARLIEST = date(2000, 1, 1)
LONGEST_PERIOD_DAYS = 366 * 10
# A courtyard's rank uses its rate pulled towards the town's by this many tickets' worth, so that a
# courtyard with one unresolved ticket does not top the list above one with 40 of 100 unresolved.
RANK_PRIOR_TICKETS = 5


class PeriodError(ValueError):
    """A period that cannot be counted; the message says why, in Chinese, for the page or the API."""


@dataclass(frozen=True)
class Period:
    """Local calendar days first..last, both included."""

    first: date
    last: date

    def span(self, calendar: WorkCalendar) -> ledger_query.Span:
        start = datetime.combine(self.first, time(), tzinfo=calendar.tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=calendar.tz)
        return ledger_query.Span(start, end)


def parse_period(first: str, last: str, *, today: date) -> Period:
    """The period of two YYYY-MM-DD strings; empty ones default to this month so far."""
    try:
        start = date.fromisoformat(first) if first else today.replace(day=1)
        end = date.fromisoformat(last) if last else today
    except ValueError:
        raise PeriodError("日期格式应为 YYYY-MM-DD，例如 2026-11-01。") from None
    if not EARLIEST <= start <= today + timedelta(days=366) or not EARLIEST <= end <= today + timedelta(days=366):
        raise PeriodError(f"日期应在 {EARLIEST} 至明年之间。")
    if end < start:
        raise PeriodError("结束日期早于开始日期。")
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise PeriodError("一次最多统计十年。")
    return Period(start, end)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class Counts:
    """The counts of DESIGN §4 /api/stats for one group of tickets."""

    collected: int = 0
    accepted: int = 0
    accepted_in_time: int = 0
    resolved: int = 0
    overdue_open: int = 0
    surveyed: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    resolve_working_days: float = 0.0  # summed over the resolved ones, for the average

    @property
    def response_rate(self) -> float | None:
        return _rate(self.accepted_in_time, self.collected)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolved, self.collected)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied + self.basically_satisfied, self.surveyed)

    @property
    def average_resolve_days(self) -> float | None:
        return round(self.resolve_working_days / self.resolved, 2) if self.resolved else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["resolve_working_days"]
        data.update(
            response_rate=self.response_rate,
            resolution_rate=self.resolution_rate,
            satisfaction_rate=self.satisfaction_rate,
        )
        return data


@dataclass
class Group:
    """Counts for a named group (a courtyard, community or category)."""

    name: str
    counts: Counts = field(default_factory=Counts)
    key: int | str | None = None
    community: str | None = None


@dataclass
class Stats:
    """Everything counted over the tickets filed in one period."""

    period: Period
    total: Counts
    by_courtyard: list[Group]
    by_community: list[Group]
    by_category: list[Group]

    def as_json(self) -> dict[str, Any]:
        """The JSON of GET /api/stats."""
        return {
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            **self.total.as_json(),
            "by_courtyard": [
                {"courtyard": g.name, "community": g.community, **g.counts.as_json()} for g in self.by_courtyard
            ],
        }


class WorkingClock:
    """Working hours elapsed since a reference day, for any moment in O(1) after a walk over the days once.

    The statistics ask thousands of "how much working time between these two moments?" questions;
    each is a difference of two readings of this clock (the same answer as WorkCalendar's day-by-day walk).
    """

    def __init__(self, calendar: WorkCalendar, first: date) -> None:
        self.calendar = calendar
        self.first = first  # readings start at this local day's midnight; earlier moments are refused
        self._sessions = [
            (span.start.hour * 60 + span.start.minute, span.end.hour * 60 + span.end.minute)
            for span in calendar.policy.working_hours
        ]
        self._day_minutes = sum(end - start for start, end in self._sessions)
        self._before = [0]  # working minutes from first's midnight to the midnight starting each later day
        self._workdays: dict[date, bool] = {}  # chinese_calendar validates its whole table on every call

    def is_workday(self, day: date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            known = self._workdays[day] = self.calendar.is_workday(day)
        return known

    def _minutes_before(self, day: date) -> int:
        offset = (day - self.first).days
        if offset < 0:
            raise ValueError(f"{day} is before the clock's first day {self.first}")
        while len(self._before) <= offset:
            ended = self.first + timedelta(days=len(self._before) - 1)
            self._before.append(self._before[-1] + (self._day_minutes if self.is_workday(ended) else 0))
        return self._before[offset]

    def reading(self, moment: datetime) -> float:
        """Working minutes between the reference day and moment."""
        local = moment.astimezone(self.calendar.tz)
        day = local.date()
        minutes = float(self._minutes_before(day))
        if self.is_workday(day):
            now = local.hour * 60 + local.minute + local.second / 60
            for start, end in self._sessions:
                if now <= start:
                    break
                minutes += (now if now < end else end) - start
        return minutes


class Counter:
    """Adds tickets to Counts, judging 受理 in time on the work calendar."""

    def __init__(self, calendar: WorkCalendar, first: date) -> None:
        self.calendar = calendar
        self.clock = WorkingClock(calendar, first)
        self._day_minutes = calendar.policy.day_hours * 60

    def accepted_in_time(self, row: StatRow, start: float) -> bool:
        """受理 within one working day of filing (DESIGN §4); start is the clock's reading at filing."""
        if row.accepted_at is None:
            return False
        if row.accepted_at <= row.created_at:
            return True
        worked = self.clock.reading(row.accepted_at) - start
        if abs(worked - self._day_minutes) < 1e-6:
            # Exactly a working day's worth: in time only if the day ran out no earlier than a second ago
            # (accepted at the deadline itself), not in the evening or weekend that followed it.
            return self.clock.reading(row.accepted_at - timedelta(seconds=1)) - start < self._day_minutes
        return worked < self._day_minutes

    def add(self, counts: Counts, row: StatRow, in_time: bool, days: float | None) -> None:
        counts.collected += 1
        counts.accepted += row.accepted_at is not None
        counts.accepted_in_time += in_time
        if row.resolved_at is not None and row.status in DONE_STATUSES:
            counts.resolved += 1
            counts.resolve_working_days += days or 0.0
        counts.overdue_open += row.overdue_open
        if row.satisfaction in ANSWERED_SURVEY:
            counts.surveyed += 1
            counts.satisfied += row.satisfaction == "satisfied"
            counts.basically_satisfied += row.satisfaction == "basic"

    def resolve_days(self, row: StatRow, start: float) -> float | None:
        """Working days from filing to 办结; start is the clock's reading at filing."""
        if row.resolved_at is None or row.status not in DONE_STATUSES:
            return None
        return max(0.0, self.clock.reading(row.resolved_at) - start) / self._day_minutes


def compute(*, db: Database, calendar: WorkCalendar, scope: Scope, period: Period, now: datetime) -> Stats:
    """Count the tickets filed in period that scope may see (withdrawn, invalid and merged left out)."""
    span = period.span(calendar)
    with db.snapshot() as session:
        rows = ledger_query.stat_rows(session=session, scope=scope, start=span.start, end=span.end, now=now)
        communities = {o.id: o.name for o in ledger_query.communities(session=session)}
        courtyards: dict[int | None, tuple[str, int | None]] = {
            o.id: (o.name, community) for o, community in ledger_query.courtyards(session=session)
        }
    counter = Counter(calendar, period.first)
    total = Counts()
    by_courtyard: dict[int | None, Group] = {}
    by_community: dict[int | None, Group] = {}
    by_category: dict[str, Group] = {}
    for row in rows:
        start = counter.clock.reading(row.created_at)
        in_time, days = counter.accepted_in_time(row, start), counter.resolve_days(row, start)
        counter.add(total, row, in_time, days)
        name, community_id = courtyards.get(row.courtyard_id, (texts.UNKNOWN_COURTYARD_NAME, row.community_id))
        courtyard = by_courtyard.setdefault(
            row.courtyard_id, Group(name, key=row.courtyard_id, community=communities.get(community_id or -1))
        )
        counter.add(courtyard.counts, row, in_time, days)
        community = by_community.setdefault(
            row.community_id, Group(communities.get(row.community_id or -1, "未确定社区"), key=row.community_id)
        )
        counter.add(community.counts, row, in_time, days)
        category = by_category.setdefault(row.category, Group(texts.category_label(row.category), key=row.category))
        counter.add(category.counts, row, in_time, days)
    return Stats(
        period=period,
        total=total,
        by_courtyard=worst_first(by_courtyard.values(), total),
        by_community=worst_first(by_community.values(), total),
        by_category=sorted(by_category.values(), key=lambda g: (-g.counts.collected, g.name)),
    )


def worst_first(groups: Iterable[Group], total: Counts) -> list[Group]:
    """Groups by resolution rate, worst first, each rate pulled towards the whole's (RANK_PRIOR_TICKETS)."""
    overall = total.resolution_rate or 0.0

    def smoothed(group: Group) -> tuple[float, int, str]:
        c = group.counts
        rate = (c.resolved + RANK_PRIOR_TICKETS * overall) / (c.collected + RANK_PRIOR_TICKETS)
        return rate, -c.collected, group.name

    return sorted(groups, key=smoothed)


@dataclass(frozen=True)
class Trend:
    """Filed and resolved per week, oldest week first."""

    weeks: list[str]
    collected: list[int]
    resolved: list[int]


def week_starts(today: date, weeks: int) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def local_midnight(day: date, calendar: WorkCalendar) -> datetime:
    return datetime.combine(day, time(), tzinfo=calendar.tz)

"""The numbers leaders report on (三率: 响应率, 解决率, 满意率), per period, courtyard, community and category."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np

from handlers import texts
from handlers.workcalendar import WorkCalendar
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


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _offset_seconds(moment: int, tz: tzinfo) -> int:
    offset = datetime.fromtimestamp(moment, UTC).astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def _offsets(seconds: np.ndarray[Any, np.dtype[np.int64]], tz: tzinfo) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The zone's UTC offset at each moment: looked up once per UTC day, per moment only on a day it changes."""
    days, where = np.unique(seconds // 86400, return_inverse=True)
    starts = np.fromiter((_offset_seconds(int(d) * 86400, tz) for d in days), dtype=np.int64, count=len(days))
    ends = np.fromiter((_offset_seconds(int(d) * 86400 + 86399, tz) for d in days), dtype=np.int64, count=len(days))
    offsets = starts[where]
    for i in np.flatnonzero((starts != ends)[where]):
        offsets[i] = _offset_seconds(int(seconds[i]), tz)
    return offsets


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

    def readings(self, seconds: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """reading() of many moments at once, each given as whole UTC epoch seconds."""
        if not len(seconds):
            return np.zeros(0)
        local = seconds + _offsets(seconds, self.calendar.tz)
        days = local // 86400 - (self.first.toordinal() - _EPOCH_ORDINAL)
        if days.min() < 0:
            raise ValueError(f"a moment is before the clock's first day {self.first}")
        last = int(days.max())
        self._minutes_before(self.first + timedelta(days=last))
        before = np.asarray(self._before[: last + 1], dtype=np.float64)[days]
        workday = np.fromiter(
            (self.is_workday(self.first + timedelta(days=d)) for d in range(last + 1)), dtype=bool, count=last + 1
        )[days]
        now = (local % 86400) / 60.0
        within = sum((np.clip(now - start, 0, end - start) for start, end in self._sessions), np.zeros(len(now)))
        readings: np.ndarray[Any, np.dtype[np.float64]] = before + np.where(workday, within, 0.0)
        return readings

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


def _column(values: Sequence[Any]) -> np.ndarray[Any, np.dtype[Any]]:
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _ids(values: Sequence[int | None]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Numbers as int64, None as -1, without a Python step per value."""
    column = _column(values)
    column[column == None] = -1  # noqa: E711 (element-wise on the array, not an identity test)
    return column.astype(np.int64)


def _among(column: np.ndarray[Any, Any], values: Iterable[str]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    found = np.zeros(len(column), dtype=bool)
    for value in values:
        found |= np.equal(column, value)
    return found


class Facts:
    """The counted tickets of a period as columns, with 受理 in time and working days to 办结 judged."""

    def __init__(self, rows: Sequence[Sequence[Any]], clock: WorkingClock) -> None:
        """rows: the tickets' facts in StatRow's columns."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(StatRow._fields)
        status, community, courtyard, category, created_at, accepted_at, resolved_at, answer, overdue = columns
        created, accepted, resolved = _ids(created_at), _ids(accepted_at), _ids(resolved_at)
        status_column, satisfaction = _column(status), _column(answer)
        self.courtyard, self.community, self.category = _ids(courtyard), _ids(community), _column(category)
        self.was_accepted = accepted >= 0
        self.resolved = (resolved >= 0) & _among(status_column, DONE_STATUSES)
        self.overdue_open = _column(overdue).astype(bool)
        self.surveyed = _among(satisfaction, ANSWERED_SURVEY)
        self.satisfied = np.equal(satisfaction, "satisfied")
        self.basic = np.equal(satisfaction, "basic")
        day = clock.calendar.policy.day_hours * 60
        start = clock.readings(created)
        # 受理 within one working day of filing (DESIGN §4). Exactly a working day's worth is in time only if
        # the day ran out no earlier than a second before (accepted at the deadline itself), not in the
        # evening or weekend that followed it.
        acc = np.where(self.was_accepted, np.maximum(accepted, created), created)  # never read before filing
        worked = clock.readings(acc) - start
        worked_before = clock.readings(np.maximum(acc - 1, created)) - start
        exact = np.abs(worked - day) < 1e-6
        early = accepted <= created  # 受理 no later than filing (the same second, or a clock set back)
        self.in_time = self.was_accepted & (early | np.where(exact, worked_before < day, worked < day))
        res = np.where(self.resolved, np.maximum(resolved, created), created)
        self.resolve_days = np.where(self.resolved, np.maximum(0.0, clock.readings(res) - start) / day, 0.0)

    def counts(self, members: np.ndarray[Any, np.dtype[np.int64]], groups: int) -> list[Counts]:
        """Counts per group, members[i] being row i's group."""

        def total(mask: np.ndarray[Any, Any]) -> list[int]:
            return [int(v) for v in np.bincount(members, weights=mask.astype(np.float64), minlength=groups)]

        collected = np.bincount(members, minlength=groups)
        days = np.bincount(members, weights=self.resolve_days, minlength=groups)
        columns = zip(
            collected, total(self.was_accepted), total(self.in_time), total(self.resolved),
            total(self.overdue_open), total(self.surveyed), total(self.satisfied), total(self.basic), days,
            strict=True,
        )  # fmt: skip
        return [Counts(int(c), a, t, r, o, s, sat, b, float(d)) for c, a, t, r, o, s, sat, b, d in columns]


def _grouped(facts: Facts, keys: np.ndarray[Any, Any]) -> list[tuple[Any, int, Counts]]:
    """Each distinct key with the first row that has it and the counts of its rows."""
    if not len(keys):
        return []
    distinct, first, members = np.unique(keys, return_index=True, return_inverse=True)
    counts = facts.counts(members.reshape(-1).astype(np.int64), len(distinct))
    return [
        (k.item() if isinstance(k, np.generic) else k, int(f), c)
        for k, f, c in zip(distinct, first, counts, strict=True)
    ]


def compute(*, db: Database, calendar: WorkCalendar, scope: Scope, period: Period, now: datetime) -> Stats:
    """Count the tickets filed in period that scope may see (withdrawn, invalid and merged left out)."""
    span = period.span(calendar)
    with db.snapshot() as session:
        rows = ledger_query.stat_rows(session=session, scope=scope, start=span.start, end=span.end, now=now)
        communities = {o.id: o.name for o in ledger_query.communities(session=session)}
        courtyards: dict[int, tuple[str, int]] = {
            o.id: (o.name, community) for o, community in ledger_query.courtyards(session=session)
        }
    facts = Facts(rows, WorkingClock(calendar, period.first))
    total = facts.counts(np.zeros(len(rows), dtype=np.int64), 1)[0]
    by_courtyard = []
    for key, first, counts in _grouped(facts, facts.courtyard):
        # A ticket without a known courtyard is shown under the community of the first one.
        name, community_id = courtyards.get(key, (texts.UNKNOWN_COURTYARD_NAME, int(facts.community[first])))
        by_courtyard.append(Group(name, counts, key=key if key >= 0 else None, community=communities.get(community_id)))
    by_community = [
        Group(communities.get(key, "未确定社区"), counts, key=key if key >= 0 else None)
        for key, _, counts in _grouped(facts, facts.community)
    ]
    by_category = [
        Group(texts.category_label(key), counts, key=key) for key, _, counts in _grouped(facts, facts.category)
    ]
    return Stats(
        period=period,
        total=total,
        by_courtyard=worst_first(by_courtyard, total),
        by_community=worst_first(by_community, total),
        by_category=sorted(by_category, key=lambda g: (-g.counts.collected, g.name)),
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

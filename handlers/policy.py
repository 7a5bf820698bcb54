"""The time rules of the complaint loop: deadlines, reminders, quiet hours and digests on China's work calendar."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from nlp import CATEGORIES, OTHER

DigestKind = Literal["courtyard_walk", "leader"]

# Courtyard-scale building and environment problems (a streetlight, a blocked drain, rubbish, noise) are
# small jobs the community dispatches itself, so they get 3 working days; everything else gets the
# 5 working days of an ordinary 12345-hotline case.
DEFAULT_DEADLINE_DAYS: Mapping[str, float] = MappingProxyType(
    {category: 5 for category in CATEGORIES} | {"城乡建设": 3, "环境保护": 3, OTHER: 5}
)

_LARGEST = 1000  # any duration setting; beyond it is a typo, and working-time arithmetic walks day by day
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


class PolicyError(ValueError):
    """A policy setting cannot be used; the message starts with the field's path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


@dataclass(frozen=True)
class TimeSpan:
    """A daily span of local wall-clock time; end before start means it runs past midnight."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @property
    def hours(self) -> float:
        """Its length in hours."""
        minutes = (self.end.hour - self.start.hour) * 60 + self.end.minute - self.start.minute
        return (minutes % (24 * 60)) / 60


@dataclass(frozen=True)
class DigestTime:
    """When a weekly digest goes out: ISO weekday (1 = Monday) and local time."""

    weekday: int
    at: time


@dataclass(frozen=True)
class UnacceptedSchedule:
    """When an unaccepted task is reminded, then 督办 to the community, then to the town."""

    remind_at: datetime
    community_at: datetime
    town_at: datetime


@dataclass(frozen=True)
class Policy:
    """The time rules; every field can be overridden under the same name in the org YAML's `policy:`."""

    # Working days (of working time, see WorkCalendar) to resolve a ticket, per category; 其他 for the rest.
    deadline_days: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DEADLINE_DAYS)
    # Urgent tickets (gas, water main, someone hurt) run on calendar hours: a burst pipe on Saturday
    # night cannot wait for Monday morning.
    urgent_deadline_hours: float = 4
    # An unaccepted ordinary task: reminder after working hours, 督办 after working days.
    unaccepted_remind_hours: float = 4
    unaccepted_community_days: float = 1
    unaccepted_town_days: float = 2
    # An unaccepted urgent task, on calendar minutes, well inside its deadline.
    urgent_unaccepted_remind_minutes: float = 30
    urgent_unaccepted_community_minutes: float = 60
    urgent_unaccepted_town_minutes: float = 120
    # The assignee is reminded at opening time this many workdays before the deadline's day.
    due_soon_lead_days: int = 1
    # The resident hears the state of a ticket with no news for this many working days.
    status_followup_days: float = 3
    # The survey (回访) is for residents, so it runs on calendar days.
    survey_remind_days: float = 1
    survey_close_days: float = 7
    # Non-urgent pushes to residents wait until quiet hours end.
    quiet_hours: TimeSpan = TimeSpan(time(21, 0), time(8, 0))
    # A street office's day with its lunch break: 7 working hours.
    working_hours: tuple[TimeSpan, ...] = (TimeSpan(time(8, 30), time(12, 0)), TimeSpan(time(14, 0), time(17, 30)))
    # 08:30 leaves an hour to be out by 09:30 (DESIGN.md §4).
    courtyard_walk_digest: DigestTime = DigestTime(2, time(8, 30))
    leader_digest: DigestTime = DigestTime(1, time(8, 30))

    @property
    def day_hours(self) -> float:
        """Working hours in one working day."""
        return sum(span.hours for span in self.working_hours)


def parse_policy(raw: Mapping[str, Any] | None) -> Policy:
    """The Policy of a YAML `policy:` mapping; missing keys keep their defaults, bad ones raise PolicyError."""
    if raw is None:
        return Policy()
    if not isinstance(raw, Mapping):
        raise PolicyError("policy", f"must be a mapping of settings, got {raw!r}")
    known = [f.name for f in fields(Policy)]
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"policy.{key}"
        if key not in known:
            raise PolicyError(path, f"unknown setting{_did_you_mean(str(key), known)}")
        if key == "deadline_days":
            changes[key] = _deadline_days(value, path)
        elif key == "quiet_hours":
            changes[key] = _span(value, path)
        elif key == "working_hours":
            changes[key] = _working_hours(value, path)
        elif key in ("courtyard_walk_digest", "leader_digest"):
            changes[key] = _digest_time(value, path)
        elif key == "due_soon_lead_days":
            changes[key] = _positive_int(value, path, "workdays")
        else:
            changes[key] = _positive(value, path, _UNITS[key])
    policy = replace(Policy(), **changes)
    _check_order(policy)
    return policy


def validate_timezone(name: object, path: str = "COURTYARD_TZ") -> ZoneInfo:
    """The ZoneInfo called name, or PolicyError naming path when there is no such time zone."""
    if not isinstance(name, str) or not name:
        raise PolicyError(path, f"must be a time zone name such as Asia/Shanghai, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PolicyError(path, f"unknown time zone {name!r} (for example Asia/Shanghai)") from None


class WorkCalendar:
    """Answers 'when' questions in one time zone; takes and returns timezone-aware datetimes only."""

    def __init__(self, tz: ZoneInfo, policy: Policy) -> None:
        self.tz = tz
        self.policy = policy

    def knows(self, day: date) -> bool:
        """Whether chinese_calendar has holiday data for day's year (else Monday to Friday is assumed)."""
        try:
            chinese_calendar.is_workday(self._day(day))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: date) -> bool:
        """A working day: holidays and make-up working days (调休) included; Monday to Friday outside the data."""
        local = self._day(day)
        try:
            return bool(chinese_calendar.is_workday(local))
        except NotImplementedError:
            return local.isoweekday() <= 5

    def is_holiday(self, day: date) -> bool:
        """A day off of a public holiday (weekends inside the holiday included, ordinary weekends not)."""
        try:
            off, name = chinese_calendar.get_holiday_detail(self._day(day))
        except NotImplementedError:
            return False
        return bool(off) and name is not None

    def next_workday(self, day: date) -> date:
        """The first workday after day."""
        current = self._day(day) + timedelta(days=1)
        while not self.is_workday(current):
            current += timedelta(days=1)
        return current

    def previous_workday(self, day: date) -> date:
        """The last workday before day."""
        current = self._day(day) - timedelta(days=1)
        while not self.is_workday(current):
            current -= timedelta(days=1)
        return current

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment hours of working time after start; counting begins at the next working moment."""
        if hours < 0 or not math.isfinite(hours):
            raise ValueError(f"hours must be a finite number ≥ 0, got {hours}")
        begin = self._local(start)
        remaining = timedelta(hours=hours)
        day = begin.date()
        while True:
            if self.is_workday(day):
                for opens, closes in self._sessions(day):
                    start_at = max(opens, begin)
                    if start_at >= closes:
                        continue
                    if remaining <= closes - start_at:
                        return start_at + remaining
                    remaining -= closes - start_at
            day += timedelta(days=1)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The moment days working days (each of Policy.day_hours working hours) after start."""
        return self.add_working_hours(start, days * self.policy.day_hours)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from a to b (0 when b is not after a)."""
        begin, end = self._local(a), self._local(b)
        total = timedelta()
        day = begin.date()
        while day <= end.date():
            if self.is_workday(day):
                for opens, closes in self._sessions(day):
                    overlap = min(closes, end) - max(opens, begin)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total / timedelta(hours=1)

    def deadline_for(self, category: str, urgent: bool, created_at: datetime) -> datetime:
        """When a ticket is overdue: calendar hours if urgent, else its category's working days (其他 if unknown)."""
        if urgent:
            return self._local(created_at) + timedelta(hours=self.policy.urgent_deadline_hours)
        days = self.policy.deadline_days.get(category, self.policy.deadline_days[OTHER])
        return self.add_working_days(created_at, days)

    def due_soon_at(self, deadline: datetime) -> datetime:
        """Opening time on the workday due_soon_lead_days workdays before the deadline's day."""
        day = self._local(deadline).date()
        for _ in range(self.policy.due_soon_lead_days):
            day = self.previous_workday(day)
        return self._sessions(day)[0][0]

    def unaccepted_schedule(self, assigned_at: datetime, urgent: bool) -> UnacceptedSchedule:
        """When a task assigned at assigned_at and still unaccepted is reminded and escalated."""
        p = self.policy
        if urgent:
            local = self._local(assigned_at)
            return UnacceptedSchedule(
                remind_at=local + timedelta(minutes=p.urgent_unaccepted_remind_minutes),
                community_at=local + timedelta(minutes=p.urgent_unaccepted_community_minutes),
                town_at=local + timedelta(minutes=p.urgent_unaccepted_town_minutes),
            )
        return UnacceptedSchedule(
            remind_at=self.add_working_hours(assigned_at, p.unaccepted_remind_hours),
            community_at=self.add_working_days(assigned_at, p.unaccepted_community_days),
            town_at=self.add_working_days(assigned_at, p.unaccepted_town_days),
        )

    def status_followup_at(self, last_news_at: datetime) -> datetime:
        """When the resident of a ticket with no news since last_news_at is told its state."""
        return self.add_working_days(last_news_at, self.policy.status_followup_days)

    def survey_remind_at(self, asked_at: datetime) -> datetime:
        """When an unanswered survey is asked again (calendar days)."""
        return self._local(asked_at) + timedelta(days=self.policy.survey_remind_days)

    def survey_close_at(self, asked_at: datetime) -> datetime:
        """When an unanswered survey is closed as 未评价 (calendar days)."""
        return self._local(asked_at) + timedelta(days=self.policy.survey_close_days)

    def quiet(self, now: datetime) -> bool:
        """Whether now is inside residents' quiet hours."""
        return self.policy.quiet_hours.contains(self._local(now).time())

    def next_push_time(self, now: datetime) -> datetime:
        """The earliest moment from now a non-urgent push may reach a resident: now, or when quiet hours end."""
        local = self._local(now)
        if not self.quiet(local):
            return local
        ends = datetime.combine(local.date(), self.policy.quiet_hours.end, tzinfo=self.tz)
        if ends <= local:
            ends = datetime.combine(local.date() + timedelta(days=1), self.policy.quiet_hours.end, tzinfo=self.tz)
        return ends

    def digest_due(self, kind: DigestKind, now: datetime) -> date | None:
        """This ISO week's digest date when it may go out now, or None.

        None before its time, on a public holiday (skipped), and at night. One missed on its day
        goes out on the next working day from its time of day, never in the small hours.
        """
        when = self._digest_time(kind)
        local = self._local(now)
        day = local.date() + timedelta(days=when.weekday - local.isoweekday())
        if local < datetime.combine(day, when.at, tzinfo=self.tz) or self.is_holiday(day):
            return None
        late = local.date() != day
        if late and (not self.is_workday(local.date()) or local.time() < when.at):
            return None
        if self.quiet(local) and local.time() >= self.policy.quiet_hours.start:
            return None  # the evening: wait for the morning
        return day

    def digest_moment(self, kind: DigestKind, day: date) -> datetime:
        """When the digest of kind for day is due."""
        return datetime.combine(day, self._digest_time(kind).at, tzinfo=self.tz)

    def period_key(self, when: date) -> str:
        """The ISO week of when in this time zone, e.g. '2026-W41'."""
        year, week, _ = self._day(when).isocalendar()
        return f"{year}-W{week:02d}"

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()} refused: give a timezone-aware datetime")
        return moment.astimezone(self.tz)

    def _day(self, day: date) -> date:
        return self._local(day).date() if isinstance(day, datetime) else day

    def _sessions(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (datetime.combine(day, span.start, tzinfo=self.tz), datetime.combine(day, span.end, tzinfo=self.tz))
            for span in self.policy.working_hours
        ]

    def _digest_time(self, kind: DigestKind) -> DigestTime:
        if kind == "courtyard_walk":
            return self.policy.courtyard_walk_digest
        if kind == "leader":
            return self.policy.leader_digest
        raise ValueError(f"unknown digest kind {kind!r}")


_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "urgent_deadline_hours": "calendar hours",
        "unaccepted_remind_hours": "working hours",
        "unaccepted_community_days": "working days",
        "unaccepted_town_days": "working days",
        "urgent_unaccepted_remind_minutes": "minutes",
        "urgent_unaccepted_community_minutes": "minutes",
        "urgent_unaccepted_town_minutes": "minutes",
        "status_followup_days": "working days",
        "survey_remind_days": "days",
        "survey_close_days": "days",
    }
)


def _got(value: object) -> str:
    return "nothing" if value is None else repr(value)


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]}?" if close else f" (known: {', '.join(known)})"


def _positive(value: object, path: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise PolicyError(path, f"must be a positive number of {unit}, got {_got(value)}")
    if value > _LARGEST:
        raise PolicyError(path, f"must be at most {_LARGEST} {unit}, got {value}")
    return value


def _positive_int(value: object, path: str, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PolicyError(path, f"must be a positive whole number of {unit}, got {_got(value)}")
    return value


def _mapping(value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"must be a mapping with {', '.join(keys)}, got {_got(value)}")
    for key in value:
        if key not in keys:
            raise PolicyError(f"{path}.{key}", f"unknown setting{_did_you_mean(str(key), list(keys))}")
    for key in keys:
        if key not in value:
            raise PolicyError(f"{path}.{key}", "is missing")
    return value


def _deadline_days(value: object, path: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"must be a mapping of category to working days, got {_got(value)}")
    days = dict(DEFAULT_DEADLINE_DAYS)
    for category, number in value.items():
        if category not in days:
            raise PolicyError(f"{path}.{category}", f"unknown category (known: {', '.join(days)})")
        days[category] = _positive(number, f"{path}.{category}", "working days")
    return MappingProxyType(days)


def _time(value: object, path: str) -> time:
    # Unquoted 21:00 reaches us as the integer 1260 (YAML 1.1 reads it in base 60), hence the hint.
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise PolicyError(path, f'must be a time "HH:MM" in quotes, e.g. "21:00", got {_got(value)}')
    return time(int(match[1]), int(match[2]))


def _span(value: object, path: str) -> TimeSpan:
    raw = _mapping(value, path, ("start", "end"))
    span = TimeSpan(_time(raw["start"], f"{path}.start"), _time(raw["end"], f"{path}.end"))
    if span.start == span.end:
        raise PolicyError(path, f"start and end are both {span.start:%H:%M}: the span has no length")
    return span


def _working_hours(value: object, path: str) -> tuple[TimeSpan, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyError(path, f"must be a list of {{start, end}} sessions, got {_got(value)}")
    sessions: list[TimeSpan] = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        span = _span(item, item_path)
        if span.end < span.start:
            raise PolicyError(item_path, "a working session must end on the day it starts")
        if sessions and span.start < sessions[-1].end:
            raise PolicyError(item_path, "sessions must be in order and must not overlap")
        sessions.append(span)
    return tuple(sessions)


def _digest_time(value: object, path: str) -> DigestTime:
    raw = _mapping(value, path, ("weekday", "at"))
    weekday = raw["weekday"]
    if isinstance(weekday, str) and weekday.lower() in _WEEKDAYS:
        number = _WEEKDAYS.index(weekday.lower()) + 1
    elif isinstance(weekday, int) and not isinstance(weekday, bool) and 1 <= weekday <= 7:
        number = weekday
    else:
        raise PolicyError(f"{path}.weekday", f"must be monday…sunday or 1…7 (1 = Monday), got {_got(weekday)}")
    return DigestTime(number, _time(raw["at"], f"{path}.at"))


def _check_order(policy: Policy) -> None:
    hours = policy.day_hours
    if policy.unaccepted_community_days * hours <= policy.unaccepted_remind_hours:
        raise PolicyError(
            "policy.unaccepted_community_days",
            f"must come after the reminder ({policy.unaccepted_remind_hours} working hours; a working day "
            f"is {hours:g} hours), got {policy.unaccepted_community_days}",
        )
    if policy.unaccepted_town_days <= policy.unaccepted_community_days:
        raise PolicyError(
            "policy.unaccepted_town_days",
            f"must be more than unaccepted_community_days ({policy.unaccepted_community_days}), "
            f"got {policy.unaccepted_town_days}",
        )
    if policy.urgent_unaccepted_community_minutes <= policy.urgent_unaccepted_remind_minutes:
        raise PolicyError(
            "policy.urgent_unaccepted_community_minutes",
            f"must be more than urgent_unaccepted_remind_minutes ({policy.urgent_unaccepted_remind_minutes}), "
            f"got {policy.urgent_unaccepted_community_minutes}",
        )
    if policy.urgent_unaccepted_town_minutes <= policy.urgent_unaccepted_community_minutes:
        raise PolicyError(
            "policy.urgent_unaccepted_town_minutes",
            f"must be more than urgent_unaccepted_community_minutes "
            f"({policy.urgent_unaccepted_community_minutes}), got {policy.urgent_unaccepted_town_minutes}",
        )
    if policy.survey_close_days <= policy.survey_remind_days:
        raise PolicyError(
            "policy.survey_close_days",
            f"must be more than survey_remind_days ({policy.survey_remind_days}), got {policy.survey_close_days}",
        )

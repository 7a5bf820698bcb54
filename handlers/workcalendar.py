"""China's working calendar under a policy: working time, deadlines, reminders, quiet hours and digests."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from handlers.policy import DigestTime, Policy
from nlp import OTHER

DigestKind = Literal["courtyard_walk", "leader"]


@dataclass(frozen=True)
class UnacceptedSchedule:
    """When an unaccepted task is reminded, then 督办 to the community, then to the town."""

    remind_at: datetime
    community_at: datetime
    town_at: datetime



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

"""The `policy:` section of the org chart: the time rules as values, parsed and checked field by field."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nlp import CATEGORIES, OTHER

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
        raise PolicyError("policy", f"应是若干“设置项: 值”，实际是 {raw!r}")
    known = [f.name for f in fields(Policy)]
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"policy.{key}"
        if key not in known:
            raise PolicyError(path, f"没有这个设置项{_did_you_mean(str(key), known)}")
        if key == "deadline_days":
            changes[key] = _deadline_days(value, path)
        elif key == "quiet_hours":
            changes[key] = _span(value, path)
        elif key == "working_hours":
            changes[key] = _working_hours(value, path)
        elif key in ("courtyard_walk_digest", "leader_digest"):
            changes[key] = _digest_time(value, path)
        elif key == "due_soon_lead_days":
            changes[key] = _positive_int(value, path, "个工作日")
        else:
            changes[key] = _positive(value, path, _UNITS[key])
    policy = replace(Policy(), **changes)
    _check_order(policy)
    return policy


def validate_timezone(name: object, path: str = "COURTYARD_TZ") -> ZoneInfo:
    """The ZoneInfo called name, or PolicyError naming path when there is no such time zone."""
    if not isinstance(name, str) or not name:
        raise PolicyError(path, f"应是时区名称，例如 Asia/Shanghai，实际是 {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PolicyError(path, f"不认识的时区 {name!r}（例如 Asia/Shanghai）") from None


_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "urgent_deadline_hours": "小时（自然时间）",
        "unaccepted_remind_hours": "个工作小时",
        "unaccepted_community_days": "个工作日",
        "unaccepted_town_days": "个工作日",
        "urgent_unaccepted_remind_minutes": "分钟",
        "urgent_unaccepted_community_minutes": "分钟",
        "urgent_unaccepted_town_minutes": "分钟",
        "status_followup_days": "个工作日",
        "survey_remind_days": "天",
        "survey_close_days": "天",
    }
)


def _got(value: object) -> str:
    return "空值" if value is None else repr(value)


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"；是不是想写 {close[0]}？" if close else f"（可用的有：{'、'.join(known)}）"


def _positive(value: object, path: str, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise PolicyError(path, f"应是大于 0 的数（单位：{unit}），实际是 {_got(value)}")
    if value > _LARGEST:
        raise PolicyError(path, f"最多 {_LARGEST}（单位：{unit}），实际是 {value}")
    return value


def _positive_int(value: object, path: str, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PolicyError(path, f"应是正整数（单位：{unit}），实际是 {_got(value)}")
    return value


def _mapping(value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"应包含 {'、'.join(keys)} 这几项，实际是 {_got(value)}")
    for key in value:
        if key not in keys:
            raise PolicyError(f"{path}.{key}", f"没有这个设置项{_did_you_mean(str(key), list(keys))}")
    for key in keys:
        if key not in value:
            raise PolicyError(f"{path}.{key}", "缺少这一项")
    return value


def _deadline_days(value: object, path: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        raise PolicyError(path, f"应是“类别: 工作日数”的对应表，实际是 {_got(value)}")
    days = dict(DEFAULT_DEADLINE_DAYS)
    for category, number in value.items():
        if category not in days:
            raise PolicyError(f"{path}.{category}", f"没有这个类别（可用的有：{'、'.join(days)}）")
        days[category] = _positive(number, f"{path}.{category}", "个工作日")
    return MappingProxyType(days)


def _time(value: object, path: str) -> time:
    # Unquoted 21:00 reaches us as the integer 1260 (YAML 1.1 reads it in base 60), hence the hint.
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise PolicyError(path, f'应是带引号的时间 "HH:MM"，例如 "21:00"，实际是 {_got(value)}')
    return time(int(match[1]), int(match[2]))


def _span(value: object, path: str) -> TimeSpan:
    raw = _mapping(value, path, ("start", "end"))
    span = TimeSpan(_time(raw["start"], f"{path}.start"), _time(raw["end"], f"{path}.end"))
    if span.start == span.end:
        raise PolicyError(path, f"开始和结束都是 {span.start:%H:%M}：这段时间长度为零")
    return span


def _working_hours(value: object, path: str) -> tuple[TimeSpan, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyError(path, f"应是若干 {{start, end}} 时段的列表，实际是 {_got(value)}")
    sessions: list[TimeSpan] = []
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        span = _span(item, item_path)
        if span.end < span.start:
            raise PolicyError(item_path, "每个工作时段须在当天结束")
        if sessions and span.start < sessions[-1].end:
            raise PolicyError(item_path, "各时段须按先后排列，且不能重叠")
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
        raise PolicyError(f"{path}.weekday", f"应是 monday…sunday 或 1…7（1 = 周一），实际是 {_got(weekday)}")
    return DigestTime(number, _time(raw["at"], f"{path}.at"))


def _check_order(policy: Policy) -> None:
    hours = policy.day_hours
    if policy.unaccepted_community_days * hours <= policy.unaccepted_remind_hours:
        raise PolicyError(
            "policy.unaccepted_community_days",
            f"应晚于未受理提醒（{policy.unaccepted_remind_hours} 个工作小时；一个工作日按 {hours:g} 小时算），"
            f"实际是 {policy.unaccepted_community_days}",
        )
    if policy.unaccepted_town_days <= policy.unaccepted_community_days:
        raise PolicyError(
            "policy.unaccepted_town_days",
            f"应大于 unaccepted_community_days（{policy.unaccepted_community_days}），"
            f"实际是 {policy.unaccepted_town_days}",
        )
    if policy.urgent_unaccepted_community_minutes <= policy.urgent_unaccepted_remind_minutes:
        raise PolicyError(
            "policy.urgent_unaccepted_community_minutes",
            f"应大于 urgent_unaccepted_remind_minutes（{policy.urgent_unaccepted_remind_minutes}），"
            f"实际是 {policy.urgent_unaccepted_community_minutes}",
        )
    if policy.urgent_unaccepted_town_minutes <= policy.urgent_unaccepted_community_minutes:
        raise PolicyError(
            "policy.urgent_unaccepted_town_minutes",
            f"应大于 urgent_unaccepted_community_minutes（{policy.urgent_unaccepted_community_minutes}），"
            f"实际是 {policy.urgent_unaccepted_town_minutes}",
        )
    if policy.survey_close_days <= policy.survey_remind_days:
        raise PolicyError(
            "policy.survey_close_days",
            f"应大于 survey_remind_days（{policy.survey_remind_days}），实际是 {policy.survey_close_days}",
        )

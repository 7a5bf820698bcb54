"""The time rules: policy parsing and errors, China's work calendar, working time, quiet hours, digests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import yaml

from handlers.policy import (
    DigestTime,
    Policy,
    PolicyError,
    TimeSpan,
    parse_policy,
    validate_timezone,
)
from handlers.workcalendar import WorkCalendar
from nlp import CATEGORIES, OTHER
from storage.orgfile import parse_org_chart

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(TZ, Policy())


def policy_yaml(text: str) -> Policy:
    return parse_policy(yaml.safe_load(text)["policy"])


# Defaults and overrides.


def test_defaults() -> None:
    p = parse_policy(None)
    assert p == Policy()
    assert set(p.deadline_days) == {*CATEGORIES, OTHER}
    assert p.deadline_days["环境保护"] == 3
    assert p.deadline_days["城乡建设"] == 3
    assert p.deadline_days["交通运输"] == 5
    assert p.deadline_days[OTHER] == 5
    assert p.urgent_deadline_hours == 4
    assert (p.unaccepted_remind_hours, p.unaccepted_community_days, p.unaccepted_town_days) == (4, 1, 2)
    assert p.quiet_hours == TimeSpan(time(21, 0), time(8, 0))
    assert p.working_hours == (TimeSpan(time(8, 30), time(12, 0)), TimeSpan(time(14, 0), time(17, 30)))
    assert p.day_hours == 7
    assert p.courtyard_walk_digest == DigestTime(2, time(8, 30))
    assert p.leader_digest == DigestTime(1, time(8, 30))
    assert (p.survey_remind_days, p.survey_close_days, p.status_followup_days, p.due_soon_lead_days) == (1, 7, 3, 1)
    assert parse_policy({}) == Policy()


def test_defaults_cannot_be_mutated() -> None:
    with pytest.raises(TypeError):
        Policy().deadline_days["城乡建设"] = 1  # type: ignore[index]


def test_yaml_overrides_keep_the_other_defaults() -> None:
    p = policy_yaml(
        """
policy:
  deadline_days: {城乡建设: 5, 环境保护: 2.5}
  urgent_deadline_hours: 2
  unaccepted_remind_hours: 3
  quiet_hours: {start: "22:00", end: "07:30"}
  working_hours:
    - {start: "09:00", end: "12:00"}
    - {start: "13:30", end: "17:30"}
  courtyard_walk_digest: {weekday: wednesday, at: "08:00"}
  leader_digest: {weekday: 1, at: "09:00"}
  survey_close_days: 5
"""
    )
    assert p.deadline_days["城乡建设"] == 5
    assert p.deadline_days["环境保护"] == 2.5
    assert p.deadline_days["交通运输"] == 5
    assert p.urgent_deadline_hours == 2
    assert p.unaccepted_remind_hours == 3
    assert p.unaccepted_town_days == 2
    assert p.quiet_hours == TimeSpan(time(22, 0), time(7, 30))
    assert p.day_hours == 7
    assert p.courtyard_walk_digest == DigestTime(3, time(8, 0))
    assert p.leader_digest == DigestTime(1, time(9, 0))
    assert p.survey_close_days == 5
    assert p.survey_remind_days == 1


def test_policy_section_of_the_org_chart() -> None:
    chart = parse_org_chart(
        """
town: 柳街镇
communities:
  - name: 幸福社区
    courtyards:
      - {name: 桂花苑}
policy:
  deadline_days: {环境保护: 2}
  quiet_hours: {start: "21:30", end: "08:00"}
"""
    )
    p = parse_policy(chart.policy)
    assert p.deadline_days["环境保护"] == 2
    assert p.quiet_hours.start == time(21, 30)


# Bad input names the field.


@pytest.mark.parametrize(
    ("raw", "path", "words"),
    [
        (
            "deadline_days: {城乡建设: -2}",
            "policy.deadline_days.城乡建设",
            "应是大于 0 的数（单位：个工作日），实际是 -2",
        ),
        ("deadline_days: {城乡建设: 0}", "policy.deadline_days.城乡建设", "大于 0"),
        ("deadline_days: {城乡建设: }", "policy.deadline_days.城乡建设", "实际是 空值"),
        ("deadline_days: {城乡建设: five}", "policy.deadline_days.城乡建设", "'five'"),
        ("deadline_days: {城乡建设: true}", "policy.deadline_days.城乡建设", "大于 0"),
        ("deadline_days: {城乡建设: .inf}", "policy.deadline_days.城乡建设", "大于 0"),
        (
            "deadline_days: {城乡建设: 5000}",
            "policy.deadline_days.城乡建设",
            "最多 1000（单位：个工作日），实际是 5000",
        ),
        ("deadline_days: {修路: 3}", "policy.deadline_days.修路", "没有这个类别"),
        ("deadline_days: [3]", "policy.deadline_days", "对应表"),
        ("deadline_days:", "policy.deadline_days", "实际是 空值"),
        ("urgent_deadline_hours: -4", "policy.urgent_deadline_hours", "大于 0 的数（单位：小时（自然时间））"),
        ("urgent_deadline_hours:", "policy.urgent_deadline_hours", "实际是 空值"),
        ("unaccepted_remind_hours: 0", "policy.unaccepted_remind_hours", "大于 0"),
        ("deadine_days: {城乡建设: 3}", "policy.deadine_days", "是不是想写 deadline_days"),
        ("colour: blue", "policy.colour", "没有这个设置项"),
        ('quiet_hours: {start: "25:00", end: "08:00"}', "policy.quiet_hours.start", "HH:MM"),
        ('quiet_hours: {start: "9pm", end: "08:00"}', "policy.quiet_hours.start", "'9pm'"),
        ('quiet_hours: {start: 21:00, end: "08:00"}', "policy.quiet_hours.start", "带引号"),
        ('quiet_hours: {start: "21:00", end: "21:00"}', "policy.quiet_hours", "长度为零"),
        ('quiet_hours: {start: "21:00"}', "policy.quiet_hours.end", "缺少"),
        ('quiet_hours: {start: "21:00", end: "08:00", stop: "09:00"}', "policy.quiet_hours.stop", "没有这个设置项"),
        ('quiet_hours: "21:00-08:00"', "policy.quiet_hours", "应包含 start、end"),
        ("working_hours: []", "policy.working_hours", "列表"),
        ('working_hours: [{start: "17:30", end: "08:30"}]', "policy.working_hours[0]", "当天结束"),
        (
            'working_hours: [{start: "08:30", end: "12:00"}, {start: "11:00", end: "17:00"}]',
            "policy.working_hours[1]",
            "不能重叠",
        ),
        ('working_hours: [{start: "08:30", end: "8:30"}]', "policy.working_hours[0]", "长度为零"),
        ('leader_digest: {weekday: funday, at: "08:30"}', "policy.leader_digest.weekday", "'funday'"),
        ('leader_digest: {weekday: 8, at: "08:30"}', "policy.leader_digest.weekday", "实际是 8"),
        ("leader_digest: {weekday: 1, at: 830}", "policy.leader_digest.at", "实际是 830"),
        ("due_soon_lead_days: 0.5", "policy.due_soon_lead_days", "正整数"),
        ("unaccepted_town_days: 1", "policy.unaccepted_town_days", "应大于 unaccepted_community_days"),
        ("unaccepted_remind_hours: 8", "policy.unaccepted_community_days", "应晚于未受理提醒"),
        ("urgent_unaccepted_town_minutes: 45", "policy.urgent_unaccepted_town_minutes", "应大于"),
        ("urgent_unaccepted_community_minutes: 20", "policy.urgent_unaccepted_community_minutes", "应大于"),
        ("survey_close_days: 1", "policy.survey_close_days", "应大于 survey_remind_days"),
    ],
)
def test_bad_policy_names_the_field(raw: str, path: str, words: str) -> None:
    document: dict[str, Any] = yaml.safe_load("policy:\n  " + raw)
    with pytest.raises(PolicyError) as caught:
        parse_policy(document["policy"])
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert words in message, message
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


def test_policy_that_is_not_a_mapping() -> None:
    with pytest.raises(PolicyError, match=r"^policy: 应是若干"):
        parse_policy(["deadline_days"])  # type: ignore[arg-type]


def test_timezones() -> None:
    assert validate_timezone("Asia/Shanghai") == TZ
    for bad in ("Asia/Shangai", "asia/shanghai", "", "../etc/passwd", "/etc/localtime", "Asia", None, 8):
        with pytest.raises(PolicyError) as caught:
            validate_timezone(bad)
        assert str(caught.value).startswith("COURTYARD_TZ: "), caught.value
    with pytest.raises(PolicyError, match=r"^policy\.timezone: 不认识的时区 'Mars/Base'"):
        validate_timezone("Mars/Base", "policy.timezone")


# Days: National Day 2026 as chinese_calendar knows it.


def test_national_day_2026(cal: WorkCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_workday(date(2026, 10, day))
        assert cal.is_holiday(date(2026, 10, day))
        assert chinese_calendar.get_holiday_detail(date(2026, 10, day)) == (True, "National Day")
    # The make-up working days (调休) of this National Day: a Sunday before and a Saturday after.
    assert cal.is_workday(date(2026, 9, 20)) and date(2026, 9, 20).isoweekday() == 7
    assert cal.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).isoweekday() == 6
    assert not cal.is_holiday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 8))


def test_an_ordinary_weekend_is_no_holiday(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2026, 10, 11))
    assert not cal.is_holiday(date(2026, 10, 11))
    assert cal.is_workday(date(2026, 10, 12))


def test_next_and_previous_workday(cal: WorkCalendar) -> None:
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 10, 9)) == date(2026, 10, 10)
    assert cal.next_workday(date(2026, 10, 10)) == date(2026, 10, 12)
    assert cal.previous_workday(date(2026, 10, 8)) == date(2026, 9, 30)
    assert cal.previous_workday(date(2026, 9, 21)) == date(2026, 9, 20)
    assert cal.previous_workday(date(2026, 9, 28)) == date(2026, 9, 24)  # Mid-autumn Friday 25th is off


def test_days_outside_the_calendar_data_fall_back_to_monday_to_friday(cal: WorkCalendar) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 1, 1))
    assert not cal.knows(date(2099, 1, 1))
    assert cal.knows(date(2026, 1, 1))
    assert cal.is_workday(date(2099, 1, 1))  # a Thursday
    assert not cal.is_workday(date(2099, 1, 3))  # a Saturday
    assert not cal.is_holiday(date(2099, 1, 1))
    assert cal.next_workday(date(2099, 1, 2)) == date(2099, 1, 5)
    assert cal.add_working_days(at(2099, 1, 2, 10), 1) == at(2099, 1, 5, 10)
    assert cal.digest_due("courtyard_walk", at(2099, 1, 6, 9)) == date(2099, 1, 6)


def test_a_datetime_counts_as_its_local_day(cal: WorkCalendar) -> None:
    # 17:00 UTC on Wednesday 30 September is already 1 October in Shanghai.
    assert not cal.is_workday(datetime(2026, 9, 30, 17, tzinfo=UTC))
    assert cal.is_workday(datetime(2026, 9, 30, 15, tzinfo=UTC))


# Working time.


def test_working_days_across_a_weekend(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at(2026, 10, 16, 10), 1) == at(2026, 10, 19, 10)  # Fri → Mon
    assert cal.add_working_days(at(2026, 10, 16, 10), 5) == at(2026, 10, 23, 10)


def test_working_days_across_national_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at(2026, 9, 30, 10), 1) == at(2026, 10, 8, 10)
    assert cal.add_working_days(at(2026, 9, 30, 10), 2) == at(2026, 10, 9, 10)


def test_working_days_onto_a_make_up_saturday(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at(2026, 10, 9, 10), 1) == at(2026, 10, 10, 10)
    assert cal.add_working_days(at(2026, 9, 30, 10), 3) == at(2026, 10, 10, 10)
    # Saturday 19 September is off; counting starts on the make-up Sunday's opening.
    assert cal.add_working_days(at(2026, 9, 19, 10), 1) == at(2026, 9, 20, 17, 30)


def test_a_start_outside_working_hours_counts_from_the_next_working_moment(cal: WorkCalendar) -> None:
    # Saturday evening: counting starts Monday 08:30, and one working day ends Monday at closing.
    assert cal.add_working_days(at(2026, 10, 17, 20), 1) == at(2026, 10, 19, 17, 30)
    assert cal.add_working_hours(at(2026, 10, 19, 7), 1) == at(2026, 10, 19, 9, 30)
    assert cal.add_working_hours(at(2026, 10, 19, 12, 30), 0) == at(2026, 10, 19, 14)
    # The night before National Day: nothing counts until 8 October.
    assert cal.add_working_hours(at(2026, 9, 30, 18), 2) == at(2026, 10, 8, 10, 30)


def test_working_hours_across_lunch_and_evening(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at(2026, 10, 19, 11), 2) == at(2026, 10, 19, 15)  # lunch 12:00 to 14:00
    assert cal.add_working_hours(at(2026, 10, 19, 11), 1) == at(2026, 10, 19, 12)
    assert cal.add_working_hours(at(2026, 10, 19, 17), 1) == at(2026, 10, 20, 9)  # evening
    assert cal.add_working_hours(at(2026, 10, 16, 16), 4) == at(2026, 10, 19, 11)  # Friday → Monday
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 10, 19, 9), -1)


def test_working_hours_between(cal: WorkCalendar) -> None:
    assert cal.working_hours_between(at(2026, 10, 19, 11), at(2026, 10, 19, 15)) == 2
    assert cal.working_hours_between(at(2026, 10, 19, 18), at(2026, 10, 20, 8)) == 0
    assert cal.working_hours_between(at(2026, 10, 16, 9), at(2026, 10, 19, 9)) == 7
    assert cal.working_hours_between(at(2026, 9, 30, 0), at(2026, 10, 9, 0)) == 14  # 30 Sep and 8 Oct
    assert cal.working_hours_between(at(2026, 10, 20, 9), at(2026, 10, 19, 9)) == 0
    start = at(2026, 9, 29, 16, 15)
    assert cal.working_hours_between(start, cal.add_working_hours(start, 11.5)) == pytest.approx(11.5)


def test_deadlines(cal: WorkCalendar) -> None:
    created = at(2026, 9, 29, 10)  # Tuesday before National Day
    assert cal.deadline_for("环境保护", False, created) == at(2026, 10, 9, 10)
    # 30 Sep, 8, 9, 10 (the make-up Saturday) and 12 October.
    assert cal.deadline_for("交通运输", False, created) == at(2026, 10, 12, 10)
    assert cal.deadline_for("未分类", False, created) == cal.deadline_for(OTHER, False, created)
    # Urgent tickets run on calendar hours, through the night and the holiday.
    assert cal.deadline_for("城乡建设", True, at(2026, 10, 3, 22)) == at(2026, 10, 4, 2)


def test_due_soon_is_opening_time_the_workday_before(cal: WorkCalendar) -> None:
    assert cal.due_soon_at(at(2026, 10, 19, 10)) == at(2026, 10, 16, 8, 30)
    assert cal.due_soon_at(at(2026, 10, 8, 10)) == at(2026, 9, 30, 8, 30)
    assert cal.due_soon_at(at(2026, 10, 12, 10)) == at(2026, 10, 10, 8, 30)


def test_unaccepted_schedule(cal: WorkCalendar) -> None:
    ordinary = cal.unaccepted_schedule(at(2026, 9, 29, 16), False)
    assert ordinary.remind_at == at(2026, 9, 30, 11)
    assert ordinary.community_at == at(2026, 9, 30, 16)
    assert ordinary.town_at == at(2026, 10, 8, 16)
    urgent = cal.unaccepted_schedule(at(2026, 10, 3, 22), True)
    assert (urgent.remind_at, urgent.community_at, urgent.town_at) == (
        at(2026, 10, 3, 22, 30),
        at(2026, 10, 3, 23),
        at(2026, 10, 4, 0),
    )


def test_resident_follow_up_and_survey_clocks(cal: WorkCalendar) -> None:
    assert cal.status_followup_at(at(2026, 9, 29, 10)) == at(2026, 10, 9, 10)
    assert cal.survey_remind_at(at(2026, 10, 3, 10)) == at(2026, 10, 4, 10)
    assert cal.survey_close_at(at(2026, 10, 3, 10)) == at(2026, 10, 10, 10)


# Quiet hours.


def test_quiet_hours_edges(cal: WorkCalendar) -> None:
    assert not cal.quiet(at(2026, 10, 19, 20, 59))
    assert cal.quiet(at(2026, 10, 19, 21, 0))
    assert cal.quiet(at(2026, 10, 20, 0, 0))
    assert cal.quiet(at(2026, 10, 20, 7, 59))
    assert not cal.quiet(at(2026, 10, 20, 8, 0))
    assert not cal.quiet(at(2026, 10, 20, 12, 0))


def test_next_push_time_across_midnight(cal: WorkCalendar) -> None:
    assert cal.next_push_time(at(2026, 10, 19, 20, 59)) == at(2026, 10, 19, 20, 59)
    assert cal.next_push_time(at(2026, 10, 19, 21, 0)) == at(2026, 10, 20, 8, 0)
    assert cal.next_push_time(at(2026, 10, 19, 23, 59)) == at(2026, 10, 20, 8, 0)
    assert cal.next_push_time(at(2026, 10, 20, 0, 1)) == at(2026, 10, 20, 8, 0)
    assert cal.next_push_time(at(2026, 12, 31, 22)) == at(2027, 1, 1, 8, 0)
    # A UTC clock gives the same answer, in the calendar's zone.
    assert cal.next_push_time(datetime(2026, 10, 19, 14, 30, tzinfo=UTC)) == at(2026, 10, 20, 8, 0)


def test_quiet_hours_that_do_not_cross_midnight() -> None:
    siesta = WorkCalendar(TZ, policy_yaml('policy:\n  quiet_hours: {start: "12:00", end: "14:00"}'))
    assert siesta.quiet(at(2026, 10, 19, 13))
    assert not siesta.quiet(at(2026, 10, 19, 23))
    assert siesta.next_push_time(at(2026, 10, 19, 12, 30)) == at(2026, 10, 19, 14)


# Digests.


def test_courtyard_walk_digest(cal: WorkCalendar) -> None:
    tuesday = date(2026, 10, 20)
    assert cal.digest_due("courtyard_walk", at(2026, 10, 20, 8, 29)) is None
    assert cal.digest_due("courtyard_walk", at(2026, 10, 20, 8, 30)) == tuesday
    assert cal.digest_due("courtyard_walk", at(2026, 10, 20, 8, 31)) == tuesday
    assert cal.digest_due("courtyard_walk", at(2026, 10, 21, 15)) == tuesday  # a late sweep on Wednesday
    assert cal.digest_due("courtyard_walk", at(2026, 10, 20, 21, 30)) is None  # never at night
    assert cal.digest_due("courtyard_walk", at(2026, 10, 21, 0, 7)) is None  # missed: not in the small hours
    assert cal.digest_due("courtyard_walk", at(2026, 10, 21, 8, 29)) is None
    assert cal.digest_due("courtyard_walk", at(2026, 10, 21, 8, 30)) == tuesday  # the next working morning
    assert cal.digest_due("courtyard_walk", at(2026, 10, 24, 10)) is None  # not on a weekend
    assert cal.digest_due("courtyard_walk", at(2026, 10, 23, 17)) == tuesday  # up to the end of the week
    assert cal.digest_due("courtyard_walk", at(2026, 10, 19, 23)) is None  # Monday: this week's not yet
    assert cal.digest_due("courtyard_walk", datetime(2026, 10, 20, 0, 31, tzinfo=UTC)) == tuesday


def test_digest_skipped_on_a_holiday(cal: WorkCalendar) -> None:
    # National Day week: Monday 5 and Tuesday 6 October are holidays, so neither digest goes out.
    assert cal.digest_due("courtyard_walk", at(2026, 10, 6, 9)) is None
    assert cal.digest_due("courtyard_walk", at(2026, 10, 8, 9)) is None
    assert cal.digest_due("leader", at(2026, 10, 5, 9)) is None
    assert cal.digest_due("leader", at(2026, 10, 10, 9)) is None  # not even on the make-up Saturday


def test_leader_digest(cal: WorkCalendar) -> None:
    assert cal.digest_due("leader", at(2026, 10, 12, 8, 29)) is None
    assert cal.digest_due("leader", at(2026, 10, 12, 8, 31)) == date(2026, 10, 12)
    assert cal.digest_due("leader", at(2026, 10, 16, 20)) == date(2026, 10, 12)
    assert cal.digest_due("leader", at(2026, 10, 18, 10)) is None  # Sunday


def test_digest_time_from_the_policy() -> None:
    cal = WorkCalendar(TZ, policy_yaml('policy:\n  courtyard_walk_digest: {weekday: thursday, at: "07:00"}'))
    assert cal.digest_due("courtyard_walk", at(2026, 10, 22, 6, 59)) is None
    assert cal.digest_due("courtyard_walk", at(2026, 10, 22, 7, 0)) == date(2026, 10, 22)


def test_period_key(cal: WorkCalendar) -> None:
    assert cal.period_key(date(2026, 10, 20)) == "2026-W43"
    assert cal.period_key(date(2026, 11, 24)) == "2026-W48"
    assert cal.period_key(date(2027, 1, 1)) == "2026-W53"  # ISO year, not calendar year
    assert cal.period_key(datetime(2026, 10, 18, 16, 30, tzinfo=UTC)) == "2026-W43"  # Monday in Shanghai


# Naive datetimes.


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    naive = datetime(2026, 10, 19, 10)  # noqa: DTZ001 - the point of the test
    calls: list[Callable[[], object]] = [
        lambda: cal.add_working_days(naive, 1),
        lambda: cal.add_working_hours(naive, 1),
        lambda: cal.working_hours_between(naive, at(2026, 10, 20)),
        lambda: cal.working_hours_between(at(2026, 10, 18), naive),
        lambda: cal.deadline_for("城乡建设", False, naive),
        lambda: cal.deadline_for("城乡建设", True, naive),
        lambda: cal.quiet(naive),
        lambda: cal.next_push_time(naive),
        lambda: cal.digest_due("leader", naive),
        lambda: cal.is_workday(naive),
        lambda: cal.period_key(naive),
        lambda: cal.unaccepted_schedule(naive, True),
        lambda: cal.survey_close_at(naive),
        lambda: cal.due_soon_at(naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="naive"):
            call()


def test_unknown_digest_kind(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="weekly"):
        cal.digest_due("weekly", at(2026, 10, 20, 9))  # type: ignore[arg-type]


def test_results_are_in_the_calendar_zone(cal: WorkCalendar) -> None:
    utc_start = datetime(2026, 10, 19, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    result = cal.add_working_hours(utc_start, 1)
    assert result == at(2026, 10, 19, 10) and result.tzinfo == TZ
    assert result - utc_start == timedelta(hours=1)

"""The 三率 and their counts (DESIGN §4 /api/stats) on seeded ledgers, checked against hand-worked numbers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from handlers import stats
from handlers.accounts import reach_scope
from handlers.cadre import in_reach
from handlers.policy import Policy
from handlers.workcalendar import WorkCalendar
from storage import ledger_query
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.ledger_query import LedgerQuery, Scope, StatRow
from storage.models import TicketStatus
from tests.support.ledger import seed

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar(TZ, Policy())
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def count(db: Database, first: date, last: date) -> stats.Stats:
    return stats.compute(db=db, calendar=CALENDAR, scope=Scope(), period=stats.Period(first, last), now=NOW)


def test_no_surveys_yet_leaves_satisfaction_blank_not_zero(db: Database) -> None:
    # Monday 2 November: one accepted the same afternoon, one the next morning (within 7 working hours),
    # one two days later; one of them resolved.
    seed(
        db,
        courtyard="桂花苑",
        text="路灯坏了",
        created_at=at(11, 2, 9),
        accepted_at=at(11, 2, 14),
        resolved_at=at(11, 3, 9),
        status=TicketStatus.RESOLVED,
    )
    seed(
        db,
        courtyard="桂花苑",
        text="下水道堵了",
        created_at=at(11, 2, 15),
        accepted_at=at(11, 3, 11),
        status=TicketStatus.ACCEPTED,
    )
    seed(
        db,
        courtyard="银杏院",
        text="垃圾没人收",
        created_at=at(11, 2, 10),
        accepted_at=at(11, 4, 10),
        status=TicketStatus.ACCEPTED,
    )
    result = count(db, date(2026, 11, 1), date(2026, 11, 30)).as_json()
    assert (result["collected"], result["accepted"], result["accepted_in_time"], result["resolved"]) == (3, 3, 2, 1)
    assert result["response_rate"] == round(2 / 3, 4) and result["resolution_rate"] == round(1 / 3, 4)
    assert result["surveyed"] == 0 and result["satisfaction_rate"] is None
    by_courtyard = {row["courtyard"]: row for row in result["by_courtyard"]}
    assert by_courtyard["银杏院"]["accepted_in_time"] == 0 and by_courtyard["桂花苑"]["accepted_in_time"] == 2


def test_all_overdue(db: Database) -> None:
    for n in range(4):
        seed(db, courtyard="银杏院", text=f"楼道灯坏了{n}", created_at=at(11, 2, 9 + n), due_at=at(11, 5, 9 + n))
    result = count(db, date(2026, 11, 1), date(2026, 11, 24))
    total = result.total
    assert (total.collected, total.overdue_open, total.accepted_in_time, total.resolved) == (4, 4, 0, 0)
    assert total.response_rate == 0.0 and total.resolution_rate == 0.0 and total.satisfaction_rate is None
    assert total.average_resolve_days is None


def test_a_holiday_week_is_not_counted_as_working_time(db: Database) -> None:
    # Wednesday 30 September 16:00 leaves 1.5 working hours that day; 1-7 October is the National Day
    # holiday, so one working day (7 hours) runs out on Thursday 8 October at 16:00. Filed on Saturday
    # 3 October, the working day is all of 8 October: it runs out at 17:30.
    seed(db, courtyard="桂花苑", text="a", created_at=at(9, 30, 16), accepted_at=at(10, 8, 15, 59))
    seed(db, courtyard="桂花苑", text="b", created_at=at(9, 30, 16), accepted_at=at(10, 8, 16, 1))
    seed(db, courtyard="翠竹苑", text="c", created_at=at(10, 3, 10), accepted_at=at(10, 8, 17, 29))
    seed(db, courtyard="翠竹苑", text="d", created_at=at(10, 3, 10), accepted_at=at(10, 9, 8, 40))
    result = count(db, date(2026, 9, 28), date(2026, 10, 9))
    assert (result.total.collected, result.total.accepted, result.total.accepted_in_time) == (4, 4, 2)
    assert result.total.response_rate == 0.5


def test_surveys_withdrawals_and_average_working_days(db: Database) -> None:
    answers = ("satisfied", "basic", "unsatisfied", "none")
    for n, answer in enumerate(answers):
        # Filed Monday 9:00, resolved Wednesday 9:00: two working days of 7 hours.
        seed(
            db,
            courtyard="翠竹苑",
            text=f"问题{n}",
            created_at=at(11, 9, 9),
            accepted_at=at(11, 9, 10),
            resolved_at=at(11, 11, 9),
            status=TicketStatus.CLOSED,
            satisfaction=answer,
        )
    seed(db, courtyard="翠竹苑", text="撤回的", created_at=at(11, 9, 9), status=TicketStatus.WITHDRAWN)
    total = count(db, date(2026, 11, 9), date(2026, 11, 9)).total
    assert (total.collected, total.resolved, total.surveyed, total.satisfied, total.basically_satisfied) == (
        4,
        4,
        3,
        1,
        1,
    )
    assert total.satisfaction_rate == round(2 / 3, 4)
    assert total.average_resolve_days == 2.0
    assert count(db, date(2026, 11, 10), date(2026, 11, 30)).total.collected == 0


def test_one_ticket_does_not_top_the_ranking(db: Database) -> None:
    # 翠竹苑: 1 ticket, unresolved (0 %). 桂花苑: 10 tickets, 3 resolved (30 %). 银杏院: 10 tickets, all resolved.
    seed(db, courtyard="翠竹苑", text="x", created_at=at(11, 2, 9))
    for n in range(10):
        done = TicketStatus.RESOLVED if n < 3 else TicketStatus.NEW
        seed(
            db,
            courtyard="桂花苑",
            text=f"g{n}",
            created_at=at(11, 2, 9),
            status=done,
            resolved_at=at(11, 3, 9) if n < 3 else None,
        )
        seed(
            db,
            courtyard="银杏院",
            text=f"y{n}",
            created_at=at(11, 2, 9),
            status=TicketStatus.RESOLVED,
            resolved_at=at(11, 3, 9),
        )
    ranking = [g.name for g in count(db, date(2026, 11, 1), date(2026, 11, 30)).by_courtyard]
    assert ranking == ["桂花苑", "翠竹苑", "银杏院"]


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        ("2026-13-01", "", "格式"),
        ("2026-11-30", "2026-11-01", "早于"),
        ("1900-01-01", "2026-11-01", "之间"),
        ("2000-01-01", "2026-11-01", "十年"),
        ("' OR 1=1 --", "", "格式"),
    ],
)
def test_absurd_periods_are_refused_with_a_reason(first: str, last: str, problem: str) -> None:
    with pytest.raises(stats.PeriodError, match=problem):
        stats.parse_period(first, last, today=date(2026, 11, 24))


def test_web_reach_is_the_chat_reach(db: Database) -> None:
    """A cadre account sees exactly the tickets that cadre's chat commands reach."""
    for courtyard in ("桂花苑", "银杏院", "翠竹苑", "东风院"):
        seed(db, courtyard=courtyard, text=courtyard, created_at=at(11, 2, 9))
    seed(db, courtyard="桂花苑", text="转给和平社区的", created_at=at(11, 2, 9), assignee="刘洋")
    with db.snapshot() as session:
        tickets = [ticket_repo.get_ticket(session=session, ticket_id=n) for n in range(1, 6)]
        for name in ("李芳", "陈刚", "王明", "刘洋", "赵强", "周伟"):
            cadre = org_repo.cadre_by_name(session=session, name=name)
            assert cadre is not None
            rows, _ = ledger_query.page(
                session=session, query=LedgerQuery(), scope=reach_scope(cadre), now=NOW, offset=0, limit=50
            )
            expected = {t.id for t in tickets if t is not None and in_reach(cadre, t)}
            assert {row.id for row in rows} == expected and expected, name


def test_the_working_clock_agrees_with_the_work_calendar() -> None:
    """The fast clock of the statistics gives WorkCalendar's working hours, holidays and make-up days included."""
    rng = random.Random(15)
    clock = stats.WorkingClock(CALENDAR, date(2026, 9, 1))
    rows, expected_in_time = [], []
    for _ in range(400):
        a = at(9, 1, 0) + timedelta(minutes=rng.randrange(60 * 24 * 80), seconds=rng.randrange(60))
        b = a + timedelta(minutes=rng.randrange(60 * 24 * 12))
        expected = CALENDAR.working_hours_between(a, b) * 60
        assert clock.reading(b) - clock.reading(a) == pytest.approx(expected, abs=1e-6), (a, b)
        many = clock.readings(np.array([int(a.timestamp()), int(b.timestamp())], dtype=np.int64))
        assert many[1] - many[0] == pytest.approx(expected, abs=1e-6), (a, b)
        limit = CALENDAR.add_working_days(a, 1)
        for accepted in (b, limit, limit + timedelta(minutes=30)):  # at the limit, and just after it
            rows.append(
                StatRow(
                    "accepted", None, None, "其他", int(a.timestamp()), int(accepted.timestamp()), None, None, False
                )
            )
            expected_in_time.append(accepted <= limit)
    facts = stats.Facts(rows, clock)
    assert facts.in_time.tolist() == expected_in_time


def test_the_fast_readings_follow_a_zone_with_summer_time() -> None:
    """Many readings at once give reading() of each, across a daylight-saving change (a zone other than China's)."""
    calendar = WorkCalendar(ZoneInfo("Europe/Berlin"), Policy())
    clock = stats.WorkingClock(calendar, date(2026, 3, 20))
    rng = random.Random(3)
    moments = [
        datetime(2026, 3, 20, tzinfo=ZoneInfo("UTC")) + timedelta(seconds=rng.randrange(86400 * 20)) for _ in range(300)
    ]
    many = clock.readings(np.array([int(m.timestamp()) for m in moments], dtype=np.int64))
    assert many.tolist() == pytest.approx([clock.reading(m) for m in moments], abs=1e-6)


def test_a_ticket_filed_at_the_period_s_first_midnight_is_counted(db: Database) -> None:
    """Moments are read from the period's first midnight on; one filed (and accepted) at that very second counts."""
    midnight = at(11, 2, 0)
    seed(db, courtyard="桂花苑", text="路灯坏了", created_at=midnight)
    seed(db, courtyard="桂花苑", text="井盖松了", created_at=midnight, accepted_at=midnight)
    counted = count(db, date(2026, 11, 2), date(2026, 11, 2))
    assert (counted.total.collected, counted.total.accepted, counted.total.accepted_in_time) == (2, 1, 1)

"""The dashboard's hot issues are grouped in the background: a page never waits for the grouping, it shows the
last result, and a new report (or an old result) has the grouping run again, once however many ask."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers import hot
from nlp.hot import HotIssue
from storage.db import Database
from storage.ledger_query import Scope
from tests.support.ledger import seed

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
WAIT = 60.0  # seconds a test waits for the background thread at most (it takes far less)
LAMPS = ("桂花苑3栋门口的路灯坏了", "桂花苑3栋门口路灯又坏了，晚上看不见", "桂花苑3栋门口的路灯不亮")


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def lamps(db: Database, texts: tuple[str, ...] = LAMPS) -> list[int]:
    return [
        seed(db, courtyard="桂花苑", text=t, resident=f"o_lamp{n}", created_at=NOW - timedelta(days=n + 1))
        for n, t in enumerate(texts)
    ]


def test_the_page_gets_nothing_while_the_first_grouping_runs_then_the_result(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    lamps(db)
    started, release = threading.Event(), threading.Event()
    grouping = hot.from_ledger

    def slow(**kwargs: Any) -> list[HotIssue]:
        started.set()
        assert release.wait(WAIT)
        return grouping(**kwargs)

    monkeypatch.setattr(hot, "from_ledger", slow)
    board = hot.HotBoard(db=db, clock=lambda: NOW)
    try:
        assert board.latest(Scope()) is None  # answered at once, the grouping queued
        assert started.wait(WAIT)
        assert board.latest(Scope()) is None  # still running: not queued twice, still nothing to show
        release.set()
        result = board.wait(Scope(), WAIT)
        assert result is not None and result.as_of == NOW
        assert [i.people for i in result.issues] == [3]
        assert board.latest(Scope()) is result  # nothing changed: the same result, nothing queued
        assert board.wait(Scope(), WAIT) is result
    finally:
        release.set()
        board.stop()


def test_a_new_report_or_an_old_result_has_it_grouped_again_and_the_last_result_shows_meanwhile(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = lamps(db, LAMPS[:2])
    runs: list[Scope] = []
    grouping = hot.from_ledger

    def counted(**kwargs: Any) -> list[HotIssue]:
        runs.append(kwargs["scope"])
        return grouping(**kwargs)

    monkeypatch.setattr(hot, "from_ledger", counted)
    ticking = Ticking()
    board = hot.HotBoard(db=db, clock=lambda: NOW, monotonic=ticking)
    try:
        board.refresh(Scope())
        before = board.wait(Scope(), WAIT)
        assert before is not None and [i.people for i in before.issues] == [2] and len(runs) == 1
        third = seed(db, courtyard="桂花苑", text=LAMPS[2], resident="o_lamp9", created_at=NOW)
        assert board.latest(Scope()) is before  # the last result at once; a new grouping queued
        after = board.wait(Scope(), WAIT)
        assert after is not None and after is not before and len(runs) == 2
        assert sorted(int(n) for n in after.issues[0].ids) == sorted([*first, third])
        assert board.latest(Scope()) is after and board.wait(Scope(), WAIT) is after and len(runs) == 2
        ticking.seconds += hot.MAX_AGE_SECONDS  # a status change shows within MAX_AGE_SECONDS
        assert board.latest(Scope()) is after
        assert board.wait(Scope(), WAIT) is not after and len(runs) == 3
        courtyard_only = Scope(everything=False, courtyard_id=999)
        assert board.latest(courtyard_only) is None  # each reader's scope is grouped on its own
        empty = board.wait(courtyard_only, WAIT)
        assert empty is not None and empty.issues == [] and runs[-1] == courtyard_only
    finally:
        board.stop()


def test_a_failed_grouping_keeps_the_last_result_and_is_tried_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    lamps(db)
    grouping = hot.from_ledger
    board = hot.HotBoard(db=db, clock=lambda: NOW)
    try:
        board.refresh(Scope())
        good = board.wait(Scope(), WAIT)
        assert good is not None

        def broken(**kwargs: Any) -> list[HotIssue]:
            raise RuntimeError("database went away")

        monkeypatch.setattr(hot, "from_ledger", broken)
        drain = seed(db, courtyard="银杏院", text="银杏院的下水道堵了", resident="o_drain", created_at=NOW)
        assert board.latest(Scope()) is good
        assert board.wait(Scope(), WAIT) is good  # the failure logged, the last result kept
        monkeypatch.setattr(hot, "from_ledger", grouping)
        assert board.latest(Scope()) is good  # asked again: the ledger is still newer than the result
        again = board.wait(Scope(), WAIT)
        assert again is not None and again is not good
        assert again.version != good.version and str(drain) not in {n for i in again.issues for n in i.ids}
    finally:
        board.stop()

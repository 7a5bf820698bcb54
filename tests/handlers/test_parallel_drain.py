"""The outbox drained by several senders (PostgreSQL) or one (SQLite): each person's pushes in order,
never two of one person's in flight, every push sent once even with two drains racing.

Runs on a SQLite file, and on PostgreSQL with COURTYARD_TEST_POSTGRES set.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from handlers.delivery import Templates, drain
from storage import migrate
from storage import outbox as outbox_repo
from storage.db import Database, make_engine
from storage.models import Outbox, OutboxStatus
from tests.conftest import database_url

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
PEOPLE = [f"o_person{n}" for n in range(6)]
PER_PERSON = 5


class RecordingSender:
    """Records what each person received, in order, and checks nobody has two pushes in flight."""

    def __init__(self, *, meet: int = 1) -> None:
        self.received: dict[str, list[str]] = defaultdict(list)
        self.overlaps: list[str] = []
        self.most_in_flight = 0
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        # `meet` sends after the first (which the drain makes alone, to see whether anything is due) wait,
        # bounded, for each other: proof that senders run side by side.
        self._meeting = threading.Barrier(meet) if meet > 1 else None
        self._parties = meet
        self._sends = 0

    def send_text(self, openid: str, text: str) -> None:
        with self._lock:
            if openid in self._in_flight:
                self.overlaps.append(openid)
            self._in_flight.add(openid)
            self.most_in_flight = max(self.most_in_flight, len(self._in_flight))
            self._sends += 1
            meeting = self._meeting if 1 < self._sends <= 1 + self._parties else None
        try:
            if meeting is not None:
                with contextlib.suppress(threading.BrokenBarrierError):  # nobody came: most_in_flight tells
                    meeting.wait(timeout=20)
            with self._lock:
                self.received[openid].append(text)
        finally:
            with self._lock:
                self._in_flight.discard(openid)

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        raise AssertionError("every window is open in this test")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    engine = make_engine(database_url(tmp_path))
    migrate.upgrade(engine)
    database = Database(engine)
    with database.transaction() as session:
        for n in range(PER_PERSON):  # interleaved, as a busy town writes them
            for openid in PEOPLE:
                outbox_repo.enqueue(
                    session=session, openid=openid, audience="resident", kind="status", text=f"{openid} #{n}", now=NOW
                )
    yield database
    engine.dispose()


def in_order(sender: RecordingSender) -> None:
    assert sender.overlaps == [], "two pushes to one person were in flight at once"
    for openid in PEOPLE:
        assert sender.received[openid] == [f"{openid} #{n}" for n in range(PER_PERSON)], openid


def test_each_persons_pushes_go_in_order_and_one_at_a_time(db: Database) -> None:
    parallel = db.engine.dialect.name == "postgresql"
    sender = RecordingSender(meet=2 if parallel else 1)
    report = drain(db=db, sender=sender, templates=Templates(), now=NOW)
    assert report.counts == {"sent:custom": len(PEOPLE) * PER_PERSON}
    in_order(sender)
    # PostgreSQL: several senders; SQLite keeps its single drainer.
    assert sender.most_in_flight >= 2 if parallel else sender.most_in_flight == 1


def test_two_drains_racing_send_every_push_once_in_order(db: Database) -> None:
    sender = RecordingSender()
    reports = []
    drains = [
        threading.Thread(
            target=lambda: reports.append(drain(db=db, sender=sender, templates=Templates(), now=NOW, senders=3))
        )
        for _ in range(2)
    ]
    for thread in drains:
        thread.start()
    for thread in drains:
        thread.join()
    assert sum(report.total for report in reports) == len(PEOPLE) * PER_PERSON
    in_order(sender)
    with db.transaction() as session:
        statuses = set(session.exec(select(Outbox.status).where(col(Outbox.id) > 0)).all())
    assert statuses == {OutboxStatus.SENT}

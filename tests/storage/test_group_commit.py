"""Group commit on SQLite: writers queued together share one commit, each in a savepoint of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage import migrate
from storage import tickets as ticket_repo
from storage.db import Database, make_engine
from storage.models import BindFailure, Resident
from tests.conftest import TEST_START, database_url


def _database(tmp_path: Path) -> Database:
    # No age limit on a group here: whether a writer joins depends on the queue alone, not on timing.
    db = Database(make_engine(database_url(tmp_path)), group_max_seconds=3600)
    migrate.upgrade(db.engine)
    if not db.groups_commits:
        pytest.skip("PostgreSQL runs every transaction on its own")
    return db


def _openids(db: Database) -> set[str]:
    with db.snapshot() as session:
        return set(session.exec(select(BindFailure.openid)).all())


def _row(openid: str, at: datetime = TEST_START) -> BindFailure:
    return BindFailure(openid=openid, at=at)


def _until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to reach a point (no timing is asserted; a hang fails the run's timeout)."""
    while not condition():
        time.sleep(0.001)


def _commits(db: Database) -> list[int]:
    counted = [0]

    @event.listens_for(db.engine, "commit")
    def _count(_connection: object) -> None:
        counted[0] += 1

    return counted


def _second_behind_first(first: Callable[[], None], second: Callable[[], None], queued: threading.Event) -> None:
    """Run first and second in threads of their own; queued is set as second starts (first waits for it)."""
    one = threading.Thread(target=first)
    one.start()
    two = threading.Thread(target=lambda: (queued.set(), second()))
    two.start()
    one.join()
    two.join()


def test_a_writer_queued_behind_another_shares_its_commit(tmp_path: Path) -> None:
    db = _database(tmp_path)
    commits = _commits(db)
    queued = threading.Event()
    seen_after_exit: dict[str, set[str]] = {}

    def first() -> None:
        with db.transaction(group=True) as session:
            session.add(_row("o_first"))
            session.flush()
            queued.wait()
            _until(lambda: db.writers_queued() == 1)
        seen_after_exit["first"] = _openids(db)  # left its block: its row is committed

    def second() -> None:
        with db.transaction(group=True) as session:
            session.add(_row("o_second"))
        seen_after_exit["second"] = _openids(db)

    _second_behind_first(first, second, queued)
    assert seen_after_exit["first"] == seen_after_exit["second"] == {"o_first", "o_second"}
    assert commits[0] == 1


def test_a_failing_writer_takes_only_its_own_writes_back(tmp_path: Path) -> None:
    db = _database(tmp_path)
    queued = threading.Event()
    failures: list[BaseException] = []

    def failing() -> None:
        try:
            with db.transaction(group=True) as session:
                session.add(_row("o_failing"))
                session.flush()
                queued.wait()
                _until(lambda: db.writers_queued() == 1)
                raise ValueError("a fault in this message's handling")
        except ValueError as exc:
            failures.append(exc)

    def healthy() -> None:
        with db.transaction(group=True) as session:
            session.add(_row("o_healthy"))

    _second_behind_first(failing, healthy, queued)
    assert len(failures) == 1
    assert _openids(db) == {"o_healthy"}


def test_a_member_failing_after_the_first_takes_only_its_own_writes_back(tmp_path: Path) -> None:
    """The first member runs without a savepoint (alone, a failure rolls the whole group back); a later
    member's failure still takes back its own writes only."""
    db = _database(tmp_path)
    commits = _commits(db)
    queued = threading.Event()
    failures: list[BaseException] = []

    def healthy() -> None:
        with db.transaction(group=True) as session:
            session.add(_row("o_healthy"))
            session.flush()
            queued.wait()
            _until(lambda: db.writers_queued() == 1)

    def failing() -> None:
        try:
            with db.transaction(group=True) as session:
                session.add(_row("o_failing"))
                session.flush()
                raise ValueError("a fault in this message's handling")
        except ValueError as exc:
            failures.append(exc)

    _second_behind_first(healthy, failing, queued)
    assert len(failures) == 1
    assert _openids(db) == {"o_healthy"}
    assert commits[0] == 1


def test_a_failed_group_commit_fails_every_member(tmp_path: Path) -> None:
    db = _database(tmp_path)
    queued = threading.Event()
    errors: dict[str, BaseException] = {}

    @event.listens_for(db.engine, "commit")
    def _disk_full(_connection: object) -> None:
        raise OSError("disk full")

    def member(name: str, wait: bool) -> None:
        try:
            with db.transaction(group=True) as session:
                session.add(_row(name))
                session.flush()
                if wait:
                    queued.wait()
                    _until(lambda: db.writers_queued() == 1)
        except OSError as exc:
            errors[name] = exc

    _second_behind_first(lambda: member("o_a", True), lambda: member("o_b", False), queued)
    assert set(errors) == {"o_a", "o_b"}  # neither may answer as if its message were kept
    event.remove(db.engine, "commit", _disk_full)
    assert _openids(db) == set()


def test_a_plain_transaction_commits_the_open_group_first(tmp_path: Path) -> None:
    db = _database(tmp_path)
    queued = threading.Event()

    def grouped() -> None:
        with db.transaction(group=True) as session:
            session.add(_row("o_grouped"))
            session.flush()
            queued.wait()
            _until(lambda: db.writers_queued() == 1)

    def plain() -> None:
        with db.transaction() as session:
            session.add(_row("o_plain"))

    _second_behind_first(grouped, plain, queued)
    assert _openids(db) == {"o_grouped", "o_plain"}


def test_a_new_resident_after_a_failed_member_takes_its_place(tmp_path: Path) -> None:
    """A resident is written in one statement, its object made without reading it back; when that
    member fails, SQLite hands its id to the next new resident of the group, who must still be filed."""
    db = _database(tmp_path)
    queued = threading.Event()
    ids: dict[str, int | None] = {}
    kept: list[Resident] = []  # still referenced (as a traceback being logged would keep it)

    def failing() -> None:
        with pytest.raises(ValueError), db.transaction(group=True) as session:
            kept.append(ticket_repo.touch_resident(session=session, openid="o_failing", now=TEST_START))
            ids["failing"] = kept[0].id
            queued.wait()
            _until(lambda: db.writers_queued() == 1)
            raise ValueError("a fault in this message's handling")

    def healthy() -> None:
        with db.transaction(group=True) as session:
            ids["healthy"] = ticket_repo.touch_resident(session=session, openid="o_healthy", now=TEST_START).id

    _second_behind_first(failing, healthy, queued)
    assert ids["healthy"] == ids["failing"]  # the id came round again: the case this guards
    with db.snapshot() as session:
        assert list(session.exec(select(Resident.openid)).all()) == ["o_healthy"]

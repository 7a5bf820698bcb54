"""Digests cover only time the system existed, never go out at night, and a missed one waits for the morning."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from courtyard import runtime
from handlers.org_import import import_org_file
from scheduler.jobs import SweepDeps, run_all
from storage.models import Cadre, Outbox
from tests.conftest import make_settings
from tests.fake_wechat import FakeWeChat
from tests.support.clock import TestClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def town_started(tmp_path: Path, fake: FakeWeChat, imported: datetime) -> SweepDeps:
    settings = make_settings(tmp_path, fake)
    db = runtime.open_database(settings)
    import_org_file(db=db, path=runtime.demo_org_path(), now=imported)
    return runtime.build_sweep_deps(settings, db, TestClock(imported))


def sweep_every(deps: SweepDeps, start: datetime, end: datetime, step: timedelta = timedelta(minutes=10)) -> None:
    moment = start
    while moment <= end:
        run_all(deps, moment)
        moment += step


def digests(deps: SweepDeps) -> list[tuple[str, str, str]]:
    """(local time decided, cadre, first line) of every digest."""
    with deps.db.transaction() as session:
        names = {c.openid: c.name for c in session.exec(select(Cadre)).all() if c.openid}
        rows = session.exec(select(Outbox).where(Outbox.kind == "digest").order_by(col(Outbox.id))).all()
        return [
            (f"{r.created_at.astimezone(SHANGHAI):%m-%d %H:%M}", names[r.openid], r.text.partition("\n")[0])
            for r in rows
        ]


def test_the_first_digests_cover_only_time_since_the_org_import(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    """Installed on Tuesday 10:00: no digest for the week before; Monday's covers Tuesday to Sunday."""
    deps = town_started(tmp_path, fake_wechat, at("2026-11-24T10:00"))
    sweep_every(deps, at("2026-11-24T10:00"), at("2026-12-01T10:00"), timedelta(hours=1))
    leader = [d for d in digests(deps) if d[1] == "赵强"]
    assert leader == [("11-30 09:00", "赵强", "【每周民情简报】11月24日—11月29日")]
    walks = sorted({when for when, who, _ in digests(deps) if who != "赵强"})
    assert walks == ["12-01 09:00"]  # not the Tuesday of the import, which began after 08:30


def test_a_missed_digest_goes_out_the_next_working_morning(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    deps = town_started(tmp_path, fake_wechat, at("2026-11-20T10:00"))
    sweep_every(deps, at("2026-11-23T08:00"), at("2026-11-23T12:00"))  # Monday: the leader digest
    # The server is down all Tuesday and comes back at 22:00: nothing at night, nothing at 00:07.
    sweep_every(deps, at("2026-11-24T22:00"), at("2026-11-25T08:20"))
    assert [d for d in digests(deps) if d[2].startswith("【走院子提醒】")] == []
    sweep_every(deps, at("2026-11-25T08:30"), at("2026-11-25T12:00"))
    walks = [d for d in digests(deps) if d[2].startswith("【走院子提醒】")]
    assert {when for when, _, _ in walks} == {"11-25 08:30"} and len(walks) == 3
    assert all("11月24日（周二）" in first for _, _, first in walks)


def test_no_digest_at_night_on_its_own_day(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    deps = town_started(tmp_path, fake_wechat, at("2026-11-20T10:00"))
    sweep_every(deps, at("2026-11-23T21:00"), at("2026-11-23T23:50"))  # Monday evening: the leader digest waits
    assert digests(deps) == []
    sweep_every(deps, at("2026-11-24T00:00"), at("2026-11-24T08:30"))
    assert [(when, who) for when, who, _ in digests(deps) if who == "赵强"] == [("11-24 08:30", "赵强")]

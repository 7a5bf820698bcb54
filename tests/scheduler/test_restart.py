"""`courtyard sweep` as an operator runs it: killed half-way and run again, nothing is doubled or lost."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from courtyard import runtime
from courtyard.settings import Settings
from handlers.followups import Sweeper
from handlers.workcalendar import WorkCalendar
from storage import tickets as ticket_repo
from storage.db import Database
from storage.models import Cadre, Outbox, OutboxStatus, SweepAction, Ticket
from tests.conftest import make_settings
from tests.courtyard.test_cli import COURTYARD, env_for
from tests.fake_wechat import FakeWeChat

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI)  # a Tuesday afternoon, after the walk digests
TICKETS = 400


def seed(db: Database, calendar: WorkCalendar) -> None:
    """TICKETS unaccepted tickets of 李芳 assigned at 08:30: the reminder is due by AT, 督办 not yet."""
    assigned = AT.replace(hour=8, minute=30)
    schedule = calendar.unaccepted_schedule(assigned, urgent=False)
    assert schedule.remind_at <= AT < schedule.community_at
    with db.transaction() as session:
        lifang = session.exec(select(Cadre).where(Cadre.name == "李芳")).one()
        for i in range(TICKETS):
            ticket = Ticket(
                text=f"第{i}号路灯坏了",
                category="城乡建设",
                courtyard_id=lifang.courtyard_id,
                assignee_id=lifang.id,
                created_at=assigned,
                updated_at=assigned,
                assigned_at=assigned,
                nudge_at=schedule.remind_at,
            )
            ticket_repo.create_ticket(session=session, ticket=ticket, actor="test")


def count(db: Database, *where: object, model: type = SweepAction) -> int:
    with db.transaction() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def reminders_done(url: str, db: Database) -> int:
    """How many first reminders are recorded; on SQLite read with a plain reader, which in WAL mode never
    waits for the sweep's write lock (the engine's transactions take that lock first)."""
    if not url.startswith("sqlite:///"):
        return count(db, SweepAction.kind == "nudge0")
    with closing(sqlite3.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro", uri=True)) as reader:
        return int(reader.execute("SELECT count(*) FROM sweepaction WHERE kind = 'nudge0'").fetchone()[0])


def reminders_due(tmp_path: Path, fake_wechat: FakeWeChat) -> tuple[Settings, Database, dict[str, str]]:
    """The demo town with TICKETS reminders due at AT (and nothing else); its settings, database and env."""
    settings = make_settings(tmp_path, fake_wechat)
    db = runtime.open_database(settings)
    runtime.ensure_org_chart(db, None)
    calendar = runtime.build_calendar(settings, db)
    # The morning's digests are out already, so only the reminders are due at AT.
    Sweeper(db=db, calendar=calendar).run(AT.replace(hour=9))
    seed(db, calendar)
    return settings, db, env_for(tmp_path, fake_wechat, COURTYARD_DB_URL=settings.courtyard_db_url)


def kill_mid_sweep(tmp_path: Path, env: dict[str, str], url: str, db: Database, *, after: int) -> int:
    """`courtyard sweep --at AT` killed -9 once it has decided `after` reminders; how many it had."""
    sweep = subprocess.Popen([COURTYARD, "sweep", "--at", AT.isoformat()], cwd=tmp_path, env=env)
    deadline = time.monotonic() + 60
    while reminders_done(url, db) < after and time.monotonic() < deadline:
        time.sleep(0.002)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    done = count(db, SweepAction.kind == "nudge0")
    assert 0 < done < TICKETS, "the kill did not land mid-sweep"
    return done


def reminders_delivered_once(db: Database, fake_wechat: FakeWeChat) -> int:
    """How many of 李芳's reminders went, each once: on its own, or (a sweep's burst to one person) inside
    one 【汇总】 that went; asserts that nothing reached WeChat twice."""
    with db.transaction() as session:
        rows = session.exec(select(Outbox).where(Outbox.openid == "o_lifang")).all()
    sent_summaries = {f"#{r.id}" for r in rows if r.kind == "summary" and r.status == OutboxStatus.SENT}
    folded = [r for r in rows if r.kind == "reminder" and (r.last_error or "").split(" ")[-1] in sent_summaries]
    alone = [r for r in rows if r.kind == "reminder" and r.status == OutboxStatus.SENT]
    delivered = [t for t in fake_wechat.texts_for("o_lifang") if t.startswith(("【提醒】", "【汇总】"))]
    assert len(delivered) == len(set(delivered)) == len(alone) + len(sent_summaries)
    return len(alone) + len(folded)


def test_killed_sweep_resumes_without_doubles(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    settings, db, env = reminders_due(tmp_path, fake_wechat)

    done_before_restart = kill_mid_sweep(tmp_path, env, settings.courtyard_db_url, db, after=20)

    later = (AT + timedelta(minutes=2)).isoformat()  # a restart happens later, after any claim's lease
    second = subprocess.run([COURTYARD, "sweep", "--at", later], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert f"未受理提醒 {TICKETS - done_before_restart} 件" in second.stdout

    assert count(db, SweepAction.kind == "nudge0") == TICKETS
    assert count(db, Outbox.kind == "reminder", model=Outbox) == TICKETS
    assert reminders_delivered_once(db, fake_wechat) == TICKETS
    delivered = [t for t in fake_wechat.texts_for("o_lifang") if t.startswith(("【提醒】", "【汇总】"))]

    again = subprocess.run([COURTYARD, "sweep", "--at", later], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "台账：没有到期的事项" in again.stdout and "发件箱：没有到期的事项" in again.stdout
    assert [t for t in fake_wechat.texts_for("o_lifang") if t.startswith(("【提醒】", "【汇总】"))] == delivered


def test_a_killed_leader_mid_sweep_is_taken_over_and_finished(tmp_path: Path, fake_wechat: FakeWeChat) -> None:
    settings, db, env = reminders_due(tmp_path, fake_wechat)
    sweep = [COURTYARD, "sweep", "--at", AT.isoformat()]

    done_by_leader = kill_mid_sweep(tmp_path, env, settings.courtyard_db_url, db, after=5)

    # Another process for the same moment (another worker's scheduler, a cron job) takes over: on
    # PostgreSQL at once (the dead leader's connection took its lock along), on SQLite once the dead
    # leader's lease runs out. It waits at most 30 s, so finishing means it took over within 30 s.
    follower = subprocess.Popen(
        [*sweep, "--wait", "30"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = follower.communicate(timeout=120)
    assert follower.returncode == 0, err
    assert f"未受理提醒 {TICKETS - done_by_leader} 件" in out
    if settings.courtyard_db_url.startswith("sqlite"):
        assert "正在执行定时任务" in out, "the dead leader's lease was waited out"
    assert count(db, SweepAction.kind == "nudge0") == TICKETS
    assert reminders_delivered_once(db, fake_wechat) == TICKETS, "no follow-up doubled, none lost"

"""One full sweep on a ledger of 10 k and of 100 k tickets with the same number of due items.

Usage: python bench/sweep.py [--due 300] [--runs 3]
The work of a sweep must grow with what is due, not with history: the 100 k ledger should take no
more than 1.5 x the 10 k one. Prints the median wall time of each, their ratio, and the SQLite query
plans of the sweep's queries (which should name an index, not SCAN the ticket table).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from courtyard.runtime import demo_org_path
from handlers.delivery import Templates, drain
from handlers.followups import Sweeper
from handlers.org_import import import_org_file
from handlers.policy import Policy
from handlers.workcalendar import WorkCalendar
from storage import migrate
from storage.db import Database, make_engine
from storage.models import Outbox, Ticket, TicketEvent

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)  # a Wednesday afternoon: no digest is due
UTC_NOW = NOW.astimezone(ZoneInfo("UTC"))
CHUNK = 5000


class NullSender:
    """Accepts every push instantly, so the drain's own database work is what is measured."""

    def send_text(self, openid: str, text: str) -> None:
        pass

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None:
        pass


def build(path: Path, history: int, due: int) -> None:
    """A ledger of `history` closed tickets with 3 history lines each, plus `due` tickets of each timer kind."""
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    db = Database(engine)
    import_org_file(db=db, path=demo_org_path())
    old = UTC_NOW - timedelta(days=200)
    rows = [
        dict(
            text=f"历史问题{i}",
            category="城乡建设",
            status="closed",
            courtyard_id=1 + i % 4,
            community_id=1,
            assignee_id=2,
            created_at=old,
            updated_at=old,
            resolved_at=old,
            closed_at=old,
            satisfaction="satisfied",
            resident_id=None,
            confidence=0.9,
            urgent=False,
            overdue=False,
            nudge_step=0,
        )
        for i in range(history)
    ]
    due_at = UTC_NOW - timedelta(minutes=5)
    open_row = dict(
        category="城乡建设",
        status="new",
        courtyard_id=1,
        community_id=1,
        assignee_id=2,
        created_at=old,
        updated_at=old,
        assigned_at=old,
        confidence=0.9,
        urgent=False,
        overdue=False,
        nudge_step=0,
        resident_id=None,
        nudge_at=None,
        due_soon_at=None,
        overdue_at=None,
    )
    for timer in ("nudge_at", "due_soon_at", "overdue_at"):
        rows_due = [dict(open_row, text=f"{timer}{i}", due_at=due_at) | {timer: due_at} for i in range(due)]
        rows += rows_due
    with engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            for shape in {tuple(sorted(r)) for r in chunk}:  # executemany wants one set of keys per call
                connection.execute(insert(Ticket), [r for r in chunk if tuple(sorted(r)) == shape])
        events = [
            dict(ticket_id=t, at=old, kind=kind, actor="bench", note="")
            for t in range(1, history + 1)
            for kind in ("created", "routed", "resolved")
        ]
        for start in range(0, len(events), CHUNK):
            connection.execute(insert(TicketEvent), events[start : start + CHUNK])
        sent = [
            dict(
                openid="o_x",
                audience="cadre",
                kind="history",
                text="旧推送",
                status="sent",
                created_at=old,
                next_attempt_at=old,
                attempts=1,
                sent_at=old,
            )
            for _ in range(history)
        ]
        for start in range(0, len(sent), CHUNK):
            connection.execute(insert(Outbox), sent[start : start + CHUNK])
    engine.dispose()


def one_sweep(path: Path) -> tuple[float, dict[str, int]]:
    engine = make_engine(f"sqlite:///{path}")
    db = Database(engine)
    calendar = WorkCalendar(TZ, Policy())
    began = time.perf_counter()
    report = Sweeper(db=db, calendar=calendar).run(NOW)
    drained = drain(db=db, sender=NullSender(), templates=Templates(), now=NOW)
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, report.counts | {"pushes sent": drained.counts.get("sent:custom", 0)}


def plans(path: Path) -> list[tuple[str, str]]:
    engine = make_engine(f"sqlite:///{path}")
    queries = {
        "due reminders": "SELECT id FROM ticket WHERE nudge_at <= ? ORDER BY nudge_at, id LIMIT 500",
        "overdue": "SELECT id FROM ticket WHERE overdue_at <= ? ORDER BY overdue_at, id LIMIT 500",
        "outbox due": "SELECT id FROM outbox WHERE status IN ('pending','sending') AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at, id LIMIT 200",
    }
    found = []
    with engine.connect() as connection:
        for name, sql in queries.items():
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, (UTC_NOW.isoformat(),)).all()
            found.append((name, "; ".join(str(r[-1]) for r in rows)))
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--due", type=int, default=300, help="due tickets per timer kind")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    medians = {}
    with tempfile.TemporaryDirectory() as workdir:
        for history in (10_000, 100_000):
            base = Path(workdir) / f"ledger{history}.db"
            began = time.perf_counter()
            build(base, history, args.due)
            built = time.perf_counter() - began
            timings = []
            for run in range(args.runs):
                copy = Path(workdir) / f"run{history}_{run}.db"
                shutil.copy(base, copy)
                elapsed, counts = one_sweep(copy)
                timings.append(elapsed)
            medians[history] = statistics.median(timings)
            print(
                f"ledger {history:>7,} tickets + {3 * args.due} due: sweep median {medians[history] * 1000:7.1f} ms "
                f"over {args.runs} runs (built in {built:.1f} s); did {counts}"
            )
        for name, plan in plans(base):
            print(f"plan [{name}]: {plan}")
    print(f"ratio 100k/10k: {medians[100_000] / medians[10_000]:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()

"""Server time of the leaders' pages on a 100 000-ticket ledger, against a bare SELECT count(*) in the same run.

Usage: python bench/web.py [--tickets 100000] [--runs 30] [--postgres URL]
Builds a ledger of a year of tickets (about 8 000 a month over the demo town's courtyards, texts from the
colloquial test sentences, one in ten joined by a neighbour's 附议, full-text index filled), on a SQLite
file and, with --postgres (a URL whose user may create databases; default $COURTYARD_TEST_POSTGRES), on a
fresh PostgreSQL database (VACUUM ANALYZEd, as autovacuum would after the inserts); serves it with
`courtyard serve`'s app on loopback and times, alternating: the dashboard, the ledger page (filtered,
searched, both), /api/stats for this month and for the whole year, and a bare `SELECT count(*) FROM ticket`
on the same database.
Target: dashboard and ledger ≤ 300 ms p95. Prints median and p95 of each, in wall-clock time and in this
process's CPU time (server and client share the process), which a loaded machine inflates far less.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scratch_db import drop_postgres, fresh_postgres
from courtyard import runtime
from courtyard.settings import Settings
from handlers import hot, search
from handlers.accounts import add_user
from storage.ledger_query import Scope
from storage.models import Endorsement, Resident, Ticket, TicketSearch
from tests.support.loopback import serve_in_thread

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
CHUNK = 5000
PASSWORD = "bench password"
SURVEY_ANSWERS = ("satisfied", "basic", "unsatisfied", "none")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def texts() -> list[str]:
    root = Path(__file__).resolve().parent.parent
    rows = []
    for path in (root / "nlp/data/colloquial_train.csv", root / "bench/data/colloquial_dev.csv"):
        with path.open(encoding="utf-8") as f:
            rows += [(r["text"], r["label"]) for r in csv.DictReader(f)]
    return [t for t, _ in rows]


def build(url: str, tickets: int) -> Settings:
    settings = Settings(_env_file=None, courtyard_db_url=url)  # type: ignore[call-arg]
    db = runtime.open_database(settings)
    runtime.ensure_org_chart(db, None)
    add_user(db=db, name="bench", role="leader", cadre_name=None, password=PASSWORD, now=NOW)
    sentences = texts()
    words = {s: " ".join(search.words(s)) for s in sentences}
    rng = random.Random(7)
    categories = ["城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生", "其他"]
    start = NOW - timedelta(days=365)
    with db.engine.begin() as connection:
        connection.execute(
            insert(Resident), [dict(id=n, openid=f"o_bench_{n}", created_at=start) for n in range(1, 1001)]
        )
        for first in range(0, tickets, CHUNK):
            rows, indexed, joined = [], [], []
            for n in range(first, min(first + CHUNK, tickets)):
                created = start + timedelta(seconds=365 * 86400 * n / tickets)
                courtyard = 1 + rng.randrange(4)
                sentence = sentences[rng.randrange(len(sentences))]
                fate = rng.random()
                accepted = created + timedelta(hours=rng.choice((1, 3, 20, 50))) if fate > 0.05 else None
                resolved = accepted + timedelta(days=rng.choice((1, 2, 4, 8))) if accepted and fate > 0.15 else None
                done = resolved is not None and resolved < NOW
                status = "closed" if done and fate > 0.3 else "resolved" if done else "accepted" if accepted else "new"
                rows.append(
                    dict(
                        id=n + 1, text=sentence, category=categories[rng.randrange(len(categories))],
                        confidence=0.9, urgent=fate < 0.02, status=status, courtyard_id=courtyard,
                        community_id=1 if courtyard <= 2 else 2, assignee_id=courtyard + 2, created_at=created,
                        updated_at=created, accepted_at=accepted, resolved_at=resolved if done else None,
                        closed_at=resolved if status == "closed" else None, due_at=created + timedelta(days=5),
                        satisfaction=rng.choice(SURVEY_ANSWERS) if status == "closed" else None,
                        overdue=status in ("new", "accepted") and created + timedelta(days=5) < NOW, nudge_step=0,
                    )
                )  # fmt: skip
                tokens, upto = words[sentence], 0
                if n % 10 == 0:  # a neighbour's 附议, in their own words
                    said = sentences[rng.randrange(len(sentences))]
                    joined.append(dict(id=n // 10 + 1, ticket_id=n + 1, resident_id=1 + rng.randrange(1000), text=said,
                                       at=created + timedelta(hours=2)))  # fmt: skip
                    tokens, upto = tokens + " " + words[said], n // 10 + 1
                indexed.append(dict(ticket_id=n + 1, tokens=tokens, endorsed_upto=upto))
            connection.execute(insert(Ticket), rows)
            connection.execute(insert(Endorsement), joined)
            connection.execute(insert(TicketSearch), indexed)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT setval('ticket_id_seq', :n)"), {"n": tickets})
            connection.execute(text("VACUUM ANALYZE ticket, ticketsearch, endorsement"))
    return settings


def serve(settings: Settings) -> tuple[str, hot.HotBoard, Callable[[], None]]:
    """The app on loopback (its hot issues start grouping in the background at once), and how to stop it."""
    db = runtime.open_database(settings)
    ready = threading.Event()
    app = runtime.build_web_app(settings, db, ready, lambda: NOW)
    base, stop_server = serve_in_thread(app, threads=4)
    ready.set()
    board = app.config["courtyard.hot"]

    def stop() -> None:
        stop_server()
        board.stop()
        app.config["courtyard.keeper"].stop()

    return base, board, stop


def login(base: str) -> requests.Session:
    http = requests.Session()
    form = http.get(base + "/login", timeout=30)
    token = _CSRF.search(form.text)
    assert token
    answer = http.post(
        base + "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)}, timeout=30
    )
    assert answer.ok and "退出" in answer.text, answer.status_code
    return http


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, label: str, tickets: int, runs: int) -> None:
    began = time.perf_counter()
    settings = build(url, tickets)
    print(f"{label}: built a ledger of {tickets} tickets in {time.perf_counter() - began:.1f}s")
    started = time.perf_counter()
    base, board, stop = serve(settings)
    http = login(base)
    year = f"from={(NOW - timedelta(days=364)).date()}&to={NOW.date()}"
    pages = {
        "dashboard /": "/",
        "ledger, filtered (courtyard=2&status=new)": "/ledger?courtyard=2&status=new",
        "ledger, searched (q=路灯)": "/ledger?q=%E8%B7%AF%E7%81%AF",
        "ledger, both (courtyard=2&q=路灯)": "/ledger?courtyard=2&q=%E8%B7%AF%E7%81%AF",
        "/api/stats (this month)": "/api/stats",
        "/api/stats (a whole year)": f"/api/stats?{year}",
    }
    cold = time.perf_counter()
    first = http.get(base + "/", timeout=120)
    assert first.ok
    pending = "热点问题正在计算" in first.text
    print(f"first dashboard after start: {(time.perf_counter() - cold) * 1000:.0f} ms "
          f"({'hot issues still being grouped' if pending else 'hot issues shown'})")  # fmt: skip
    assert board.wait(Scope(), 600) is not None
    print(f"hot issues of the last {hot.DASHBOARD_DAYS} days grouped in the background "
          f"{time.perf_counter() - started:.1f} s after start")  # fmt: skip
    engine = runtime.open_database(settings).engine
    bare = "bare SELECT count(*) FROM ticket"
    times: dict[str, list[float]] = {name: [] for name in [*pages, bare]}
    # CPU time of this process (server and client are both in it) while each request runs: what it costs
    # on a core of its own, whatever else the machine is doing (PostgreSQL's own work not included).
    cpu: dict[str, list[float]] = {name: [] for name in [*pages, bare]}
    for _ in range(runs):
        for name, path in pages.items():
            started, used = time.perf_counter(), time.process_time()
            response = http.get(base + path, timeout=120)
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - used)
            assert response.status_code == 200, (path, response.status_code)
        started, used = time.perf_counter(), time.process_time()
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM ticket")).scalar_one()
        times[bare].append(time.perf_counter() - started)
        cpu[bare].append(time.process_time() - used)
    stop()
    engine.dispose()
    print(f"{label}: {runs} runs each, alternating, on {tickets} tickets; load average {os.getloadavg()[0]:.1f}")
    print(f"{'request':48} {'median':>10} {'p95':>10} {'CPU median':>12} {'CPU p95':>10}")
    for name, values in times.items():
        print(
            f"{name:48} {statistics.median(values) * 1000:8.1f}ms {percentile(values, 0.95) * 1000:8.1f}ms "
            f"{statistics.median(cpu[name]) * 1000:10.1f}ms {percentile(cpu[name], 0.95) * 1000:8.1f}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", default=os.environ.get("COURTYARD_TEST_POSTGRES", ""))
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="courtyard-bench-web-"))
    try:
        measure(f"sqlite:///{folder / 'ledger.db'}", "SQLite (WAL)", args.tickets, args.runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if args.postgres:
        url, name = fresh_postgres(args.postgres, "dashboard_web_bench")
        try:
            measure(url, "PostgreSQL", args.tickets, args.runs)
        finally:
            drop_postgres(args.postgres, name)


if __name__ == "__main__":
    main()

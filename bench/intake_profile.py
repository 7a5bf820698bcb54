"""Where one message's time goes: cProfile over messages sent through the webhook's WSGI app in process.

Usage: python bench/intake_profile.py [--messages 2000] [--postgres URL] [--top 0]

The requests are built like bench/intake.py's (a new complaint, MsgId and signature each, senders new
to the server, never more than the flood guard allows), handed to the WSGI app one after another (c=1)
on a fresh SQLite file (synchronous=FULL) and, with --postgres, on a fresh PostgreSQL database. Prints
ms of wall time per message split into the steps of the hot path (cumulative cProfile time of the
functions that make up each step), SQL statements, round trips and commits per message.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
from sqlalchemy import event  # noqa: E402

from bench.intake import COURTYARDS, PROBLEMS, TOKEN, seed_ledger, write_signatures  # noqa: E402
from bench.scratch_db import drop_postgres, fresh_postgres  # noqa: E402

# Steps of the hot path: (label, ["module:attribute" or "module:Class.method"]). Each is wrapped with a
# timer; time and SQL statements go to the innermost step running (a write inside the 附议 step is a write).
STEPS: list[tuple[str, list[str]]] = [
    (
        "WeRoBot parse, signature",
        ["bot.app:_check_origin", "bot.app:_read_body", "bot.app:_parse", "bot.app:to_inbound"],
    ),
    (
        "replay guard (signed URL row)",
        ["handlers.replay:ReplayGuard.first_seen", "handlers.replay:ReplayGuard.remember"],
    ),
    (
        "MsgId claim (dedupe row) and its reply",
        [
            "storage.tickets:claim_inbound",
            "storage.tickets:claim_inbound_id",  # before this round's merge into claim_inbound
            "storage.tickets:inbound_by_key",
            "storage.tickets:set_inbound_reply",
        ],
    ),
    ("flood guard", ["storage.guards:messages_since"]),
    (
        "resident, 48-hour window, held pushes",
        [
            "storage.first_look:first_look",
            "storage.tickets:resident_by_openid",
            "storage.tickets:touch_resident",
            "handlers.held:release",
        ],
    ),
    (
        "commands, cadre lookup, conversation state",
        [
            "handlers.commands:Registry.match",
            "storage.org_chart:active_cadre_by_openid",
            "storage.state:get_state",
            "handlers.survey:parse_answer",
        ],
    ),
    ("classify (Analyzer.analyze)", ["nlp.analyzer:Analyzer.analyze"]),
    (
        "附议 lookup (own repeats, candidates, keys, courtyard)",
        [
            "handlers.intake:_repeated",
            "handlers.intake:_second",
            "handlers.intake:_SameProblem.key",
            "handlers.intake:resolve_courtyard",
        ],
    ),
    (
        "ticket, history, reporter, routing, outbox writes",
        [
            "storage.tickets:create_ticket",
            "storage.tickets:add_event",
            "storage.tickets:add_endorsement",
            "storage.tickets:endorsements",
            "storage.tickets:add_event_now",
            "storage.tickets:reporters",
            "handlers.intake:route_ticket",
            "handlers.intake:ask_triage",
            "handlers.intake:_place",
            "handlers.intake:_announce",
            "handlers.notify:tell_cadre",
            "handlers.notify:tell_seconded",
            "storage.org_chart:get_cadre",
        ],
    ),
    ("commit, fsync", ["sqlalchemy.engine.default:DefaultDialect.do_commit"]),
    ("reply building", ["bot.app:text_reply", "bot.app:fit_reply"]),
]


class Steps:
    """Wall time and SQL statements per step, each given to the innermost step running."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.ms: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self._since = time.perf_counter()

    def _switch(self) -> None:
        now = time.perf_counter()
        label = self.stack[-1] if self.stack else OTHER
        self.ms[label] = self.ms.get(label, 0.0) + (now - self._since) * 1000
        self._since = now

    def reset(self) -> None:
        self.ms.clear()
        self.statements.clear()
        self._since = time.perf_counter()

    def statement(self) -> None:
        label = self.stack[-1] if self.stack else OTHER
        self.statements[label] = self.statements.get(label, 0) + 1

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._switch()
            self.stack.append(label)
            try:
                return function(*args, **kwargs)
            finally:
                self._switch()
                self.stack.pop()

        return timed

    def install(self) -> None:
        for label, targets in STEPS:
            for target in targets:
                module_name, path = target.split(":")
                owner: Any = importlib.import_module(module_name)
                *parents, name = path.split(".")
                for parent in parents:
                    owner = getattr(owner, parent)
                if not hasattr(owner, name):
                    continue  # not in this version of the code (the profile runs before and after a change)
                setattr(owner, name, self.wrap(label, getattr(owner, name)))


SORT = os.environ.get("PROFILE_SORT", "cumulative")
OTHER = "everything else (bottle, sessions, savepoints, flushes, logging)"


class Counter:
    """SQL statements, commits and connection checks seen by an engine."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.reset()

    def reset(self) -> None:
        self.statements = 0
        self.commits = 0
        self.kinds: dict[str, int] = {}

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _statement(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            self.statements += 1
            self.steps.statement()
            word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
            self.kinds[word] = self.kinds.get(word, 0) + 1

        @event.listens_for(engine, "commit")
        def _commit(conn: Any) -> None:
            self.commits += 1


def requests_like_the_bench(count: int, workdir: Path) -> Iterator[tuple[str, bytes]]:
    """(query string, body) pairs: bench/intake.py's texts, a sender new to the server each time."""
    signatures = workdir / "signatures.txt"
    write_signatures(signatures, count)
    stamp = int(time.time())
    for i, query in enumerate(signatures.read_text("ascii").splitlines()[:count], start=1):
        text = f"{COURTYARDS[i % len(COURTYARDS)]}{i % 12 + 1}栋{PROBLEMS[i % len(PROBLEMS)]}"
        body = (
            "<xml><ToUserName><![CDATA[gh_courtyard]]></ToUserName>"
            f"<FromUserName><![CDATA[o_profile{i % 5000}]]></FromUserName>"
            f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{10**12 + i}</MsgId></xml>"
        )
        yield query, body.encode("utf-8")


def call(app: Callable[..., Any], query: str, body: bytes) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/wechat",
        "QUERY_STRING": query,
        "CONTENT_TYPE": "text/xml",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    status: list[str] = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    return status[0], b"".join(chunks)


@contextmanager
def server_app(url: str) -> Iterator[tuple[Any, Any]]:
    """The webhook's WSGI app as `courtyard serve` builds it, on url with the demo org chart."""
    os.environ["WECHAT_TOKEN"] = TOKEN
    os.environ["COURTYARD_DB_URL"] = url
    from courtyard import runtime
    from courtyard.settings import Settings

    settings = Settings()
    db = runtime.open_database(settings)
    runtime.ensure_org_chart(db, None)
    ready = threading.Event()
    ready.set()
    app = runtime.build_web_app(settings, db, ready)
    keeper = app.config["courtyard.keeper"]
    try:
        yield app, keeper.db.engine
    finally:
        keeper.stop()
        db.engine.dispose()


def profile(label: str, url: str, count: int, workdir: Path, top: int, steps: Steps) -> None:
    with server_app(url) as (app, engine):
        counter = Counter(steps)
        counter.attach(engine)
        requests = list(requests_like_the_bench(2 * count + 50, workdir))
        for query, body in requests[:50]:  # warm caches as a running server's are
            call(app, query, body)
        counter.reset()
        steps.reset()
        statuses: dict[str, int] = {}
        filed = seconded = 0
        began = time.perf_counter()
        cpu = time.process_time()
        for query, body in requests[50 : 50 + count]:
            status, reply = call(app, query, body)
            statuses[status] = statuses.get(status, 0) + 1
            said = reply.decode("utf-8")
            filed += "编号" in said
            seconded += "邻居已经反映过" in said
        wall = time.perf_counter() - began
        cpu = time.process_time() - cpu
        table = dict(steps.ms)
        statements = dict(steps.statements)
        if top:
            profiler = cProfile.Profile()
            profiler.enable()
            for query, body in requests[50 + count :]:
                call(app, query, body)
            profiler.disable()
    per = 1 / count
    print(f"\n## {label}: {count} messages one after another, {wall:.1f} s ({wall * 1000 * per:.2f} ms a message,")
    print(
        f"{cpu * 1000 * per:.2f} ms of CPU a message); statuses {statuses}; "
        f"replies with a 编号 {filed}, of them 附议 {seconded}"
    )
    print(
        f"SQL statements {counter.statements * per:.1f} a message "
        f"({', '.join(f'{k} {v * per:.1f}' for k, v in sorted(counter.kinds.items()))}), "
        f"commits {counter.commits * per:.2f} a message"
    )
    total = sum(table.values())
    print("\n| step | ms a message | share | statements a message |")
    print("| --- | --- | --- | --- |")
    for step in [name for name, _ in STEPS] + [OTHER]:
        ms = table.get(step, 0.0) * per
        print(f"| {step} | {ms:.2f} | {ms / (total * per):.0%} | {statements.get(step, 0) * per:.1f} |")
    print(f"| **total** | **{total * per:.2f}** | | **{counter.statements * per:.1f}** |")
    if top:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(top)
        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("COURTYARD_TEST_POSTGRES", ""))
    parser.add_argument("--top", type=int, default=0, help="also print cProfile's top N by cumulative time")
    parser.add_argument("--only", choices=["sqlite", "postgres"], default=None)
    parser.add_argument("--ledger", type=int, default=0, help="open tickets already in the SQLite ledger")
    args = parser.parse_args()
    steps = Steps()
    steps.install()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.only != "postgres":
            url = f"sqlite:///{workdir}/profile.db"
            if args.ledger:
                seed_ledger(url, args.ledger)
            label = f"SQLite file, {args.ledger:,} open tickets" if args.ledger else "SQLite file"
            profile(label, url, args.messages, workdir, args.top, steps)
        if args.postgres and args.only != "sqlite":
            url, name = fresh_postgres(args.postgres, "courtyard_profile")
            try:
                profile("PostgreSQL", url, args.messages, workdir, args.top, steps)
            finally:
                drop_postgres(args.postgres, name)


if __name__ == "__main__":
    main()

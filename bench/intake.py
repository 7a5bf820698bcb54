"""Intake throughput under load: Debian's `wrk` against a bare WeRoBot echo app and `courtyard serve`.

Usage: python bench/intake.py [--seconds 8] [--concurrency 1,10,50] [--postgres URL] [--workers 1,4]
                              [--ledger 10000]

Every request is a new complaint (20 texts, 6 courtyard names, 12 building numbers) with a new MsgId
and a fresh signature (timestamp, nonce): signatures are computed here, since wrk's Lua has no SHA-1,
and the Lua script hands out one per request. Senders are many (SENDERS), so that nobody sends more
than the flood guard's 8 messages a minute: the figures measure intake, not the cheap "慢一点" answer.
Servers run one after another in the same run: the echo app on waitress with 8 threads and jieba's
dictionary loaded (the baseline for speed and memory), `courtyard serve` on a fresh SQLite file, the
highest concurrency again on a SQLite ledger already holding --ledger open tickets (filed over the
last 6 days in the same courtyards and categories, at buildings 1-48), and with --postgres (a URL
whose user may create databases; default COURTYARD_TEST_POSTGRES) on a fresh PostgreSQL database
with each --workers count. Prints msg/s, p50 and p99 latency, non-2xx / socket errors per run, what
the database kept, the load average, and a table of ratios against the targets of issue 16.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import create_engine, text

TOKEN = "benchtoken"
HERE = Path(__file__).resolve().parent
# This folder's nlp.py (bench/nlp.py) must not hide the nlp package when the ledger is seeded in process.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
from bench.scratch_db import drop_postgres, fresh_postgres  # noqa: E402

SENDERS = 20_000
COURTYARDS = ["桂花苑", "银杏院", "翠竹苑", "东风院", "桂花小区", "东风小区"]
PROBLEMS = [
    "门口的路灯坏了三天了",
    "楼下化粪池又堵起了，臭得很",
    "楼道里有人飞线充电，太危险了",
    "门口占道经营，车都过不去",
    "电梯停了，老人下不了楼",
    "垃圾好几天没人清运了",
    "楼顶漏水，墙都泡坏了",
    "半夜广场舞太吵，睡不着",
    "下水道返臭，家里都是味道",
    "单元门的门禁坏了，谁都能进",
    "绿化带被人挖了种菜",
    "小区里乱停车，消防通道堵了",
    "路面塌了一个坑，晚上看不见",
    "流浪狗咬人，小孩不敢下楼",
    "自来水发黄，不敢喝",
    "楼上往下扔垃圾，差点砸到人",
    "健身器材坏了，螺丝都松了",
    "外墙瓷砖往下掉",
    "井盖松了，踩上去会翻",
    "物业不管事，投诉没人理",
]

LUA = r"""
local signatures = {}
local counter = 0
local courtyards = {COURTYARDS}
local problems = {PROBLEMS}

function init(args)
  for line in io.lines(args[1]) do
    signatures[#signatures + 1] = line
  end
end

request = function()
  counter = counter + 1
  local sig = signatures[(counter - 1) % #signatures + 1]
  local sender = ({SENDER_BASE} + counter) % {SENDERS}
  local text = courtyards[counter % #courtyards + 1] .. (counter % 12 + 1) .. "栋" .. problems[counter % #problems + 1]
  local body = "<xml><ToUserName><![CDATA[gh_courtyard]]></ToUserName>"
    .. "<FromUserName><![CDATA[o_bench" .. sender .. "]]></FromUserName>"
    .. "<CreateTime>" .. os.time() .. "</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    .. "<Content><![CDATA[" .. text .. "]]></Content><MsgId>" .. ({MSGID_BASE} + counter) .. "</MsgId></xml>"
  return wrk.format("POST", "/wechat?" .. sig, {["Content-Type"] = "text/xml"}, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "RESULT {\"requests\": %d, \"seconds\": %f, \"p50_ms\": %f, \"p99_ms\": %f, \"non2xx\": %d, \"socket\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    rate: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int


def ensure_wrk() -> str:
    """wrk's path, installed from Debian if missing (root, or sudo without a password)."""
    found = shutil.which("wrk")
    if found:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*prefix, "apt-get", "install", "-y", "--no-install-recommends", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and could not be installed from Debian")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_list(items: list[str]) -> str:
    return ", ".join(json.dumps(item, ensure_ascii=False) for item in items)


def write_script(workdir: Path, msgid_base: int) -> Path:
    script = workdir / f"intake-{msgid_base}.lua"
    body = (
        LUA.replace("{COURTYARDS}", "{" + lua_list(COURTYARDS) + "}")
        .replace("{PROBLEMS}", "{" + lua_list(PROBLEMS) + "}")
        .replace("{SENDERS}", str(SENDERS))
        .replace("{MSGID_BASE}", str(msgid_base))
        # Each run's senders are new to the server: nobody's message repeats one of theirs from a run before.
        .replace("{SENDER_BASE}", str(msgid_base // 10_000_000 * 4_000))
    )
    script.write_text(body, "utf-8")
    return script


def write_signatures(path: Path, count: int) -> None:
    """count query strings, each with its own nonce, signed as WeChat signs (sorted token, timestamp, nonce)."""
    stamp = str(int(time.time()))
    lines = []
    for i in range(count):
        nonce = f"{uuid.uuid4().int % 10**10}{i}"
        signature = hashlib.sha1("".join(sorted([TOKEN, stamp, nonce])).encode()).hexdigest()
        lines.append(f"timestamp={stamp}&nonce={nonce}&signature={signature}")
    path.write_text("\n".join(lines) + "\n", "ascii")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a server to stop; kill it when it has not within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before answering {url}")
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {timeout} s")


def drive(wrk: str, workdir: Path, port: int, concurrency: int, seconds: int, run_no: int) -> Run:
    """One wrk run, with signatures enough for 12 000 msg/s; a warm-up second first."""
    signatures = workdir / f"signatures-{run_no}.txt"
    write_signatures(signatures, max(2000, 12_000 * (seconds + 1)))
    script = write_script(workdir, msgid_base=run_no * 10_000_000)
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    result = subprocess.run(
        [*command, f"http://127.0.0.1:{port}", "--", str(signatures)], capture_output=True, text=True, check=True
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("RESULT "))
    return Run(
        rate=figures["requests"] / figures["seconds"],
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        non2xx=figures["non2xx"],
        socket_errors=figures["socket"],
    )


@dataclass
class Served:
    """One server's runs: figures per concurrency, its memory after them, the load average during them."""

    runs: dict[int, Run]
    journaled: dict[int, int]  # per concurrency: residents answered with the journal's text instead of a 编号
    rss_mb: float
    peak_rss_mb: float
    load: tuple[float, float]  # 1-minute load average before and after


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident set size now and at its peak (VmRSS, VmHWM) of pid and its children, in MB."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(x) for x in children.read_text().split()]
    now = peak = 0.0
    for one in pids:
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{one}/status").read_text().splitlines())
        except (FileNotFoundError, ValueError):
            continue
        now += int(fields["VmRSS"].split()[0]) / 1024
        peak += int(fields["VmHWM"].split()[0]) / 1024
    return now, peak


def serve_and_drive(
    name: str,
    command: list[str],
    health: str,
    env: dict[str, str],
    workdir: Path,
    port: int,
    concurrency: list[int],
    seconds: int,
    wrk: str,
    runs: list[int],
    database: str | None = None,
) -> Served:
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures: dict[int, Run] = {}
    run_of: dict[int, int] = {}  # wrk run number → concurrency (the run's MsgIds start at run number × 10⁷)
    before = os.getloadavg()[0]
    try:
        wait_until_up(f"http://127.0.0.1:{port}{health}", process)
        for c in concurrency:
            runs[0] += 1
            figures[c] = drive(wrk, workdir, port, c, seconds, runs[0])
            run_of[runs[0]] = c
            run = figures[c]
            print(
                f"{name:<46} c={c:<3} {run.rate:8.0f} msg/s   p50 {run.p50_ms:8.1f} ms   "
                f"p99 {run.p99_ms:8.1f} ms   non-2xx {run.non2xx}   socket errors {run.socket_errors}",
                flush=True,
            )
        rss, peak = memory_mb(process.pid)
    finally:
        stop(process)
    after = os.getloadavg()[0]
    note = f"RSS {rss:.0f} MB (peak {peak:.0f} MB), load average {before:.2f} → {after:.2f}"
    journaled = journal_answers(database, workdir, run_of) if database else {}
    waiting = sum(len(path.read_text("utf-8").splitlines()) for path in workdir.glob("*inbox.jsonl*"))
    if waiting:
        note += f"; {waiting} acknowledged messages still in the journal (replayed at the next start)"
        for path in workdir.glob("*inbox.jsonl*"):
            path.unlink()
    if database:
        answered = sum(round(run.rate * seconds) - run.non2xx for run in figures.values())
        note += f"; about {answered} answered, in the database: {stored(database)}"
    if journaled:
        note += "; answered with the journal's text: " + ", ".join(f"c={c} {n}" for c, n in journaled.items())
    print(f"{'':<46} {note}", flush=True)
    return Served(figures, journaled, rss, peak, (before, after))


def journal_answers(url: str, workdir: Path, run_of: dict[int, int]) -> dict[int, int]:
    """Per concurrency, how many messages were answered 「稍后会自动登记」 instead of with a 编号: those
    replayed into the database since, and those still in the journal when the server stopped."""
    keys: list[str] = []
    for path in workdir.glob("*inbox.jsonl"):
        for line in path.read_text("utf-8").splitlines():
            try:
                keys.append(str(json.loads(line).get("key", "")))
            except ValueError:
                continue
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            keys += connection.execute(
                text('SELECT "key" FROM inboundmessage WHERE openid LIKE :p AND reply LIKE :kept'),
                {"p": "o_bench%", "kept": "%稍后会自动登记%"},
            ).scalars()
    finally:
        engine.dispose()
    counts = dict.fromkeys(run_of.values(), 0)
    for key in keys:
        number = key.removeprefix("msg:")
        if number.isdigit() and int(number) // 10_000_000 in run_of:
            counts[run_of[int(number) // 10_000_000]] += 1
    return counts


def stored(url: str) -> str:
    """What the server kept of the bench's messages: a check that the answers were not empty words."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            messages, failed, slowed, journaled = connection.execute(
                text(
                    "SELECT count(*), count(error), coalesce(sum(CASE WHEN reply LIKE :slow THEN 1 ELSE 0 END), 0),"
                    " coalesce(sum(CASE WHEN reply LIKE :kept THEN 1 ELSE 0 END), 0)"
                    " FROM inboundmessage WHERE openid LIKE :p"
                ),
                {"p": "o_bench%", "slow": "%慢一点%", "kept": "%稍后会自动登记%"},
            ).one()
            tickets = connection.execute(text("SELECT count(*) FROM ticket")).scalar_one()
            seconded = connection.execute(text("SELECT count(*) FROM endorsement")).scalar_one()
    finally:
        engine.dispose()
    return (
        f"{messages} messages ({failed} failed, {slowed} told to slow down, {journaled} journaled and answered"
        f" later), {tickets} tickets, {seconded} 附议"
    )


def seed_ledger(url: str, count: int) -> None:
    """count open tickets filed over the last 6 days in the bench's courtyards, keyed as intake keys them."""
    from sqlmodel import select as orm_select

    from courtyard import runtime
    from handlers import intake, search
    from handlers import org_import as org_use_cases
    from handlers.context import Context
    from handlers.workcalendar import WorkCalendar
    from storage import migrate
    from storage import org_chart as org_repo
    from storage.db import Database, make_engine
    from storage.models import Courtyard, Ticket

    db = Database(make_engine(url))
    migrate.upgrade(db.engine)
    runtime.ensure_org_chart(db, None)
    calendar = WorkCalendar(ZoneInfo("Asia/Shanghai"), org_use_cases.load_policy(db=db))
    ctx = Context(db=db, calendar=calendar)
    rng = random.Random(16)
    now = datetime.now(UTC)
    with db.transaction() as session:
        analyzer = ctx.analyzers.for_session(session)
        yards = {y.name: y for y in session.exec(orm_select(Courtyard)).all()}
        assignees = {
            name: next(iter(org_repo.responsible_cadres(session=session, courtyard_id=yard.id)), None)
            for name, yard in yards.items()
        }
        for i in range(count):
            building = rng.randint(1, 48)
            said = f"{rng.choice(COURTYARDS)}{building}栋{rng.choice(PROBLEMS)}"
            analysis = analyzer.analyze(said)
            yard = yards[analysis.courtyard or ""]
            assignee = assignees[yard.name]
            at = now - timedelta(seconds=rng.uniform(0, 6 * 86_400))
            ticket = Ticket(
                text=said,
                category=analysis.category,
                confidence=analysis.confidence,
                urgent=analysis.urgent,
                resident_id=None,
                courtyard_id=yard.id,
                community_id=yard.community_id,
                assignee_id=assignee.id if assignee else None,
                building=analysis.building,
                created_at=at,
                updated_at=at,
            )
            intake.key_for_seconding(session=session, ctx=ctx, ticket=ticket)
            session.add(ticket)
            if i % 1000 == 999:
                session.flush()
    search.refresh_index(db=db)  # a ledger of this size is indexed for search already
    db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50])
    parser.add_argument("--postgres", default=os.environ.get("COURTYARD_TEST_POSTGRES", ""))
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4])
    parser.add_argument("--ledger", type=int, default=10_000, help="open tickets of the full-ledger run (0: none)")
    args = parser.parse_args()
    wrk = ensure_wrk()
    courtyard = str(Path(sys.executable).parent / "courtyard")
    runs = [0]
    top = max(args.concurrency)
    served: dict[str, Served] = {}
    names: dict[str, str] = {}
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
        env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": f"sqlite:///{workdir}/bench.db"}

        def one(
            key: str, name: str, command: list[str], health: str, port: int, url: str | None, cs: list[int]
        ) -> None:
            names[key] = name
            served[key] = serve_and_drive(
                name,
                command,
                health,
                env | ({"COURTYARD_DB_URL": url} if url else {}),
                workdir,
                port,
                cs,
                args.seconds,
                wrk,
                runs,
                url,
            )

        port = free_port()
        echo = [sys.executable, str(HERE / "echo_bot.py"), str(port), TOKEN, "--jieba"]
        one("echo", "WeRoBot echo (waitress, 8 threads, jieba loaded)", echo, "/", port, None, args.concurrency)
        port = free_port()
        serve = [courtyard, "serve", "--port", str(port)]
        one("sqlite", "`serve`, SQLite", serve, "/healthz", port, env["COURTYARD_DB_URL"], args.concurrency)
        if args.ledger:
            url = f"sqlite:///{workdir}/ledger.db"
            began = time.monotonic()
            seed_ledger(url, args.ledger)
            print(f"(seeded {args.ledger} open tickets in {time.monotonic() - began:.0f} s)", flush=True)
            port = free_port()
            command = [courtyard, "serve", "--port", str(port)]
            one("ledger", f"`serve`, SQLite, {args.ledger:,} open tickets", command, "/healthz", port, url, [top])
        if args.postgres:
            for workers in args.workers:
                url, name = fresh_postgres(args.postgres, "courtyard_bench")
                try:
                    port = free_port()
                    command = [courtyard, "serve", "--port", str(port), "--workers", str(workers)]
                    label = f"`serve{f' --workers {workers}' if workers > 1 else ''}`, PostgreSQL"
                    one(f"pg{workers}", label, command, "/healthz", port, url, args.concurrency)
                finally:
                    drop_postgres(args.postgres, name)
    print_table(served, names, top, args.ledger)


def print_table(served: dict[str, Served], names: dict[str, str], top: int, ledger: int) -> None:
    """The README's table: msg/s, p99 and the ratio to the echo app per concurrency; then the targets."""
    echo = served["echo"].runs
    columns = sorted({c for s in served.values() for c in s.runs})
    print()
    print("| server | " + " | ".join(f"c={c}" for c in columns) + " | load average |")
    print("| --- | " + " | ".join("---" for _ in columns) + " | --- |")
    for key, result in served.items():
        cells = []
        for c in columns:
            run = result.runs.get(c)
            if run is None:
                cells.append("")
            elif key == "echo":
                cells.append(f"{run.rate:,.0f} msg/s, p99 {run.p99_ms:,.1f} ms")
            else:
                journal = result.journaled.get(c, 0)
                cells.append(
                    f"{run.rate:,.0f}, p99 {run.p99_ms:,.0f} ms ({run.rate / echo[c].rate:.3f}×), journal {journal:,}"
                )
        load = f"{result.load[0]:.1f} → {result.load[1]:.1f}"
        print(f"| {names[key]} | " + " | ".join(cells) + f" | {load} |")
    print()
    for key, result in served.items():
        if key == "echo" or top not in result.runs:
            continue
        run = result.runs[top]
        ratio = run.rate / echo[top].rate
        verdict = "met" if ratio >= 0.25 and run.p99_ms <= 250 else "MISSED"
        print(f"{names[key]}: c={top} {ratio:.3f}× echo, p99 {run.p99_ms:.0f} ms (target ≥ 0.25×, ≤ 250 ms): {verdict}")
    if ledger and "ledger" in served and top in served["sqlite"].runs:
        ratio = served["ledger"].runs[top].rate / served["sqlite"].runs[top].rate
        print(
            f"{ledger:,} open tickets vs the empty ledger, c={top}: {ratio:.2f}× (target ≥ 0.8×): "
            f"{'met' if ratio >= 0.8 else 'MISSED'}"
        )
    base, mine = served["echo"], served["sqlite"]
    ratio = mine.rss_mb / base.rss_mb
    print(
        f"RSS after the runs: `serve` (SQLite) {mine.rss_mb:.0f} MB (peak {mine.peak_rss_mb:.0f}) vs WeRoBot with "
        f"jieba {base.rss_mb:.0f} MB (peak {base.peak_rss_mb:.0f}): {ratio:.2f}× (target ≤ 1.5×): "
        f"{'met' if ratio <= 1.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()

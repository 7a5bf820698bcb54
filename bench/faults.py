"""The webhook and the outbox under faults and abuse: issue 11's table, rerun in one go.

Usage: python bench/faults.py [--fuzz 10000] [--outage 20] [--rate-seconds 20]

Every figure comes from real processes over loopback: `courtyard serve` and `courtyard sweep`
subprocesses, a SQLite file (and a private PostgreSQL server where its programs are installed),
and the fake WeChat API of the tests. Prints one line per figure with its target.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import create_engine, text
from werobot.utils import get_signature

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fake_wechat import FakeWeChat, Fault
from tests.support.wechat_client import WeChatPoster, message_xml

TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
COURTYARD = str(Path(sys.executable).parent / "courtyard")
KEPT = "已经保存好了"
_msg_ids = iter(range(5_000_000_000, 10**12))
ROWS: list[tuple[str, str, str]] = []


def report(what: str, value: str, target: str) -> None:
    ROWS.append((what, value, target))
    print(f"{what:<62} {value:<26} target {target}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """`courtyard serve` in a subprocess; its output is collected."""

    def __init__(self, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"serve-{self.port}.log"
        self._out = self.log.open("wb")
        self.process = subprocess.Popen(
            [*(args or (COURTYARD, "serve")), "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    self.ready_at = time.monotonic()
                    self.ready_bytes = self.log.stat().st_size
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited:\n{self.log.read_text()}")
            time.sleep(0.1)
        raise SystemExit("serve did not start")

    def poster(self, safe: bool = False) -> WeChatPoster:
        return WeChatPoster(
            self.base, token=TOKEN, app_id="wx_fake_app" if safe else None, aes_key=AES_KEY if safe else None
        )

    def health(self) -> int:
        return requests.get(self.base + "/healthz", timeout=10).status_code

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._out.close()


def environment(workdir: Path, db_url: str, fake: FakeWeChat | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": db_url, "COURTYARD_JOURNAL": str(workdir / "inbox.jsonl")}
    if fake is not None:
        env |= {"WECHAT_APP_ID": fake.app_id, "WECHAT_APP_SECRET": fake.app_secret, "WECHAT_API_BASE": fake.base_url}
    return env | extra


def query(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def wait_until(predicate: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def journal_empty(path: Path) -> bool:
    return not path.exists() or not path.read_bytes().strip()


# --- 1. outages ---------------------------------------------------------------------------------


def outage(
    workdir: Path, db_url: str, count: int, down: Callable[[], None], up: Callable[[], None]
) -> tuple[int, int, int]:
    """count complaints before, during and after an outage; (acknowledged, lost, doubled)."""
    serve = Serve(workdir, environment(workdir, db_url, None))
    poster = serve.poster()
    sent: dict[str, str] = {}  # text -> key of the acknowledged messages
    try:

        def burst(tag: str) -> None:
            for i in range(count):
                content, msg_id = f"{tag}：翠竹苑{i + 1}栋楼道的灯坏了{tag}", next(_msg_ids)
                reply = poster.text(f"o_{tag}{i}", content, msg_id=msg_id)
                if reply.status == 200 and reply.content and ("编号" in reply.content or KEPT in reply.content):
                    sent[content] = f"msg:{msg_id}"

        burst("before")
        down()
        burst("during")
        healthz_down = serve.health()
        up()
        burst("after")
        wait_until(lambda: serve.health() == 200 and journal_empty(workdir / "inbox.jsonl"), 120)
    finally:
        serve.stop()
    rows = query(db_url, "SELECT key, content FROM inboundmessage")
    stored = Counter(content for _, content in rows)
    tickets = Counter(str(t) for (t,) in query(db_url, "SELECT text FROM ticket"))
    lost = sum(1 for content in sent if stored[content] == 0)
    doubled = sum(1 for content in sent if stored[content] > 1 or tickets[content] > 1)
    print(f"    (/healthz during the outage: {healthz_down})")
    return len(sent), lost, doubled


def sqlite_outage(workdir: Path, count: int) -> None:
    db = workdir / "outage.db"
    holder: list[sqlite3.Connection] = []

    def lock() -> None:
        connection = sqlite3.connect(db, isolation_level=None, timeout=60)
        connection.execute("BEGIN IMMEDIATE")
        holder.append(connection)

    def unlock() -> None:
        holder[0].execute("ROLLBACK")
        holder[0].close()

    acknowledged, lost, doubled = outage(workdir, f"sqlite:///{db}", count, lock, unlock)
    report(
        f"SQLite write-locked mid-stream: lost / doubled of {acknowledged} acknowledged", f"{lost} / {doubled}", "0 / 0"
    )


def postgres_outage(workdir: Path, count: int) -> None:
    from tests.support.postgres import PrivatePostgres, _binaries

    binaries = _binaries()
    if binaries is None:
        report("PostgreSQL stopped mid-stream", "not run (no server programs)", "0 / 0")
        return
    server = PrivatePostgres(binaries)
    try:
        server.start()
        acknowledged, lost, doubled = outage(workdir, server.url, count, server.stop, server.start)
    finally:
        server.close()
    report(
        f"PostgreSQL stopped mid-stream: lost / doubled of {acknowledged} acknowledged", f"{lost} / {doubled}", "0 / 0"
    )


# --- 2. pushes ----------------------------------------------------------------------------------


def slow_api_and_racing_sweep(workdir: Path, fake: FakeWeChat, pushes: int) -> None:
    """pushes new tasks while WeChat answers in 6 s, with a `sweep --at now+2min` racing serve's drain."""
    db_url = f"sqlite:///{workdir / 'push.db'}"
    env = environment(workdir, db_url, fake)
    fake.fail_next(Fault.LATE, times=10_000, kind="custom")  # every send answered after 6 s
    serve = Serve(workdir, env)
    try:
        poster = serve.poster()
        numbers = []
        for i in range(pushes):
            reply = poster.text(f"o_push{i}", f"桂花苑{i + 1}栋门口的路灯坏了", msg_id=next(_msg_ids))
            numbers.append(int(re.search(r"编号 (\d+)", reply.content or "").group(1)))  # type: ignore[union-attr]
        fake.wait_for(lambda: len(fake.requests) >= 1, timeout=30)
        later = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=2)).isoformat()
        racing = [
            subprocess.Popen(
                [COURTYARD, "sweep", "--at", later],
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        wanted = {f"【新任务】编号 {n}" for n in numbers}
        wait_until(
            lambda: wanted <= {t[: len(next(iter(wanted)))] for t in fake.texts_for("o_lifang")}, 40 + 8 * pushes
        )
        for process in racing:
            process.wait(timeout=120)
        time.sleep(7)  # anything doubled would be on its way by now
    finally:
        serve.stop()
    deliveries = Counter(t.split("（")[0] for t in fake.texts_for("o_lifang") if t.startswith("【新任务】"))
    doubled = sum(count - 1 for count in deliveries.values() if count > 1)
    missing = sum(1 for n in numbers if deliveries[f"【新任务】编号 {n}"] == 0)
    report(
        f"pushes doubled: 6 s API + 2 racing `sweep --at +2min` ({pushes} pushes)",
        f"{doubled} (missing {missing})",
        "0",
    )


def killed_mid_send(workdir: Path, fake: FakeWeChat) -> None:
    """serve is killed (-9) while WeChat holds a push it has delivered; a new serve takes over."""
    env = environment(workdir, f"sqlite:///{workdir / 'kill.db'}", fake)
    fake.hang_seconds = 30
    fake.fail_next(Fault.DELIVER_THEN_HANG, kind="custom")
    first = Serve(workdir, env)
    reply = first.poster().text("o_kill", "桂花苑门口的路灯坏了", msg_id=next(_msg_ids))
    number = re.search(r"编号 (\d+)", reply.content or "")
    assert number, reply
    wanted = f"【新任务】编号 {number.group(1)}"
    fake.wait_for(lambda: any(t.startswith(wanted) for t in fake.texts_for("o_lifang")), 30)
    first.process.kill()
    first.process.wait()
    began = time.monotonic()
    second = Serve(workdir, env)
    try:
        delivered = lambda: sum(t.startswith(wanted) for t in fake.texts_for("o_lifang"))  # noqa: E731
        wait_until(lambda: delivered() >= 2, 200)  # the dead claim's lease (120 s) runs out first
        time.sleep(5)
        logged = "possibly doubled" in second.log.read_text()
    finally:
        second.stop()
    report(
        f"kill -9 with a push in sending: deliveries after restart ({time.monotonic() - began:.0f} s)",
        f"{delivered()} (logged as possibly doubled: {'yes' if logged else 'no'})",
        "resent at most once",
    )


# --- 3. fuzz ------------------------------------------------------------------------------------

FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Recognition",
    "PicUrl",
    "MediaId",
    "Location_X",
    "Location_Y",
    "Scale",
    "Label",
    "Event",
    "EventKey",
    "Format",
]
TYPES = ["text", "voice", "image", "location", "event", "video", "link", "file", "??"]
ODD = ["", "9" * 400, "99999999999999999999", "inf", "nan", "-1", "1e400", "]]>", "<a>", "😀" * 50, "桂花苑路灯坏了"]


def fuzz_body(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return rng.randbytes(rng.randint(0, 400))
    fields: dict[str, str | int | float] = {
        "ToUserName": "gh_courtyard",
        "FromUserName": rng.choice(["o_fuzz1", "o_fuzz2", "", "o_" + "x" * 300]),
        "CreateTime": str(int(time.time())) if rng.random() < 0.7 else rng.choice(ODD),
        "MsgType": "text" if rng.random() < 0.5 else rng.choice(TYPES),
    }
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(FIELDS)
        choices: list[str | int | float] = [
            *ODD,
            rng.random() * 10.0 ** rng.randint(0, 300),
            float("inf"),
            rng.randint(-9, 10**30),
        ]
        fields[name] = rng.choice(choices)
    body = message_xml(fields)
    if roll < 0.15:
        depth = rng.choice([3, 10, 1000, 5000])
        body = body.replace("</xml>", "<Content>" + "<a>" * depth + "x" + "</a>" * depth + "</Content></xml>")
    return body.encode("utf-8")


def _fuzz_sender(
    poster: WeChatPoster, safe: bool, counts: Counter[int], lock: threading.Lock
) -> Callable[[bytes, bool], None]:
    """Posts one fuzzed body (in safe mode encrypted, or as junk in a signed envelope); counts statuses."""

    def one(body: bytes, junk_envelope: bool) -> None:
        if junk_envelope:
            ts, nonce = str(int(time.time())), str(next(_msg_ids))
            encrypted = body.hex() or "x"
            params = {
                "timestamp": ts,
                "nonce": nonce,
                "signature": get_signature(TOKEN, ts, nonce),
                "msg_signature": get_signature(TOKEN, ts, nonce, encrypted),
            }
            envelope = message_xml({"Encrypt": encrypted})
            status = requests.post(poster.url, params=params, data=envelope, timeout=30).status_code
        else:
            status = poster.post(body.decode("utf-8", errors="replace") if safe else body).status
        with lock:
            counts[status] += 1

    return one


def fuzz(workdir: Path, fake: FakeWeChat, total: int) -> None:
    rng = random.Random(11)
    total_counts: Counter[int] = Counter()
    lock = threading.Lock()
    for safe, share in ((False, 0.7), (True, 0.3)):
        counts: Counter[int] = Counter()
        extra = {"WECHAT_ENCODING_AES_KEY": AES_KEY} if safe else {}
        serve = Serve(workdir, environment(workdir, f"sqlite:///{workdir / f'fuzz{safe}.db'}", fake, **extra))
        bodies = [(fuzz_body(rng), safe and rng.random() < 0.2) for _ in range(int(total * share))]
        one = _fuzz_sender(serve.poster(safe), safe, counts, lock)

        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(one, *zip(*bodies, strict=True)))
            tracebacks = serve.log.read_text(errors="replace").count("Traceback")
        finally:
            serve.stop()
        print(f"    ({'safe' if safe else 'plain'} mode: {dict(sorted(counts.items()))}, tracebacks {tracebacks})")
        total_counts += counts
    five = sum(n for status, n in total_counts.items() if status >= 500)
    report(f"5xx in {sum(total_counts.values())} fuzzed requests (70 % plain, 30 % safe mode)", str(five), "0")


# --- 4–6. replay, 绑定, flood ---------------------------------------------------------------------


def abuse(workdir: Path, fake: FakeWeChat) -> None:
    db_url = f"sqlite:///{workdir / 'abuse.db'}"
    env = environment(workdir, db_url, fake)
    serve = Serve(workdir, env)
    try:
        poster = serve.poster()
        ts, nonce = int(time.time()), "31337"
        first = poster.post(
            poster.xml("o_r", "text", {"Content": "桂花苑路灯坏了", "MsgId": next(_msg_ids)}), timestamp=ts, nonce=nonce
        )
        replays = [
            poster.post(
                poster.xml("o_lifang" if i % 2 else "o_x", "text", {"Content": "任务", "MsgId": next(_msg_ids)}),
                timestamp=ts,
                nonce=nonce,
            )
            for i in range(20)
        ]
        accepted = sum(r.status == 200 for r in replays)
        report(f"replays accepted (1 signed URL, 20 other bodies; the first got {first.status})", str(accepted), "0")

        code = subprocess.run(
            [COURTYARD, "cadre", "invite", "周伟"], env=env, cwd=workdir, capture_output=True, text=True
        ).stdout.split()[-1]
        began = time.monotonic()
        checked = sum("邀请码无效" in (poster.text("o_guess", f"绑定 G{i:07d}").content or "") for i in range(200))
        minutes = (time.monotonic() - began) / 60
        right_code_later = "绑定成功" in (poster.text("o_guess", f"绑定 {code}").content or "")
        report(
            f"绑定 wrong codes checked for one person (200 sent in {minutes * 60:.0f} s)",
            f"{checked} (then refused)",
            "a few per hour",
        )
        print(f"    (the right code from that person within the hour: {'accepted' if right_code_later else 'refused'})")
        sprayed = sum("邀请码无效" in (poster.text(f"o_spray{i}", f"绑定 S{i:07d}").content or "") for i in range(300))
        report("绑定 wrong codes checked across 300 accounts", str(sprayed), "capped")

        replies: Counter[str] = Counter()
        for i in range(1000):
            reply = poster.text("o_flood", f"桂花苑{i % 40}栋门口的路灯坏了", msg_id=next(_msg_ids)).content or ""
            replies["慢一点" if "慢一点" in reply else "编号" if "编号" in reply else "other"] += 1
        stored = query(db_url, "SELECT count(*) FROM inboundmessage WHERE openid = 'o_flood'")[0][0]
        filed = query(
            db_url,
            "SELECT (SELECT count(*) FROM ticket t JOIN resident r ON r.id = t.resident_id"
            " WHERE r.openid = 'o_flood') + (SELECT count(*) FROM endorsement e JOIN resident r"
            " ON r.id = e.resident_id WHERE r.openid = 'o_flood')",
        )[0][0]
        report(
            "1 000 messages from one person: stored / filed or joined / told 慢一点",
            f"{stored} / {filed} / {replies['慢一点']}",
            "1000 / few / rest",
        )
    finally:
        serve.stop()


# --- 7. a lock held 12 s ------------------------------------------------------------------------


def long_lock(workdir: Path) -> None:
    db = workdir / "lock.db"
    serve = Serve(workdir, environment(workdir, f"sqlite:///{db}", None, COURTYARD_JOURNAL=str(workdir / "lock.jsonl")))
    try:
        holder = sqlite3.connect(db, isolation_level=None, timeout=60)
        holder.execute("BEGIN IMMEDIATE")
        worst = 0.0
        statuses: Counter[int | str] = Counter()
        answers: Counter[int] = Counter()
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:

            def message(i: int) -> None:
                reply = serve.poster().text(f"o_lock{i}", f"东风院{i}号楼下水道堵了", msg_id=next(_msg_ids))
                answers[reply.status] += 1

            futures = [pool.submit(message, i) for i in range(40)]
            while time.monotonic() - began < 12:
                t0 = time.monotonic()
                try:
                    statuses[requests.get(serve.base + "/healthz", timeout=15).status_code] += 1
                except requests.RequestException:
                    statuses["timeout"] += 1
                worst = max(worst, time.monotonic() - t0)
                time.sleep(0.2)
            for future in futures:
                future.result()
        holder.execute("ROLLBACK")
        holder.close()
        wait_until(lambda: serve.health() == 200 and journal_empty(workdir / "lock.jsonl"), 60)
        stored = query(f"sqlite:///{db}", "SELECT count(*) FROM inboundmessage WHERE openid LIKE 'o_lock%'")[0][0]
    finally:
        serve.stop()
    report("SQLite lock held 12 s: slowest /healthz answer", f"{worst * 1000:.0f} ms {dict(statuses)}", "no hang")
    report("  … 40 messages meanwhile: answered 200 / stored after", f"{answers[200]} / {stored}", "40 / 40")


# --- 8. idle log --------------------------------------------------------------------------------


def idle_log(workdir: Path, fake: FakeWeChat, seconds: float) -> None:
    serve = Serve(workdir, environment(workdir, f"sqlite:///{workdir / 'idle.db'}", fake))
    try:
        start = serve.log.stat().st_size
        time.sleep(seconds)
        written = serve.log.stat().st_size - start
    finally:
        serve.stop()
    report(
        f"idle `serve` with credentials: log bytes per second ({seconds:.0f} s)", f"{written / seconds:.1f}", "< 100"
    )


# --- 9. durability cost -------------------------------------------------------------------------


def serve_in_process(db_url: str, port: int, durable: bool) -> None:
    """Internal: a webhook on db_url with or without full sync (the cost is what is measured)."""
    from waitress import serve as waitress_serve

    from courtyard import runtime
    from courtyard.settings import Settings

    settings = Settings(
        _env_file=None,
        courtyard_db_url=db_url,
        wechat_token=TOKEN,
        courtyard_journal=db_url.removeprefix("sqlite:///") + ".jsonl",
    )
    db = runtime.open_database(settings)
    runtime.ensure_org_chart(db, None)
    ready = threading.Event()
    ready.set()
    app = runtime.build_web_app(settings, db, ready, durable=durable)
    waitress_serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def throughput(workdir: Path, durable: bool, messages: int, concurrency: int = 10) -> float:
    db_url = f"sqlite:///{workdir / f'sync{durable}.db'}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-only", db_url, str(port), "1" if durable else "0"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _up(base), 120)
    posters = [WeChatPoster(base, token=TOKEN) for _ in range(concurrency)]
    for i, poster in enumerate(posters):  # warm-up
        poster.text(f"o_warm{i}", "你好")
    counter = iter(range(messages))
    lock = threading.Lock()

    def worker(poster: WeChatPoster) -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            reply = poster.text(f"o_sync{i % 200}", f"桂花苑{i % 30}栋门口的路灯坏了{i}", msg_id=next(_msg_ids))
            assert reply.status == 200

    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(worker, posters))
        return messages / (time.perf_counter() - began)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _up(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def durability_cost(workdir: Path, messages: int) -> None:
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(2):  # alternate, so that neither gets the machine's quiet moment
        for durable in (False, True):
            rates[durable].append(throughput(workdir, durable, messages))
    full, normal = max(rates[True]), max(rates[False])
    report(
        f"messages/s at c=10, SQLite synchronous=FULL vs NORMAL ({messages} each, best of 2)",
        f"{full:.1f} vs {normal:.1f} ({(1 - full / normal) * 100:.0f} % fewer)",
        "measured",
    )


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="courtyard-faults-") as folder:
        yield Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--outage", type=int, default=20, help="messages before, during and after each outage")
    parser.add_argument("--pushes", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--sync-messages", type=int, default=400)
    parser.add_argument("--only", nargs="*", help="run only these steps (names as in main)")
    parser.add_argument("--serve-only", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_only:
        url, port, durable = args.serve_only
        serve_in_process(url, int(port), durable == "1")
        return
    steps: dict[str, Callable[[Path, FakeWeChat], None]] = {
        "sqlite-outage": lambda w, f: sqlite_outage(w, args.outage),
        "postgres-outage": lambda w, f: postgres_outage(w, args.outage),
        "pushes": lambda w, f: slow_api_and_racing_sweep(w, f, args.pushes),
        "kill": killed_mid_send,
        "fuzz": lambda w, f: fuzz(w, f, args.fuzz),
        "abuse": abuse,
        "lock": lambda w, f: long_lock(w),
        "idle": lambda w, f: idle_log(w, f, args.idle_seconds),
        "sync": lambda w, f: durability_cost(w, args.sync_messages),
    }
    began = time.monotonic()
    for name, step in steps.items():
        if args.only and name not in args.only:
            continue
        with workspace() as workdir, FakeWeChat() as fake:
            step(workdir, fake)
    print(f"\n{len(ROWS)} figures in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()

"""Intake throughput under load: Debian's `wrk` against a bare WeRoBot echo app and `courtyard serve`.

Usage: python bench/intake.py [--seconds 8] [--concurrency 1,10,50] [--postgres URL] [--workers 1,4]

Every request is a new complaint from one of 500 senders (20 texts, 6 courtyards, building numbers)
with a new MsgId and a fresh signature (timestamp, nonce): signatures are computed here, since
wrk's Lua has no SHA-1, and the Lua script hands out one per request. Servers run one after another
in the same run: the echo app on waitress with 8 threads (the baseline), `courtyard serve` on a
fresh SQLite file, and with --postgres (a URL whose user may create databases; default
COURTYARD_TEST_POSTGRES) on a fresh PostgreSQL database with each --workers count.
Prints msg/s, p50 and p99 latency, and non-2xx / socket errors per run, and the ratio to the echo app.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text

TOKEN = "benchtoken"
HERE = Path(__file__).resolve().parent
SENDERS = 500
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
  local sender = counter % {SENDERS}
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


def serve_and_drive(
    name: str,
    command: list[str],
    health: str,
    env: dict[str, str],
    workdir: Path,
    port: int,
    args: argparse.Namespace,
    wrk: str,
    runs: list[int],
    database: str | None = None,
) -> dict[int, Run]:
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figures: dict[int, Run] = {}
    try:
        wait_until_up(f"http://127.0.0.1:{port}{health}", process)
        for concurrency in args.concurrency:
            runs[0] += 1
            figures[concurrency] = drive(wrk, workdir, port, concurrency, args.seconds, runs[0])
            run = figures[concurrency]
            print(
                f"{name:<42} c={concurrency:<3} {run.rate:8.0f} msg/s   p50 {run.p50_ms:8.1f} ms   "
                f"p99 {run.p99_ms:8.1f} ms   non-2xx {run.non2xx}   socket errors {run.socket_errors}",
                flush=True,
            )
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if database:
        answered = sum(round(run.rate * args.seconds) - run.non2xx for run in figures.values())
        print(f"{'':<42} about {answered} answered; in the database: {stored(database)}", flush=True)
    return figures


def stored(url: str) -> str:
    """What the server kept of the bench's messages: a check that the answers were not empty words."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            messages, failed = connection.execute(
                text("SELECT count(*), count(error) FROM inboundmessage WHERE openid LIKE :p"),
                {"p": "o_bench%"},
            ).one()
            tickets = connection.execute(text("SELECT count(*) FROM ticket")).scalar_one()
    finally:
        engine.dispose()
    return f"{messages} messages ({failed} failed), {tickets} tickets"


def fresh_postgres(server: str) -> tuple[str, str]:
    """A new empty database on server; (its URL, its name)."""
    name = f"courtyard_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False), name


def drop_postgres(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 10, 50])
    parser.add_argument("--postgres", default=os.environ.get("COURTYARD_TEST_POSTGRES", ""))
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4])
    args = parser.parse_args()
    wrk = ensure_wrk()
    courtyard = str(Path(sys.executable).parent / "courtyard")
    runs = [0]
    results: dict[str, dict[int, Run]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
        env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": f"sqlite:///{workdir}/bench.db"}
        port = free_port()
        echo = [sys.executable, str(HERE / "echo_bot.py"), str(port), TOKEN]
        results["echo"] = serve_and_drive(
            "WeRoBot echo (waitress, 8 threads)", echo, "/", env, workdir, port, args, wrk, runs
        )
        port = free_port()
        serve = [courtyard, "serve", "--port", str(port)]
        results["sqlite"] = serve_and_drive(
            "courtyard serve, SQLite", serve, "/healthz", env, workdir, port, args, wrk, runs, env["COURTYARD_DB_URL"]
        )
        if args.postgres:
            for workers in args.workers:
                url, name = fresh_postgres(args.postgres)
                try:
                    port = free_port()
                    command = [courtyard, "serve", "--port", str(port), "--workers", str(workers)]
                    results[f"pg{workers}"] = serve_and_drive(
                        f"courtyard serve, PostgreSQL, {workers} worker{'s' if workers > 1 else ''}",
                        command,
                        "/healthz",
                        env | {"COURTYARD_DB_URL": url},
                        workdir,
                        port,
                        args,
                        wrk,
                        runs,
                        url,
                    )
                finally:
                    drop_postgres(args.postgres, name)
    print()
    print("ratio to the echo app (msg/s):")
    for name, figures in results.items():
        if name == "echo":
            continue
        ratios = "   ".join(f"c={c}: {figures[c].rate / results['echo'][c].rate:5.3f}x" for c in figures)
        print(f"  {name:<8} {ratios}")


if __name__ == "__main__":
    main()

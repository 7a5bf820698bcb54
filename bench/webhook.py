"""Reply latency and start-up time of `courtyard serve`, against a bare WeRoBot echo bot in the same run.

Usage: python bench/webhook.py [--messages 200]
Prints p50/p90/p99 reply latency for signed text messages posted one after another, and the time
from process start until the server answers, for both servers.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.wechat_client import WeChatPoster

TOKEN = "benchtoken"
HERE = Path(__file__).resolve().parent
COMPLAINTS = [
    "桂花小区门口的路灯坏了三天了",
    "银杏院子3栋楼下化粪池又堵起了，臭得很",
    "翠竹苑有人在楼道里飞线充电，太危险了",
    "东风小区门口占道经营，车都过不去",
    "查询",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: list[str], url: str, env: dict[str, str], cwd: str) -> tuple[subprocess.Popen[bytes], float]:
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            requests.get(url, timeout=0.5)
            return process, time.perf_counter() - began
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit(f"{command} exited with {process.returncode}") from None
            time.sleep(0.01)


def measure(base_url: str, count: int) -> list[float]:
    poster = WeChatPoster(base_url, token=TOKEN)
    for i in range(5):  # warm-up: first-use costs (jieba dictionary, connection pool) are not per-message
        poster.text(f"o_warm{i}", COMPLAINTS[i % len(COMPLAINTS)])
    timings = []
    for i in range(count):
        began = time.perf_counter()
        reply = poster.text(f"o_bench{i % 50}", COMPLAINTS[i % len(COMPLAINTS)])
        timings.append(time.perf_counter() - began)
        assert reply.status == 200 and reply.content, reply
    return timings


def summary(name: str, timings: list[float], startup: float) -> tuple[float, float]:
    ordered = sorted(timings)
    p50 = statistics.median(ordered) * 1000
    p90 = ordered[int(len(ordered) * 0.9) - 1] * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name:<22} p50 {p50:7.2f} ms   p90 {p90:7.2f} ms   p99 {p99:7.2f} ms   start-up {startup:5.2f} s")
    return p50, p99


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
        env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": f"sqlite:///{workdir}/bench.db"}
        results = {}
        port = free_port()
        echo, echo_start = start(
            [sys.executable, str(HERE / "echo_bot.py"), str(port), TOKEN], f"http://127.0.0.1:{port}/", env, workdir
        )
        try:
            results["echo"] = summary(
                "WeRoBot echo bot", measure(f"http://127.0.0.1:{port}", args.messages), echo_start
            )
        finally:
            echo.terminate()
        port = free_port()
        courtyard = str(Path(sys.executable).parent / "courtyard")
        serve, serve_start = start(
            [courtyard, "serve", "--port", str(port)], f"http://127.0.0.1:{port}/healthz", env, workdir
        )
        try:
            results["courtyard"] = summary(
                "courtyard serve", measure(f"http://127.0.0.1:{port}", args.messages), serve_start
            )
        finally:
            serve.terminate()
    (e50, e99), (c50, c99) = results["echo"], results["courtyard"]
    print(f"ratio courtyard/echo   p50 {c50 / e50:5.1f}x   p99 {c99 / e99:5.1f}x   ({args.messages} messages each)")


if __name__ == "__main__":
    main()

"""Memory of `courtyard serve` beside a bare WeRoBot echo process with jieba loaded, in the same run.

Usage: python bench/memory.py [--messages 300]

First, in fresh child processes, the resident-set size (VmRSS, from /proc/self/status) after each
stage of start-up: the echo baseline's (WeRoBot and waitress, then jieba's dictionary) and serve's
(the same libraries, then numpy and the models, SQLAlchemy/SQLModel and storage, handlers, bot, web
and scheduler, and a built server on a SQLite demo town). Then both real servers, each after
--messages signed complaints posted over HTTP: the figure of issue 16 (target serve ≤ 1.5 × echo).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
from tests.support.wechat_client import WeChatPoster  # noqa: E402

TOKEN = "benchtoken"
COMPLAINTS = [
    "桂花小区门口的路灯坏了三天了",
    "银杏院子3栋楼下化粪池又堵起了，臭得很",
    "翠竹苑有人在楼道里飞线充电，太危险了",
    "东风小区门口占道经营，车都过不去",
    "东风院2栋电梯停了，老人下不了楼",
    "桂花苑半夜广场舞太吵，睡不着",
]

# Each stage is code run in the child after the previous ones; the child prints its RSS after each.
PROBE = textwrap.dedent(
    """
    import sys
    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    def stage(name, code):
        exec(code, globals())
        print(f"{name}\\t{rss():.1f}", flush=True)
    """
)
ECHO_STAGES = [
    ("python", "pass"),
    ("werobot + waitress", "import werobot, waitress; robot = werobot.WeRoBot(token='t', SESSION_STORAGE=False)"),
    ("jieba dictionary", "import jieba; jieba.initialize()"),
]
SERVE_STAGES = [
    ("python", "pass"),
    ("werobot + waitress", "import werobot, waitress"),
    ("jieba dictionary (nlp's tokenizer)", "from nlp.segment import shared_tokenizer; shared_tokenizer()"),
    ("numpy + nlp models", "from nlp import Analyzer; Analyzer().analyze('路灯坏了')"),
    ("SQLAlchemy + SQLModel + storage", "import storage.models, storage.db, storage.tickets"),
    ("handlers", "import handlers.conversation, handlers.intake"),
    ("bot + web + scheduler", "import courtyard.runtime, scheduler.election"),
    (
        "server built (SQLite demo town)",
        "from courtyard import runtime; from courtyard.settings import load_settings; import threading\n"
        "settings = load_settings(); db = runtime.open_database(settings); runtime.ensure_org_chart(db, None)\n"
        "parts = runtime.build_server(settings, db, threading.Event(), host='127.0.0.1', threads=8)\n"
        "import jieba; assert not jieba.dt.initialized, 'a second jieba dictionary (the default one) was loaded'",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def stages(steps: list[tuple[str, str]], env: dict[str, str], cwd: Path) -> list[tuple[str, float]]:
    code = PROBE + "".join(f"stage({name!r}, {step!r})\n" for name, step in steps)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    return [(name, float(mb)) for name, mb in (line.split("\t") for line in done.stdout.splitlines())]


def print_stages(title: str, figures: list[tuple[str, float]]) -> None:
    print(title)
    previous = 0.0
    for name, mb in figures:
        print(f"  {name:<38} {mb:7.1f} MB  ({mb - previous:+6.1f})")
        previous = mb


def loaded(command: list[str], health: str, port: int, env: dict[str, str], cwd: Path, messages: int) -> float:
    """RSS of a server after `messages` complaints from many senders."""
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code < 500:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{command} did not start")
            time.sleep(0.05)
        poster = WeChatPoster(f"http://127.0.0.1:{port}", token=TOKEN)
        for i in range(messages):
            poster.text(f"o_mem{i}", COMPLAINTS[i % len(COMPLAINTS)])
        return rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
        env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": f"sqlite:///{workdir}/memory.db", "PYTHONPATH": str(ROOT)}
        echo = stages(ECHO_STAGES, env, workdir)
        serve = stages(SERVE_STAGES, env | {"COURTYARD_DB_URL": f"sqlite:///{workdir}/stages.db"}, workdir)
        print_stages("echo baseline, RSS after each stage:", echo)
        print_stages("courtyard serve, RSS after each stage:", serve)
        print(f"start-up: serve {serve[-1][1]:.0f} MB vs echo {echo[-1][1]:.0f} MB: {serve[-1][1] / echo[-1][1]:.2f}×")
        port = free_port()
        echo_rss = loaded(
            [sys.executable, str(HERE / "echo_bot.py"), str(port), TOKEN, "--jieba"],
            "/",
            port,
            env,
            workdir,
            args.messages,
        )
        port = free_port()
        courtyard = str(Path(sys.executable).parent / "courtyard")
        serve_rss = loaded([courtyard, "serve", "--port", str(port)], "/healthz", port, env, workdir, args.messages)
        print(
            f"after {args.messages} messages: serve (SQLite demo) {serve_rss:.0f} MB vs WeRoBot echo with jieba "
            f"{echo_rss:.0f} MB: {serve_rss / echo_rss:.2f}× (target ≤ 1.5×)"
        )


if __name__ == "__main__":
    main()

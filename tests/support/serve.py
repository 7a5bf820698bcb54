"""`courtyard serve` as an operator runs it: a subprocess started on a free port, waited for until
it prints where its webhook is, and stopped after the test."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

COURTYARD = str(Path(sys.executable).parent / "courtyard")
WEBHOOK_LINE = re.compile(r"webhook (http://\S+)/wechat")


@dataclass
class Served:
    """A running `courtyard serve`: its process, base URL, and what it printed."""

    process: subprocess.Popen[str]
    base_url: str
    started: str  # everything printed up to the line naming the webhook
    rest: list[str] = field(default_factory=list)  # printed afterwards, read as it comes (a full pipe blocks)
    reader: threading.Thread | None = None

    def stop(self, timeout: float = 30) -> str:
        """Terminate (SIGTERM, as systemd does) and wait; everything printed after start-up."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=timeout)
        if self.reader is not None:
            self.reader.join(timeout=timeout)
        return "".join(self.rest)


def launch(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start `courtyard serve --port 0 ARGS` without waiting for it."""
    return subprocess.Popen(
        [COURTYARD, "serve", "--port", "0", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_ready(process: subprocess.Popen[str]) -> Served:
    """Read a launched serve's output until it says where its webhook is; fail if it exits first."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # ends when the process does: no endless wait for a dead server
        seen.append(line)
        if match := WEBHOOK_LINE.search(line):
            served = Served(process, match.group(1), "".join(seen))
            served.reader = threading.Thread(target=_read, args=(process, served.rest), daemon=True)
            served.reader.start()
            return served
    process.kill()
    process.wait()
    pytest.fail(f"serve {' '.join(map(str, process.args))} did not start:\n" + "".join(seen))


def start_serve(cwd: Path, env: dict[str, str], *args: str) -> Served:
    """Start `courtyard serve --port 0 ARGS` and return once it says where its webhook is."""
    return wait_ready(launch(cwd, env, *args))


@contextmanager
def serving(cwd: Path, env: dict[str, str], *args: str) -> Iterator[Served]:
    """start_serve for the length of a block; stopped at its end, whatever happens in it."""
    served = start_serve(cwd, env, *args)
    try:
        yield served
    finally:
        served.stop()


def _read(process: subprocess.Popen[str], into: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line)

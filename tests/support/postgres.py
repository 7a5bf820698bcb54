"""A PostgreSQL server of a test's own (initdb in a temporary folder), so it can be stopped and
started without disturbing the shared server other tests use."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """initdb, start, stop and start again; root runs the server as the `postgres` user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="courtyard-pg-"))
        self.data = self.root / "data"
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "courtyard", "--auth=trust", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://courtyard@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        subprocess.run(self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", self._user, "--", *command] if self._user else command

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(self._command(program, *args), capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{program} failed: {result.stdout}{result.stderr}")


def private_postgres() -> PrivatePostgres:
    """A started private server; skips the test where PostgreSQL's programs are not installed or
    cannot run (root without a `postgres` user)."""
    bin_dir = _binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server programs are not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres user to run the server")
    try:
        server = PrivatePostgres(bin_dir)
        server.start()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"cannot run a private PostgreSQL server: {exc}")
    return server

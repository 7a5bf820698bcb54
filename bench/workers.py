"""Why several workers do or do not beat one: `courtyard serve --workers W --threads T` on PostgreSQL.

Usage: python bench/workers.py [--postgres URL] [--configs 1x8,2x4,4x8] [--concurrency 50] [--seconds 8]

For each configuration (W worker processes × T threads each), on a fresh PostgreSQL database, wrk
drives the bench's complaints (bench/intake.py's requests) at the given concurrency, and this prints
msg/s, p50/p99, and where the CPU went: seconds of CPU per message in the server's processes (each
worker apart) and in the PostgreSQL backends serving its database, the connections it held, and how
busy the machine's cores were (all processes, other users' too). With the cores saturated,
msg/s can be no more than cores ÷ (CPU per message); more processes then only add their overhead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
from bench.intake import TOKEN, drive, ensure_wrk, free_port, stop, wait_until_up  # noqa: E402
from bench.scratch_db import drop_postgres, fresh_postgres  # noqa: E402

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def backends(engine: Engine, database: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to a database."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})
        return [int(row[0]) for row in rows]


@dataclass
class Result:
    label: str
    rate: float
    p50: float
    p99: float
    errors: int
    worker_ms: list[float]  # CPU ms per message of each worker process
    master_ms: float
    postgres_ms: float
    connections: int
    busy: float  # share of all cores busy during the run


def measure(server: str, workers: int, threads: int, concurrency: int, seconds: int, wrk: str, workdir: Path,
            run_no: int) -> Result:
    url, name = fresh_postgres(server, "courtyard_workers")
    admin = create_engine(server, pool_size=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "COURTYARD_"))}
    env |= {"WECHAT_TOKEN": TOKEN, "COURTYARD_DB_URL": url}
    port = free_port()
    command = [str(Path(sys.executable).parent / "courtyard"), "serve", "--port", str(port),
               "--threads", str(threads), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        drive(wrk, workdir, port, min(concurrency, 10), 2, run_no * 2)  # warm every worker and its pool
        pids = children(process.pid) if workers > 1 else [process.pid]
        pg = backends(admin, name)
        before = {pid: cpu_seconds(pid) for pid in (process.pid, *pids, *pg)}
        busy_before = machine_busy()
        run = drive(wrk, workdir, port, concurrency, seconds, run_no * 2 + 1)
        busy_after = machine_busy()
        pg_after = backends(admin, name)
        after = {pid: cpu_seconds(pid) for pid in (process.pid, *pids, *pg_after)}
        connections = len(pg_after)
    finally:
        stop(process)
        admin.dispose()
        drop_postgres(server, name)
    messages = max(run.rate * seconds, 1.0)

    def spent(pid: int) -> float:
        return (after.get(pid, 0.0) - before.get(pid, 0.0)) * 1000 / messages

    return Result(
        label=f"{workers} worker{'s' if workers > 1 else ''} × {threads} threads",
        rate=run.rate, p50=run.p50_ms, p99=run.p99_ms, errors=run.non2xx + run.socket_errors,
        worker_ms=[spent(pid) for pid in pids],
        master_ms=spent(process.pid) if workers > 1 else 0.0,
        postgres_ms=sum(spent(pid) for pid in set(pg) | set(pg_after)),
        connections=connections,
        busy=(busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("COURTYARD_TEST_POSTGRES", ""))
    parser.add_argument("--configs", default="1x8,2x4,4x8", help="WORKERSxTHREADS, comma separated")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("--postgres URL (or COURTYARD_TEST_POSTGRES) is needed")
    wrk = ensure_wrk()
    cores = os.cpu_count() or 1
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cores} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, c={args.concurrency}, {args.seconds} s a run")
    print("\n| server | msg/s | p50 | p99 | CPU ms a message: workers (each) | PostgreSQL | total | "
          "ceiling (cores ÷ total) | connections | cores busy |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for number, config in enumerate(args.configs.split(","), start=1):
            workers, threads = (int(x) for x in config.lower().split("x"))
            r = measure(args.postgres, workers, threads, args.concurrency, args.seconds, wrk, Path(tmp), number)
            python = sum(r.worker_ms) + r.master_ms
            total = python + r.postgres_ms
            each = " + ".join(f"{ms:.1f}" for ms in r.worker_ms)
            print(f"| {r.label} | {r.rate:.0f} | {r.p50:.0f} ms | {r.p99:.0f} ms | {python:.1f} ({each}) | "
                  f"{r.postgres_ms:.1f} | {total:.1f} | {cores * 1000 / total:.0f} msg/s | {r.connections} | "
                  f"{r.busy:.0%} |" + (f" {r.errors} errors" if r.errors else ""), flush=True)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

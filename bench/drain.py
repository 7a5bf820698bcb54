"""Draining the outbox against a slow WeChat API: pushes per second with one sender and with the pool.

Usage: python bench/drain.py --postgres URL [--pushes 600] [--people 200] [--api-seconds 0.3]

Fills a fresh PostgreSQL database (created on that server, dropped afterwards) with `--pushes`
pushes to `--people` people, then drains it through the real WeChat client over loopback into the
tests' fake WeChat API, which takes `--api-seconds` to answer each push. The same backlog is drained
with 1 sender (the drain before issue 16: one push at a time), with the default pool (SENDERS), and
with 8; each run checks that every push arrived once and each person's pushes in order.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.sender import WeChatSender
from bot.token_store import DatabaseTokenStore
from bot.wechat_api import WeChatAPI
from handlers.delivery import SENDERS, Templates, drain
from storage import migrate
from storage.db import Database, make_engine
from storage.models import Outbox
from tests.fake_wechat import FakeWeChat

NOW = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


def fill(db: Database, pushes: int, people: int) -> None:
    rows = [
        dict(
            openid=f"o_bench{n % people}",
            audience="resident",
            kind="status",
            text=f"您反映的问题（编号 {n}）已受理，负责人正在处理。",
            created_at=NOW,
            next_attempt_at=NOW,
        )
        for n in range(pushes)
    ]
    with db.transaction() as session:
        session.execute(insert(Outbox), rows)


def run(server: str, senders: int, args: argparse.Namespace) -> float:
    """Drain a fresh backlog with this many senders; pushes per second."""
    name = f"courtyard_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        db = Database(engine)
        fill(db, args.pushes, args.people)
        with FakeWeChat() as fake:
            fake.send_seconds = args.api_seconds
            api = WeChatAPI(
                base_url=fake.base_url,
                app_id=fake.app_id,
                app_secret=fake.app_secret,
                timeout=15,
                token_store=DatabaseTokenStore(db, fake.app_id),
            )
            began = time.perf_counter()
            report = drain(db=db, sender=WeChatSender(api), templates=Templates(), now=NOW, senders=senders)
            took = time.perf_counter() - began
            received: dict[str, list[str]] = defaultdict(list)
            for message in fake.messages:
                received[message.openid].append(message.text or "")
        assert report.counts == {"sent:custom": args.pushes}, report.counts
        for openid, texts in received.items():
            numbers = [int(text.split("编号 ")[1].split("）")[0]) for text in texts]
            assert numbers == sorted(numbers), f"{openid} got its pushes out of order"
        assert sum(map(len, received.values())) == args.pushes, "a push arrived twice or not at all"
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return args.pushes / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a PostgreSQL URL whose user may create databases")
    parser.add_argument("--pushes", type=int, default=600)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--api-seconds", type=float, default=0.3)
    args = parser.parse_args()
    print(f"{args.pushes} pushes to {args.people} people, the fake API answering each in {args.api_seconds} s")
    baseline = run(args.postgres, 1, args)
    print(f"1 sender (before): {baseline:.2f} pushes/s", flush=True)
    for senders in sorted({4, SENDERS}):
        rate = run(args.postgres, senders, args)
        print(f"{senders} senders{' (default)' if senders == SENDERS else ''}: {rate:.2f} pushes/s, "
              f"{rate / baseline:.2f}x", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

"""Shared fixtures: a fake WeChat API on loopback, and a real Courtyard server on a SQLite file."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, make_url

from courtyard import runtime
from courtyard.settings import Settings
from scheduler.jobs import SweepDeps, drain_outbox
from storage.db import Database
from tests.conftest_wechat import fake_wechat, wechat_api
from tests.fake_wechat import FakeWeChat
from tests.support.clock import TestClock
from tests.support.loopback import serve_in_thread
from tests.support.wechat_client import WeChatPoster

__all__ = ["fake_wechat", "wechat_api"]

TOKEN = "courtyardtesttoken"
# Any 43-character base64 key works; this one is from Tencent's published safe-mode sample.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


# Tests run on a weekday morning in Shanghai, whatever the machine's clock says, so quiet hours and
# working days do not depend on when CI happens to run: Tuesday 2026-11-24 10:00 +08:00.
TEST_START = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@dataclass
class Running:
    """A Courtyard server running in this process on a loopback port."""

    settings: Settings
    db: Database
    base_url: str
    poster: WeChatPoster
    sweep_deps: SweepDeps
    clock: TestClock

    def drain(self, at: datetime | None = None) -> dict[str, int]:
        """Run the outbox drain once, as of at (default now)."""
        return drain_outbox(self.sweep_deps, at).counts


_POSTGRES_DATABASES: list[str] = []  # created by this run, dropped when it ends


def database_url(tmp_path: Path) -> str:
    """A fresh, empty database for one test: a SQLite file, or with COURTYARD_TEST_POSTGRES set
    (a PostgreSQL URL whose user may create databases) a new PostgreSQL database."""
    server = os.environ.get("COURTYARD_TEST_POSTGRES")
    if not server:
        return f"sqlite:///{tmp_path / 'courtyard.db'}"
    name = f"courtyard_test_{uuid.uuid4().hex[:12]}"
    _postgres_admin(server, f'CREATE DATABASE "{name}"')
    _POSTGRES_DATABASES.append(name)
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _postgres_admin(server: str, *statements: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_databases() -> Iterator[None]:
    """Each PostgreSQL test database lives as long as the run: no pile-up across runs."""
    yield
    server = os.environ.get("COURTYARD_TEST_POSTGRES")
    if server and _POSTGRES_DATABASES:
        _postgres_admin(server, *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in _POSTGRES_DATABASES))


def make_settings(tmp_path: Path, fake: FakeWeChat, *, safe_mode: bool = False, **overrides: str) -> Settings:
    values: dict[str, str] = dict(
        courtyard_db_url=database_url(tmp_path),
        wechat_token=TOKEN,
        wechat_app_id=fake.app_id,
        wechat_app_secret=fake.app_secret,
        wechat_api_base=fake.base_url,
        wechat_encoding_aes_key=AES_KEY if safe_mode else "",
        courtyard_journal=str(tmp_path / "inbox.jsonl"),
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def start_server(tmp_path: Path, fake_wechat: FakeWeChat) -> Iterator[Callable[..., Running]]:
    """Start a server (demo org chart unless org= is given); stopped after the test."""
    stops: list[Callable[[], None]] = []

    def start(*, safe_mode: bool = False, org: Path | None = None, **overrides: str) -> Running:
        settings = make_settings(tmp_path, fake_wechat, safe_mode=safe_mode, **overrides)
        db = runtime.open_database(settings)
        runtime.ensure_org_chart(db, org)
        ready = threading.Event()
        clock = TestClock(TEST_START)
        app = runtime.build_web_app(settings, db, ready, clock, threads=4)
        base_url, stop_serving = serve_in_thread(app, threads=4)
        ready.set()

        def stop() -> None:
            stop_serving()
            app.config["courtyard.keeper"].stop()
            app.config["courtyard.hot"].stop()
            db.engine.dispose()

        stops.append(stop)
        poster = WeChatPoster(base_url, token=TOKEN, app_id=fake_wechat.app_id, aes_key=AES_KEY if safe_mode else None)
        return Running(settings, db, base_url, poster, runtime.build_sweep_deps(settings, db, clock), clock)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def server(start_server: Callable[..., Running]) -> Running:
    return start_server()

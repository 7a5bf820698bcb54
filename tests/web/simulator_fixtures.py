"""A Courtyard server as `serve` wires it (webhook + simulator + scheduler), and a headless Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bottle
import pytest

from courtyard import runtime
from courtyard.settings import Settings
from scheduler.jobs import build_scheduler
from storage.db import Database
from tests.conftest import TEST_START, make_settings
from tests.fake_wechat import FakeWeChat
from tests.support.clock import TestClock
from tests.support.loopback import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@dataclass
class Simulator:
    """A running server with the simulator mounted, on a loopback port."""

    settings: Settings
    db: Database
    base_url: str
    clock: TestClock
    parts: runtime.ServerParts


@pytest.fixture
def start_simulator(tmp_path: Path, fake_wechat: FakeWeChat) -> Iterator[Callable[..., Simulator]]:
    """Start `serve`'s wiring (demo org chart unless org= is given); WeChat credentials only with credentials=True."""
    stops: list[Callable[[], None]] = []

    def start(
        *,
        org: Path | None = None,
        credentials: bool = False,
        safe_mode: bool = False,
        is_admin: Callable[[bottle.BaseRequest], bool] | None = None,
    ) -> Simulator:
        overrides = {} if credentials else {"wechat_app_secret": ""}
        settings = make_settings(tmp_path, fake_wechat, safe_mode=safe_mode, **overrides)
        db = runtime.open_database(settings)
        runtime.ensure_org_chart(db, org)
        ready = threading.Event()
        clock = TestClock(TEST_START)
        parts = runtime.build_server(settings, db, ready, host="127.0.0.1", clock=clock, is_admin=is_admin)
        scheduler = build_scheduler(parts.sweeps, settings.tz) if parts.drains else None
        if scheduler is not None:
            scheduler.start()
        base_url, stop_serving = serve_in_thread(parts.wsgi, threads=6)
        ready.set()

        def stop() -> None:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            stop_serving()

        stops.append(stop)
        return Simulator(settings, db, base_url, clock, parts)

    yield start
    for stop in stops:
        stop()


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium through Debian's chromedriver (never a downloaded one), fresh profile."""
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("chromium/chromedriver missing: .ci/run installs them with scripts/test-browser.sh")
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver (bash scripts/test-browser.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="courtyard-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=860,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)

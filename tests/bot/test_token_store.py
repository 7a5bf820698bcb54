"""One access token for all processes: stored in the database, fetched by one client at a time.

Clients here each have their own engine and store, as separate processes would; one test runs real
processes. Fetches are counted at the fake WeChat API. SQLite file, or PostgreSQL with
COURTYARD_TEST_POSTGRES set.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.token_store import DatabaseTokenStore
from bot.wechat_api import WeChatAPI
from storage import migrate
from storage.db import Database, make_engine
from tests.conftest import database_url
from tests.fake_wechat import FakeWeChat

CLIENTS = 4

CLIENT_SCRIPT = """
import sys
from bot.token_store import DatabaseTokenStore
from bot.wechat_api import WeChatAPI
from storage.db import Database, make_engine
url, base, app_id, secret, openid = sys.argv[1:6]
api = WeChatAPI(base_url=base, app_id=app_id, app_secret=secret,
                token_store=DatabaseTokenStore(Database(make_engine(url)), app_id))
for i in range(5):
    api.send_text(openid, f"第{i}条")
"""


class Clock:
    """The clients' shared clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = database_url(tmp_path)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def clients(url: str, fake_wechat: FakeWeChat) -> Iterator[tuple[list[WeChatAPI], Clock]]:
    """CLIENTS API clients, each with a database connection of its own, on one clock."""
    clock = Clock()
    dbs = [Database(make_engine(url)) for _ in range(CLIENTS)]
    apis = [
        WeChatAPI(
            base_url=fake_wechat.base_url,
            app_id=fake_wechat.app_id,
            app_secret=fake_wechat.app_secret,
            token_store=DatabaseTokenStore(db, fake_wechat.app_id),
            clock=clock,
        )
        for db in dbs
    ]
    yield apis, clock
    for api, db in zip(apis, dbs, strict=True):
        api.close()
        db.engine.dispose()


def together(apis: list[WeChatAPI], work: Callable[[WeChatAPI, int], None]) -> None:
    """Run work on every client at once, in threads released together; re-raise what any raised."""
    barrier = threading.Barrier(len(apis))
    errors: list[BaseException] = []

    def run(api: WeChatAPI, i: int) -> None:
        barrier.wait()
        try:
            work(api, i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(api, i)) for i, api in enumerate(apis)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_one_fetch_per_token_lifetime_across_clients(
    clients: tuple[list[WeChatAPI], Clock], fake_wechat: FakeWeChat
) -> None:
    apis, clock = clients
    together(apis, lambda api, i: [api.send_text(f"o_{i}", f"第{n}条") for n in range(3)])
    assert fake_wechat.token_requests == 1
    assert len(fake_wechat.texts_for("o_0")) == 3 and len(fake_wechat.messages) == 3 * CLIENTS
    assert len({api.access_token() for api in apis}) == 1

    clock.now += timedelta(seconds=fake_wechat.expires_in)  # the token's lifetime has passed
    together(apis, lambda api, i: api.send_text(f"o_{i}", "又一条"))
    assert fake_wechat.token_requests == 2
    assert len(fake_wechat.messages) == 4 * CLIENTS


def test_a_refused_token_is_replaced_once_for_everybody(
    clients: tuple[list[WeChatAPI], Clock], fake_wechat: FakeWeChat
) -> None:
    apis, _ = clients
    together(apis, lambda api, i: api.send_text(f"o_{i}", "第一条"))
    first = apis[0].access_token()
    fake_wechat.invalidate_tokens()  # 40001 for every token issued so far

    apis[0].send_text("o_0", "第二条")
    assert fake_wechat.token_requests == 2
    replaced = apis[0].access_token()
    assert replaced != first
    for i, api in enumerate(apis[1:], start=1):  # the others read the new token; none fetches its own
        assert api.access_token() == replaced
        api.send_text(f"o_{i}", "第二条")
    assert fake_wechat.token_requests == 2
    assert len(fake_wechat.messages) == 2 * CLIENTS


def test_a_refused_token_seen_by_all_at_once_is_fetched_once(
    clients: tuple[list[WeChatAPI], Clock], fake_wechat: FakeWeChat
) -> None:
    apis, _ = clients
    apis[0].send_text("o_0", "第一条")
    fake_wechat.invalidate_tokens()
    together(apis, lambda api, i: api.send_text(f"o_{i}", "第二条"))
    assert fake_wechat.token_requests == 2
    assert len(fake_wechat.messages) == 1 + CLIENTS


def test_processes_share_one_token(url: str, fake_wechat: FakeWeChat) -> None:
    args = [url, fake_wechat.base_url, fake_wechat.app_id, fake_wechat.app_secret]
    processes = [
        subprocess.Popen([sys.executable, "-c", CLIENT_SCRIPT, *args, f"o_{i}"], stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert len(fake_wechat.messages) == 15
    assert fake_wechat.token_requests == 1

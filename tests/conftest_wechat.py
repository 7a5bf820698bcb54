"""Pytest fixtures for the fake WeChat API server and a WeChatAPI client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.wechat_api import InMemoryTokenStore, WeChatAPI
from tests.fake_wechat import FakeWeChat


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    """A running fake WeChat API on loopback; its `base_url` is what WECHAT_API_BASE should be."""
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def wechat_api(fake_wechat: FakeWeChat) -> Iterator[WeChatAPI]:
    """A WeChatAPI client with the fake's credentials (tests of timeouts build their own, shorter)."""
    api = WeChatAPI(
        base_url=fake_wechat.base_url,
        app_id=fake_wechat.app_id,
        app_secret=fake_wechat.app_secret,
        timeout=5.0,
        token_store=InMemoryTokenStore(),
    )
    yield api
    api.close()

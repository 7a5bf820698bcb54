"""WeChatAPI against the fake WeChat server over real HTTP: tokens, sends, errors, secrets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bot.wechat_api import (
    InMemoryTokenStore,
    WeChatAPI,
    WeChatAPIError,
    WeChatTokenError,
    WeChatTransportError,
)
from tests.fake_wechat import FakeWeChat, Fault


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 7, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def make_api(fake_wechat: FakeWeChat) -> Iterator[Callable[..., WeChatAPI]]:
    """Build clients against the fake with chosen options; all are closed afterwards."""
    made: list[WeChatAPI] = []

    def make(**options: object) -> WeChatAPI:
        settings: dict[str, object] = {
            "base_url": fake_wechat.base_url,
            "app_id": fake_wechat.app_id,
            "app_secret": fake_wechat.app_secret,
            "timeout": 5.0,  # generous on a loaded machine; tests of timeouts pass their own
            "token_store": InMemoryTokenStore(),
        }
        settings.update(options)
        api = WeChatAPI(**settings)  # type: ignore[arg-type]
        made.append(api)
        return api

    yield make
    for api in made:
        api.close()


def run_in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run `work(i)` in `count` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_text_is_delivered_and_token_cached_across_sends(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    wechat_api.send_text("o_resident", "第一条")
    wechat_api.send_text("o_resident", "第二条")
    wechat_api.send_text("o_cadre", "第三条")

    assert fake_wechat.texts_for("o_resident") == ["第一条", "第二条"]
    assert fake_wechat.texts_for("o_cadre") == ["第三条"]
    assert fake_wechat.token_requests == 1


def test_a_stand_in_without_stable_token_is_asked_on_the_classic_token_endpoint() -> None:
    with FakeWeChat(offers_stable_token=False) as fake:
        api = WeChatAPI(base_url=fake.base_url, app_id=fake.app_id, app_secret=fake.app_secret, timeout=5.0)
        try:
            api.send_text("o_resident", "第一条")
            api.send_text("o_resident", "第二条")
        finally:
            api.close()
        assert fake.texts_for("o_resident") == ["第一条", "第二条"]
        assert fake.token_requests == 1  # the GET /cgi-bin/token call; the 404 from stable_token is not counted


def test_token_is_fetched_again_shortly_before_it_expires(
    fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI]
) -> None:
    clock = FakeClock()
    api = make_api(clock=clock)
    api.send_text("o1", "a")

    clock.now += timedelta(seconds=7200) - timedelta(minutes=5, seconds=1)
    api.send_text("o1", "b")
    assert fake_wechat.token_requests == 1

    clock.now += timedelta(seconds=2)
    api.send_text("o1", "c")
    assert fake_wechat.token_requests == 2
    assert fake_wechat.texts_for("o1") == ["a", "b", "c"]


def test_token_store_holds_the_expiry_wechat_announced(
    fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI]
) -> None:
    clock, store = FakeClock(), InMemoryTokenStore()
    fake_wechat.expires_in = 3600
    make_api(clock=clock, token_store=store).send_text("o1", "x")

    stored = store.get()
    assert stored is not None
    assert stored.value == fake_wechat.tokens[-1]
    assert stored.expires_at == clock.now + timedelta(seconds=3600)


@pytest.mark.parametrize(
    ("refuse", "errcode"),
    [
        (FakeWeChat.invalidate_tokens, 40001),
        (FakeWeChat.expire_tokens, 42001),
        (lambda fake: fake.fail_next(40014), 40014),
    ],
)
def test_refused_token_is_refreshed_once_and_the_send_retried(
    fake_wechat: FakeWeChat,
    wechat_api: WeChatAPI,
    refuse: Callable[[FakeWeChat], None],
    errcode: int,
) -> None:
    wechat_api.send_text("o1", "warm-up")
    refuse(fake_wechat)

    wechat_api.send_text("o1", "after refusal")

    assert fake_wechat.texts_for("o1") == ["warm-up", "after refusal"]
    assert [a.outcome for a in fake_wechat.requests] == [0, errcode, 0]
    assert fake_wechat.token_requests == 2


def test_two_token_refusals_in_a_row_raise(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    fake_wechat.fail_next(40001, times=2)

    with pytest.raises(WeChatAPIError) as raised:
        wechat_api.send_text("o1", "never")

    assert raised.value.errcode == 40001
    assert fake_wechat.messages == []
    assert len(fake_wechat.requests) == 2
    assert fake_wechat.token_requests == 2


def test_other_errcodes_raise_without_refreshing(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    fake_wechat.fail_next(45009)

    with pytest.raises(WeChatAPIError) as raised:
        wechat_api.send_text("o1", "x")

    assert (raised.value.errcode, raised.value.errmsg) == (45009, "reach max api daily quota limit")
    assert fake_wechat.token_requests == 1
    assert len(fake_wechat.requests) == 1


def test_eight_threads_sending_at_once_fetch_one_token(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    errors = run_in_threads(8, lambda i: wechat_api.send_text(f"o{i}", f"消息{i}"))

    assert errors == []
    assert fake_wechat.token_requests == 1
    assert sorted(m.text or "" for m in fake_wechat.messages) == [f"消息{i}" for i in range(8)]


def test_eight_threads_refused_at_once_refresh_the_token_once(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    wechat_api.send_text("o0", "warm-up")
    fake_wechat.invalidate_tokens()

    errors = run_in_threads(8, lambda i: wechat_api.send_text(f"o{i}", "again"))

    assert errors == []
    assert fake_wechat.token_requests == 2
    assert len(fake_wechat.messages) == 9


@pytest.mark.parametrize("fault", [Fault.HTTP_500, Fault.NOT_JSON, Fault.HANG])
def test_transport_failures_raise_transport_error(
    fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI], fault: Fault
) -> None:
    api = make_api(timeout=0.2)
    fake_wechat.fail_next(fault)

    with pytest.raises(WeChatTransportError):
        api.send_text("o1", "x")

    assert fake_wechat.messages == []
    api.send_text("o1", "next one goes through")
    assert fake_wechat.texts_for("o1") == ["next one goes through"]


def test_connection_refused_is_a_transport_error() -> None:
    with FakeWeChat() as gone:
        base_url = gone.base_url
    api = WeChatAPI(base_url=base_url, app_id="wx", app_secret="s", timeout=0.5)

    with pytest.raises(WeChatTransportError):
        api.send_text("o1", "x")
    api.close()


def test_a_timeout_after_delivery_is_still_a_transport_error(
    fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI]
) -> None:
    fake_wechat.fail_next(Fault.DELIVER_THEN_HANG)

    with pytest.raises(WeChatTransportError):
        make_api(timeout=0.2).send_text("o1", "delivered but unanswered")

    assert fake_wechat.texts_for("o1") == ["delivered but unanswered"]


def test_token_endpoint_refusal_raises_token_error(fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI]) -> None:
    api = make_api(app_secret="wrong")

    with pytest.raises(WeChatTokenError) as raised:
        api.send_text("o1", "x")

    assert raised.value.errcode == 40125
    assert fake_wechat.requests == []


def test_non_ascii_text_arrives_intact(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    text = '桂花小区门口的路灯坏了三天了！😀 «引号» 反斜杠\\u4f60 "quoted"\n第二行'

    wechat_api.send_text("o_居民", text)

    assert fake_wechat.texts_for("o_居民") == [text]


def test_fake_shows_json_unicode_escapes_literally_as_wechat_does(fake_wechat: FakeWeChat) -> None:
    credentials = {"appid": fake_wechat.app_id, "secret": fake_wechat.app_secret}
    token = requests.get(
        f"{fake_wechat.base_url}/cgi-bin/token",
        params={"grant_type": "client_credential", **credentials},
        timeout=2,
    ).json()["access_token"]

    requests.post(
        f"{fake_wechat.base_url}/cgi-bin/message/custom/send",
        params={"access_token": token},
        json={"touser": "o1", "msgtype": "text", "text": {"content": "你好"}},  # ensure_ascii escapes
        timeout=2,
    )

    assert fake_wechat.texts_for("o1") == ["\\u4f60\\u597d"]


def test_template_message_carries_its_data(fake_wechat: FakeWeChat, wechat_api: WeChatAPI) -> None:
    wechat_api.send_template("o_cadre", "TPL_TASK", {"first": "新任务 编号 12", "keyword1": "路灯坏了"})

    [message] = fake_wechat.templates_for("o_cadre")
    assert message.template_id == "TPL_TASK"
    assert message.data == {"first": "新任务 编号 12", "keyword1": "路灯坏了"}


def test_neither_secret_nor_token_reaches_logs_or_errors(
    fake_wechat: FakeWeChat, make_api: Callable[..., WeChatAPI], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api(timeout=0.2)
    api.send_text("o1", "ok")
    fake_wechat.invalidate_tokens()
    api.send_text("o1", "refreshed")
    fake_wechat.fail_next(Fault.HANG)
    with pytest.raises(WeChatTransportError) as raised:
        api.send_text("o1", "hangs")

    secrets_seen = [fake_wechat.app_secret, *fake_wechat.tokens]
    assert "cgi-bin/message/custom/send" in caplog.text  # urllib3 did log the requests
    for secret in secrets_seen:
        assert secret not in caplog.text
        assert secret not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__

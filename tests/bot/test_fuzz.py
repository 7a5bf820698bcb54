"""Malformed input is a 4xx, never a 5xx: the corpus that once broke the webhook, then generated requests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werobot.utils import get_signature

from tests.conftest import TOKEN, Running
from tests.support.wechat_client import message_xml

_ids = itertools.count(9_100_000_000)
FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Recognition", "PicUrl",
          "MediaId", "Location_X", "Location_Y", "Scale", "Label", "Event", "EventKey", "Format"]  # fmt: skip
TYPES = ["text", "voice", "image", "location", "event", "video", "link", "shortvideo", "file", "??"]


def signed_post(server: Running, body: bytes, *, timestamp: str | None = None) -> requests.Response:
    """Post body with a correct signature for whatever timestamp (so the parser is what is tested)."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    nonce = str(next(_ids))
    params = {"timestamp": ts, "nonce": nonce, "signature": get_signature(TOKEN, ts, nonce)}
    return requests.post(server.poster.url, params=params, data=body, timeout=30)


def text_message(**overrides: str | int | float) -> str:
    fields: dict[str, str | int | float] = {
        "ToUserName": "gh_courtyard",
        "FromUserName": "o_fuzz",
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": "桂花苑路灯坏了",
        "MsgId": next(_ids),
    }
    return message_xml(fields | overrides)


@pytest.mark.parametrize(
    "make",
    [
        lambda: text_message(CreateTime="9" * 20),
        lambda: text_message(CreateTime="-1"),
        lambda: text_message(CreateTime="1e300"),
        lambda: text_message(MsgId="9" * 400),
        lambda: text_message(MsgId="abc"),
        lambda: text_message(FromUserName="o" * 5000),
        lambda: text_message().replace("<Content><![CDATA[桂花苑路灯坏了]]></Content>", "<Content>" + "<a>" * 1000 + "x" + "</a>" * 1000 + "</Content>"),
        lambda: text_message().replace("</xml>", "<Content>second</Content></xml>"),
        lambda: text_message(MsgType="location", Location_X=float("inf"), Location_Y=103.6, Label="x", Scale=15),
        lambda: text_message(MsgType="location", Location_X=float("nan"), Location_Y=float("-inf"), Scale=15),
        lambda: text_message(MsgType="location", Location_X=1e308 * 10, Location_Y=500, Scale=15),
        lambda: text_message(MsgType="location", Location_X="三十度", Location_Y=1, Scale=15),
        lambda: "<xml>" + "<x>" * 20000 + "</x>" * 20000 + "</xml>",
    ],
)
def test_the_corpus_that_broke_the_webhook_is_refused_with_400(server: Running, make: Callable[[], str]) -> None:
    assert signed_post(server, make().encode("utf-8")).status_code == 400
    assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200


def test_absurd_timestamps_are_refused_not_crashed(server: Running) -> None:
    body = text_message().encode("utf-8")
    for timestamp in ("9" * 400, "-5", "1e9", "", "１２３", str(10**11)):
        assert signed_post(server, body, timestamp=timestamp).status_code == 403, timestamp


_text = st.text(max_size=60) | st.sampled_from(["", "9" * 400, "inf", "nan", "-1", "1e400", "]]>", "<a>"])
_value = st.one_of(_text, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.just(str(int(time.time()))))


@st.composite
def xml_bodies(draw: st.DrawFn) -> bytes:
    """Bodies near WeChat's shape: known and odd fields, odd values, sometimes nesting or raw junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    fields: dict[str, str | int | float] = {"FromUserName": draw(st.sampled_from(["o_fuzz", "o_fuzz2", ""])),
                                            "MsgType": draw(st.sampled_from(TYPES)),
                                            "CreateTime": draw(_value)}  # fmt: skip
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        fields[name] = draw(_value)
    body = message_xml(fields)
    depth = draw(st.integers(0, 12))
    if depth:
        body = body.replace("</xml>", "<Content>" + "<n>" * depth + "x" + "</n>" * depth + "</Content></xml>")
    return body.encode("utf-8")


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=xml_bodies())
def test_fuzzed_plain_requests_never_get_a_5xx(server: Running, body: bytes) -> None:
    response = signed_post(server, body)
    assert response.status_code < 500, (response.status_code, response.text)


@pytest.fixture
def safe_server(start_server: Callable[..., Running]) -> Running:
    """One safe-mode server for all of a test's generated examples."""
    return start_server(safe_mode=True)


@FUZZ
@given(body=xml_bodies(), garbage=st.booleans())
def test_fuzzed_safe_mode_requests_never_get_a_5xx(safe_server: Running, body: bytes, garbage: bool) -> None:
    server = safe_server
    if garbage:  # a correctly signed envelope around bytes that are not a valid cipher text
        encrypted = body.hex() or "x"
        ts, nonce = str(int(time.time())), str(next(_ids))
        params = {"timestamp": ts, "nonce": nonce, "signature": get_signature(TOKEN, ts, nonce),
                  "encrypt_type": "aes", "msg_signature": get_signature(TOKEN, ts, nonce, encrypted)}  # fmt: skip
        envelope = message_xml({"ToUserName": "gh_courtyard", "Encrypt": encrypted}).encode("utf-8")
        status = requests.post(server.poster.url, params=params, data=envelope, timeout=30).status_code
    else:
        status = server.poster.post(body.decode("utf-8", errors="replace")).status
    assert status < 500

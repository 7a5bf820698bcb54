"""No passive reply is over 2 048 bytes of UTF-8, whatever a handler returns."""

from __future__ import annotations

from bot.replies import REPLY_LIMIT_BYTES, fit_reply
from tests.conftest import Running
from tests.support.chat import number_in, say


def test_fit_reply_cuts_on_a_character_boundary_with_an_ellipsis() -> None:
    for text in ("路" * 2000, "a" * 3000, "😀" * 700, "a" + "路" * 700, "路灯坏了。" * 200):
        cut = fit_reply(text)
        assert len(cut.encode("utf-8")) <= REPLY_LIMIT_BYTES
        assert cut.endswith("…") and text.startswith(cut[:-1])
        assert len(cut.encode("utf-8")) > REPLY_LIMIT_BYTES - 4  # nothing more is dropped than needed
    assert fit_reply("短的回复") == "短的回复"
    exact = "a" * REPLY_LIMIT_BYTES
    assert fit_reply(exact) == exact


def test_a_long_detail_reply_fits(server: Running) -> None:
    number = number_in(say(server, "o_long", "桂花苑门口的路灯坏了，" + "晚上一片漆黑非常危险，" * 400))
    reply = say(server, "o_lifang", f"详情 {number}")
    assert len(reply.encode("utf-8")) <= REPLY_LIMIT_BYTES
    assert f"编号 {number}" in reply

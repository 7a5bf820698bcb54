"""WeChatSender against the fake WeChat server: failure mapping and long-text splitting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sender import TEXT_LIMIT_BYTES, WeChatSender, split_text
from bot.wechat_api import WeChatAPI
from handlers.ports import DeliveryError, Failure
from tests.fake_wechat import FailKind, FakeWeChat, Fault, Outcome

SENTENCE_ENDS = "。！？\n"


@pytest.fixture
def sender(wechat_api: WeChatAPI) -> WeChatSender:
    return WeChatSender(wechat_api)


@pytest.fixture
def quick_sender(fake_wechat: FakeWeChat) -> Iterator[WeChatSender]:
    """A sender whose client gives up on a silent server after 0.2 s."""
    api = WeChatAPI(
        base_url=fake_wechat.base_url,
        app_id=fake_wechat.app_id,
        app_secret=fake_wechat.app_secret,
        timeout=0.2,
    )
    yield WeChatSender(api)
    api.close()


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_short_text_goes_out_as_one_message(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    sender.send_text("o1", "您的诉求已受理，编号 1024。")

    assert fake_wechat.texts_for("o1") == ["您的诉求已受理，编号 1024。"]


def test_closed_window_is_window_closed_and_templates_still_go(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    fake_wechat.close_window("o1")

    with pytest.raises(DeliveryError) as raised:
        sender.send_text("o1", "进展")
    sender.send_template("o1", "TPL_STATUS", {"first": "编号 7 有进展"})

    assert (raised.value.failure, raised.value.code) == (Failure.WINDOW_CLOSED, 45015)
    assert fake_wechat.texts_for("o1") == []
    assert [m.data for m in fake_wechat.templates_for("o1")] == [{"first": "编号 7 有进展"}]

    fake_wechat.open_window("o1")
    sender.send_text("o1", "进展")
    assert fake_wechat.texts_for("o1") == ["进展"]


def test_unsubscribed_is_permanent_with_code_and_errmsg(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    fake_wechat.unsubscribe("o1")

    with pytest.raises(DeliveryError) as text_error:
        sender.send_text("o1", "x")
    with pytest.raises(DeliveryError) as template_error:
        sender.send_template("o1", "TPL", {"first": "x"})

    for raised in (text_error, template_error):
        assert (raised.value.failure, raised.value.code) == (Failure.PERMANENT, 43004)
        assert "43004" in raised.value.reason and "require subscribe" in raised.value.reason


@pytest.mark.parametrize(
    ("code", "failure"),
    [
        (45015, Failure.WINDOW_CLOSED),
        (45047, Failure.WINDOW_CLOSED),
        (-1, Failure.RETRY),
        (45009, Failure.RETRY),
        (43004, Failure.PERMANENT),
        (40003, Failure.PERMANENT),
        (48001, Failure.PERMANENT),
    ],
)
def test_errcodes_map_to_failures(fake_wechat: FakeWeChat, sender: WeChatSender, code: int, failure: Failure) -> None:
    fake_wechat.fail_next(code)

    with pytest.raises(DeliveryError) as raised:
        sender.send_text("o1", "x")

    assert (raised.value.failure, raised.value.code) == (failure, code)
    assert str(code) in raised.value.reason


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (Fault.HTTP_500, "custom"),
        (Fault.NOT_JSON, "template"),
        (-1, "token"),
        (40164, "token"),  # our IP is not on the allow-list: an operator can fix it
    ],
)
def test_transport_and_token_trouble_is_retry(
    fake_wechat: FakeWeChat, quick_sender: WeChatSender, code: Outcome, kind: FailKind
) -> None:
    fake_wechat.fail_next(code, kind=kind)

    with pytest.raises(DeliveryError) as raised:
        if kind == "template":
            quick_sender.send_template("o1", "TPL", {"first": "x"})
        else:
            quick_sender.send_text("o1", "x")

    # Without an access token nothing can go: the outbox waits for it however long it takes.
    assert raised.value.failure is (Failure.NO_TOKEN if kind == "token" else Failure.RETRY)
    assert fake_wechat.messages == []


def test_no_answer_to_a_send_is_uncertain(fake_wechat: FakeWeChat, quick_sender: WeChatSender) -> None:
    fake_wechat.fail_next(Fault.DELIVER_THEN_HANG)

    with pytest.raises(DeliveryError) as raised:
        quick_sender.send_text("o1", "x")

    assert raised.value.failure is Failure.UNCERTAIN
    assert fake_wechat.texts_for("o1") == ["x"]  # why it must not simply be retried


def test_token_refused_twice_is_retry(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    fake_wechat.fail_next(42001, times=2)

    with pytest.raises(DeliveryError) as raised:
        sender.send_text("o1", "x")

    assert (raised.value.failure, raised.value.code) == (Failure.RETRY, 42001)


def test_long_text_is_split_on_sentence_boundaries(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    sentences = [f"第{i}件事：{'路灯坏了，' * (i % 7 + 1)}请尽快处理。" for i in range(100)]
    sentences[10] += "大家都很着急！"
    sentences[20] += "什么时候能修好？\n"
    text = "".join(sentences)
    assert utf8_size(text) > 3 * TEXT_LIMIT_BYTES

    sender.send_text("o1", text)

    pieces = fake_wechat.texts_for("o1")
    assert len(pieces) >= 4
    assert "".join(pieces) == text
    assert all(utf8_size(piece) <= TEXT_LIMIT_BYTES for piece in pieces)
    assert all(piece[-1] in SENTENCE_ENDS for piece in pieces)


def test_retry_after_a_failed_piece_sends_only_the_rest(fake_wechat: FakeWeChat, sender: WeChatSender) -> None:
    text = "。".join(f"第{i}段" + "很长的说明" * 120 for i in range(4)) + "。"
    pieces = split_text(text)
    assert len(pieces) >= 3
    fake_wechat.fail_next(-1, after=1)

    with pytest.raises(DeliveryError) as raised:
        sender.send_text("o1", text)
    assert raised.value.failure is Failure.RETRY
    assert fake_wechat.texts_for("o1") == pieces[:1]

    sender.send_text("o1", text)
    assert fake_wechat.texts_for("o1") == pieces

    sender.send_text("o1", text)  # a later push with the same words is a new push
    assert fake_wechat.texts_for("o1") == pieces + pieces


def test_every_push_arrives_exactly_once_when_30_percent_of_calls_fail(
    fake_wechat: FakeWeChat, sender: WeChatSender
) -> None:
    fake_wechat.fail_randomly(0.3, seed=2024, codes=(-1, 45009, Fault.HTTP_500))
    pushes = {f"o{i}": f"编号 {i} 已受理。" for i in range(40)}

    for openid, text in pushes.items():
        for _attempt in range(20):
            try:
                sender.send_text(openid, text)
                break
            except DeliveryError as error:
                assert error.failure is Failure.RETRY

    assert {m.openid: m.text for m in fake_wechat.messages} == pushes
    assert len(fake_wechat.messages) == len(pushes)
    assert len(fake_wechat.requests) > len(pushes)  # some calls really failed


class TestSplitText:
    def test_short_text_is_untouched(self) -> None:
        assert split_text("好的。", limit=20) == ["好的。"]
        assert split_text("", limit=20) == [""]

    def test_pieces_end_on_sentence_marks_and_keep_closing_quotes(self) -> None:
        text = "他说：“明天修。”居民问：“真的吗？”好！\n再见。"

        pieces = split_text(text, limit=30)

        assert "".join(pieces) == text
        assert pieces[0] == "他说：“明天修。”"
        assert all(utf8_size(p) <= 30 for p in pieces)

    def test_an_overlong_sentence_is_cut_at_commas(self) -> None:
        text = "路灯坏了，" * 10 + "请修。"

        pieces = split_text(text, limit=40)

        assert "".join(pieces) == text
        assert all(utf8_size(p) <= 40 for p in pieces)
        assert all(p.endswith(("，", "。")) for p in pieces)

    @pytest.mark.parametrize("char", ["路", "😀", "a", "é"])
    def test_text_without_any_boundary_is_cut_between_characters(self, char: str) -> None:
        text = char * 3000

        pieces = split_text(text)

        per_piece = TEXT_LIMIT_BYTES // utf8_size(char)
        assert "".join(pieces) == text
        assert [len(p) for p in pieces[:-1]] == [per_piece] * (len(pieces) - 1)
        assert 0 < len(pieces[-1]) <= per_piece

    def test_trailing_whitespace_alone_is_not_a_message(self) -> None:
        text = "好。" * 10 + "\n" * 30

        pieces = split_text(text, limit=30)

        assert all(p.strip() for p in pieces)
        assert "".join(pieces).rstrip() == text.rstrip()

"""DESIGN §5's bad inputs over real HTTP: each gets a polite Chinese answer or a clean 4xx, loses nothing, doubles nothing."""

from __future__ import annotations

import re

import pytest
import requests
from sqlmodel import select

from handlers import texts
from storage.models import InboundMessage, Outbox, Ticket
from tests.conftest import Running
from tests.support.chat import number_in

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def rows(server: Running, model: type[InboundMessage] | type[Ticket] | type[Outbox]) -> list[object]:
    with server.db.transaction() as session:
        return list(session.exec(select(model)).all())


def logged(server: Running, openid: str) -> list[InboundMessage]:
    with server.db.transaction() as session:
        return list(session.exec(select(InboundMessage).where(InboundMessage.openid == openid)).all())


@pytest.mark.parametrize(
    ("kind", "fields", "kept", "said"),
    [
        ("video", {"MediaId": "m_v", "ThumbMediaId": "t_v"}, "", "视频"),
        ("shortvideo", {"MediaId": "m_s", "ThumbMediaId": "t_s"}, "", "视频"),
        (
            "link",
            {"Title": "桂花苑路灯坏了", "Description": "看这篇", "Url": "http://example.com/a"},
            "桂花苑路灯坏了",
            "链接",
        ),
        (
            "file",
            {"Title": "证明.pdf", "Description": "", "FileKey": "k", "FileMd5": "m", "FileTotalLen": 9},
            "证明.pdf",
            "文件",
        ),
        ("miniprogrampage", {"Title": "小程序"}, "小程序", "文字"),
    ],
)
def test_types_the_bot_does_not_handle_are_answered_kept_and_not_filed(
    server: Running, kind: str, fields: dict[str, str | int | float], kept: str, said: str
) -> None:
    openid = f"o_{kind}"
    first = server.poster.message(openid, kind, fields, msg_id=880_001)
    again = server.poster.message(openid, kind, fields, msg_id=880_001)  # WeChat's retry
    assert first.status == 200 and first.content and said in first.content and CHINESE.search(first.content)
    assert again.content == first.content
    [row] = logged(server, openid)
    assert row.msg_type == kind and kept in row.content
    assert rows(server, Ticket) == [] and rows(server, Outbox) == []


@pytest.mark.parametrize("event", ["FOOBAR", "CLICK", "VIEW", "LOCATION", "view_miniprogram", "kf_close_session"])
def test_events_the_bot_does_not_know_are_acknowledged_quietly(server: Running, event: str) -> None:
    reply = server.poster.event("o_events", event, "V1001")
    assert reply.status == 200 and reply.body == "success"
    assert rows(server, Ticket) == [] and rows(server, Outbox) == []


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><xml><Content>x</Content></xml>',
        b"<!doctype xml><xml><Content>x</Content></xml>",
        b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><xml/>',
        b'<xml><!ENTITY a "b"><Content>x</Content></xml>',
        b"<xml><Content>x</Content></xml" + b"<" * 10,
        "<xml>路灯</xml>".encode("gbk"),
    ],
)
def test_dtds_entities_and_broken_xml_get_a_clean_4xx(server: Running, body: bytes) -> None:
    reply = server.poster.post(body)
    assert 400 <= reply.status < 500, (reply.status, reply.body)
    assert rows(server, InboundMessage) == []
    assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200


def test_a_body_larger_than_any_wechat_message_is_refused_not_read(server: Running) -> None:
    huge = server.poster.xml("o_huge", "text", {"Content": "桂花苑路灯坏了。" * 100_000, "MsgId": 880_002})
    reply = server.poster.post(huge)
    assert 400 <= reply.status < 500
    assert rows(server, InboundMessage) == []
    assert "编号" in (server.poster.text("o_huge", "桂花苑路灯坏了").content or "")  # the sender is heard next time


@pytest.mark.parametrize("content", ["😀😀😀", "👨‍👩‍👧🙏🏻", "\u200b\u200b", "。。。", "？", "……", "\x01\x02"])
def test_text_without_words_gets_a_polite_answer_and_no_ticket(server: Running, content: str) -> None:
    reply = server.poster.text("o_empty", content)
    assert reply.status == 200 and reply.content and CHINESE.search(reply.content), reply
    assert "编号" not in reply.content
    assert rows(server, Ticket) == []


def test_a_voice_without_recognition_asks_to_type_and_keeps_the_voice(server: Running) -> None:
    reply = server.poster.voice("o_voice", None)
    assert reply.content == texts.VOICE_NOT_RECOGNISED
    [row] = logged(server, "o_voice")
    assert row.msg_type == "voice"
    assert rows(server, Ticket) == []


def test_two_senders_with_the_same_msgid_each_get_their_own_answer(server: Running) -> None:
    mine = server.poster.text("o_first", "桂花苑3栋门口的路灯坏了", msg_id=880_003)
    theirs = server.poster.text("o_second", "查询", msg_id=880_003)
    assert f"编号 {number_in(mine.content)}" not in (theirs.content or "")
    assert (theirs.content or "").startswith("您还没有反映过问题")


def test_every_answer_fits_a_passive_reply(server: Running) -> None:
    poster = server.poster
    for content in ("桂花苑路灯坏了，" * 2500, "查询", "帮助", "在吗"):  # 20 000 characters fit WeChat's body
        reply = poster.text("o_fits", content)
        assert reply.status == 200 and reply.content
        assert len(reply.content.encode("utf-8")) <= texts.REPLY_LIMIT_BYTES

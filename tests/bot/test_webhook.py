"""The webhook end to end: real XML over HTTP into a real SQLite file, pushes to the fake WeChat API."""

from __future__ import annotations

from sqlmodel import select

from storage.models import InboundMessage, Ticket
from tests.conftest import Running
from tests.support.chat import number_in


def tickets(server: Running) -> list[Ticket]:
    with server.db.transaction() as session:
        return list(session.exec(select(Ticket)).all())


def test_complaint_with_alias_is_routed_to_the_courtyard_cadre(server: Running, fake_wechat) -> None:
    reply = server.poster.text("o_resident1", "桂花小区门口的路灯坏了三天了")
    assert reply.status == 200
    number = number_in(reply.content)
    assert "桂花苑" in (reply.content or "")
    assert reply.xml is not None and reply.xml["ToUserName"] == "o_resident1"
    assert server.drain() == {"sent:custom": 1}
    pushes = fake_wechat.texts_for("o_lifang")
    assert len(pushes) == 1 and f"编号 {number}" in pushes[0] and "路灯" in pushes[0]


def test_safe_mode_round_trip(start_server, fake_wechat) -> None:
    server = start_server(safe_mode=True)
    reply = server.poster.text("o_resident2", "银杏院子的垃圾好几天没人收了")
    assert reply.status == 200
    assert "<Encrypt>" in reply.body and "银杏" not in reply.body
    number = number_in(reply.content)
    server.drain()
    assert any(f"编号 {number}" in t for t in fake_wechat.texts_for("o_chengang"))


def test_safe_mode_refuses_plain_and_forged(start_server) -> None:
    server = start_server(safe_mode=True)
    poster = server.poster
    plain = poster.post(poster.xml("o_x", "text", {"Content": "你好", "MsgId": 1}), encrypt=False)
    assert plain.status == 400
    forged = poster.post(poster.xml("o_x", "text", {"Content": "你好", "MsgId": 2}), msg_signature="0" * 40)
    assert forged.status == 403
    assert tickets(server) == []


def test_retries_get_the_same_reply_and_file_once(server: Running) -> None:
    replies = [server.poster.text("o_r3", "翠竹苑3栋楼道灯不亮", msg_id=555001) for _ in range(3)]
    assert len({r.content for r in replies}) == 1
    assert len(tickets(server)) == 1


def test_concurrent_retries_file_once(server: Running) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: server.poster.text("o_r4", "东风小区下水道堵了", msg_id=555002), range(4)))
    assert {r.status for r in replies} == {200}
    assert len({r.content for r in replies}) == 1
    assert len(tickets(server)) == 1


def test_unknown_place_goes_to_triage(server: Running, fake_wechat) -> None:
    reply = server.poster.text("o_r5", "我家门口的井盖丢了好危险")
    number = number_in(reply.content)
    assert "院落" in (reply.content or "")
    server.drain()
    assert any(f"编号 {number}" in t for t in fake_wechat.texts_for("o_zhaoqiang"))


def test_push_survives_two_api_failures(server: Running, fake_wechat) -> None:
    fake_wechat.fail_next(-1, times=2, kind="custom")
    number = number_in(server.poster.text("o_r6", "桂花苑2单元门口的路灯坏了三天了").content)  # no triage push
    assert server.drain() == {"pending": 1}
    with server.db.transaction() as session:  # make the retry due now instead of sleeping through backoff
        from storage.models import Outbox

        for row in session.exec(select(Outbox)).all():
            row.next_attempt_at = row.created_at
    assert server.drain() == {"pending": 1}
    with server.db.transaction() as session:
        for row in session.exec(select(Outbox)).all():
            row.next_attempt_at = row.created_at
    assert server.drain() == {"sent:custom": 1}
    assert [t for t in fake_wechat.texts_for("o_lifang") if f"编号 {number}" in t]
    assert len([r for r in fake_wechat.requests if r.openid == "o_lifang"]) == 3


def test_wrong_signature_is_forbidden_and_files_nothing(server: Running) -> None:
    poster = server.poster
    reply = poster.post(poster.xml("o_x", "text", {"Content": "路灯坏了", "MsgId": 3}), signature="f" * 40)
    assert reply.status == 403
    assert tickets(server) == []


def test_replayed_old_timestamp_is_forbidden(server: Running) -> None:
    poster = server.poster
    reply = poster.post(poster.xml("o_x", "text", {"Content": "路灯坏了", "MsgId": 4}), timestamp=1_409_735_669)
    assert reply.status == 403
    assert tickets(server) == []


def test_malformed_bodies_get_400_and_server_stays_healthy(server: Running) -> None:
    import requests

    poster = server.poster
    for body in (b"", b"not xml at all", b"<xml><FromUserName>o</FromUserName>", b"<other/>", b"\xff\xfe\x00"):
        assert poster.post(body).status == 400, body
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    assert poster.post(bomb).status == 400
    assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200


def test_url_verification(server: Running) -> None:
    assert server.poster.verify_url("hello123").text == "hello123"
    assert server.poster.verify_url("hello123", signature="0" * 40).status_code == 403


def test_odd_inputs_get_polite_answers(server: Running) -> None:
    poster = server.poster
    for content in ("", "   ", "😀😀😀", "你好"):
        reply = poster.text("o_r7", content)
        assert reply.status == 200 and reply.content, content
        assert "编号" not in reply.content
    long_reply = poster.text("o_r7", "桂花苑路灯坏了。" * 625)
    assert long_reply.status == 200 and "编号" in (long_reply.content or "")
    voice = poster.voice("o_r7", None)
    assert "打字" in (voice.content or "")
    video = poster.message("o_r7", "video", {"MediaId": "m1", "ThumbMediaId": "t1"})
    assert video.status == 200 and "文字" in (video.content or "")
    weird = poster.message("o_r7", "miniprogrampage", {"Title": "x"})
    assert weird.status == 200 and weird.content
    event = poster.event("o_r7", "TEMPLATESENDJOBFINISH")
    assert event.status == 200 and event.body == "success"
    assert len(tickets(server)) == 1


def test_reply_quoting_cdata_terminator_stays_valid_xml(server: Running) -> None:
    poster = server.poster
    number = number_in(poster.text("o_r8", "桂花苑 ]]> 路灯 <b>坏了</b> & 没人管").content)
    detail = poster.text("o_r8", f"查询 {number}")
    assert detail.content is not None and "]]>" in detail.content and "<b>坏了</b>" in detail.content


def test_voice_photo_location_and_queries(server: Running) -> None:
    poster = server.poster
    number = number_in(poster.voice("o_r9", "银杏院子3栋门口化粪池堵了").content)
    assert f"编号 {number}" in (poster.image("o_r9").content or "")
    assert f"编号 {number}" in (poster.location("o_r9", 30.9935, 103.6251, "银杏院").content or "")
    listing = poster.text("o_r9", "查询").content or ""
    assert f"编号 {number}" in listing and "待受理" in listing
    assert "不能" not in (poster.text("o_r9", f"撤回 {number}").content or "")
    assert "已撤回" in (poster.text("o_r9", f"查询 {number}").content or "")
    assert "没有找到" in (poster.text("o_other", f"查询 {number}").content or "")
    assert "编号" in (poster.text("o_r9", "撤回 abc").content or "")


def test_every_message_is_logged_once(server: Running) -> None:
    server.poster.text("o_r10", "你好", msg_id=777)
    server.poster.text("o_r10", "你好", msg_id=777)
    with server.db.transaction() as session:
        rows = session.exec(select(InboundMessage).where(InboundMessage.openid == "o_r10")).all()
    assert [r.key for r in rows] == ["msg:o_r10:777"]


def test_follow_by_courtyard_qr_code_binds_the_resident(server: Running, fake_wechat) -> None:
    poster = server.poster
    welcome = poster.event("o_r11", "subscribe", "qrscene_courtyard:2")
    assert welcome.content is not None and "欢迎关注" in welcome.content and "银杏院的居民" in welcome.content
    number = number_in(poster.text("o_r11", "我们楼下的路灯不亮了").content)
    server.drain()
    assert any(f"编号 {number}" in t for t in fake_wechat.texts_for("o_chengang"))
    assert "翠竹苑" in (poster.event("o_r11", "SCAN", "courtyard:3").content or "")
    assert poster.event("o_r11", "unsubscribe").body == "success"


def test_location_alone_starts_a_ticket_at_the_nearest_courtyard(server: Running, fake_wechat) -> None:
    reply = server.poster.location("o_r12", 30.9801, 103.6102, "翠竹苑东门")
    number = number_in(reply.content)
    assert "文字" in (reply.content or "")
    server.drain()
    assert any(f"编号 {number}" in t for t in fake_wechat.texts_for("o_zhangli"))

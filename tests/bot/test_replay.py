"""A signed URL is good for one body: WeChat's retry is answered alike, a replay with another body is refused."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlmodel import select

from storage.models import InboundMessage, Ticket
from tests.conftest import Running
from tests.support.chat import number_in


def test_one_signed_url_with_twenty_bodies_is_accepted_once(server: Running) -> None:
    poster = server.poster
    ts, nonce = int(time.time()), "20261201"
    first = poster.post(poster.xml("o_resident", "text", {"Content": "桂花苑路灯坏了", "MsgId": 61}), timestamp=ts, nonce=nonce)
    number_in(first.content)
    refused = []
    for i in range(20):
        sender = "o_lifang" if i % 2 else f"o_forger{i}"  # half of them forged as the cadre
        body = poster.xml(sender, "text", {"Content": "任务" if i % 2 else f"第{i}条", "MsgId": 100 + i})
        refused.append(poster.post(body, timestamp=ts, nonce=nonce))
    assert {r.status for r in refused} == {403}
    assert all(r.content is None and "编号" not in r.body for r in refused)
    with server.db.transaction() as session:
        assert [row.key for row in session.exec(select(InboundMessage)).all()] == ["msg:o_resident:61"]


def test_the_same_body_again_is_a_retry_with_the_same_answer(server: Running) -> None:
    poster = server.poster
    ts, nonce = int(time.time()), "777"
    body = poster.xml("o_resident", "text", {"Content": "银杏院垃圾没人收", "MsgId": 62})
    replies = [poster.post(body, timestamp=ts, nonce=nonce) for _ in range(3)]
    assert {r.status for r in replies} == {200}
    assert len({r.content for r in replies}) == 1
    with server.db.transaction() as session:
        assert len(session.exec(select(Ticket)).all()) == 1


def test_every_process_sees_the_urls_already_used(start_server: Callable[..., Running]) -> None:
    first = start_server()
    second = start_server(courtyard_db_url=first.settings.courtyard_db_url)
    ts, nonce = int(time.time()), "4242"
    body = first.poster.xml("o_resident", "text", {"Content": "翠竹苑下水道堵了", "MsgId": 63})
    assert first.poster.post(body, timestamp=ts, nonce=nonce).status == 200
    assert second.poster.post(body, timestamp=ts, nonce=nonce).status == 200  # the retry reached the other one
    forged = second.poster.xml("o_lifang", "text", {"Content": "任务", "MsgId": 64})
    assert second.poster.post(forged, timestamp=ts, nonce=nonce).status == 403

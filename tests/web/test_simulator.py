"""The simulator's API: who may use it, what it refuses, and that its personas never reach real WeChat users."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bottle
import requests
from sqlmodel import select

from courtyard import runtime
from handlers.simulation import DEMO_LOGIN, DEMO_PASSWORD
from scheduler.jobs import drain_outbox
from storage.clock import ShiftedClock
from storage.models import InboundMessage, Outbox, OutboxStatus
from tests.conftest import TOKEN
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in
from tests.support.web import WebClient, make_user
from tests.support.wechat_client import WeChatPoster
from tests.web.simulator_fixtures import Simulator, start_simulator

__all__ = ["start_simulator"]

REAL_ORG = Path(__file__).resolve().parents[1] / "data" / "org_small.yaml"
WRITE = {"X-Simulator": "1"}


def post(sim: Simulator, path: str, body: dict[str, Any], **kwargs: Any) -> requests.Response:
    return requests.post(f"{sim.base_url}/simulator/api/{path}", json=body, headers=WRITE, timeout=30, **kwargs)


def new_resident(sim: Simulator) -> str:
    response = post(sim, "new-resident", {})
    assert response.status_code == 200, response.text
    openid: str = response.json()["openid"]
    return openid


def inbound(sim: Simulator, openid: str) -> list[str]:
    with sim.db.transaction() as session:
        rows = session.exec(select(InboundMessage).where(InboundMessage.openid == openid)).all()
        return [row.msg_type for row in rows]


def test_a_message_goes_through_the_webhook_in_safe_mode(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator(safe_mode=True)
    resident = new_resident(sim)
    reply = post(sim, "send", {"openid": resident, "kind": "voice", "text": "桂花小区门口的路灯坏了三天了"})
    assert reply.status_code == 200, reply.text
    number = number_in(reply.json()["reply"])
    assert inbound(sim, resident) == ["event", "voice"]
    feed = requests.get(f"{sim.base_url}/simulator/api/feed", params={"openid": resident}, timeout=10).json()
    assert [(e["side"], e["kind"]) for e in feed["entries"]] == [("bot", "text"), ("me", "voice"), ("bot", "text")]
    assert f"编号 {number}" in feed["entries"][-1]["text"]


def test_bad_input_gets_a_clear_answer_and_nothing_is_sent(
    start_simulator: Callable[..., Simulator], fake_wechat: FakeWeChat
) -> None:
    sim = start_simulator(credentials=True)
    resident = new_resident(sim)

    unknown = post(sim, "send", {"openid": "o_nobody", "kind": "text", "text": "你好"})
    assert unknown.status_code == 404 and "没有这个身份" in unknown.json()["error"]
    too_long = post(sim, "send", {"openid": resident, "kind": "text", "text": "路" * 10_000})
    assert too_long.status_code == 413 and "10000 字" in too_long.json()["error"]
    empty = post(sim, "send", {"openid": resident, "kind": "text", "text": "  "})
    assert empty.status_code == 400 and "请先输入内容" in empty.json()["error"]
    far = post(sim, "send", {"openid": resident, "kind": "location", "lat": 300, "lon": 103.6})
    assert far.status_code == 400 and "纬度" in far.json()["error"]
    url = f"{sim.base_url}/simulator/api/photo"
    text_file = requests.post(url, data={"openid": resident}, files={"photo": ("a.jpg", b"not a picture")},
                              headers=WRITE, timeout=30)
    assert text_file.status_code == 415 and "不是照片" in text_file.json()["error"]
    huge = b"\xff\xd8\xff" + bytes(50 * 1024 * 1024)
    big = requests.post(url, data={"openid": resident}, files={"photo": ("a.jpg", huge)}, headers=WRITE, timeout=60)
    assert big.status_code == 413 and "照片太大" in big.json()["error"]
    forged = requests.post(f"{sim.base_url}/simulator/api/send", json={"openid": resident, "kind": "text", "text": "x"},
                           timeout=10)
    assert forged.status_code == 403
    step = post(sim, "time-machine", {"step": "yesterday"})
    assert step.status_code == 400 and "快进" in step.json()["error"]

    assert inbound(sim, resident) == ["event"]  # only the subscription that created the persona
    assert inbound(sim, "o_nobody") == []
    assert not [r for r in fake_wechat.requests if r.openid in (resident, "o_nobody")]
    # Nothing broken: a real photo and a message still go through.
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    photo = requests.post(url, data={"openid": resident}, files={"photo": ("a.png", png)}, headers=WRITE, timeout=30)
    assert photo.status_code == 200, photo.text
    assert requests.get(f"{sim.base_url}/healthz", timeout=10).status_code == 200


def test_two_tabs_as_the_same_cadre_see_the_same_screen(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator()
    feed = f"{sim.base_url}/simulator/api/feed"
    first = requests.get(feed, params={"openid": "o_lifang", "tab": "a"}, timeout=10).json()
    assert first["others"] == 0
    assert post(sim, "send", {"openid": "o_lifang", "kind": "text", "text": "任务"}).status_code == 200
    second = requests.get(feed, params={"openid": "o_lifang", "tab": "b"}, timeout=10).json()
    again = requests.get(feed, params={"openid": "o_lifang", "tab": "a"}, timeout=10).json()
    assert second["others"] == 1 and again["others"] == 1
    assert [e["text"] for e in second["entries"]] == [e["text"] for e in again["entries"]]
    assert second["entries"][0]["text"] == "任务"


def test_real_org_chart_without_admin_is_refused(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator(org=REAL_ORG, credentials=True)
    page = requests.get(f"{sim.base_url}/simulator", timeout=10)
    assert page.status_code == 403 and "管理员" in page.text
    for path in ("state", "feed"):
        assert requests.get(f"{sim.base_url}/simulator/api/{path}", timeout=10).status_code == 403
    refused = post(sim, "new-resident", {})
    assert refused.status_code == 403 and "管理员" in refused.json()["error"]
    assert inbound(sim, "o_lifang") == []


def test_real_org_chart_personas_never_push_to_real_openids(
    start_simulator: Callable[..., Simulator], fake_wechat: FakeWeChat
) -> None:
    def admin(request: bottle.BaseRequest) -> bool:
        return True

    sim = start_simulator(org=REAL_ORG, credentials=True, is_admin=admin)
    state = requests.get(f"{sim.base_url}/simulator/api/state", timeout=10).json()
    assert state["demo"] is False and state["time_machine"] is False
    assert not any(c["playable"] for c in state["cadres"])
    as_cadre = post(sim, "send", {"openid": "o_lifang", "kind": "text", "text": "受理 1"})
    assert as_cadre.status_code == 404
    assert post(sim, "time-machine", {"step": "day2"}).status_code == 403

    resident = new_resident(sim)
    simulated = number_in(post(sim, "send", {"openid": resident, "kind": "text", "text": "桂花小区门口的路灯坏了"}).json()["reply"])
    poster = WeChatPoster(sim.base_url, token=TOKEN)
    real = number_in(poster.text("o_real_resident", "桂花苑3栋楼道里的下水道堵了").content)
    drain_outbox(sim.parts.sweeps)
    # serve's own scheduled drain may have claimed the push first and be sending it still
    assert fake_wechat.wait_for(lambda: bool(fake_wechat.texts_for("o_lifang")), timeout=30)

    sent = fake_wechat.texts_for("o_lifang")
    assert sent and all(f"编号 {real}" in text for text in sent), sent
    assert len(fake_wechat.requests) == len(sent)
    with sim.db.transaction() as session:
        rows = session.exec(select(Outbox).where(Outbox.ticket_id == simulated)).all()
        assert rows and all(r.status == OutboxStatus.FAILED and "simulator" in (r.last_error or "") for r in rows)


def test_the_demo_has_a_resident_with_history(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator()
    residents = requests.get(f"{sim.base_url}/simulator/api/state", timeout=10).json()["residents"]
    assert [(r["name"], r["detail"]) for r in residents] == [("老张", "银杏院，反映过 2 件")]
    listing = post(sim, "send", {"openid": residents[0]["openid"], "kind": "text", "text": "查询"}).json()["reply"]
    assert "编号 1" in listing and "编号 2" in listing and "已完结" in listing, listing
    # Its pushes went as they happened, one by one, and not as a backlog summary on first start.
    feed = requests.get(f"{sim.base_url}/simulator/api/feed", params={"openid": residents[0]["openid"]}, timeout=10)
    shown = " ".join(entry["text"] for entry in feed.json()["entries"])
    assert "已受理" in shown and "已办结" in shown and "【未读汇总】" not in shown, shown


def test_a_push_waiting_for_the_morning_is_shown_as_waiting(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator()
    sim.clock.set(sim.clock().replace(hour=14) + timedelta(hours=8))  # 22:00 in Shanghai
    resident = new_resident(sim)
    number = number_in(post(sim, "send", {"openid": resident, "kind": "text", "text": "桂花小区门口的路灯坏了"}).json()["reply"])
    assert post(sim, "send", {"openid": "o_lifang", "kind": "text", "text": f"受理 {number}"}).status_code == 200
    feed = requests.get(f"{sim.base_url}/simulator/api/feed", params={"openid": resident}, timeout=10).json()
    waiting = [w for w in feed["waiting"] if f"编号 {number}" in w["text"]]
    assert waiting and not waiting[0]["held"] and waiting[0]["due"].endswith("08:00"), feed["waiting"]


def test_after_a_restart_the_demo_clock_resumes_where_the_time_machine_left_it(
    start_simulator: Callable[..., Simulator],
) -> None:
    sim = start_simulator()
    sim.clock.set(datetime.now(UTC))  # the time machine then takes the ledger past real time
    resident = new_resident(sim)
    post(sim, "send", {"openid": resident, "kind": "text", "text": "桂花小区门口的路灯坏了"})
    assert post(sim, "time-machine", {"step": "day2"}).status_code == 200
    moved_to = sim.clock()
    assert moved_to > datetime.now(UTC) + timedelta(hours=12)

    clock = ShiftedClock()  # a restarted server's clock
    assert clock() < moved_to
    runtime.build_server(sim.settings, sim.db, threading.Event(), clock=clock)
    assert clock() >= moved_to - timedelta(minutes=1)


def test_the_demo_login_opens_the_dashboard_only_while_the_demo_is_loaded(
    start_simulator: Callable[..., Simulator],
) -> None:
    sim = start_simulator()
    browser = WebClient(sim.base_url)
    assert browser.login(DEMO_LOGIN, DEMO_PASSWORD).status_code == 303
    assert browser.get("/").status_code == 200
    runtime.ensure_org_chart(sim.db, REAL_ORG)  # an operator imports their own town
    assert browser.get("/").status_code in (302, 303)
    assert WebClient(sim.base_url).login(DEMO_LOGIN, DEMO_PASSWORD).status_code == 401


def test_on_a_real_org_chart_an_admin_session_opens_the_simulator(start_simulator: Callable[..., Simulator]) -> None:
    sim = start_simulator(org=REAL_ORG)
    make_user(sim.db, "chief", "admin")
    make_user(sim.db, "boss", "leader")
    leader = WebClient(sim.base_url)
    assert leader.login("boss").status_code == 303
    assert leader.get("/simulator").status_code == 403
    admin = WebClient(sim.base_url)
    assert admin.login("chief").status_code == 303
    page = admin.get("/simulator")
    assert page.status_code == 200 and "聊天模拟器" in page.text
    state = admin.get("/simulator/api/state").json()
    assert state["demo"] is False and state["time_machine"] is False

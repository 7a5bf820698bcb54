"""Residents' photos end to end: an image message over signed XML, the photo sweep fetching it from the fake
WeChat media API, the ticket page showing it through a route that checks the viewer's reach."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import select

from scheduler.jobs import fetch_photos, run_all
from storage.models import PhotoStatus, TicketPhoto
from tests.conftest import Running
from tests.fake_wechat import FakeWeChat
from tests.support.chat import number_in, say
from tests.support.images import png
from tests.support.web import WebClient, make_user


def photos(server: Running) -> list[TicketPhoto]:
    with server.db.snapshot() as session:
        return list(session.exec(select(TicketPhoto).order_by(TicketPhoto.id)).all())  # type: ignore[arg-type]


def signed_in(server: Running, name: str, role: str = "leader", cadre: str | None = None) -> WebClient:
    make_user(server.db, name, role, cadre)
    web = WebClient(server.base_url)
    assert web.login(name).status_code == 303
    return web


def test_a_photo_is_fetched_kept_and_shown_only_within_reach(server: Running, fake_wechat: FakeWeChat) -> None:
    image = png()
    fake_wechat.add_media("media_lamp", image, "image/png")
    number = number_in(say(server, "o_res_photo", "桂花院子3栋门口的路灯坏了，晚上黑黢黢的"))
    reply = server.poster.image("o_res_photo", "http://mmbiz.qpic.cn/lamp.jpg", media_id="media_lamp")
    assert f"编号 {number}" in reply.content, reply.content
    [pending] = photos(server)
    assert pending.ticket_id == number and pending.status == PhotoStatus.PENDING

    leader = signed_in(server, "boss")
    page = leader.get(f"/tickets/{number}").text
    assert 'data-photo-status="pending"' in page and "正在从微信取回" in page

    report = run_all(server.sweep_deps, server.clock())["photos"]
    assert report.counts == {"stored": 1}
    [kept] = photos(server)
    assert kept.status == PhotoStatus.STORED and kept.data == image and kept.content_type == "image/png"
    assert fake_wechat.media_requests == ["media_lamp"]
    fake_wechat.drop_media("media_lamp")  # WeChat's 3 days are over; the copy here stays

    page = leader.get(f"/tickets/{number}").text
    src = f"/tickets/{number}/photos/{kept.id}"
    assert f'<img src="{src}"' in page and "media_lamp" not in page
    shown = leader.get(src)
    assert shown.status_code == 200 and shown.content == image
    assert shown.headers["Content-Type"] == "image/png" and shown.headers["X-Content-Type-Options"] == "nosniff"

    # 银杏院's cadre does not reach a 桂花苑 ticket: the photo is as absent as one that does not exist.
    other = signed_in(server, "yinxing", "cadre", "陈刚")
    for path in (src, f"/tickets/{number}/photos/999", f"/tickets/{number}/photos/x1"):
        refused = other.get(path)
        assert refused.status_code == 404 and refused.content != image, path
    assert signed_in(server, "lifang", "cadre", "李芳").get(src).content == image
    anonymous = WebClient(server.base_url).get(src)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    assert fetch_photos(server.sweep_deps, server.clock() + timedelta(hours=1)).counts == {}
    assert fake_wechat.media_requests == ["media_lamp"]  # kept, never fetched again


def test_an_expired_media_id_is_recorded_and_not_retried(server: Running, fake_wechat: FakeWeChat) -> None:
    number = number_in(say(server, "o_res_old", "桂花苑垃圾桶满了没人清"))
    server.poster.image("o_res_old", media_id="media_gone")  # WeChat answers 40007 for it
    assert fetch_photos(server.sweep_deps, server.clock()).counts == {"expired": 1}
    [photo] = photos(server)
    assert photo.status == PhotoStatus.EXPIRED and photo.attempts == 1 and "40007" in (photo.last_error or "")
    for hours in (1, 5, 30):
        assert fetch_photos(server.sweep_deps, server.clock() + timedelta(hours=hours)).counts == {}
    assert fake_wechat.media_requests == ["media_gone"]
    page = signed_in(server, "boss").get(f"/tickets/{number}").text
    assert 'data-photo-status="expired"' in page and "已失效，未能保存" in page and "40007" in page


def test_a_passing_failure_is_retried_later_and_a_non_image_is_refused(
    server: Running, fake_wechat: FakeWeChat
) -> None:
    image = png(40, 30)
    fake_wechat.add_media("media_busy", image, "image/png")
    fake_wechat.add_media("media_page", b"<html>not a photo</html>", "image/jpeg")
    say(server, "o_res_busy", "桂花苑3栋楼道灯坏了")
    server.poster.image("o_res_busy", media_id="media_busy")
    say(server, "o_res_page", "银杏院门口井盖松了")
    server.poster.image("o_res_page", media_id="media_page")
    fake_wechat.fail_next(-1, kind="media")  # system busy, once
    now = server.clock()
    assert fetch_photos(server.sweep_deps, now).counts == {"pending": 1, "refused": 1}
    busy, page = photos(server)
    assert busy.status == PhotoStatus.PENDING and busy.attempts == 1 and busy.next_attempt_at is not None
    assert page.status == PhotoStatus.REFUSED and page.data is None and "image/jpeg" in (page.last_error or "")
    assert fetch_photos(server.sweep_deps, now + timedelta(seconds=30)).counts == {}  # not due yet
    assert fetch_photos(server.sweep_deps, now + timedelta(minutes=2)).counts == {"stored": 1}
    assert photos(server)[0].data == image
    assert fake_wechat.media_requests == ["media_busy", "media_page", "media_busy"]


def test_a_photo_wechat_never_hands_over_expires_after_its_three_days(server: Running, fake_wechat: FakeWeChat) -> None:
    say(server, "o_res_down", "桂花苑3栋楼道灯坏了")
    server.poster.image("o_res_down", media_id="media_down")
    fake_wechat.add_media("media_down", png())
    fake_wechat.fail_next(-1, times=100, kind="media")
    moment, outcomes = server.clock(), []
    for _ in range(60):
        outcomes += list(fetch_photos(server.sweep_deps, moment).counts)
        moment += timedelta(hours=2)
    [photo] = photos(server)
    assert photo.status == PhotoStatus.EXPIRED and "3 天" in (photo.last_error or "")
    assert outcomes[-1] == "expired" and len(fake_wechat.media_requests) == photo.attempts < 60


def test_without_credentials_the_page_says_why_a_photo_is_not_kept(
    start_server: Callable[..., Running], fake_wechat: FakeWeChat
) -> None:
    server = start_server(wechat_app_id="", wechat_app_secret="")
    number = number_in(say(server, "o_res_nocred", "桂花院子3栋门口的路灯坏了"))
    server.poster.image("o_res_nocred", "http://mmbiz.qpic.cn/lamp.jpg", media_id="media_lamp")
    assert server.sweep_deps.media is None and "photos" not in run_all(server.sweep_deps, server.clock(), drain=False)
    page = signed_in(server, "boss").get(f"/tickets/{number}").text
    assert "没有设置微信 AppID 和 AppSecret" in page and "正在从微信取回" not in page
    assert 'href="http://mmbiz.qpic.cn/lamp.jpg"' in page and fake_wechat.media_requests == []

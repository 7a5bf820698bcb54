"""The chat simulator at /simulator (DESIGN.md §4): play a resident or a cadre in a phone-sized chat.

Messages go through the real path: the server plays WeChat, signs (and in safe mode encrypts) the
XML and posts it to /wechat over HTTP; pushes come from the outbox drain through ScreenSender.
Open to everyone while the demo org chart is loaded, else to admins; on a real org chart only
invented residents (openid `sim-…`) can be played and the time machine is not offered.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import resources
from typing import Any, Protocol

import bottle

from handlers import simulation
from handlers.workcalendar import WorkCalendar
from storage.db import Database
from web.simulator_wechat import Feeds, StandInError, WeChatStandIn

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_LABEL_CHARS = 60
PHOTOS_KEPT_BYTES = 64 * 1024 * 1024
SWEEP_ROUNDS = 4
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the openid field around the photo
_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
)
_STATIC = {"simulator.js": "application/javascript", "simulator.css": "text/css"}
WEEKDAYS = "一二三四五六日"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SettableClock(Protocol):
    """The server's clock, which the time machine moves forward."""

    def __call__(self) -> datetime: ...

    def set(self, moment: datetime) -> None: ...


@dataclass(frozen=True)
class SimulatorDeps:
    """What the simulator works with; built by the wiring."""

    db: Database
    calendar: WorkCalendar
    clock: SettableClock
    feeds: Feeds
    stand_in: WeChatStandIn
    is_demo: Callable[[], bool]
    is_admin: Callable[[bottle.BaseRequest], bool]
    run_sweeps: Callable[[datetime], Mapping[str, Mapping[str, int]]]
    pushes_shown: Callable[[], bool]  # whether the outbox is drained for simulator personas
    listen_host: str = "127.0.0.1"


class Refused(Exception):
    """A request the simulator answers with a clear Chinese message and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PhotoStore:
    """Uploaded photos in memory, the oldest dropped beyond a byte budget."""

    def __init__(self, budget: int = PHOTOS_KEPT_BYTES) -> None:
        self._budget = budget
        self._lock = threading.Lock()
        self._photos: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._size = 0

    def add(self, data: bytes, mime: str, ext: str) -> str:
        name = f"{secrets.token_hex(8)}.{ext}"
        with self._lock:
            self._photos[name] = (data, mime)
            self._size += len(data)
            while self._size > self._budget and len(self._photos) > 1:
                _, (old, _) = self._photos.popitem(last=False)
                self._size -= len(old)
        return name

    def get(self, name: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._photos.get(name)


def image_type(data: bytes) -> tuple[str, str] | None:
    """(extension, MIME type) when data starts like a JPEG, PNG, GIF or WebP picture, else None."""
    for magic, ext, mime in _IMAGE_TYPES:
        if data.startswith(magic):
            return ext, mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def local_label(moment: datetime, calendar: WorkCalendar) -> str:
    local = moment.astimezone(calendar.tz)
    return f"{local:%m-%d} 周{WEEKDAYS[local.weekday()]} {local:%H:%M}"


def time_machine_target(step: str, now: datetime, calendar: WorkCalendar) -> datetime:
    """Where a time-machine button takes the clock."""
    match step:
        case "hours4":
            return now + timedelta(hours=4)
        case "day1" | "day2":
            return calendar.add_working_days(now, 1 if step == "day1" else 2)
        case "tuesday":
            local = now.astimezone(calendar.tz)
            days = (1 - local.weekday()) % 7 or 7
            return datetime.combine(local.date() + timedelta(days=days), time(9, 30), tzinfo=calendar.tz)
    raise Refused(400, "没有这个快进选项。")


def make_simulator_app(deps: SimulatorDeps) -> bottle.Bottle:
    """The bottle app of /simulator and its JSON API; the wiring merges it next to /wechat."""
    app = bottle.Bottle()
    photos = PhotoStore()
    page_html = resources.files("web").joinpath("static/simulator.html").read_text(encoding="utf-8")

    def headers() -> None:
        for header, value in SECURITY_HEADERS.items():
            bottle.response.set_header(header, value)

    def allowed() -> bool:
        return deps.is_demo() or deps.is_admin(bottle.request)

    def api(view: Callable[..., dict[str, Any]], *, write: bool = False) -> Callable[..., str]:
        """A JSON endpoint: access checked, Refused turned into {"error": …} with its status."""

        def wrapper(**kwargs: Any) -> str:
            headers()
            bottle.response.content_type = "application/json; charset=utf-8"
            try:
                if not allowed():
                    raise Refused(403, NOT_ALLOWED)
                if write and bottle.request.get_header("X-Simulator") != "1":
                    # A custom header cannot be sent cross-site without a CORS preflight we never grant.
                    raise Refused(403, "请从模拟器页面发送。")
                result = view(**kwargs)
            except Refused as exc:
                bottle.response.status = exc.status
                result = {"error": exc.message}
            return json.dumps(result, ensure_ascii=False)

        return wrapper

    def page() -> str:
        headers()
        bottle.response.content_type = "text/html; charset=utf-8"
        if not allowed():
            bottle.response.status = 403
            return FORBIDDEN_PAGE
        return page_html

    def static(name: str) -> bytes:
        if name not in _STATIC:
            raise bottle.HTTPError(404, "not found")
        headers()
        bottle.response.content_type = f"{_STATIC[name]}; charset=utf-8"
        return resources.files("web").joinpath(f"static/{name}").read_bytes()

    def persona(value: object) -> str:
        """A playable openid: an invented resident, or on the demo an active cadre bound to an openid."""
        openid = value if isinstance(value, str) else ""
        if simulation.NEW_RESIDENT.fullmatch(openid):
            return openid
        if deps.is_demo() and any(p.openid == openid for p in simulation.cadre_personas(db=deps.db)):
            return openid
        shown = openid[:40] or "（空）"  # the page shows it as text, never as HTML
        raise Refused(404, f"没有这个身份：{shown}。请在“换身份”里从列表中选一个，或新建一位居民。")

    def json_body() -> dict[str, Any]:
        try:
            body = bottle.request.json
        except bottle.HTTPError:
            raise Refused(413, f"内容太长了：一条消息最多 {MAX_TEXT_CHARS} 字。") from None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Refused(400, "请求格式不对（需要 JSON）。")
        return body

    def webhook_url() -> str:
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(deps.listen_host, deps.listen_host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{bottle.request.environ.get('SERVER_PORT', '80')}/wechat"

    def deliver(openid: str, msg_type: str, fields: dict[str, str | int | float]) -> dict[str, Any]:
        try:
            reply = deps.stand_in.send(webhook_url(), openid, msg_type, fields)
        except StandInError as exc:
            log.warning("simulator: %s", exc)
            deps.feeds.add(openid, "note", "text", f"消息没有送达：{exc}")
            raise Refused(502, f"消息没有送达：{exc}") from None
        if reply:
            deps.feeds.add(openid, "bot", "text", reply)
        return {"reply": reply}

    def state() -> dict[str, Any]:
        demo = deps.is_demo()
        cadres = simulation.cadre_personas(db=deps.db)
        return {
            "demo": demo,
            "time_machine": demo,
            "pushes_shown": deps.pushes_shown(),
            "now": local_label(deps.clock(), deps.calendar),
            "cadres": [
                {"openid": p.openid, "name": p.name, "detail": p.detail, "playable": demo and p.openid is not None}
                for p in cadres
            ],
            "residents": [
                {"openid": p.openid, "name": p.name, "detail": p.detail}
                for p in simulation.resident_personas(db=deps.db)
            ],
            "courtyards": [
                {"name": c.name, "lat": c.lat, "lon": c.lon} for c in simulation.courtyard_points(db=deps.db)
            ],
        }

    def new_resident() -> dict[str, Any]:
        openid = f"{simulation.SIM_PREFIX}{secrets.token_hex(6)}"
        deliver(openid, "event", {"Event": "subscribe", "EventKey": ""})
        return {"openid": openid, "name": f"居民 {openid.removeprefix(simulation.SIM_PREFIX)[:4]}"}

    def send() -> dict[str, Any]:
        body = json_body()
        openid = persona(body.get("openid"))
        kind = body.get("kind")
        if kind in ("text", "voice"):
            text = body.get("text")
            if not isinstance(text, str) or not text.strip():
                raise Refused(400, "请先输入内容。" if kind == "text" else "请写下这段语音说了什么。")
            if len(text) > MAX_TEXT_CHARS:
                raise Refused(413, f"这条消息有 {len(text)} 字，太长了：一条消息最多 {MAX_TEXT_CHARS} 字，请分几条发。")
            deps.feeds.add(openid, "me", kind, text)
            if kind == "text":
                return deliver(openid, "text", {"Content": text})
            return deliver(
                openid, "voice", {"MediaId": f"sim_voice_{secrets.token_hex(4)}", "Format": "amr", "Recognition": text}
            )
        if kind == "location":
            lat, lon = _coordinate(body.get("lat"), 90), _coordinate(body.get("lon"), 180)
            if lat is None or lon is None:
                raise Refused(400, "位置要有纬度（-90 到 90）和经度（-180 到 180），例如 30.99, 103.62。")
            label = body.get("label") if isinstance(body.get("label"), str) else ""
            label = str(label).strip()[:MAX_LABEL_CHARS]
            place = f"{lat:.4f}, {lon:.4f}"
            deps.feeds.add(openid, "me", "location", f"{label}（{place}）" if label else place)
            return deliver(openid, "location", {"Location_X": lat, "Location_Y": lon, "Scale": 15, "Label": label})
        raise Refused(400, "只能发文字、语音、图片或位置。")

    def photo() -> dict[str, Any]:
        if bottle.request.content_length > MAX_PHOTO_BYTES + _FORM_OVERHEAD:
            raise Refused(413, f"照片太大了：最大 {MAX_PHOTO_BYTES // 1024 // 1024} MB。")
        openid = persona(bottle.request.forms.get("openid"))
        upload = bottle.request.files.get("photo")
        if not isinstance(upload, bottle.FileUpload):
            raise Refused(400, "请选一张照片。")
        data = upload.file.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise Refused(413, f"照片太大了：最大 {MAX_PHOTO_BYTES // 1024 // 1024} MB。")
        found = image_type(data)
        if found is None:
            raise Refused(415, "这不是照片：只能发 JPEG、PNG、GIF 或 WebP 图片。")
        ext, mime = found
        name = photos.add(data, mime, ext)
        url = f"{bottle.request.urlparts.scheme}://{bottle.request.urlparts.netloc}/simulator/photos/{name}"
        deps.feeds.add(openid, "me", "image", "照片", image=f"/simulator/photos/{name}")
        return deliver(openid, "image", {"PicUrl": url, "MediaId": f"sim_media_{name.split('.')[0]}"})

    def photo_file(name: str) -> bytes:
        headers()
        if not allowed():
            raise bottle.HTTPError(403, NOT_ALLOWED)
        found = photos.get(name)
        if found is None:
            raise bottle.HTTPError(404, "照片已不在模拟器里（只保留最近的照片）。")
        bottle.response.content_type = found[1]
        return found[0]

    def feed() -> dict[str, Any]:
        query = bottle.request.query
        openid = persona(query.get("openid"))
        try:
            after = max(0, int(query.get("after") or 0))
        except ValueError:
            after = 0
        tab = str(query.get("tab") or "")[:40]
        return {
            "entries": [e.as_json() for e in deps.feeds.since(openid, after)],
            "waiting": [
                {"id": w.outbox_id, "text": w.text, "held": w.held, "due": local_label(w.due_at, deps.calendar)}
                for w in simulation.waiting_pushes(db=deps.db, openid=openid, now=deps.clock())
            ],
            "others": deps.feeds.seen(openid, tab) if tab else 0,
            "now": local_label(deps.clock(), deps.calendar),
        }

    def time_machine() -> dict[str, Any]:
        if not deps.is_demo():
            raise Refused(403, "时光机只在演示组织架构下提供：正式台账的时间不能拨快。")
        step = json_body().get("step")
        target = time_machine_target(str(step), deps.clock(), deps.calendar)
        deps.clock.set(target)
        now = deps.clock()
        did: dict[str, dict[str, int]] = {}
        # A sweep takes one escalation step per ticket; serve's next sweeps would take the rest within
        # minutes, so the time machine runs them now (up to a few rounds) until nothing more is due.
        for _ in range(SWEEP_ROUNDS):
            reports = deps.run_sweeps(now)
            for name, counts in reports.items():
                for outcome, count in counts.items():
                    did.setdefault(name, {})[outcome] = did.get(name, {}).get(outcome, 0) + count
            if not any(sum(counts.values()) for counts in reports.values()):
                break
        return {"now": local_label(now, deps.calendar), "did": did}

    app.get("/simulator")(page)
    app.get("/simulator/static/<name>")(static)
    app.get("/simulator/photos/<name>")(photo_file)
    app.get("/simulator/api/state")(api(state))
    app.get("/simulator/api/feed")(api(feed))
    app.post("/simulator/api/new-resident")(api(new_resident, write=True))
    app.post("/simulator/api/send")(api(send, write=True))
    app.post("/simulator/api/photo")(api(photo, write=True))
    app.post("/simulator/api/time-machine")(api(time_machine, write=True))
    return app


def _coordinate(value: object, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


NOT_ALLOWED = "模拟器只对管理员开放：这里用的是正式组织架构。请用管理员账号登录后再打开。"
FORBIDDEN_PAGE = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>聊天模拟器 · 需要管理员登录</title></head>
<body style="font-family: sans-serif; max-width: 30em; margin: 3em auto; padding: 0 1em; line-height: 1.6">
<h1 style="font-size: 1.3em">聊天模拟器需要管理员登录</h1>
<p>{NOT_ALLOWED}</p>
<p>演示组织架构（柳街镇）下，模拟器对所有人开放。</p>
<p><a href="/login?next=/simulator">去登录</a></p>
</body></html>
"""

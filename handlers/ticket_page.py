"""One ticket as a leader reads it: its whole history, its reporters by role (never an openid), photos,
location, and every push sent about it with its channel and outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from handlers import texts
from storage import ledger_query
from storage import photos as photo_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.ledger_query import LedgerEntry, Scope

_URL = re.compile(r"https?://[^\s()（）]+")
_MEDIA_ID = re.compile(r"\(media_id [^)]*\)")
FILER = "首报居民"
SENT_LOCATION = "居民发送的位置"
COURTYARD_LOCATION = "院落位置（组织架构）"
CADRE_ENTRY = "干部代录"
PUSH_STATUS_NAMES = {
    "pending": "待发送",
    "sending": "发送中",
    "held": "暂存（对方 48 小时内未发消息，等其再发消息时送达）",
    "sent": "已送达",
    "failed": "发送失败",
}
CHANNEL_NAMES = {"custom": "客服消息", "template": "模板消息"}
PUSH_KIND_NAMES = {
    "new_task": "新任务",
    "accepted": "受理通知",
    "progress": "进展通知",
    "resolved": "办结通知",
    "transferred": "转办",
    "escalated": "上报",
    "supervised": "督办",
    "withdrawn": "撤回",
    "closed": "完结通知",
    "status": "进度通知",
    "reminder": "提醒",
    "escalation": "督办/上报",
    "survey": "回访评价",
    "digest": "汇总",
    "triage": "待归类",
    "seconded": "附议",
    "reopened": "重办",
    "overdue": "超期",
}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    what: str
    who: str
    note: str
    photo_url: str | None


@dataclass(frozen=True)
class Reporter:
    role: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Push:
    at: datetime
    to: str
    kind: str
    channel: str
    outcome: str
    attempts: int
    error: str | None
    sent_at: datetime | None


PHOTO_STATUS_NAMES = {
    "pending": "正在从微信取回",
    "stored": "已保存",
    "expired": "已失效，未能保存",
    "refused": "未保存",
}


@dataclass(frozen=True)
class Photo:
    """A photo a resident sent: kept here once fetched from WeChat (then shown from /tickets/N/photos/ID)."""

    id: int
    at: datetime
    status: str
    status_name: str
    attempts: int
    size: int | None
    reason: str | None
    wechat_url: str  # WeChat's own link (PicUrl), good for about 3 days


@dataclass(frozen=True)
class Location:
    """Where the problem is: the point a resident sent, else its courtyard's point in the org chart."""

    lat: float
    lon: float
    source: str


@dataclass(frozen=True)
class TicketView:
    entry: LedgerEntry
    location: Location | None
    places: list[ledger_query.Place]  # the town's courtyards with a location, for the small map
    history: list[HistoryLine]
    reporters: list[Reporter]
    pushes: list[Push]
    photos: list[Photo]

    def map_data(self) -> dict[str, Any]:
        """What the small map draws: the town's courtyards, and this ticket's point."""
        here = None
        if self.location:
            name = f"编号 {self.entry.id}"
            here = {"name": name, "label": name, "lat": self.location.lat, "lon": self.location.lon}
        return {"courtyards": [{"name": p.name, "lat": p.lat, "lon": p.lon} for p in self.places], "here": here}

    def kept(self, line: HistoryLine) -> bool:
        """Whether a photo line of the history has its photo in the photos section."""
        return any(p.wechat_url == line.photo_url for p in self.photos)


def photo(*, db: Database, scope: Scope, number: int, photo_id: int) -> tuple[str, bytes] | None:
    """A kept photo's content type and bytes, when its ticket exists and is in scope (else None, the same
    answer for a photo that does not exist)."""
    with db.snapshot() as session:
        if ledger_query.entry(session=session, scope=scope, ticket_id=number) is None:
            return None
        return photo_repo.image(session=session, ticket_id=number, photo_id=photo_id)


def load(*, db: Database, scope: Scope, number: int, tz: tzinfo) -> TicketView | None:
    """The ticket's page, or None when it does not exist or is outside scope (the same answer for both)."""
    with db.snapshot() as session:
        entry = ledger_query.entry(session=session, scope=scope, ticket_id=number)
        if entry is None:
            return None
        ticket = ticket_repo.get_ticket(session=session, ticket_id=number)
        assert ticket is not None
        filer, endorsers = ledger_query.ticket_people(session=session, ticket_id=number)
        cadre_names = {o.name for o in ledger_query.cadres(session=session)}
        events = ticket_repo.history(session=session, ticket_id=number)
        endorsements = ledger_query.endorsements_of(session=session, ticket_id=number)
        outbox = ledger_query.pushes_about(session=session, ticket_id=number)
        kept = photo_repo.of_ticket(session=session, ticket_id=number)
        places = ledger_query.places(session=session, scope=scope)
        cadre_by_openid = ledger_query.cadre_names_by_openid(
            session=session, openids=sorted({p.openid for p in outbox if p.audience == "cadre"})
        )

    def who(actor: str) -> str:
        if actor == "system":
            return "系统"
        if actor in cadre_names:
            return actor
        if actor == filer:
            return FILER
        return endorsers.get(actor, "居民")  # an openid is never shown

    history = []
    for event in events:
        url = _URL.search(event.note) if event.kind == "photo" else None
        note = _MEDIA_ID.sub("", event.note).strip() if event.kind == "photo" else event.note
        history.append(
            HistoryLine(
                at=event.at,
                what=texts.EVENT_NAMES.get(event.kind, event.kind),
                who=who(event.actor),
                note="照片" if url else note,
                photo_url=url.group() if url else None,
            )
        )
    reporters = [Reporter(CADRE_ENTRY if entry.entered_by_cadre else FILER, entry.created_at, entry.text)]
    if not entry.entered_by_cadre and filer is None:
        reporters = []
    reporters += [Reporter(f"附议居民{n}", e.at, e.text) for n, e in enumerate(endorsements, start=1)]
    pushes = []
    for push in outbox:
        if push.audience == "cadre":
            to = f"干部 {cadre_by_openid.get(push.openid, '')}".strip()
        else:
            to = FILER if push.openid == filer else endorsers.get(push.openid, "居民")
        pushes.append(
            Push(
                at=push.created_at,
                to=to,
                kind=PUSH_KIND_NAMES.get(push.kind, push.kind),
                channel=CHANNEL_NAMES.get(push.channel or "", "—"),
                outcome=PUSH_STATUS_NAMES.get(push.status, push.status),
                attempts=push.attempts,
                error=push.last_error,
                sent_at=push.sent_at,
            )
        )
    photos = [
        Photo(p.id, p.received_at, p.status, PHOTO_STATUS_NAMES.get(p.status, p.status), p.attempts, p.size,
              p.last_error, p.pic_url if _URL.fullmatch(p.pic_url) else "")
        for p in kept
    ]  # fmt: skip
    location = None
    if ticket.lat is not None and ticket.lon is not None:
        location = Location(ticket.lat, ticket.lon, SENT_LOCATION)
    else:
        yard = next((p for p in places if p.id == ticket.courtyard_id), None)
        location = Location(yard.lat, yard.lon, COURTYARD_LOCATION) if yard else None
    return TicketView(entry, location, places, history, reporters, pushes, photos)

"""Repository of the webhook's guards: signed URLs seen (replays), wrong 绑定 codes, message rates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func
from sqlmodel import Session, col, select

from storage.db import insert_once
from storage.models import BindFailure, InboundMessage, SignedRequest

# Built once: the webhook runs it for every message.
_MESSAGES_SINCE = (
    select(func.count())
    .select_from(InboundMessage)
    .where(
        InboundMessage.openid == bindparam("openid"),
        col(InboundMessage.received_at) >= bindparam("since"),
        InboundMessage.msg_type != "event",
    )
)


def messages_since(*, session: Session, openid: str, since: datetime) -> int:
    """How many messages (not events) openid sent since a moment, as the inbound log holds them."""
    return int(session.exec(_MESSAGES_SINCE, params={"openid": openid, "since": since}).one())


def remember_request(*, session: Session, key: str, body_hash: str, now: datetime) -> bool:
    """Record a signed URL and the body it came with; False when the URL was seen with another body."""
    if insert_once(session, SignedRequest, {"key": key, "body_hash": body_hash, "seen_at": now}):
        return True
    earlier = session.exec(select(SignedRequest.body_hash).where(SignedRequest.key == key)).one()
    return earlier == body_hash


def forget_requests(*, session: Session, before: datetime) -> int:
    """Drop signed URLs seen before a moment (older ones are refused by their timestamp anyway)."""
    result = session.execute(delete(SignedRequest).where(col(SignedRequest.seen_at) < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def add_bind_failure(*, session: Session, openid: str, now: datetime) -> None:
    session.add(BindFailure(openid=openid, at=now))
    session.flush()


def bind_failures_since(*, session: Session, since: datetime, openid: str | None = None) -> int:
    """Wrong 绑定 codes since a moment, of one person or (openid None) of everybody."""
    query = select(func.count()).select_from(BindFailure).where(col(BindFailure.at) >= since)
    if openid is not None:
        query = query.where(BindFailure.openid == openid)
    return int(session.exec(query).one())

"""Residents' photos kept with their ticket: recorded when the image message comes, fetched by a sweep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.models import PhotoStatus, TicketPhoto


class PhotoInfo(NamedTuple):
    """What a ticket page shows of a photo (never its bytes)."""

    id: int
    status: str
    received_at: datetime
    attempts: int
    pic_url: str
    size: int | None
    last_error: str | None


def add_pending(*, session: Session, ticket_id: int, media_id: str, pic_url: str, now: datetime) -> TicketPhoto:
    """Record a photo to fetch from WeChat as soon as the photo sweep runs."""
    photo = TicketPhoto(ticket_id=ticket_id, media_id=media_id, pic_url=pic_url, received_at=now, next_attempt_at=now)
    session.add(photo)
    session.flush()
    return photo


def due(*, session: Session, now: datetime, limit: int) -> Sequence[TicketPhoto]:
    """Photos whose next fetch is due, oldest first."""
    return session.exec(
        select(TicketPhoto)
        .where(col(TicketPhoto.status) == PhotoStatus.PENDING, col(TicketPhoto.next_attempt_at) <= now)
        .order_by(col(TicketPhoto.next_attempt_at), col(TicketPhoto.id))
        .limit(limit)
    ).all()


def get(*, session: Session, photo_id: int) -> TicketPhoto | None:
    return session.get(TicketPhoto, photo_id)


def of_ticket(*, session: Session, ticket_id: int) -> list[PhotoInfo]:
    """A ticket's photos in the order they came, without their bytes."""
    rows = session.execute(
        select_columns(
            col(TicketPhoto.id), col(TicketPhoto.status), col(TicketPhoto.received_at), col(TicketPhoto.attempts),
            col(TicketPhoto.pic_url), col(TicketPhoto.size), col(TicketPhoto.last_error),
        )
        .where(col(TicketPhoto.ticket_id) == ticket_id)
        .order_by(col(TicketPhoto.id))
    )  # fmt: skip
    return [PhotoInfo(*row) for row in rows]


def image(*, session: Session, ticket_id: int, photo_id: int) -> tuple[str, bytes] | None:
    """A stored photo's content type and bytes, when it belongs to that ticket."""
    row = session.execute(
        select_columns(col(TicketPhoto.content_type), col(TicketPhoto.data)).where(
            col(TicketPhoto.id) == photo_id,
            col(TicketPhoto.ticket_id) == ticket_id,
            col(TicketPhoto.status) == PhotoStatus.STORED,
        )
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), bytes(row[1])

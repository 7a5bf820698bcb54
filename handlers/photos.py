"""Residents' photos: fetched from WeChat's media API while WeChat still has them (3 days), kept with the ticket.

An image message records a pending photo with the ticket; this sweep fetches what is due, checks that it is
an image we keep (JPEG, PNG, GIF or WebP by its first bytes, at most MAX_PHOTO_BYTES), and retries what failed
for a passing reason with growing pauses until WeChat's 3 days are over. A media id WeChat calls invalid
(errcode 40007) is recorded as expired and never asked for again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.ports import MediaError, MediaFailure, MediaSource
from storage import photos as photo_repo
from storage.db import Database
from storage.models import PhotoStatus, TicketPhoto

log = logging.getLogger(__name__)

# WeChat's own limit for image media is 10 MB; a phone photo sent in chat is far smaller.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# WeChat keeps temporary media for 3 days after the message.
KEPT_BY_WECHAT = timedelta(days=3)
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
BATCH = 20
IMAGE_TYPES = {  # the first bytes of each image type we keep
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def sniff(data: bytes) -> str | None:
    """The image type data really is (by its first bytes), or None when it is none we keep."""
    for kind, starts in IMAGE_TYPES.items():
        if data.startswith(starts):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class PhotoReport:
    """What one run of the photo sweep did, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def fetch_due(*, db: Database, media: MediaSource, now: datetime, batch: int = BATCH) -> PhotoReport:
    """Fetch every photo due as of now (one database transaction each, none held during the download)."""
    tally: Counter[str] = Counter()
    while True:
        with db.transaction() as session:
            pending = [(p.id, p.media_id) for p in photo_repo.due(session=session, now=now, limit=batch)]
        for photo_id, media_id in pending:
            assert photo_id is not None
            tally[_fetch_one(db=db, media=media, photo_id=photo_id, media_id=media_id, now=now)] += 1
        if len(pending) < batch:
            return PhotoReport(dict(tally))


def _fetch_one(*, db: Database, media: MediaSource, photo_id: int, media_id: str, now: datetime) -> str:
    try:
        declared, data = media.fetch(media_id, limit=MAX_PHOTO_BYTES)
        failure = None
    except MediaError as exc:
        failure, reason = exc.failure, exc.reason
    with db.transaction() as session:
        photo = photo_repo.get(session=session, photo_id=photo_id)
        if photo is None or photo.status != PhotoStatus.PENDING:
            return "skipped"  # another run got there first
        photo.attempts += 1
        if failure is None:
            kind = sniff(data)
            if len(data) > MAX_PHOTO_BYTES:
                failure, reason = MediaFailure.REFUSED, f"照片超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB，未保存"
            elif kind is None:
                failure, reason = MediaFailure.REFUSED, f"不是可保存的图片（微信标注为 {declared or '未知类型'}）"
            else:
                photo.status, photo.content_type, photo.data, photo.size = PhotoStatus.STORED, kind, data, len(data)
                photo.fetched_at, photo.next_attempt_at, photo.last_error = now, None, None
        if failure is not None:
            _failed(photo, failure, reason, now)
        session.add(photo)
        outcome = str(photo.status)
    if failure is not None:
        log.warning("photo %d of ticket media %s: %s (%s)", photo_id, media_id[:12], outcome, reason)
    else:
        log.info("photo %d stored", photo_id)
    return outcome


def _failed(photo: TicketPhoto, failure: MediaFailure, reason: str, now: datetime) -> None:
    photo.last_error = reason[:500]
    later = now + RETRY_AFTER[min(photo.attempts, len(RETRY_AFTER)) - 1]
    if failure == MediaFailure.GONE:
        photo.status, photo.next_attempt_at = PhotoStatus.EXPIRED, None
    elif failure == MediaFailure.REFUSED:
        photo.status, photo.next_attempt_at = PhotoStatus.REFUSED, None
    elif later >= photo.received_at + KEPT_BY_WECHAT:
        photo.status, photo.next_attempt_at = PhotoStatus.EXPIRED, None
        photo.last_error = f"微信保存的 3 天内未能取回（最后一次：{reason}）"[:500]
    else:
        photo.next_attempt_at = later

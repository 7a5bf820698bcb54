"""The entry point for every inbound message: once-only handling, then the use case that fits it."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime

from sqlmodel import Session

from handlers import intake, resident, subscription, texts
from handlers.context import Context
from handlers.messages import Inbound
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.models import Resident

log = logging.getLogger(__name__)

_IGNORED_EVENTS = {"templatesendjobfinish", "view", "location", "click", "view_miniprogram"}


class Conversation:
    """Answers one inbound message; a redelivery of the same message gets the first answer again."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def handle(self, inbound: Inbound) -> str:
        try:
            with self.ctx.db.transaction() as session:
                now = self.ctx.clock()
                claimed = ticket_repo.claim_inbound(
                    session=session,
                    key=inbound.key,
                    openid=inbound.openid,
                    msg_type=inbound.kind,
                    content=inbound.content(),
                    now=now,
                )
                if claimed is None:
                    earlier = ticket_repo.inbound_by_key(session=session, key=inbound.key)
                    return earlier.reply if earlier else ""
                claimed.reply = self._answer(session, inbound, now)
                session.add(claimed)
                return claimed.reply
        except Exception:
            log.exception("handling %s from %s failed", inbound.key, inbound.openid)
            self._record_failure(inbound, traceback.format_exc())
            return texts.SERVER_TROUBLE

    def _answer(self, session: Session, inbound: Inbound, now: datetime) -> str:
        if inbound.kind == "event" and inbound.event == "unsubscribe":
            return subscription.on_unsubscribe(session=session, openid=inbound.openid, now=now)
        person = ticket_repo.touch_resident(session=session, openid=inbound.openid, now=now)
        # Writing to us reopens the person's 48-hour window: pushes held for them can go now.
        outbox_repo.release_held(session=session, openid=inbound.openid, now=now)
        ctx = self.ctx
        match inbound.kind:
            case "event":
                return self._event(session, inbound, person)
            case "text" | "voice":
                text = inbound.text or ""
                if inbound.kind == "voice" and not text.strip():
                    return texts.VOICE_NOT_RECOGNISED
                command = resident.parse_command(text)
                if command is not None:
                    return resident.run_command(session=session, ctx=ctx, resident=person, command=command, now=now)
                return intake.file_complaint(session=session, ctx=ctx, resident=person, text=text, now=now)
            case "image":
                return intake.attach_photo(
                    session=session,
                    ctx=ctx,
                    resident=person,
                    url=inbound.picture_url or "",
                    media_id=inbound.media_id,
                    now=now,
                )
            case "location" if inbound.lat is not None and inbound.lon is not None:
                return intake.attach_location(
                    session=session,
                    ctx=ctx,
                    resident=person,
                    lat=inbound.lat,
                    lon=inbound.lon,
                    label=inbound.place_label,
                    now=now,
                )
            case _:
                return texts.UNSUPPORTED_TYPE

    def _event(self, session: Session, inbound: Inbound, person: Resident) -> str:
        if inbound.event == "subscribe":
            return subscription.on_subscribe(session=session, resident=person, event_key=inbound.event_key)
        if inbound.event == "scan":
            return subscription.on_scan(session=session, resident=person, event_key=inbound.event_key)
        if inbound.event not in _IGNORED_EVENTS:
            log.info("ignoring event %s from %s", inbound.event, inbound.openid)
        return ""

    def _record_failure(self, inbound: Inbound, error: str) -> None:
        """Keep what the person said even though handling failed, so a person can follow it up."""
        try:
            with self.ctx.db.transaction() as session:
                row = ticket_repo.claim_inbound(
                    session=session,
                    key=inbound.key,
                    openid=inbound.openid,
                    msg_type=inbound.kind,
                    content=inbound.content(),
                    now=self.ctx.clock(),
                )
                if row is not None:
                    row.reply = texts.SERVER_TROUBLE
                    row.error = error[-4000:]
                    session.add(row)
        except Exception:
            log.exception("could not record the failed message %s: %r", inbound.key, inbound.content())

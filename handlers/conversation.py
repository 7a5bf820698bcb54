"""The entry point for every inbound message: once-only handling, then the use case that fits it."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime

from sqlmodel import Session

from handlers import binding, cadre, commands, held, intake, resident, subscription, survey, texts
from handlers.context import Context
from handlers.messages import Inbound
from storage import org as org_repo
from storage import state as state_repo
from storage import tickets as ticket_repo
from storage.models import Cadre, Resident

log = logging.getLogger(__name__)

CONFIRM_COMPLAINT = "confirm_complaint"
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
        known = ticket_repo.resident_by_openid(session=session, openid=inbound.openid)
        last_wrote = known.last_message_at if known is not None else None
        person = ticket_repo.touch_resident(session=session, openid=inbound.openid, now=now)
        # Writing to us reopens the person's 48-hour window: what was held for them goes, as one push.
        held.release(session=session, openid=inbound.openid, now=now, since=last_wrote)
        ctx = self.ctx
        if inbound.kind == "event":
            return self._event(session, inbound, person)
        if inbound.kind == "voice" and not (inbound.text or "").strip():
            return texts.VOICE_NOT_RECOGNISED
        if inbound.kind in ("text", "voice"):
            return self._text(session, person, inbound.text or "", now)
        if inbound.kind in ("image", "location") and org_repo.active_cadre_by_openid(
            session=session, openid=inbound.openid
        ):
            return texts.CADRE_MEDIA
        if inbound.kind == "image":
            return intake.attach_photo(
                session=session,
                ctx=ctx,
                resident=person,
                url=inbound.picture_url or "",
                media_id=inbound.media_id,
                now=now,
            )
        if inbound.kind == "location" and inbound.lat is not None and inbound.lon is not None:
            return intake.attach_location(
                session=session,
                ctx=ctx,
                resident=person,
                lat=inbound.lat,
                lon=inbound.lon,
                label=inbound.place_label,
                now=now,
            )
        return texts.UNSUPPORTED_TYPE

    def _text(self, session: Session, person: Resident, text: str, now: datetime) -> str:
        """Text (or a voice transcript): binding, cadre commands, resident commands, survey, or a complaint."""
        ctx = self.ctx
        bind = commands.parse(text, ("绑定",))
        if bind is not None:
            return binding.bind(session=session, openid=person.openid, code=bind.tail, now=now)
        cadre_row = org_repo.active_cadre_by_openid(session=session, openid=person.openid)
        if cadre_row is not None:
            reply = self._cadre_text(session, cadre_row, person, text, now)
            if reply is not None:
                return reply
        else:
            attempted = commands.parse(text, cadre.WORDS)
            if attempted is not None and (attempted.number is not None or len(attempted.rest) <= 12):
                return texts.NOT_A_CADRE.format(command=attempted.word)
        command = resident.parse_command(text)
        if command is not None:
            return resident.run_command(session=session, ctx=ctx, resident=person, command=command, now=now)
        survey_answer = survey.parse_answer(text)
        if survey_answer is not None:
            digit, reason = survey_answer
            reply = survey.answer(
                session=session, calendar=ctx.calendar, resident=person, digit=digit, reason=reason, now=now
            )
            return reply or texts.NO_SURVEY_PENDING
        return intake.file_complaint(session=session, ctx=ctx, resident=person, text=text, now=now)

    def _cadre_text(self, session: Session, cadre_row: Cadre, person: Resident, text: str, now: datetime) -> str | None:
        """A bound cadre's text; None when it is one of the resident commands or a survey answer."""
        cleaned = commands.normalise(text)
        waiting = state_repo.get_state(session=session, openid=person.openid)
        if cleaned in ("确认", "取消"):
            if waiting is None or waiting.state != CONFIRM_COMPLAINT:
                return texts.CADRE_NOTHING_TO_CONFIRM
            state_repo.clear_state(session=session, openid=person.openid)
            if cleaned == "取消":
                return texts.CADRE_CONFIRM_CANCELLED
            return intake.file_complaint(session=session, ctx=self.ctx, resident=person, text=waiting.payload, now=now)
        if cleaned == "帮助":
            return texts.CADRE_HELP
        command = commands.parse(text, cadre.WORDS)
        if command is not None:
            return cadre.run(session=session, ctx=self.ctx, cadre=cadre_row, command=command, now=now)
        if resident.parse_command(text) is not None or survey.parse_answer(text) is not None:
            return None
        if not cleaned:
            return texts.EMPTY_TEXT
        # A mistyped command must never become a ticket silently: ask first.
        state_repo.set_state(session=session, openid=person.openid, state=CONFIRM_COMPLAINT, payload=text, now=now)
        return texts.CADRE_NOT_A_COMMAND

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

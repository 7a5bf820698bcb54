"""The entry point for every inbound message: once-only handling, then the use case that fits it."""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

import nlp
from handlers import binding, cadre, commands, durability, held, intake, progress, resident, subscription, survey, texts
from handlers.commands import Audience, Call, Match, Registry
from handlers.context import Context
from handlers.durability import StoreHealth
from handlers.messages import Inbound
from storage import first_look as look
from storage import outbox as outbox_repo
from storage import state as state_repo
from storage import tickets as ticket_repo
from storage.db import is_stale_connection, is_unavailable
from storage.journal import Journal
from storage.models import Cadre, Resident

log = logging.getLogger(__name__)

CONFIRM_COMPLAINT = "confirm_complaint"
AWAITING_DETAILS = "awaiting_details"  # "我想反映个事情": the next message is the complaint
DETAILS_WAIT = timedelta(minutes=30)
COMPLAINT, SMALLTALK, PROGRESS, PRELUDE, QUESTION = "complaint", "smalltalk", "progress", "prelude", "question"
_DIGIT = re.compile(r"\d|[一二三四五六七八九十]")
_THANKS = re.compile(r"谢|感谢|辛苦|巴适|点赞|给力|好评|多亏")
# After "我想反映个事情" any next message is the complaint, except one that calls it off.
_CALLED_OFF = re.compile(r"^(算了|没事了?|不用了?|好的|好|谢谢|嗯+|哦+|ok|OK)$")
# A greeting is not the details either: the bot asks again and keeps waiting.
_GREETING = re.compile(r"^(你好|您好|在吗|在不在|有人吗|喂|嗨|hi|hello)[呀啊哈吗么!！~～。.？?]*$", re.IGNORECASE)
# "Are you there?": a person checking that somebody is listening before they say what happened.
_ARE_YOU_THERE = re.compile(
    r"^((你好|您好|喂|嗨|hi|hello)[呀啊,，、 ]*)?"
    r"(在吗|在么|在嘛|在不在|在没|在不|在线吗|有人吗|有人在吗|有没有人|有人没|有人不|人呢|有人在不)"
    r"[呀啊哈吗么呢!！~～。.？?…]*$",
    re.IGNORECASE,
)

# Every chat command, in the order the dispatcher tries them within an audience (see Conversation._text).
REGISTRY = Registry(binding.COMMANDS, cadre.COMMANDS, resident.COMMANDS)
_IGNORED_EVENTS = {"templatesendjobfinish", "view", "location", "click", "view_miniprogram"}
# More than this many messages a minute from one resident is a flood: kept, not filed.
FLOOD_LIMIT = 8
FLOOD_WINDOW = timedelta(minutes=1)
SHORT_COMMAND_CHARS = 12


class NotStored(Exception):
    """Neither the database nor the journal could keep a message: it must not be acknowledged."""


class Refused(Exception):
    """The check handed to Conversation.handle turned the message down (a replayed signed URL)."""


# Run first in the message's own transaction; False refuses the message (nothing of it is kept).
Check = Callable[[Session], bool]


class Conversation:
    """Answers one inbound message; a redelivery of the same message gets the first answer again.

    When the database cannot take a message it goes to the journal (if one is given), and
    `replay_journal` moves it into the database later.
    """

    def __init__(self, ctx: Context, *, journal: Journal | None = None, health: StoreHealth | None = None) -> None:
        self.ctx = ctx
        self.journal = journal
        self.health = health or StoreHealth()
        self.journaled = threading.Event()  # set whenever a message goes to the journal
        self._replaying = threading.Lock()

    def handle(self, inbound: Inbound, *, check: Check | None = None) -> str:
        """The answer to inbound, given only once what it promises is stored; raises NotStored when
        neither the database nor the journal could keep the message (it must not be acknowledged),
        and Refused when check, run in the message's transaction, turns it down."""
        if self.journal is not None and (not self.health.ok or self.journal.holds_sender(inbound.openid)):
            # The sender's older messages wait in the journal: this one queues behind them, so a
            # person's messages are handled in the order they were sent (anybody else's go straight
            # in). While the database is known to be down, the answer comes at once instead of
            # after a wait for it.
            earlier = self._answered_before(inbound)
            return earlier if earlier is not None else self.keep_for_later(inbound)
        if self.ctx.db.writer_stuck():
            # This message does not queue behind the stuck write; the next one looks again (the
            # database is not marked down for everybody: under load that sent every sender to the journal).
            log.info("a write is stuck waiting for the database: %s goes to the journal", inbound.key)
            return self.keep_for_later(inbound)
        try:
            try:
                reply = self._handle_in_database(inbound, check)
            except Exception as exc:
                if not is_stale_connection(exc):
                    raise
                log.info("a pooled connection had died (%s): %s tried again", type(exc).__name__, inbound.key)
                reply = self._handle_in_database(inbound, check)
        except Refused:
            raise
        except Exception as exc:
            if not is_unavailable(exc):
                log.exception("handling %s from %s failed", inbound.key, inbound.openid)
                if self._record_failure(inbound, traceback.format_exc()):
                    return texts.SERVER_TROUBLE
            else:
                log.warning("database unavailable for %s: %s", inbound.key, exc)
            self.health.mark(ok=False, reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return self.keep_for_later(inbound)
        self.health.mark(ok=True)
        return reply

    def _answered_before(self, inbound: Inbound) -> str | None:
        """The reply a WeChat retry of an already stored message was given, read without waiting
        for a writer; None when it is not stored or the database cannot say."""
        if not self.health.ok:
            return None
        try:
            with self.ctx.db.snapshot() as session:
                earlier = ticket_repo.inbound_by_key(session=session, key=inbound.key)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            return None
        return earlier.reply if earlier else None

    def _handle_in_database(self, inbound: Inbound, check: Check | None = None) -> str:
        # Grouped: on SQLite, messages arriving together share one commit; the answer still waits for it.
        with self.ctx.db.transaction(group=True) as session:
            if check is not None and not check(session):
                raise Refused(inbound.key)
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
            reply = self._answer_unless_flooding(session, inbound, now)
            ticket_repo.set_inbound_reply(session=session, inbound_id=claimed, reply=reply)
            return reply

    def _answer_unless_flooding(self, session: Session, inbound: Inbound, now: datetime) -> str:
        """The answer; a person sending more than FLOOD_LIMIT messages a minute is asked to slow down
        (the message stays in the inbound log, but files nothing and pushes nothing)."""
        # A short command (查询, 查询 3, 帮助, 撤回 3) files and pushes nothing: answered however fast it comes.
        typed = commands.normalise(inbound.text or "") if inbound.kind == "text" else ""
        command = 0 < len(typed) <= SHORT_COMMAND_CHARS and REGISTRY.match(typed, tuple(Audience)) is not None
        first = look.first_look(
            session=session, openid=inbound.openid, since=now - FLOOD_WINDOW, own_since=now - intake.FLOOD_WINDOW
        )
        if inbound.kind != "event" and not command:
            recent = first.recent
            if recent > FLOOD_LIMIT and not self.ctx.org.cadre_by_openid(session, inbound.openid):
                log.info("%s sends too fast (%d messages in %s)", inbound.openid, recent, FLOOD_WINDOW)
                return texts.SLOW_DOWN
        return self._answer(session, inbound, now, first)

    def keep_for_later(self, inbound: Inbound) -> str:
        """Keep inbound in the local journal and say so; NotStored when that fails too."""
        if self.journal is None:
            raise NotStored(inbound.key)
        try:
            earlier = self.journal.find(inbound.key)
            if earlier is not None:  # WeChat's retry of a message already kept
                return str(earlier.get("reply", texts.KEPT_FOR_LATER))
            self.journal.append(durability.to_record(inbound, reply=texts.KEPT_FOR_LATER, now=self.ctx.clock()))
        except OSError:  # JournalError, or the journal's folder cannot even be looked at
            log.exception("could not journal %s either: it is not acknowledged", inbound.key)
            raise NotStored(inbound.key) from None
        self.journaled.set()
        return texts.KEPT_FOR_LATER

    def replay_journal(self) -> int:
        """Move journaled messages into the database in order, each handled as if it had just come,
        its answer pushed to the person; stops at the first database failure. How many moved."""
        if self.journal is None or self.journal.is_empty():
            return 0
        with self._replaying:
            done: set[str] = set()
            try:
                for record in self.journal.records():
                    try:
                        self._replay(record)
                    except Exception as exc:
                        if is_unavailable(exc):
                            raise
                        # A record that cannot be replayed must not hold up those behind it.
                        log.exception("journaled record %r cannot be replayed: set aside", record)
                        self.journal.set_aside(record)
                    done.add(str(record.get("key")))
            except Exception as exc:
                self.health.mark(ok=False, reason=str(exc).splitlines()[0])
            finally:
                self.journal.remove(done)
            if done:
                log.info("replayed %d journaled messages into the database", len(done))
            return len(done)

    def _replay(self, record: durability.Record) -> None:
        inbound = durability.from_record(record)
        received_at = datetime.fromisoformat(str(record["received_at"]))
        with self.ctx.db.transaction() as session:
            claimed = _claim(session, inbound, received_at)
            if claimed is None:
                return  # already in the database (replayed before a crash, or a retry stored it)
            error: str | None = None
            now = self.ctx.clock()
            excerpt = texts.excerpt(inbound.content() or inbound.kind, 20)
            try:
                with session.begin_nested():
                    answer = self._answer_unless_flooding(session, inbound, now)
                late = texts.LATE_ANSWER.format(at=self.ctx.local_time(received_at), excerpt=excerpt, answer=answer)
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                log.exception("handling journaled %s failed", inbound.key)
                error = traceback.format_exc()[-4000:]
                late = texts.LATE_FAILED.format(at=self.ctx.local_time(received_at), excerpt=excerpt)
                answer = late
            reply = str(record.get("reply", texts.KEPT_FOR_LATER))
            ticket_repo.set_inbound_reply(session=session, inbound_id=claimed, reply=reply, error=error)
            if answer:
                cadre = self.ctx.org.cadre_by_openid(session, inbound.openid)
                outbox_repo.enqueue(
                    session=session,
                    openid=inbound.openid,
                    audience="cadre" if cadre else "resident",
                    kind="late_answer",
                    text=late,
                    now=now,
                )

    def _answer(self, session: Session, inbound: Inbound, now: datetime, first: look.FirstLook) -> str:
        if inbound.kind == "event" and inbound.event == "unsubscribe":
            return subscription.on_unsubscribe(session=session, openid=inbound.openid, now=now)
        known = first.resident
        last_wrote = known.last_message_at if known is not None else None
        person = ticket_repo.touch_resident(session=session, openid=inbound.openid, now=now, known=known)
        if known is None and person.id is not None:  # their first message: they filed nothing before it
            ticket_repo.note_none_filed(session=session, resident_id=person.id, since=now - intake.FLOOD_WINDOW)
        if first.held:
            # Writing to us reopens the person's 48-hour window: what was held for them goes, as one push.
            held.release(session=session, openid=inbound.openid, now=now, since=last_wrote)
        ctx = self.ctx
        if inbound.kind == "event":
            return self._event(session, inbound, person)
        if inbound.kind == "voice" and not (inbound.text or "").strip():
            return texts.VOICE_NOT_RECOGNISED
        if inbound.kind in ("text", "voice"):
            return self._text(session, person, inbound.text or "", now)
        if inbound.kind in ("image", "location") and self.ctx.org.cadre_by_openid(session, inbound.openid):
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
        return texts.UNSUPPORTED_BY_TYPE.get(inbound.kind, texts.UNSUPPORTED_TYPE)

    def _text(self, session: Session, person: Resident, text: str, now: datetime) -> str:
        """Text (or a voice transcript), tried in this order — the first that takes it answers:

        1. `绑定 CODE`, from anyone;
        2. a bound cadre: `确认`/`取消` of free text waiting, then the cadre commands (registry order),
           then — for a cadre who is also a resident — the resident commands and survey answers below;
           any other text is acknowledged (收到, 好的, small talk) or asked to be confirmed as a complaint;
        3. anyone else typing a cadre command is told it is for cadres;
        4. the resident commands (registry order), then a survey answer (1/2/3, 满意 …);
        5. the message after "我想反映个事情" is the complaint, whatever it looks like, unless it is a greeting
           or a question about how an earlier report is going;
        6. what the message is (Analysis.intent): small talk and thanks are answered warmly, a question
           about my report answers with its status, a prelude is asked for the details, and a complaint —
           or a question on a department's topic (routed by its topic like a complaint) — is filed.
        """
        if not commands.normalise(text):
            return texts.EMPTY_TEXT
        match = REGISTRY.match(text, (Audience.ANYONE,))
        cadre_row = self.ctx.org.cadre_by_openid(session, person.openid)
        if match is None and cadre_row is not None:
            reply = self._cadre_text(session, cadre_row, person, text, now)
            if reply is not None:
                return reply
        elif match is None:
            attempted = REGISTRY.match(text, (Audience.CADRE,))
            if attempted is not None and attempted.declared.help and (
                attempted.command.numbers or len(attempted.command.rest) <= resident.COMMAND_TAIL_CHARS
            ):
                return texts.NOT_A_CADRE.format(command=attempted.command.word)
        match = match or REGISTRY.match(text, (Audience.RESIDENT,))
        if match is not None:
            return self._run(session, person, cadre_row, match, now)
        meant = REGISTRY.near_miss(text, (Audience.ANYONE, Audience.RESIDENT))
        if meant is not None:
            return texts.DID_YOU_MEAN.format(meant=meant)
        survey_answer = survey.parse_answer(text)
        if survey_answer is not None:
            digit, reason = survey_answer
            reply = survey.answer(
                session=session, ctx=self.ctx, resident=person, digit=digit, reason=reason, now=now
            )
            return reply or texts.NO_SURVEY_PENDING
        analysis = self.ctx.analyzers.for_session(session).analyze(text)
        waiting = state_repo.get_state(session=session, openid=person.openid)
        if waiting is not None and waiting.state == AWAITING_DETAILS:
            state_repo.clear_state(session=session, openid=person.openid)
            fresh = now - waiting.updated_at <= DETAILS_WAIT
            if fresh and _GREETING.match(commands.normalise(text)):
                state_repo.set_state(
                    session=session, openid=person.openid, state=AWAITING_DETAILS, payload=waiting.payload, now=now
                )
                return texts.PRESENT if _ARE_YOU_THERE.match(commands.normalise(text)) else texts.PRELUDE_AGAIN
            if fresh and analysis.intent not in (PRELUDE, PROGRESS) and not _CALLED_OFF.match(commands.normalise(text)):
                return self._complaint(session, person, text, analysis, now)
        return self._by_intent(session, person, text, analysis, now)

    def _by_intent(self, session: Session, person: Resident, text: str, analysis: nlp.Analysis, now: datetime) -> str:
        intent = analysis.intent
        if not analysis.urgent and _ARE_YOU_THERE.match(commands.normalise(text)):
            return texts.PRESENT
        if analysis.urgent or (intent == COMPLAINT and not analysis.is_small_talk):
            return self._complaint(session, person, text, analysis, now)
        if intent == PROGRESS:
            return progress.answer(session=session, ctx=self.ctx, person=person, tokens=analysis.tokens)
        if intent == PRELUDE:
            state_repo.set_state(session=session, openid=person.openid, state=AWAITING_DETAILS, payload=text, now=now)
            return texts.PRELUDE
        if intent == QUESTION and analysis.category != nlp.OTHER:
            return self._complaint(session, person, text, analysis, now)
        return texts.THANKS if _THANKS.search(text) else texts.SMALL_TALK

    def _complaint(self, session: Session, person: Resident, text: str, analysis: nlp.Analysis, now: datetime) -> str:
        return intake.file_complaint(
            session=session, ctx=self.ctx, resident=person, text=text, analysis=analysis, now=now
        )

    def _run(self, session: Session, person: Resident, cadre_row: Cadre | None, match: Match, now: datetime) -> str:
        hint = commands.check(match)
        if hint is not None:
            return hint
        call = Call(session=session, ctx=self.ctx, person=person, cadre=cadre_row, command=match.command, now=now)
        return texts.fit(match.declared.run(call))

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
            analysis = self.ctx.analyzers.for_session(session).analyze(waiting.payload)
            return self._complaint(session, person, waiting.payload, analysis, now)
        match = REGISTRY.match(text, (Audience.CADRE,))
        if match is not None:
            return self._run(session, person, cadre_row, match, now)
        if REGISTRY.match(text, (Audience.RESIDENT,)) is not None or survey.parse_answer(text) is not None:
            return None
        if _ARE_YOU_THERE.match(cleaned):
            return texts.CADRE_PRESENT.format(name=cadre_row.name)
        meant = REGISTRY.near_miss(text, tuple(Audience))
        if meant is not None:  # "受里 3", "任物": a command with one character wrong, never a ticket or 收到
            state_repo.set_state(session=session, openid=person.openid, state=CONFIRM_COMPLAINT, payload=text, now=now)
            return texts.CADRE_DID_YOU_MEAN.format(meant=meant)
        analysis = self.ctx.analyzers.for_session(session).analyze(text)
        if analysis.intent == SMALLTALK and not analysis.urgent and not _DIGIT.search(cleaned):
            return texts.CADRE_ACKNOWLEDGED  # 收到, 好的, 辛苦了; "受里 3" is a mistyped command, not chat
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

    def _record_failure(self, inbound: Inbound, error: str) -> bool:
        """Keep what the person said even though handling failed, so a person can follow it up;
        False when the database would not take even that."""
        try:
            with self.ctx.db.transaction() as session:
                claimed = _claim(session, inbound, self.ctx.clock())
                if claimed is not None:
                    ticket_repo.set_inbound_reply(
                        session=session, inbound_id=claimed, reply=texts.SERVER_TROUBLE, error=error[-4000:]
                    )
        except Exception:
            log.exception("could not record the failed message %s", inbound.key)
            return False
        return True


def _claim(session: Session, inbound: Inbound, at: datetime) -> int | None:
    """Record the message once under its key; None when it was recorded before (a retry, a replay)."""
    return ticket_repo.claim_inbound(
        session=session,
        key=inbound.key,
        openid=inbound.openid,
        msg_type=inbound.kind,
        content=inbound.content(),
        now=at,
    )

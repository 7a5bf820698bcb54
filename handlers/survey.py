"""The satisfaction survey (回访) after 办结: 1 满意, 2 基本满意, 3 不满意 (reopens the ticket)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import lifecycle, notify, texts
from handlers.commands import normalise
from handlers.context import Context
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.models import Resident

_ANSWER = re.compile(r"^([123])(?:$|[\s，,。.、:：；;!！]+(.*))", re.S)
_WORDS = {"满意": "1", "基本满意": "2", "不满意": "3", "非常满意": "1", "还行": "2", "一般": "2"}
_SATISFACTION = {"1": "satisfied", "2": "basic", "3": "unsatisfied"}
MAX_REASON_CHARS = 200


def parse_answer(text: str) -> tuple[str, str] | None:
    """('1'|'2'|'3', reason) when text reads as a survey answer."""
    cleaned = normalise(text)
    if cleaned in _WORDS:
        return _WORDS[cleaned], ""
    for word, digit in sorted(_WORDS.items(), key=lambda item: -len(item[0])):
        if cleaned.startswith(word) and len(cleaned) > len(word) and cleaned[len(word)] in "，,。 ：:":
            return digit, cleaned[len(word) + 1 :].strip()
    match = _ANSWER.match(cleaned)
    if match is None:
        return None
    return match.group(1), (match.group(2) or "").strip()[:MAX_REASON_CHARS]


def answer(*, session: Session, ctx: Context, resident: Resident, digit: str, reason: str, now: datetime) -> str | None:
    """Record the answer on the ticket waiting for one that the resident reported or joined.

    Every reporter is asked; the first answer decides (1/2 close the ticket, 3 reopens it). An answer
    that comes after another reporter closed the ticket is recorded, and a 3 is passed to the cadre.
    None when no ticket of theirs is waiting.
    """
    assert resident.id is not None
    waiting = ticket_repo.awaiting_survey(session=session, resident_id=resident.id)
    if waiting is None:
        return _late(session, ctx, resident, digit, reason, now)
    ticket = ticket_repo.get_ticket_for_update(session=session, ticket_id=waiting.id or 0)
    assert ticket is not None and ticket.id is not None
    satisfaction = _SATISFACTION[digit]
    label = texts.SATISFACTION_NAMES[satisfaction]
    note = f"{label}：{reason}" if reason else label
    ticket_repo.add_event(session=session, ticket=ticket, kind="survey", actor=resident.openid, note=note, at=now)
    if digit != "3":
        lifecycle.close(
            session=session, ticket=ticket, actor=resident.openid, note="", now=now, satisfaction=satisfaction
        )
        return texts.SURVEY_THANKS.format(answer=label, number=ticket.id)
    ticket.satisfaction = satisfaction
    lifecycle.reopen(session=session, ticket=ticket, reason=reason, cal=ctx.calendar, now=now)
    because = f"（{reason}）" if reason else ""
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    if assignee is not None:
        notify.tell_cadre(
            session=session,
            cadre=assignee,
            kind="reopened",
            ticket_id=ticket.id,
            now=now,
            text=texts.TASK_REOPENED.format(number=ticket.id, reason=because),
        )
    if ticket.community_id is not None:
        for cadre in org_repo.community_cadres(session=session, community_id=ticket.community_id):
            if assignee is not None and cadre.id == assignee.id:
                continue
            notify.tell_cadre(
                session=session,
                cadre=cadre,
                kind="reopened",
                ticket_id=ticket.id,
                now=now,
                text=texts.COMMUNITY_REOPENED.format(
                    number=ticket.id,
                    courtyard=notify.courtyard_label(session, ticket),
                    reason=because,
                    assignee=assignee.name if assignee else "负责人",
                ),
            )
    return texts.SURVEY_REOPENED.format(number=ticket.id)


def _late(session: Session, ctx: Context, resident: Resident, digit: str, reason: str, now: datetime) -> str | None:
    """An answer after a neighbour's answer closed the ticket: kept in its history, a 3 told to the cadre."""
    assert resident.id is not None
    since = now - timedelta(days=ctx.calendar.policy.survey_close_days)
    ticket = ticket_repo.surveyed_lately(session=session, resident_id=resident.id, since=since)
    if ticket is None or ticket.id is None:
        return None
    answered = [e for e in ticket_repo.history(session=session, ticket_id=ticket.id) if e.kind == "survey"]
    if any(e.actor == resident.openid and e.at >= (ticket.resolved_at or e.at) for e in answered):
        return None  # they answered this round themselves
    label = texts.SATISFACTION_NAMES[_SATISFACTION[digit]]
    note = f"{label}：{reason}" if reason else label
    ticket_repo.add_event(session=session, ticket=ticket, kind="survey", actor=resident.openid, note=note, at=now)
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    forwarded = digit == "3" and assignee is not None
    if forwarded and assignee is not None:
        notify.tell_cadre(
            session=session,
            cadre=assignee,
            kind="survey_late",
            ticket_id=ticket.id,
            now=now,
            text=texts.SURVEY_LATE_TASK.format(
                number=ticket.id, answer=label, reason=f"（{reason}）" if reason else ""
            ),
        )
    return texts.SURVEY_LATE.format(
        number=ticket.id, answer=label, forwarded=texts.SURVEY_LATE_FORWARDED if forwarded else ""
    )

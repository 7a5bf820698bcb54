"""The satisfaction survey (回访) after 办结: 1 满意, 2 基本满意, 3 不满意 (reopens the ticket)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from handlers import notify, texts, timers
from handlers.commands import normalise
from handlers.policy import WorkCalendar
from storage import org as org_repo
from storage import tickets as ticket_repo
from storage.models import Resident, TicketStatus

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


def answer(
    *, session: Session, calendar: WorkCalendar, resident: Resident, digit: str, reason: str, now: datetime
) -> str | None:
    """Record the answer on the resident's ticket waiting for one; None when no ticket is waiting."""
    assert resident.id is not None
    ticket = ticket_repo.awaiting_survey(session=session, resident_id=resident.id)
    if ticket is None:
        return None
    ticket = ticket_repo.get_ticket_for_update(session=session, ticket_id=ticket.id or 0)
    assert ticket is not None and ticket.id is not None
    satisfaction = _SATISFACTION[digit]
    ticket.satisfaction = satisfaction
    label = texts.SATISFACTION_NAMES[satisfaction]
    note = f"{label}：{reason}" if reason else label
    ticket_repo.add_event(session=session, ticket=ticket, kind="survey", actor=resident.openid, note=note, at=now)
    if digit != "3":
        ticket_repo.set_status(session=session, ticket=ticket, status=TicketStatus.CLOSED, at=now)
        timers.on_finished(ticket)
        return texts.SURVEY_THANKS.format(answer=label, number=ticket.id)
    ticket.status, ticket.resolved_at = TicketStatus.ACCEPTED, None
    timers.on_reopened(ticket, calendar, now)
    ticket_repo.add_event(session=session, ticket=ticket, kind="reopened", actor="system", note=reason, at=now)
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

"""The one owner of a ticket's life: every change of status sets timestamps, timers and history together.

    new ──受理──▶ accepted ──办结──▶ resolved ──评价 1/2, 7天未评价──▶ closed
     │  ◀─转办/上报─┘   ▲              │
     │                 └──评价 3 (重办)─┘
     └─(new or accepted)── 撤回 ▶ withdrawn · 合并 ▶ merged · 无效 ▶ invalid

A transition not in this picture raises IllegalTransition; callers turn it into a polite answer.
Pushes stay with the callers: this module decides what the ledger says, not who hears of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import timers
from handlers.workcalendar import WorkCalendar
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Cadre, Ticket, TicketStatus

SYSTEM = "system"


class IllegalTransition(Exception):
    """The ticket's status does not allow the action."""

    def __init__(self, ticket: Ticket, action: str) -> None:
        super().__init__(f"编号 {ticket.id}: cannot {action} while {ticket.status}")
        self.ticket = ticket
        self.action = action


def _require(ticket: Ticket, action: str, *allowed: TicketStatus) -> None:
    if ticket.status not in allowed:
        raise IllegalTransition(ticket, action)


def _event(session: Session, ticket: Ticket, kind: str, actor: str, note: str, now: datetime) -> None:
    ticket_repo.add_event(session=session, ticket=ticket, kind=kind, actor=actor, note=note, at=now)


def accept(*, session: Session, ticket: Ticket, by: Cadre, now: datetime) -> Cadre | None:
    """受理: by becomes the assignee. Returns the previous assignee's id when by took the ticket over."""
    _require(ticket, "受理", TicketStatus.NEW)
    previous = ticket.assignee_id if ticket.assignee_id not in (None, by.id) else None
    ticket.status = TicketStatus.ACCEPTED
    ticket.accepted_at = now
    ticket.assignee_id = by.id
    timers.on_accepted(ticket)
    _event(session, ticket, "accepted", by.name, "", now)
    return _cadre(session, previous)


def progress(*, session: Session, ticket: Ticket, by: Cadre, note: str, now: datetime) -> None:
    _require(ticket, "报进展", TicketStatus.ACCEPTED)
    _event(session, ticket, "progress", by.name, note, now)


def resolve(*, session: Session, ticket: Ticket, by: Cadre, note: str, cal: WorkCalendar, now: datetime) -> bool:
    """办结. A ticket nobody can survey (代录) is archived at once: True then."""
    _require(ticket, "办结", TicketStatus.ACCEPTED)
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = now
    timers.on_resolved(ticket, cal, now)
    _event(session, ticket, "resolved", by.name, note, now)
    if ticket.resident_id is None:
        close(session=session, ticket=ticket, actor=by.name, note="代录问题办结即归档", now=now)
        return True
    return False


def reopen(*, session: Session, ticket: Ticket, reason: str, cal: WorkCalendar, now: datetime) -> None:
    """Not satisfied: back to the same assignee against a fresh deadline."""
    _require(ticket, "重新办理", TicketStatus.RESOLVED)
    ticket.status, ticket.resolved_at = TicketStatus.ACCEPTED, None
    timers.on_reopened(ticket, cal, now)
    _event(session, ticket, "reopened", SYSTEM, reason, now)


def close(
    *, session: Session, ticket: Ticket, actor: str, note: str, now: datetime, satisfaction: str | None = None
) -> None:
    """Archived after the survey (or its period), or at once when nobody can be surveyed."""
    _require(ticket, "归档", TicketStatus.RESOLVED)
    if satisfaction is not None:
        ticket.satisfaction = satisfaction
    _finish(ticket, TicketStatus.CLOSED, now)
    if note:
        _event(session, ticket, "closed", actor, note, now)


def withdraw(*, session: Session, ticket: Ticket, actor: str, now: datetime) -> None:
    """撤回 by its only reporter: nobody handles it any more."""
    _require(ticket, "撤回", *OPEN_STATUSES)
    _finish(ticket, TicketStatus.WITHDRAWN, now)
    _event(session, ticket, "withdrawn", actor, "", now)


def merge(*, session: Session, ticket: Ticket, into: Ticket, by: Cadre, cal: WorkCalendar, now: datetime) -> None:
    """合并 N M: N is the same problem as M; N ends here and M carries on (reporters are moved by the caller)."""
    _require(ticket, "合并", *OPEN_STATUSES)
    _require(into, "并入", *OPEN_STATUSES)
    if ticket.id == into.id:
        raise IllegalTransition(ticket, "合并到自己")
    ticket.merged_into_id = into.id
    _finish(ticket, TicketStatus.MERGED, now)
    _event(session, ticket, "merged", by.name, f"并入编号 {into.id}", now)
    _event(session, into, "merged_in", by.name, f"编号 {ticket.id} 并入", now)
    if ticket.urgent and not into.urgent:  # an urgent report never vanishes into a non-urgent ticket
        make_urgent(session=session, ticket=into, reason=ticket.urgent_reason or "紧急情况", cal=cal, now=now)


def invalidate(*, session: Session, ticket: Ticket, by: Cadre, reason: str, now: datetime) -> None:
    """无效 N 原因: not a problem to handle; closed without a survey."""
    _require(ticket, "标为无效", *OPEN_STATUSES)
    _finish(ticket, TicketStatus.INVALID, now)
    _event(session, ticket, "invalid", by.name, reason, now)


def hand_over(
    *, session: Session, ticket: Ticket, to: Cadre, event: str, actor: str, note: str, cal: WorkCalendar, now: datetime
) -> Cadre | None:
    """转办/上报: to becomes the assignee and must accept afresh. Returns the previous assignee."""
    _require(ticket, "转办" if event == "transferred" else "上报", *OPEN_STATUSES)
    previous = _cadre(session, ticket.assignee_id)
    ticket.assignee_id = to.id
    ticket.status, ticket.accepted_at = TicketStatus.NEW, None
    timers.on_assigned(ticket, cal, now)
    _event(session, ticket, event, actor, note, now)
    return previous


def make_urgent(*, session: Session, ticket: Ticket, reason: str, cal: WorkCalendar, now: datetime) -> None:
    """An urgent ticket was merged into this one: it runs on the urgent clock from now."""
    _require(ticket, "转为紧急", *OPEN_STATUSES)
    ticket.urgent, ticket.urgent_reason = True, reason
    timers.set_deadline(ticket, cal, now)
    if ticket.status == TicketStatus.NEW:
        timers.on_assigned(ticket, cal, now)
    _event(session, ticket, "urgent", SYSTEM, reason, now)


def _finish(ticket: Ticket, status: TicketStatus, now: datetime) -> None:
    ticket.status = status
    ticket.closed_at = now
    timers.on_finished(ticket)


def _cadre(session: Session, cadre_id: int | None) -> Cadre | None:
    return org_repo.get_cadre(session=session, cadre_id=cadre_id)

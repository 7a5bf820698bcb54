"""Repository for the sweeps: what is due by a timer column, the once-only action log, and digest queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from storage.db import try_insert
from storage.models import OPEN_STATUSES, UNCOUNTED_STATUSES, Courtyard, SweepAction, Ticket, TicketStatus, Town

TIMERS = ("nudge_at", "due_soon_at", "overdue_at", "followup_at", "survey_remind_at", "survey_close_at")


def due_ticket_ids(*, session: Session, timer: str, now: datetime, limit: int) -> list[int]:
    """Tickets whose timer (one of TIMERS) has come, earliest first; served by the timer's index."""
    if timer not in TIMERS:
        raise ValueError(f"not a ticket timer: {timer}")
    column = col(getattr(Ticket, timer))
    rows = session.exec(select(Ticket.id).where(column <= now).order_by(column, col(Ticket.id)).limit(limit)).all()
    return [row for row in rows if row is not None]


def record_action(*, session: Session, key: str, kind: str, ticket_id: int | None, now: datetime) -> bool:
    """Claim a follow-up by its key; False when it was done before (by this or another process)."""
    return try_insert(session, SweepAction(key=key, kind=kind, ticket_id=ticket_id, at=now))


def open_tickets_of_courtyard(*, session: Session, courtyard_id: int) -> Sequence[Ticket]:
    """A courtyard's open tickets, overdue first, then oldest first."""
    return session.exec(
        select(Ticket)
        .where(Ticket.courtyard_id == courtyard_id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.overdue).desc(), col(Ticket.created_at), col(Ticket.id))
    ).all()


def resolved_in_courtyard_since(*, session: Session, courtyard_id: int, since: datetime) -> Sequence[Ticket]:
    return session.exec(
        select(Ticket)
        .where(
            Ticket.courtyard_id == courtyard_id,
            col(Ticket.resolved_at) >= since,
            col(Ticket.status).in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)),
        )
        .order_by(col(Ticket.resolved_at))
    ).all()


@dataclass(frozen=True)
class WeekNumbers:
    """The figures of one reporting period."""

    collected: int
    accepted_within_a_day: int
    resolved: int
    surveyed: int
    satisfied: int  # 满意 or 基本满意
    overdue_open: int

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.collected if self.collected else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.surveyed if self.surveyed else None


def period_numbers(*, session: Session, start: datetime, end: datetime) -> WeekNumbers:
    """Tickets collected in [start, end): how many, accepted within a day, resolved by now; surveys; overdue now."""
    collected = session.exec(
        select(Ticket).where(
            col(Ticket.created_at) >= start,
            col(Ticket.created_at) < end,
            col(Ticket.status).not_in(UNCOUNTED_STATUSES),
        )
    ).all()
    answered = [t for t in collected if t.satisfaction in ("satisfied", "basic", "unsatisfied")]
    overdue_open = session.exec(
        select(func.count()).select_from(Ticket).where(col(Ticket.overdue), col(Ticket.status).in_(OPEN_STATUSES))
    ).one()
    return WeekNumbers(
        collected=len(collected),
        accepted_within_a_day=sum(
            1 for t in collected if t.accepted_at is not None and t.accepted_at - t.created_at <= timedelta(days=1)
        ),
        resolved=sum(1 for t in collected if t.resolved_at is not None),
        surveyed=len(answered),
        satisfied=sum(1 for t in answered if t.satisfaction in ("satisfied", "basic")),
        overdue_open=int(overdue_open),
    )


def worst_courtyards(*, session: Session, limit: int) -> list[tuple[str, int, int]]:
    """(courtyard, overdue open tickets, open tickets) for the courtyards with most overdue, then most open."""
    overdue = func.sum(case((col(Ticket.overdue), 1), else_=0))
    rows = session.exec(
        select(Courtyard.name, overdue, func.count())
        .join(Ticket, col(Ticket.courtyard_id) == col(Courtyard.id))
        .where(col(Ticket.status).in_(OPEN_STATUSES))
        .group_by(col(Courtyard.name))
        .order_by(overdue.desc(), func.count().desc(), col(Courtyard.name))
        .limit(limit)
    ).all()
    return [(name, int(late or 0), int(count)) for name, late, count in rows]


def beginning(*, session: Session) -> datetime | None:
    """When the system began here: the first org import or the first ticket, whichever came first."""
    imported = session.exec(select(func.min(Town.imported_at))).one()
    first_ticket = session.exec(select(func.min(Ticket.created_at))).one()
    known = [moment for moment in (imported, first_ticket) if moment is not None]
    return min(known) if known else None

"""Ticket, resident and inbound-message repository: the ledger and its append-only history."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from storage.db import try_insert
from storage.models import (
    OPEN_STATUSES,
    Cadre,
    Community,
    Courtyard,
    Endorsement,
    InboundMessage,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
)


def touch_resident(*, session: Session, openid: str, now: datetime) -> Resident:
    """The resident for openid, created on first contact; records that they just wrote to us."""
    resident = _resident_row(session, openid, now)
    resident.last_message_at = now
    resident.subscribed = True
    session.flush()
    return resident


def _resident_row(session: Session, openid: str, now: datetime) -> Resident:
    """The resident for openid, inserted if new; safe when two first messages race (unique openid)."""
    resident = session.exec(select(Resident).where(Resident.openid == openid)).first()
    if resident is not None:
        return resident
    resident = Resident(openid=openid, created_at=now)
    if try_insert(session, resident):
        return resident
    # Another transaction created it first; its row is committed now.
    return session.exec(select(Resident).where(Resident.openid == openid)).one()


def resident_by_openid(*, session: Session, openid: str) -> Resident | None:
    return session.exec(select(Resident).where(Resident.openid == openid)).first()


def get_resident(*, session: Session, resident_id: int) -> Resident | None:
    return session.get(Resident, resident_id)


def set_resident_subscribed(*, session: Session, openid: str, subscribed: bool, now: datetime) -> None:
    resident = _resident_row(session, openid, now)
    resident.subscribed = subscribed
    session.flush()


def create_ticket(*, session: Session, ticket: Ticket, actor: str, note: str = "") -> Ticket:
    """File a new ticket with its first history line."""
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    add_event(session=session, ticket=ticket, kind="created", actor=actor, note=note, at=ticket.created_at)
    return ticket


def add_event(*, session: Session, ticket: Ticket, kind: str, actor: str, note: str, at: datetime) -> TicketEvent:
    """Append one line to a ticket's history and mark the ticket as updated."""
    assert ticket.id is not None
    event = TicketEvent(ticket_id=ticket.id, at=at, kind=kind, actor=actor, note=note)
    ticket.updated_at = at
    session.add(event)
    session.add(ticket)
    session.flush()
    return event


def get_ticket(*, session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def history(*, session: Session, ticket_id: int) -> Sequence[TicketEvent]:
    return session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    ).all()


def tickets_of_resident(*, session: Session, resident_id: int, limit: int = 10) -> Sequence[Ticket]:
    """The resident's tickets, newest first."""
    return session.exec(
        select(Ticket).where(Ticket.resident_id == resident_id).order_by(col(Ticket.id).desc()).limit(limit)
    ).all()


def latest_open_ticket(*, session: Session, resident_id: int, since: datetime) -> Ticket | None:
    """The resident's most recent open ticket filed after since (a photo or location joins it)."""
    return session.exec(
        select(Ticket)
        .where(
            Ticket.resident_id == resident_id,
            col(Ticket.status).in_(OPEN_STATUSES),
            col(Ticket.created_at) >= since,
        )
        .order_by(col(Ticket.id).desc())
    ).first()


def set_status(*, session: Session, ticket: Ticket, status: TicketStatus, at: datetime) -> None:
    ticket.status = status
    if status == TicketStatus.CLOSED or status == TicketStatus.WITHDRAWN:
        ticket.closed_at = at
    session.add(ticket)
    session.flush()


def claim_inbound(
    *, session: Session, key: str, openid: str, msg_type: str, content: str, now: datetime
) -> InboundMessage | None:
    """Record a delivery of message key; None when it was recorded before (a WeChat retry).

    The insert takes the unique key's lock, so a concurrent delivery of the same message waits for
    this transaction and then finds the row.
    """
    row = InboundMessage(key=key, openid=openid, msg_type=msg_type, content=content, received_at=now)
    return row if try_insert(session, row) else None


def inbound_by_key(*, session: Session, key: str) -> InboundMessage | None:
    return session.exec(select(InboundMessage).where(InboundMessage.key == key)).first()


def get_ticket_for_update(*, session: Session, ticket_id: int) -> Ticket | None:
    """The ticket, locked for this transaction where the database supports row locks."""
    return session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)


def open_tasks(*, session: Session, assignee_id: int, limit: int = 20) -> Sequence[Ticket]:
    """A cadre's open tickets: urgent first, then oldest first."""
    return session.exec(
        select(Ticket)
        .where(Ticket.assignee_id == assignee_id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
        .limit(limit)
    ).all()


def count_open_tasks(*, session: Session, assignee_id: int) -> int:
    return len(
        session.exec(
            select(Ticket.id).where(Ticket.assignee_id == assignee_id, col(Ticket.status).in_(OPEN_STATUSES))
        ).all()
    )


def awaiting_survey(*, session: Session, resident_id: int) -> Ticket | None:
    """The resident's most recently resolved ticket still waiting for their survey answer."""
    return session.exec(
        select(Ticket)
        .where(Ticket.resident_id == resident_id, Ticket.status == TicketStatus.RESOLVED)
        .order_by(col(Ticket.resolved_at).desc(), col(Ticket.id).desc())
    ).first()


def recent_open_in_courtyard(
    *, session: Session, courtyard_id: int, since: datetime, limit: int = 50
) -> Sequence[Ticket]:
    """Open tickets of a courtyard filed since a moment, newest first (candidates for 附议)."""
    return session.exec(
        select(Ticket)
        .where(
            Ticket.courtyard_id == courtyard_id,
            col(Ticket.status).in_(OPEN_STATUSES),
            col(Ticket.created_at) >= since,
        )
        .order_by(col(Ticket.created_at).desc())
        .limit(limit)
    ).all()


def add_endorsement(*, session: Session, ticket_id: int, resident_id: int, text: str, now: datetime) -> bool:
    """Link a neighbour's report to a ticket; False when they had already endorsed it."""
    return try_insert(session, Endorsement(ticket_id=ticket_id, resident_id=resident_id, text=text, at=now))


def reporters(*, session: Session, ticket_id: int) -> int:
    """How many residents reported the ticket: its filer (if any) and every neighbour who endorsed it."""
    ticket = session.get(Ticket, ticket_id)
    endorsed = session.exec(
        select(func.count()).select_from(Endorsement).where(Endorsement.ticket_id == ticket_id)
    ).one()
    return int(endorsed) + (1 if ticket is not None and ticket.resident_id is not None else 0)


def endorsers(*, session: Session, ticket_id: int) -> Sequence[Resident]:
    return session.exec(
        select(Resident)
        .join(Endorsement, col(Endorsement.resident_id) == col(Resident.id))
        .where(Endorsement.ticket_id == ticket_id)
        .order_by(col(Endorsement.id))
    ).all()


class LedgerEntry(NamedTuple):
    """What the ledger shows of a ticket, with the names of its place and assignee."""

    id: int
    status: str
    category: str
    urgent: bool
    urgent_reason: str | None
    entered_by_cadre: bool
    created_at: datetime
    accepted_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    satisfaction: str | None
    text: str
    community: str | None
    courtyard: str | None
    assignee: str | None
    endorsements: int  # neighbours who reported the same problem (附议), the filer not counted


LEDGER_BATCH = 1000


def ledger(*, session: Session) -> Iterator[LedgerEntry]:
    """Every ticket in number order, streamed in batches; plain columns, no ORM objects (100 k rows)."""
    endorsed = (
        select(Endorsement.ticket_id, func.count().label("n")).group_by(col(Endorsement.ticket_id)).subquery()
    )
    query = (
        select_columns(
            col(Ticket.id), col(Ticket.status), col(Ticket.category), col(Ticket.urgent), col(Ticket.urgent_reason),
            col(Ticket.entered_by_cadre_id).is_not(None), col(Ticket.created_at), col(Ticket.accepted_at),
            col(Ticket.due_at), col(Ticket.resolved_at), col(Ticket.closed_at), col(Ticket.overdue),
            col(Ticket.satisfaction), col(Ticket.text), col(Community.name), col(Courtyard.name), col(Cadre.name),
            func.coalesce(endorsed.c.n, 0),
        )
        .outerjoin(Community, col(Community.id) == Ticket.community_id)
        .outerjoin(Courtyard, col(Courtyard.id) == Ticket.courtyard_id)
        .outerjoin(Cadre, col(Cadre.id) == Ticket.assignee_id)
        .outerjoin(endorsed, endorsed.c.ticket_id == Ticket.id)
        .order_by(col(Ticket.id))
        .execution_options(yield_per=LEDGER_BATCH)
    )
    for row in session.execute(query):
        yield LedgerEntry(*row)


def tickets_in_hand(*, session: Session, assignee_id: int) -> Sequence[Ticket]:
    """Everything a cadre still answers for: open tickets and resolved ones awaiting the survey (which may reopen)."""
    return session.exec(
        select(Ticket)
        .where(
            Ticket.assignee_id == assignee_id,
            col(Ticket.status).in_((*OPEN_STATUSES, TicketStatus.RESOLVED)),
        )
        .order_by(col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
    ).all()

"""Reads for the chat simulator: who can be played, pushes held for a persona, which tickets are simulated."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, delete, func, select

from storage.clock import as_utc
from storage.models import (
    Cadre,
    Community,
    Courtyard,
    Endorsement,
    Outbox,
    OutboxStatus,
    Resident,
    SweepAction,
    Ticket,
    TicketEvent,
    Town,
    WebSession,
    WebUser,
)


@dataclass(frozen=True)
class CadreRow:
    """A cadre as the simulator lists it: where they serve and the openid they write from (None: unbound)."""

    id: int
    name: str
    role: str
    place: str
    openid: str | None


@dataclass(frozen=True)
class ResidentRow:
    """A resident who wrote before, with how many tickets they filed and their courtyard."""

    openid: str
    tickets: int
    courtyard: str | None


def org_names(*, session: Session) -> tuple[set[str], set[str]]:
    """The town names and the active cadres' names of the imported org chart."""
    towns = set(session.exec(select(Town.name)).all())
    cadres = set(session.exec(select(Cadre.name).where(col(Cadre.active))).all())
    return towns, cadres


def cadres(*, session: Session) -> list[CadreRow]:
    """Every active cadre, town first, then by community and courtyard."""
    yards = {y.id: y.name for y in session.exec(select(Courtyard)).all()}
    communities = {c.id: c.name for c in session.exec(select(Community)).all()}
    rows = []
    for cadre in session.exec(select(Cadre).where(col(Cadre.active)).order_by(col(Cadre.id))).all():
        place = yards.get(cadre.courtyard_id) or communities.get(cadre.community_id) or ""
        rows.append(CadreRow(cadre.id or 0, cadre.name, str(cadre.role), place, cadre.openid))
    order = {"town": 0, "community": 1, "courtyard": 2}
    return sorted(rows, key=lambda r: (order.get(r.role, 3), r.id))


def residents_with_prefix(*, session: Session, prefix: str, limit: int) -> list[ResidentRow]:
    """Residents with openids starting with prefix who filed tickets (and a courtyard of theirs), latest first."""
    count = func.count(col(Ticket.id))
    query = (
        select(Resident.openid, count, func.max(Courtyard.name))
        .join(Ticket, col(Ticket.resident_id) == col(Resident.id))
        .join(Courtyard, col(Courtyard.id) == col(Ticket.courtyard_id), isouter=True)
        .where(col(Resident.openid).startswith(prefix, autoescape=True))
        .group_by(col(Resident.openid), col(Resident.last_message_at))
        .order_by(col(Resident.last_message_at).desc())
        .limit(limit)
    )
    return [ResidentRow(openid, int(n), yard) for openid, n, yard in session.exec(query).all()]


def waiting_pushes(*, session: Session, openid: str, now: datetime) -> Sequence[Outbox]:
    """Pushes for this person not sent yet: held until they write again, or pending for a later moment."""
    waiting = or_(
        col(Outbox.status) == OutboxStatus.HELD,
        and_(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.next_attempt_at) > now),
    )
    query = select(Outbox).where(Outbox.openid == openid, waiting).order_by(col(Outbox.id))
    return session.exec(query).all()


def tickets_reported_only_by(*, session: Session, numbers: Iterable[int], prefix: str) -> set[int]:
    """Of these tickets, those every reporter of which (filer and 附议) has an openid starting with prefix."""
    wanted = set(numbers)
    if not wanted:
        return set()
    outside: set[int] = set()
    seen: set[int] = set()
    filers = (
        select(Ticket.id, Resident.openid)
        .join(Resident, col(Resident.id) == col(Ticket.resident_id), isouter=True)
        .where(col(Ticket.id).in_(wanted))
    )
    seconders = (
        select(Endorsement.ticket_id, Resident.openid)
        .join(Resident, col(Resident.id) == col(Endorsement.resident_id))
        .where(col(Endorsement.ticket_id).in_(wanted))
    )
    for ticket_id, openid in [*session.exec(filers).all(), *session.exec(seconders).all()]:
        seen.add(ticket_id)
        if openid is None or not openid.startswith(prefix):
            outside.add(ticket_id)
    return seen - outside


def has_tickets(*, session: Session) -> bool:
    return session.exec(select(Ticket.id).limit(1)).first() is not None


def latest_moment(*, session: Session) -> datetime | None:
    """The latest moment the ledger records: a ticket event, a sweep's action or a push decided."""
    moments = [
        session.exec(select(func.max(TicketEvent.at))).one(),
        session.exec(select(func.max(SweepAction.at))).one(),
        session.exec(select(func.max(Outbox.created_at))).one(),
    ]
    known = [as_utc(m) if m.tzinfo else m.replace(tzinfo=UTC) for m in moments if m is not None]
    return max(known, default=None)


def remove_web_user(*, session: Session, user: WebUser) -> None:
    """Delete a web account and sign its browsers out."""
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))
    session.delete(user)
    session.flush()

"""Ticket, resident and inbound-message repository: the ledger and its append-only history."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    func,
    insert,
    inspect,
    not_,
    or_,
    union_all,
    update,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, col, select

from storage import ledger_query
from storage.clock import utc_now
from storage.db import fixed_values, insert_once
from storage.ledger_query import LedgerEntry, LedgerQuery, Scope
from storage.models import (
    OPEN_STATUSES,
    Endorsement,
    InboundMessage,
    Outbox,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
)


def touch_resident(*, session: Session, openid: str, now: datetime, known: Resident | None = None) -> Resident:
    """The resident for openid, created on first contact; records that they just wrote to us.

    known: the row as this transaction already read it (not read again; None: looked for, not there)."""
    if known is not None and known.openid == openid:
        resident = known
    else:
        resident = _resident_row(session, openid, now, now, looked=known is None)
    if _changed_or_new(resident):
        resident.last_message_at, resident.subscribed = now, True
        session.flush()
        return resident
    # One UPDATE of the table, no flush of the session: the object is told the row as written.
    session.execute(_TOUCH, {"resident_id": resident.id, "now": now})
    set_committed_value(resident, "last_message_at", now)
    set_committed_value(resident, "subscribed", True)
    return resident


def _changed_or_new(row: SQLModel) -> bool:
    """Whether the session has changes of row to write (or has not written it yet)."""
    state = inspect(row)
    return not state.persistent or state.modified


_RESIDENT = Resident.__table__  # type: ignore[attr-defined]
_TOUCH = (
    update(_RESIDENT)
    .where(_RESIDENT.c.id == bindparam("resident_id"))
    .values(last_message_at=bindparam("now"), subscribed=True)
)


def _resident_row(
    session: Session, openid: str, now: datetime, wrote_at: datetime | None = None, *, looked: bool = False
) -> Resident:
    """The resident for openid, inserted if new (wrote_at: their first message, written with the row);
    safe when two first messages race (unique openid). looked: this transaction just found no row."""
    if not looked:
        resident = session.exec(select(Resident).where(Resident.openid == openid)).first()
        if resident is not None:
            return resident
    resident = Resident(openid=openid, created_at=now, last_message_at=wrote_at, subscribed=True, courtyard_id=None)
    values = resident.model_dump(exclude={"id"})
    resident_id = insert_once(session, Resident, values, returning="id")
    if resident_id is not None:
        # The row as written: the session holds it without reading it back.
        resident.id = resident_id
        make_transient_to_detached(resident)
        session.add(resident)
        return resident
    # Another transaction created it first; its row is committed now.
    return session.exec(select(Resident).where(Resident.openid == openid)).one()


# The webhook's reads, built once: SQLAlchemy then neither builds nor keys them again per message.
_RESIDENT_BY_OPENID = select(Resident).where(Resident.openid == bindparam("openid"))


def resident_by_openid(*, session: Session, openid: str) -> Resident | None:
    return session.exec(_RESIDENT_BY_OPENID, params={"openid": openid}).first()


def get_resident(*, session: Session, resident_id: int) -> Resident | None:
    return session.get(Resident, resident_id)


def set_resident_subscribed(*, session: Session, openid: str, subscribed: bool, now: datetime) -> None:
    resident = _resident_row(session, openid, now)
    resident.subscribed = subscribed
    session.flush()


def create_ticket(*, session: Session, ticket: Ticket, actor: str, note: str = "") -> Ticket:
    """File a new ticket with its first history line."""
    session.info.pop(_NONE_FILED, None)
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    # Written with the next flush (the routing's line): one INSERT for both.
    add_event(session=session, ticket=ticket, kind="created", actor=actor, note=note, at=ticket.created_at, flush=False)
    return ticket


def add_event(
    *, session: Session, ticket: Ticket, kind: str, actor: str, note: str, at: datetime, flush: bool = True
) -> TicketEvent:
    """Append one line to a ticket's history and mark the ticket as updated (flush=False: written with
    the session's next flush or query)."""
    assert ticket.id is not None
    event = TicketEvent(ticket_id=ticket.id, at=at, kind=kind, actor=actor, note=note)
    ticket.updated_at = at
    session.add(event)
    session.add(ticket)
    if flush:
        session.flush()
    return event


def add_event_now(*, session: Session, ticket: Ticket, kind: str, actor: str, note: str, at: datetime) -> None:
    """add_event for a ticket already written and unchanged in this transaction, as two table
    statements instead of a flush of the session (附议 on the webhook's hot path)."""
    if _changed_or_new(ticket):
        add_event(session=session, ticket=ticket, kind=kind, actor=actor, note=note, at=at)
        return
    session.execute(_INSERT_EVENT, {"ticket_id": ticket.id, "at": at, "kind": kind, "actor": actor, "note": note})
    session.execute(_TOUCH_TICKET, {"ticket_id": ticket.id, "at": at})
    set_committed_value(ticket, "updated_at", at)


_EVENT, _TICKET = TicketEvent.__table__, Ticket.__table__  # type: ignore[attr-defined]
_INSERT_EVENT = insert(_EVENT)
_TOUCH_TICKET = update(_TICKET).where(_TICKET.c.id == bindparam("ticket_id")).values(updated_at=bindparam("at"))


def get_ticket(*, session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def history(*, session: Session, ticket_id: int) -> Sequence[TicketEvent]:
    return session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    ).all()


def latest_event(*, session: Session, ticket_id: int, kind: str) -> TicketEvent | None:
    """The ticket's most recent event of this kind, if any."""
    return session.exec(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
        .order_by(col(TicketEvent.id).desc())
        .limit(1)
    ).first()


def _party(resident_id: int) -> ColumnElement[bool]:
    """The resident filed the ticket or joined it (附议)."""
    endorsed = select(Endorsement.ticket_id).where(Endorsement.resident_id == resident_id)
    return or_(col(Ticket.resident_id) == resident_id, col(Ticket.id).in_(endorsed))


def tickets_of_resident(*, session: Session, resident_id: int, limit: int = 10) -> Sequence[Ticket]:
    """The tickets the resident is a party to (filed or joined), newest first."""
    return session.exec(select(Ticket).where(_party(resident_id)).order_by(col(Ticket.id).desc()).limit(limit)).all()


def count_tickets_of_resident(*, session: Session, resident_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(Ticket).where(_party(resident_id))).one())


def is_party(*, session: Session, ticket: Ticket, resident_id: int) -> bool:
    """Whether the resident filed the ticket or joined it."""
    if ticket.resident_id == resident_id:
        return True
    found = session.exec(_ENDORSED, params={"ticket_id": ticket.id, "resident_id": resident_id}).first()
    return found is not None


_ENDORSED = select(Endorsement.id).where(
    Endorsement.ticket_id == bindparam("ticket_id"), Endorsement.resident_id == bindparam("resident_id")
)
_RECENT_OWN = (
    select(Ticket)
    .where(Ticket.resident_id == bindparam("resident_id"), col(Ticket.created_at) >= bindparam("since"))
    .order_by(col(Ticket.id).desc())
)


def recent_own_tickets(*, session: Session, resident_id: int, since: datetime) -> Sequence[Ticket]:
    """Tickets the resident filed since a moment, newest first (a repeated message joins them)."""
    known = session.info.get(_NONE_FILED)
    if known is not None and known[0] == resident_id and since >= known[1]:
        return []
    return session.exec(_RECENT_OWN, params={"resident_id": resident_id, "since": since}).all()


_NONE_FILED = "courtyard.none_filed"  # session.info: (resident id, moment) they filed nothing since


def note_none_filed(*, session: Session, resident_id: int, since: datetime) -> None:
    """This transaction found that the resident filed no ticket since a moment (storage.first_look)."""
    session.info[_NONE_FILED] = (resident_id, since)


def remove_endorsement(*, session: Session, ticket_id: int, resident_id: int) -> bool:
    """The resident leaves a ticket they joined; False when they had not joined it."""
    row = session.exec(
        select(Endorsement).where(Endorsement.ticket_id == ticket_id, Endorsement.resident_id == resident_id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def hand_filing_to_first_endorser(*, session: Session, ticket: Ticket) -> bool:
    """The filer left: the earliest neighbour who joined becomes the filer. False when nobody joined."""
    first = session.exec(
        select(Endorsement).where(Endorsement.ticket_id == ticket.id).order_by(col(Endorsement.id))
    ).first()
    if first is None:
        return False
    ticket.resident_id = first.resident_id
    session.delete(first)
    session.add(ticket)
    session.flush()
    return True


def move_reporters(*, session: Session, source: Ticket, target: Ticket, now: datetime) -> int:
    """Every reporter of source joins target (合并); how many were new to it."""
    assert source.id is not None and target.id is not None
    people: list[tuple[int, str]] = []
    if source.resident_id is not None:
        people.append((source.resident_id, source.text))
    people += [
        (e.resident_id, e.text)
        for e in session.exec(select(Endorsement).where(Endorsement.ticket_id == source.id)).all()
    ]
    moved = 0
    for resident_id, text in people:
        if is_party(session=session, ticket=target, resident_id=resident_id):
            continue
        if target.resident_id is None:
            target.resident_id = resident_id
            session.add(target)
            session.flush()
            moved += 1
        elif add_endorsement(session=session, ticket_id=target.id, resident_id=resident_id, text=text, now=now):
            moved += 1
    return moved


def escalated_to(*, session: Session, cadre_id: int, openid: str, limit: int = 10) -> Sequence[Ticket]:
    """Open tickets someone else handles that the cadre was told of by 督办 (an escalation push), newest first."""
    pushed = select(Outbox.ticket_id).where(Outbox.openid == openid, Outbox.kind == "escalation")
    return session.exec(
        select(Ticket)
        .where(
            col(Ticket.id).in_(pushed),
            col(Ticket.status).in_(OPEN_STATUSES),
            or_(col(Ticket.assignee_id).is_(None), col(Ticket.assignee_id) != cadre_id),
        )
        .order_by(col(Ticket.overdue).desc(), col(Ticket.id).desc())
        .limit(limit)
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


def claim_inbound(*, session: Session, key: str, openid: str, msg_type: str, content: str, now: datetime) -> int | None:
    """Record a delivery of message key in one statement: the new row's id, None when it was recorded
    before (a WeChat retry).

    The insert takes the unique key's lock, so a concurrent delivery of the same message waits for
    this transaction and then finds the row.
    """
    values = {"key": key, "openid": openid, "msg_type": msg_type, "content": content, "received_at": now, "reply": ""}
    found = insert_once(session, InboundMessage, values, returning="id")
    return None if found is None else int(found)


def set_inbound_reply(*, session: Session, inbound_id: int, reply: str, error: str | None = None) -> None:
    """Record the answer a claimed message was given (a WeChat retry is answered with it), and why
    handling it failed, if it did."""
    if error is None:
        session.execute(_SET_REPLY, {"inbound_id": inbound_id, "reply": reply})
    else:
        session.execute(_SET_FAILED, {"inbound_id": inbound_id, "reply": reply, "error": error})


# An UPDATE of the table, not of the ORM entity: the session's objects are not searched for the row.
_INBOUND = InboundMessage.__table__  # type: ignore[attr-defined]
_SET_REPLY = update(_INBOUND).where(_INBOUND.c.id == bindparam("inbound_id")).values(reply=bindparam("reply"))
_SET_FAILED = _SET_REPLY.values(error=bindparam("error"))


def inbound_by_key(*, session: Session, key: str) -> InboundMessage | None:
    return session.exec(select(InboundMessage).where(InboundMessage.key == key)).first()


def get_ticket_for_update(*, session: Session, ticket_id: int) -> Ticket | None:
    """The ticket, locked for this transaction where the database supports row locks.

    SQLite's transactions here hold the whole database's write lock from their start: a ticket this
    transaction already read cannot have changed, and is not read again."""
    if session.get_bind().dialect.name == "sqlite":
        return session.get(Ticket, ticket_id)
    return session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)


def open_tasks(*, session: Session, assignee_id: int, limit: int = 20, offset: int = 0) -> Sequence[Ticket]:
    """A cadre's open tickets: urgent first, then oldest first (skipping offset of them)."""
    return session.exec(
        select(Ticket)
        .where(Ticket.assignee_id == assignee_id, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.urgent).desc(), col(Ticket.created_at), col(Ticket.id))
        .offset(offset)
        .limit(limit)
    ).all()


def count_open_tasks(*, session: Session, assignee_id: int) -> int:
    return len(
        session.exec(
            select(Ticket.id).where(Ticket.assignee_id == assignee_id, col(Ticket.status).in_(OPEN_STATUSES))
        ).all()
    )


def awaiting_survey(*, session: Session, resident_id: int) -> Ticket | None:
    """The most recently resolved ticket the resident is a party to, still waiting for a survey answer."""
    return session.exec(
        select(Ticket)
        .where(_party(resident_id), Ticket.status == TicketStatus.RESOLVED)
        .order_by(col(Ticket.resolved_at).desc(), col(Ticket.id).desc())
    ).first()


def surveyed_lately(*, session: Session, resident_id: int, since: datetime) -> Ticket | None:
    """A ticket of the resident's closed since a moment by another reporter's survey answer."""
    return session.exec(
        select(Ticket)
        .where(
            _party(resident_id),
            Ticket.status == TicketStatus.CLOSED,
            col(Ticket.closed_at) >= since,
            col(Ticket.satisfaction).in_(("satisfied", "basic")),
        )
        .order_by(col(Ticket.closed_at).desc())
    ).first()


@dataclass(frozen=True)
class ProblemAt:
    """What a 附议 candidate must share with a new report: its problem key (bare: the one computed
    without building words, for tickets that name a building) and its building and unit numbers."""

    key: str
    bare_key: str | None  # None when the new report names no building
    building_no: int | None
    unit_no: int | None


def duplicate_candidates(
    *, session: Session, courtyard_id: int, since: datetime, problem: ProblemAt, urgent_only: bool, limit: int = 20
) -> list[Ticket]:
    """Open tickets of a courtyard filed since a moment that may be the same problem, newest first (附议).

    Index seeks on (courtyard, problem key, building, filed at): for a report naming a building, one
    seek for that building's tickets and one for those naming no building, each bounded by limit — the
    work grows with the building's tickets, never with the courtyard's backlog. Tickets never keyed
    (filed before keys existed) come too, for the caller's full comparison; a unit number that differs
    rules a ticket out here already.
    """
    if not problem.key and not problem.bare_key:
        return []
    query = _candidates_query(
        urgent_only=urgent_only,
        building=problem.building_no is not None,
        unit=problem.unit_no is not None,
        key=bool(problem.key),
        bare_key=None if problem.bare_key is None else bool(problem.bare_key),
    )
    params: dict[str, object] = {"courtyard_id": courtyard_id, "since": since, "limit": limit}
    if problem.building_no is not None:
        params["building_no"] = problem.building_no
    if problem.unit_no is not None:
        params["unit_no"] = problem.unit_no
    if problem.key:
        params["key"] = problem.key
    if problem.bare_key:
        params["bare_key"] = problem.bare_key
    return list(session.exec(query, params=params).all())


@functools.cache
def _candidates_query(*, urgent_only: bool, building: bool, unit: bool, key: bool, bare_key: bool | None) -> Any:
    """duplicate_candidates' statement for one shape of report, built once (values are bound)."""
    where: list[ColumnElement[bool]] = [
        col(Ticket.courtyard_id) == bindparam("courtyard_id"),
        col(Ticket.status).in_(fixed_values(OPEN_STATUSES)),
        col(Ticket.created_at) >= bindparam("since"),
    ]
    if urgent_only:
        where.append(col(Ticket.urgent).is_(True))
    if unit:
        where.append(or_(col(Ticket.unit_no).is_(None), col(Ticket.unit_no) == bindparam("unit_no")))
    # The building's own seek and the seek for tickets naming no building number (None: any building).
    same_building = col(Ticket.building_no) == bindparam("building_no")
    no_building = col(Ticket.building_no).is_(None)
    any_building: list[ColumnElement[bool] | None] = [same_building, no_building] if building else [None]
    named = or_(col(Ticket.building).is_(None), col(Ticket.building) == "")
    # (what the ticket's key must be, the building seeks it takes); never keyed: the caller's full comparison.
    keyed: list[tuple[ColumnElement[bool], list[ColumnElement[bool] | None]]] = [
        (col(Ticket.problem_key).is_(None), any_building)
    ]
    if bare_key is None:
        if key:
            keyed.append((col(Ticket.problem_key) == bindparam("key"), any_building))
    else:
        if key:
            # A ticket naming no building has no building number either.
            own_key = and_(col(Ticket.problem_key) == bindparam("key"), named)
            keyed.append((own_key, [no_building] if building else [None]))
        if bare_key:
            keyed.append((and_(col(Ticket.problem_key_bare) == bindparam("bare_key"), not_(named)), any_building))
    # One round trip; each branch a bounded seek on its own index.
    limit = bindparam("limit", type_=Integer)
    branches = [
        select(col(Ticket.id))
        .where(*where, condition, *([seek] if seek is not None else []))
        .order_by(col(Ticket.created_at).desc())
        .limit(limit)
        .subquery()
        for condition, seeks in keyed
        for seek in seeks
    ]
    ids = union_all(*(select(branch.c.id) for branch in branches))
    query = select(Ticket).where(col(Ticket.id).in_(ids)).order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    return query.limit(limit)


def add_endorsement(*, session: Session, ticket_id: int, resident_id: int, text: str, now: datetime) -> bool:
    """Link a neighbour's report to a ticket; False when they had already endorsed it."""
    values = {"ticket_id": ticket_id, "resident_id": resident_id, "text": text, "at": now}
    return insert_once(session, Endorsement, values) is not None


def endorsements(*, session: Session, ticket_id: int, resident_id: int) -> tuple[bool, int]:
    """Whether the resident joined the ticket (附议), and how many neighbours did, in one statement."""
    row = session.execute(_ENDORSEMENTS_OF, {"ticket_id": ticket_id, "resident_id": resident_id}).one()
    return bool(row.joined), int(row.endorsed)


_ENDORSEMENTS_OF = select(
    func.count().label("endorsed"),
    func.coalesce(func.max(case((col(Endorsement.resident_id) == bindparam("resident_id"), 1), else_=0)), 0).label(
        "joined"
    ),
).where(Endorsement.ticket_id == bindparam("ticket_id"))


def reporters(*, session: Session, ticket_id: int) -> int:
    """How many residents reported the ticket: its filer (if any) and every neighbour who endorsed it."""
    ticket = session.get(Ticket, ticket_id)
    endorsed = session.exec(_ENDORSEMENTS, params={"ticket_id": ticket_id}).one()
    return int(endorsed) + (1 if ticket is not None and ticket.resident_id is not None else 0)


_ENDORSEMENTS = select(func.count()).select_from(Endorsement).where(Endorsement.ticket_id == bindparam("ticket_id"))


def endorsers(*, session: Session, ticket_id: int) -> Sequence[Resident]:
    return session.exec(
        select(Resident)
        .join(Endorsement, col(Endorsement.resident_id) == col(Resident.id))
        .where(Endorsement.ticket_id == ticket_id)
        .order_by(col(Endorsement.id))
    ).all()


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


def ledger(*, session: Session) -> Iterator[LedgerEntry]:
    """Every ticket in number order, streamed in batches; plain columns, no ORM objects (100 k rows)."""
    query = LedgerQuery(descending=False)
    return ledger_query.entries(session=session, query=query, scope=Scope(), now=utc_now())

"""What the webhook reads about a sender before answering, in one statement instead of six."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel

from storage import org_chart as org_repo
from storage import state as state_repo
from storage import tickets as ticket_repo
from storage.models import ConversationState, OutboxStatus, Resident

_T = SQLModel.metadata.tables
_resident, _state, _inbound = _T["resident"], _T["conversationstate"], _T["inboundmessage"]
_outbox, _town, _ticket = _T["outbox"], _T["town"], _T["ticket"]
_RESIDENT = [c.name for c in _resident.columns]
_STATE = [c.name for c in _state.columns]

# Built once: the flood count, the org chart's revision, whether pushes are held, whether the sender
# filed anything lately, their resident row and their conversation state — each an index seek.
_one = select(literal_column("1").label("one")).subquery("one")
_FIRST_LOOK = select(
    select(func.count())
    .select_from(_inbound)
    .where(
        _inbound.c.openid == bindparam("openid"),
        _inbound.c.received_at >= bindparam("since"),
        _inbound.c.msg_type != "event",
    )
    .scalar_subquery()
    .label("recent"),
    select(func.coalesce(func.sum(_town.c.revision), 0)).scalar_subquery().label("revision"),
    select(_outbox.c.id)
    .where(_outbox.c.openid == bindparam("openid"), _outbox.c.status == OutboxStatus.HELD)
    .limit(1)
    .scalar_subquery()
    .label("held"),
    select(_ticket.c.id)
    .where(_ticket.c.resident_id == _resident.c.id, _ticket.c.created_at >= bindparam("own_since"))
    .limit(1)
    .scalar_subquery()
    .label("own"),
    *(_resident.c[name].label(f"r_{name}") for name in _RESIDENT),
    *(_state.c[name].label(f"s_{name}") for name in _STATE),
).select_from(
    _one.outerjoin(_resident, _resident.c.openid == bindparam("openid")).outerjoin(
        _state, _state.c.openid == bindparam("openid")
    )
)


@dataclass(frozen=True)
class FirstLook:
    """A sender as the webhook first sees them (the org revision and conversation state are kept for
    the transaction's own look-ups, see org_chart.org_revision and state.get_state)."""

    recent: int  # their messages (not events) since the flood window began, this one included
    held: bool  # pushes are held for them (their 48-hour window was closed)
    resident: Resident | None  # their row, held by the session (None: first contact)


def first_look(*, session: Session, openid: str, since: datetime, own_since: datetime) -> FirstLook:
    """Read the sender's row, counts and state in one statement, leaving the rows in the session."""
    row = session.execute(_FIRST_LOOK, {"openid": openid, "since": since, "own_since": own_since}).one()
    values = row._mapping
    org_repo.note_revision(session=session, revision=int(values["revision"]))
    resident = None
    if values["r_id"] is not None:
        resident = _held(session, Resident, {name: values[f"r_{name}"] for name in _RESIDENT})
    state = None
    if values["s_openid"] is not None:
        state = _held(session, ConversationState, {name: values[f"s_{name}"] for name in _STATE})
    state_repo.note_state(session=session, openid=openid, row=state)
    if resident is not None and resident.id is not None and values["own"] is None:
        ticket_repo.note_none_filed(session=session, resident_id=resident.id, since=own_since)
    return FirstLook(
        recent=int(values["recent"]),
        held=values["held"] is not None,
        resident=resident,
    )


M = TypeVar("M", bound=SQLModel)


def _held(session: Session, model: type[M], values: dict[str, object]) -> M:
    """The session's object for this row: the one it holds already (written earlier in this
    transaction), else one made from the values read, as if loaded."""
    key = identity_key(model, values["id"] if "id" in values else values["openid"])
    known = session.identity_map.get(key)
    if known is not None:
        return known
    row = model(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row

"""The ledger as leaders query it: reach, filters, full-text search, pages, counts for the statistics."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    column,
    false,
    func,
    literal,
    or_,
    text,
    true,
    union_all,
)
from sqlalchemy import select as select_columns
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger, Integer, Text
from sqlmodel import Session, col, select

from storage.models import (
    OPEN_STATUSES,
    Cadre,
    Community,
    Courtyard,
    Endorsement,
    Outbox,
    Resident,
    Ticket,
    TicketSearch,
    TicketStatus,
    UTCDateTime,
)

# Left out of every count (DESIGN §4 /api/stats): withdrawn and invalid tickets, and tickets merged into
# another (their reporters count on the one they joined). Plain strings so that statuses added by
# other branches are covered by name.
NOT_COUNTED = (TicketStatus.WITHDRAWN.value, "invalid", "merged")
ANSWERED_SURVEY = ("satisfied", "basic", "unsatisfied")
DONE_STATUSES = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)
SORTABLE = ("id", "created_at", "due_at", "status", "category", "courtyard")
LEDGER_BATCH = 1000


@dataclass(frozen=True)
class Scope:
    """Which tickets a reader may see: everything, or a cadre's reach (their tickets, community or courtyard)."""

    everything: bool = True
    assignee_id: int | None = None
    community_id: int | None = None
    courtyard_id: int | None = None

    def condition(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.assignee_id is not None:
            parts.append(col(Ticket.assignee_id) == self.assignee_id)
        if self.community_id is not None:
            parts.append(col(Ticket.community_id) == self.community_id)
        if self.courtyard_id is not None:
            parts.append(col(Ticket.courtyard_id) == self.courtyard_id)
        return or_(*parts) if parts else false()


@dataclass(frozen=True)
class LedgerQuery:
    """Filters of the ledger page; None means any. Times are aware; the period is [created_from, created_to)."""

    statuses: tuple[str, ...] = ()
    category: str | None = None
    community_id: int | None = None
    courtyard_id: int | None = None
    assignee_id: int | None = None
    urgent: bool | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    terms: tuple[str, ...] = ()  # search words (all must occur), already cut by the same tokenizer
    sort: str = "id"
    descending: bool = True


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


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Marked overdue by the sweep, or open with its deadline passed (the sweep may not have run yet)."""
    return or_(
        col(Ticket.overdue).is_(True),
        and_(col(Ticket.status).in_(OPEN_STATUSES), col(Ticket.due_at) < now),
    )


def _search_condition(session: Session, terms: Sequence[str]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        fts = text("SELECT rowid FROM ticketsearch_fts WHERE ticketsearch_fts MATCH :match").bindparams(match=match)
        return col(Ticket.id).in_(fts.columns(column("rowid", Integer)))
    wanted = bindparam("search_terms", list(terms), type_=ARRAY(Text))
    # Served by the GIN index on string_to_array(tokens, ' ') of migration 0008.
    ids = select_columns(col(TicketSearch.ticket_id)).where(
        func.string_to_array(col(TicketSearch.tokens), literal(" "), type_=ARRAY(Text)).contains(wanted)
    )
    return col(Ticket.id).in_(ids)


def _conditions(session: Session, query: LedgerQuery, scope: Scope, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [scope.condition()]
    if query.statuses:
        where.append(col(Ticket.status).in_(query.statuses))
    if query.category is not None:
        where.append(col(Ticket.category) == query.category)
    if query.community_id is not None:
        where.append(col(Ticket.community_id) == query.community_id)
    if query.courtyard_id is not None:
        where.append(col(Ticket.courtyard_id) == query.courtyard_id)
    if query.assignee_id is not None:
        where.append(col(Ticket.assignee_id) == query.assignee_id)
    if query.urgent is not None:
        where.append(col(Ticket.urgent).is_(query.urgent))
    if query.overdue is not None:
        overdue = overdue_condition(now)
        where.append(overdue if query.overdue else ~overdue)
    if query.created_from is not None:
        where.append(col(Ticket.created_at) >= query.created_from)
    if query.created_to is not None:
        where.append(col(Ticket.created_at) < query.created_to)
    if query.terms:
        where.append(_search_condition(session, query.terms))
    return where


def _entries_select(where: Sequence[ColumnElement[bool]]) -> Select[*tuple[Any, ...]]:
    endorsed = select(Endorsement.ticket_id, func.count().label("n")).group_by(col(Endorsement.ticket_id)).subquery()
    statement: Select[*tuple[Any, ...]] = (
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
        .where(*where)
    )  # fmt: skip
    return statement


def _order(query: LedgerQuery) -> list[Any]:
    column: Any = {
        "id": col(Ticket.id),
        "created_at": col(Ticket.created_at),
        "due_at": col(Ticket.due_at),
        "status": col(Ticket.status),
        "category": col(Ticket.category),
        "courtyard": col(Courtyard.name),
    }.get(query.sort, col(Ticket.id))
    tie = col(Ticket.id).desc() if query.descending else col(Ticket.id)
    return [column.desc() if query.descending else column, tie]


def entries(*, session: Session, query: LedgerQuery, scope: Scope, now: datetime) -> Iterator[LedgerEntry]:
    """Every matching ticket in the query's order, streamed in batches (an export of 100 k rows)."""
    statement = (
        _entries_select(_conditions(session, query, scope, now))
        .order_by(*_order(query))
        .execution_options(yield_per=LEDGER_BATCH)
    )
    for row in session.execute(statement):
        yield LedgerEntry(*row)


def page(
    *, session: Session, query: LedgerQuery, scope: Scope, now: datetime, offset: int, limit: int
) -> tuple[list[LedgerEntry], int]:
    """One page of matching tickets and how many match in all."""
    where = _conditions(session, query, scope, now)
    total = session.execute(select_columns(func.count()).select_from(Ticket).where(*where)).scalar_one()
    if offset >= total:
        return [], int(total)
    rows = session.execute(_entries_select(where).order_by(*_order(query)).offset(offset).limit(limit))
    return [LedgerEntry(*row) for row in rows], int(total)


class StatRow(NamedTuple):
    """A counted ticket's facts for the statistics; moments as whole UTC epoch seconds (fractions cut off)."""

    status: str
    community_id: int | None
    courtyard_id: int | None
    category: str
    created: int
    accepted: int | None
    resolved: int | None
    satisfaction: str | None
    overdue_open: bool


def _epoch_seconds(session: Session, column: Any) -> ColumnElement[Any]:
    """A moment as whole epoch seconds, computed by the database (no datetime objects built per row)."""
    if session.get_bind().dialect.name == "sqlite":
        # unixepoch() (SQLite ≥ 3.38) is three times cheaper than strftime('%s').
        return func.unixepoch(column) if sqlite3.sqlite_version_info >= (3, 38) else func.cast(
            func.strftime("%s", column), Integer
        )
    return func.cast(func.floor(func.extract("epoch", column)), BigInteger)


def stat_rows(
    *, session: Session, scope: Scope, start: datetime, end: datetime, now: datetime
) -> Sequence[Sequence[Any]]:
    """The counted tickets filed in [start, end), each a row with StatRow's columns: withdrawn, invalid and
    merged ones left out."""
    overdue_open = and_(col(Ticket.status).in_(OPEN_STATUSES), overdue_condition(now))
    statement = select_columns(
        col(Ticket.status), col(Ticket.community_id), col(Ticket.courtyard_id), col(Ticket.category),
        _epoch_seconds(session, col(Ticket.created_at)), _epoch_seconds(session, col(Ticket.accepted_at)),
        _epoch_seconds(session, col(Ticket.resolved_at)), col(Ticket.satisfaction),
        case((overdue_open, True), else_=False),
    ).where(
        scope.condition(),
        col(Ticket.created_at) >= start,
        col(Ticket.created_at) < end,
        col(Ticket.status).not_in(NOT_COUNTED),
    )  # fmt: skip
    # Through the connection, and no object per row: the ORM's row handling, or a StatRow built for each of a
    # month's tickets, would cost more than the query.
    return session.connection().execute(statement).all()


@dataclass(frozen=True)
class Span:
    """A half-open period [start, end) of aware moments."""

    start: datetime
    end: datetime


class Activity(NamedTuple):
    """What happened in a period: filed, accepted, resolved, and deadlines that passed unmet."""

    collected: int
    accepted: int
    resolved: int
    overdue: int


def activity(
    *, session: Session, scope: Scope, spans: Sequence[Span], now: datetime, recent_from: int = 0
) -> list[Activity]:
    """Activity in each of consecutive spans: one query per figure, each span an index range of one of the
    ticket's times (the spans are a small table the tickets are joined to, so that no SQL is built per span
    and every ticket is read once per figure). Filed and resolved are counted in every span; accepted and
    missed deadlines from spans[recent_from] on (0 before it), which is all a dashboard shows of them."""
    # The status as an expression: without it SQLite's planner may walk the status index (most tickets are
    # closed) instead of the time index that narrows the count to one period.
    status = func.coalesce(col(Ticket.status), "")
    table = union_all(
        *(
            select_columns(
                literal(i, Integer).label("i"),
                literal(span.start, UTCDateTime()).label("lo"),
                literal(span.end, UTCDateTime()).label("hi"),
                literal(min(span.end, now), UTCDateTime()).label("passed"),
            )
            for i, span in enumerate(spans)
        )
    ).cte("spans")

    def count(column: Any, end: Any, condition: ColumnElement[bool] | None = None, first: int = 0) -> list[int]:
        statement = (
            select_columns(table.c.i, func.count())
            .select_from(table)
            .join(Ticket, and_(column >= table.c.lo, column < end))
            .where(table.c.i >= first, true() if condition is None else condition)
            .where(scope.condition(), status.not_in(NOT_COUNTED))
            .group_by(table.c.i)
        )
        found = {int(i): int(n) for i, n in session.execute(statement)}
        return [found.get(i, 0) for i in range(len(spans))]

    missed = or_(col(Ticket.resolved_at).is_(None), col(Ticket.resolved_at) > col(Ticket.due_at))
    figures = zip(
        count(col(Ticket.created_at), table.c.hi),
        count(col(Ticket.accepted_at), table.c.hi, first=recent_from),
        count(col(Ticket.resolved_at), table.c.hi, status.in_(DONE_STATUSES)),
        count(col(Ticket.due_at), table.c.passed, missed, first=recent_from),
        strict=True,
    )
    return [Activity(*figure) for figure in figures]


def attention(*, session: Session, scope: Scope, now: datetime, limit: int) -> tuple[list[LedgerEntry], int]:
    """Open tickets that are urgent or overdue: urgent first, then the earliest deadline; and how many in all."""
    where = [
        scope.condition(),
        col(Ticket.status).in_(OPEN_STATUSES),
        or_(col(Ticket.urgent).is_(True), overdue_condition(now)),
    ]
    order = (col(Ticket.urgent).desc(), col(Ticket.due_at).asc().nulls_last(), col(Ticket.id))
    total = session.execute(select_columns(func.count()).select_from(Ticket).where(*where)).scalar_one()
    # The first few numbers from the index alone (ix_ticket_status_due), then only their rows.
    first = [
        int(i)
        for i in session.execute(select_columns(col(Ticket.id)).where(*where).order_by(*order).limit(limit)).scalars()
    ]
    if not first:
        return [], int(total)
    rows = session.execute(_entries_select([col(Ticket.id).in_(first)]).order_by(*order))
    return [LedgerEntry(*row) for row in rows], int(total)


class HotCandidate(NamedTuple):
    """A counted ticket as the hot-issue grouping sees it."""

    id: int
    courtyard: str | None
    text: str
    tokens: str  # the words of the full-text index, space-separated
    created_at: datetime
    reporters: int


def hot_candidates(*, session: Session, scope: Scope, since: datetime) -> list[HotCandidate]:
    """Counted, indexed tickets filed since a moment, with their courtyard's name and how many residents
    reported each."""
    endorsed = select(Endorsement.ticket_id, func.count().label("n")).group_by(col(Endorsement.ticket_id)).subquery()
    statement = (
        select_columns(
            col(Ticket.id), col(Courtyard.name), col(Ticket.text), col(TicketSearch.tokens), col(Ticket.created_at),
            func.coalesce(endorsed.c.n, 0) + case((col(Ticket.resident_id).is_not(None), 1), else_=0),
        )
        .join(TicketSearch, col(TicketSearch.ticket_id) == Ticket.id)
        .outerjoin(Courtyard, col(Courtyard.id) == Ticket.courtyard_id)
        .outerjoin(endorsed, endorsed.c.ticket_id == Ticket.id)
        .where(scope.condition(), col(Ticket.created_at) >= since, col(Ticket.status).not_in(NOT_COUNTED))
        .order_by(col(Ticket.id))
    )  # fmt: skip
    return [HotCandidate(*row) for row in session.execute(statement)]


class ToIndex(NamedTuple):
    """A ticket whose words the index lacks: its text and every 附议 text, up to the latest endorsement's id."""

    ticket_id: int
    texts: list[str]
    endorsed_upto: int


def _with_endorsements(session: Session, tickets: Sequence[tuple[int, str]]) -> list[ToIndex]:
    if not tickets:
        return []
    said: dict[int, list[tuple[int, str]]] = {}
    rows = session.execute(
        select_columns(col(Endorsement.ticket_id), col(Endorsement.id), col(Endorsement.text))
        .where(col(Endorsement.ticket_id).in_([t for t, _ in tickets]))
        .order_by(col(Endorsement.id))
    )
    for ticket_id, endorsement_id, words in rows:
        said.setdefault(int(ticket_id), []).append((int(endorsement_id), str(words)))
    return [
        ToIndex(t, [text, *(w for _, w in said.get(t, []))], max((i for i, _ in said.get(t, [])), default=0))
        for t, text in tickets
    ]


def unindexed(*, session: Session, limit: int) -> list[ToIndex]:
    """Tickets not in the full-text index yet, lowest numbers first."""
    # Tickets are never deleted and the index holds at most one row per ticket, so equal counts mean none
    # is missing: two index counts instead of an anti-join over the ledger on every search.
    counted = select_columns(
        select_columns(func.count()).select_from(Ticket).scalar_subquery()
        - select_columns(func.count()).select_from(TicketSearch).scalar_subquery()
    )
    if session.execute(counted).scalar_one() == 0:
        return []
    statement = (
        select_columns(col(Ticket.id), col(Ticket.text))
        .outerjoin(TicketSearch, col(TicketSearch.ticket_id) == Ticket.id)
        .where(col(TicketSearch.ticket_id).is_(None))
        .order_by(col(Ticket.id))
        .limit(limit)
    )
    return _with_endorsements(session, [(int(i), str(t)) for i, t in session.execute(statement)])


def endorsed_since_indexed(*, session: Session, limit: int) -> list[ToIndex]:
    """Indexed tickets a neighbour has joined (附议) since: their words are indexed again with the new text."""
    newer = (
        select_columns(col(Endorsement.ticket_id))
        .join(TicketSearch, col(TicketSearch.ticket_id) == Endorsement.ticket_id)
        .where(col(Endorsement.id) > col(TicketSearch.endorsed_upto))
        .distinct()
        .limit(limit)
        .subquery()
    )
    statement = select_columns(col(Ticket.id), col(Ticket.text)).where(col(Ticket.id).in_(select_columns(newer)))
    return _with_endorsements(session, [(int(i), str(t)) for i, t in session.execute(statement)])


def add_to_index(*, session: Session, rows: Sequence[tuple[ToIndex, str]]) -> None:
    """Store tickets' segmented words (new ones, or again after a 附议); the database's full-text index
    follows (trigger or GIN)."""
    for item, tokens in rows:
        found = session.get(TicketSearch, item.ticket_id)
        if found is None:
            session.add(TicketSearch(ticket_id=item.ticket_id, tokens=tokens, endorsed_upto=item.endorsed_upto))
        else:
            found.tokens, found.endorsed_upto = tokens, item.endorsed_upto
            session.add(found)
    session.flush()


def endorsements_of(*, session: Session, ticket_id: int) -> Sequence[Endorsement]:
    return session.exec(
        select(Endorsement).where(Endorsement.ticket_id == ticket_id).order_by(col(Endorsement.id))
    ).all()


def pushes_about(*, session: Session, ticket_id: int) -> Sequence[Outbox]:
    """Every push decided about a ticket, oldest first."""
    return session.exec(select(Outbox).where(Outbox.ticket_id == ticket_id).order_by(col(Outbox.id))).all()


def cadre_names_by_openid(*, session: Session, openids: Sequence[str]) -> dict[str, str]:
    if not openids:
        return {}
    rows = session.execute(
        select_columns(col(Cadre.openid), col(Cadre.name)).where(col(Cadre.openid).in_(list(openids)))
    )
    return {str(openid): str(name) for openid, name in rows}


class Option(NamedTuple):
    """A choice in a filter: an id and the name people read."""

    id: int
    name: str


def communities(*, session: Session) -> list[Option]:
    rows = session.execute(select_columns(col(Community.id), col(Community.name)).order_by(col(Community.name)))
    return [Option(int(i), str(n)) for i, n in rows]


def courtyards(*, session: Session) -> list[tuple[Option, int]]:
    """Every courtyard with its community's id."""
    rows = session.execute(
        select_columns(col(Courtyard.id), col(Courtyard.name), col(Courtyard.community_id)).order_by(
            col(Courtyard.name)
        )
    )
    return [(Option(int(i), str(n)), int(c)) for i, n, c in rows]


def cadres(*, session: Session) -> list[Option]:
    rows = session.execute(select_columns(col(Cadre.id), col(Cadre.name)).order_by(col(Cadre.name)))
    return [Option(int(i), str(n)) for i, n in rows]


def entry(*, session: Session, scope: Scope, ticket_id: int) -> LedgerEntry | None:
    """One ticket as the ledger shows it, or None when it does not exist or is outside scope."""
    row = session.execute(_entries_select([scope.condition(), col(Ticket.id) == ticket_id])).first()
    return LedgerEntry(*row) if row else None


def ticket_people(*, session: Session, ticket_id: int) -> tuple[str | None, dict[str, str]]:
    """The filer's openid and each endorser's openid with the time they joined (for naming them by role)."""
    filer = session.execute(
        select_columns(col(Resident.openid))
        .join(Ticket, col(Ticket.resident_id) == Resident.id)
        .where(col(Ticket.id) == ticket_id)
    ).scalar_one_or_none()
    rows = session.execute(
        select_columns(col(Resident.openid), col(Endorsement.id))
        .join(Endorsement, col(Endorsement.resident_id) == Resident.id)
        .where(col(Endorsement.ticket_id) == ticket_id)
        .order_by(col(Endorsement.id))
    )
    return filer, {str(openid): f"附议居民{n}" for n, (openid, _) in enumerate(rows, start=1)}


def ledger_version(*, session: Session) -> tuple[int, int]:
    """The newest ticket's and the newest 附议's numbers: either changes when someone reports something."""
    newest = session.execute(
        select_columns(
            select_columns(func.coalesce(func.max(col(Ticket.id)), 0)).scalar_subquery(),
            select_columns(func.coalesce(func.max(col(Endorsement.id)), 0)).scalar_subquery(),
        )
    ).one()
    return int(newest[0]), int(newest[1])


class Place(NamedTuple):
    """A courtyard where the org chart gives its location, with its open tickets in a reader's reach."""

    id: int
    name: str
    lat: float
    lon: float
    open: int


def places(*, session: Session, scope: Scope) -> list[Place]:
    """Every courtyard with a location, and how many open tickets in scope it has."""
    # Counted per courtyard, a seek on ix_ticket_courtyard_status (courtyard_id, status) each: grouping the
    # open tickets of the whole town by courtyard would read every one of them.
    open_tickets = (
        select_columns(func.count())
        .where(
            col(Ticket.courtyard_id) == col(Courtyard.id), col(Ticket.status).in_(OPEN_STATUSES), scope.condition()
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select_columns(col(Courtyard.id), col(Courtyard.name), col(Courtyard.lat), col(Courtyard.lon), open_tickets)
        .where(col(Courtyard.lat).is_not(None), col(Courtyard.lon).is_not(None))
        .order_by(col(Courtyard.name))
    )
    return [Place(int(i), str(n), float(lat), float(lon), int(k)) for i, n, lat, lon, k in rows]

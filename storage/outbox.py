"""Outbox repository: pushes written with the change that caused them, claimed and settled by the drain."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from storage.db import database_now, fixed_values
from storage.models import Outbox, OutboxStatus

SURVEY = "survey"
# Starts the reason of a push retired from a backlog (it waited for a way to send, not for the person).
BACKLOG_MARK = "backlog:"
# Starts the error of an attempt that failed for want of an access token (not the push's fault).
UNSENDABLE_MARK = "no token:"


def enqueue(
    *,
    session: Session,
    openid: str,
    audience: str,
    kind: str,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    not_before: datetime | None = None,
) -> Outbox:
    row = Outbox(
        openid=openid,
        audience=audience,
        kind=kind,
        ticket_id=ticket_id,
        text=text,
        created_at=now,
        next_attempt_at=not_before or now,
    )
    session.add(row)
    session.flush()
    return row


def _claimable(now: Any, database_time: Any, table: type[Outbox] = Outbox) -> ColumnElement[bool]:
    """Pending and due as of now (the sweep's moment, maybe simulated), or claimed by a drain whose
    lease ran out on the database's clock (that drain died or hung)."""
    return or_(
        and_(col(table.status) == OutboxStatus.PENDING, col(table.next_attempt_at) <= now),
        and_(col(table.status) == OutboxStatus.SENDING, col(table.lease_until) <= database_time),
    )


def due_ids(*, session: Session, now: datetime, limit: int) -> Sequence[int]:
    """Pushes that may be attempted now: pending ones whose time has come, and abandoned claims."""
    return session.exec(
        select(Outbox.id)
        .where(_claimable(now, database_now(session)))
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(limit)
    ).all()  # type: ignore[return-value]


def claim(*, session: Session, outbox_id: int, now: datetime, lease: timedelta) -> Outbox | None:
    """Take one push for sending for lease on the database's clock; None when another drain has it.

    A claim whose drain died is taken again once its lease has run out; that attempt's fate is
    unknown (the push may have gone out), which `unknown_fate` counts.
    """
    return _claim(session, outbox_id, now, database_now(session), lease)


def _claim(session: Session, outbox_id: int, now: datetime, database_time: datetime, lease: timedelta) -> Outbox | None:
    values = {"outbox_id": outbox_id, "now": now, "database_time": database_time, "lease_until": database_time + lease}
    if session.execute(_CLAIM, values).rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Outbox, outbox_id, populate_existing=True)


# The drain's statements are built once (the values are bound at execution): building them, not
# running them, was most of the CPU a push cost (bench/intake.py, py-spy under load).
_CLAIM = (
    update(Outbox)
    .where(col(Outbox.id) == bindparam("outbox_id"), _claimable(bindparam("now"), bindparam("database_time")))
    .values(
        unknown_fate=Outbox.unknown_fate + case((col(Outbox.status) == OutboxStatus.SENDING, 1), else_=0),
        status=OutboxStatus.SENDING,
        lease_until=bindparam("lease_until"),
        attempts=Outbox.attempts + 1,
    )
)


def _next_claimable() -> Any:
    """The first claimable push of somebody with none in flight and none claimable before it."""
    now: Any = bindparam("now")
    database_time: Any = bindparam("database_time")
    other = aliased(Outbox)
    same_person = col(other.openid) == col(Outbox.openid)
    in_flight = exists().where(
        same_person, col(other.status) == OutboxStatus.SENDING, col(other.lease_until) > database_time
    )
    earlier = exists().where(
        same_person,
        _claimable(now, database_time, other),
        or_(
            col(other.next_attempt_at) < col(Outbox.next_attempt_at),
            and_(col(other.next_attempt_at) == col(Outbox.next_attempt_at), col(other.id) < col(Outbox.id)),
        ),
    )
    return (
        select(Outbox.id)
        .where(_claimable(now, database_time), ~in_flight, ~earlier)
        .order_by(col(Outbox.next_attempt_at), col(Outbox.id))
        .limit(1)
        .with_for_update(skip_locked=True, of=Outbox)
    )


_NEXT = _next_claimable()
_NEXT_NOT_SKIPPED = _NEXT.where(col(Outbox.id).not_in(bindparam("skip", expanding=True)))


def claim_next(*, session: Session, now: datetime, lease: timedelta, skip: Collection[int] = ()) -> Outbox | None:
    """Claim the next push of somebody with none in flight: the first claimable one in their queue.

    Per recipient the order is the single drain's (due time, then id) and never two in flight at once:
    a push is taken only when no earlier one of the same person is claimable and none is being sent.
    On PostgreSQL the row is locked FOR UPDATE SKIP LOCKED, so several drains take different
    people's pushes without waiting on each other; on SQLite the write lock serialises claims.
    Pushes in skip (already tried by this drain) are not taken, and hold their person's queue.
    """
    database_time = database_now(session)
    values: dict[str, Any] = {"now": now, "database_time": database_time}
    if skip:
        values["skip"] = list(skip)
    outbox_id = session.execute(_NEXT_NOT_SKIPPED if skip else _NEXT, values).scalars().first()
    if outbox_id is None:
        return None
    return _claim(session, outbox_id, now, database_time, lease)


def settle(
    *,
    session: Session,
    outbox_id: int,
    status: OutboxStatus,
    now: datetime,
    channel: str | None = None,
    error: str | None = None,
    retry_at: datetime | None = None,
    uncertain: bool = False,
) -> None:
    """Record the outcome of an attempt (even one that comes after its lease ran out: what WeChat
    answered is the truth); uncertain counts an attempt whose outcome nobody saw."""
    row = session.get(Outbox, outbox_id, populate_existing=True)
    if row is None:
        return
    row.status = status
    row.lease_until = None
    row.unknown_fate += 1 if uncertain else 0
    row.channel = channel or row.channel
    row.last_error = error
    if status == OutboxStatus.SENT:
        row.sent_at = now
    if retry_at is not None:
        row.next_attempt_at = retry_at
    session.add(row)
    session.flush()


def release_held(*, session: Session, openid: str, now: datetime) -> int:
    """Make a person's held pushes due again (they just wrote, so their window is open)."""
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.openid) == openid, col(Outbox.status) == OutboxStatus.HELD)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


_LATEST_PUSH = (
    select(Outbox)
    .where(
        Outbox.openid == bindparam("openid"),
        Outbox.ticket_id == bindparam("ticket_id"),
        Outbox.kind == bindparam("kind"),
    )
    .order_by(col(Outbox.id).desc())
)


def latest_push(*, session: Session, openid: str, ticket_id: int, kind: str) -> Outbox | None:
    """The newest push of a kind about one ticket to one person (to collapse 附议 counts)."""
    return session.exec(_LATEST_PUSH, params={"openid": openid, "ticket_id": ticket_id, "kind": kind}).first()


def rewrite_unsent(*, session: Session, push: Outbox, text: str) -> bool:
    """Replace the text of a push nobody has tried to send yet; False when it is already on its way."""
    result = session.execute(_REWRITE_UNSENT, {"push_id": push.id, "text": text})
    if int(result.rowcount) != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(push, "text", text)  # the row as written (the statement leaves the session alone)
    return True


# An UPDATE of the table, not of the ORM entity: the session's objects are not searched for the row.
_REWRITE_UNSENT = (
    update(Outbox.__table__)  # type: ignore[attr-defined]
    .where(
        Outbox.__table__.c.id == bindparam("push_id"),  # type: ignore[attr-defined]
        Outbox.__table__.c.status.in_(fixed_values((OutboxStatus.PENDING, OutboxStatus.HELD))),  # type: ignore[attr-defined]
    )
    .values(text=bindparam("text"))
)


def supersede_held(*, session: Session, row: Outbox) -> int:
    """Retire the person's earlier held pushes that row makes stale: about the same ticket, or an older digest."""
    if row.ticket_id is None and row.kind != "digest":
        return 0  # a push about no ticket (a hand-over, a 【联系不上】) stands on its own
    if row.ticket_id is None:
        same_subject = col(Outbox.ticket_id).is_(None) & (col(Outbox.kind) == row.kind)
    elif row.kind == SURVEY:  # asking for the survey replaces an earlier ask, not the news of the result
        same_subject = (col(Outbox.ticket_id) == row.ticket_id) & (col(Outbox.kind) == SURVEY)
    else:
        same_subject = (col(Outbox.ticket_id) == row.ticket_id) & (col(Outbox.kind) != SURVEY)
    result = session.execute(
        update(Outbox)
        .where(
            col(Outbox.openid) == row.openid,
            col(Outbox.status) == OutboxStatus.HELD,
            col(Outbox.id) < row.id,
            same_subject,
        )
        .values(status=OutboxStatus.SUPERSEDED, last_error=f"superseded by #{row.id}")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


_HELD_FOR = (
    select(Outbox)
    .where(col(Outbox.openid) == bindparam("openid"), col(Outbox.status) == OutboxStatus.HELD)
    .order_by(col(Outbox.id))
)


def held_for(*, session: Session, openid: str) -> Sequence[Outbox]:
    """A person's held pushes, oldest first (built once: every message asks)."""
    return session.exec(_HELD_FOR, params={"openid": openid}).all()


def count_since(*, session: Session, openid: str, since: datetime | None) -> int:
    """How many pushes to a person were held or superseded since a moment (None: ever)."""
    query = (
        select(func.count())
        .select_from(Outbox)
        .where(
            col(Outbox.openid) == openid,
            col(Outbox.status).in_((OutboxStatus.HELD, OutboxStatus.SUPERSEDED)),
            _not_backlog(),
        )
    )
    if since is not None:
        query = query.where(col(Outbox.created_at) >= since)
    return int(session.exec(query).one())


def _not_backlog() -> ColumnElement[bool]:
    """Not a push retired from a backlog: those could not go for want of a channel, not of the person."""
    return or_(col(Outbox.last_error).is_(None), ~col(Outbox.last_error).startswith(BACKLOG_MARK))


def retire(*, session: Session, ids: Sequence[int], reason: str) -> None:
    """Mark held pushes as never to be sent (their news went out another way)."""
    if ids:
        session.execute(
            update(Outbox)
            .where(col(Outbox.id).in_(list(ids)), col(Outbox.status) == OutboxStatus.HELD)
            .values(status=OutboxStatus.SUPERSEDED, last_error=reason)
        )


def openids_with_held(*, session: Session) -> list[str]:
    """Everybody who has pushes waiting for them to write."""
    rows = session.exec(select(Outbox.openid).where(col(Outbox.status) == OutboxStatus.HELD).distinct()).all()
    return sorted(rows)


def first_undelivered_since(*, session: Session, openid: str, since: datetime | None) -> datetime | None:
    """When the first push that could not reach the person (held, or superseded while held) was decided."""
    query = select(func.min(Outbox.created_at)).where(
        col(Outbox.openid) == openid,
        col(Outbox.status).in_((OutboxStatus.HELD, OutboxStatus.SUPERSEDED)),
        _not_backlog(),
    )
    if since is not None:
        query = query.where(col(Outbox.created_at) >= since)
    return session.exec(query).one()


def newer_on_same_ticket(*, session: Session, row: Outbox, kinds: Sequence[str]) -> int | None:
    """A later push of one of kinds to the same person about the same ticket, not yet given up; its id."""
    if row.ticket_id is None:
        return None
    return session.exec(
        select(Outbox.id)
        .where(
            col(Outbox.openid) == row.openid,
            col(Outbox.ticket_id) == row.ticket_id,
            col(Outbox.id) > row.id,
            col(Outbox.kind).in_(list(kinds)),
            col(Outbox.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD, OutboxStatus.SENT)),
        )
        .order_by(col(Outbox.id).desc())
    ).first()


def openids_with_backlog(*, session: Session, now: datetime, decided_before: datetime) -> list[str]:
    """Everybody with a push due as of now, decided before decided_before, that no attempt reached WeChat with
    (never tried, or tried without an access token): it waited for a way to send, not for a retry."""
    rows = session.exec(
        select(Outbox.openid)
        .where(
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.next_attempt_at) <= now,
            col(Outbox.created_at) < decided_before,
            or_(col(Outbox.attempts) == 0, col(Outbox.last_error).startswith(UNSENDABLE_MARK)),
        )
        .distinct()
    ).all()
    return sorted(rows)


def openids_with_many_due(*, session: Session, now: datetime, at_least: int, kinds: Sequence[str]) -> list[str]:
    """Everybody with at least at_least untried pushes of kinds about tickets due as of now (a sweep's burst)."""
    rows = session.exec(
        select(Outbox.openid)
        .where(
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.next_attempt_at) <= now,
            col(Outbox.attempts) == 0,
            col(Outbox.kind).in_(list(kinds)),
            col(Outbox.ticket_id).is_not(None),
        )
        .group_by(col(Outbox.openid))
        .having(func.count() >= at_least)
    ).all()
    return sorted(rows)


def due_for(*, session: Session, openid: str, now: datetime) -> Sequence[Outbox]:
    """A person's pushes waiting to go as of now, oldest first."""
    return session.exec(
        select(Outbox)
        .where(
            col(Outbox.openid) == openid,
            col(Outbox.status) == OutboxStatus.PENDING,
            col(Outbox.next_attempt_at) <= now,
        )
        .order_by(col(Outbox.id))
    ).all()


def folded_into(*, session: Session, summary_id: int) -> Sequence[Outbox]:
    """The pushes a summary stands for (retired into it), oldest first."""
    return session.exec(
        select(Outbox)
        .where(
            col(Outbox.status) == OutboxStatus.SUPERSEDED,
            col(Outbox.last_error).in_((f"in summary #{summary_id}", f"{BACKLOG_MARK} in summary #{summary_id}")),
        )
        .order_by(col(Outbox.id))
    ).all()


def supersede(*, session: Session, ids: Sequence[int], reason: str) -> int:
    """Retire pushes still waiting to go (or re-point ones already retired into a summary); how many."""
    if not ids:
        return 0
    result = session.execute(
        update(Outbox)
        .where(
            col(Outbox.id).in_(list(ids)),
            col(Outbox.status).in_((OutboxStatus.PENDING, OutboxStatus.SUPERSEDED)),
        )
        .values(status=OutboxStatus.SUPERSEDED, last_error=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_pending(*, session: Session) -> int:
    """Pushes waiting for their first (or next) try."""
    query = select(func.count()).select_from(Outbox).where(Outbox.status == OutboxStatus.PENDING)
    return int(session.exec(query).one())

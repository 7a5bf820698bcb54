"""Repository for the shared WeChat access token: read it, claim the right to fetch the next one, store it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from storage.db import database_now, try_insert
from storage.models import AccessTokenRow


def current_token(*, session: Session, app_id: str) -> tuple[str, datetime] | None:
    """The stored token and its expiry, if there is one."""
    row = session.get(AccessTokenRow, app_id)
    if row is None or row.value is None or row.expires_at is None:
        return None
    return row.value, row.expires_at


def claim_refresh(*, session: Session, app_id: str, holder: str, lease: timedelta) -> bool:
    """Become the one that fetches the next token, unless another holder's claim is still running.

    The claim is judged on the database's clock, so processes on hosts whose clocks differ agree.
    """
    now = database_now(session)
    row = session.get(AccessTokenRow, app_id, with_for_update=True)
    if row is None:
        claimed = AccessTokenRow(app_id=app_id, refreshing_by=holder, refreshing_until=now + lease)
        if try_insert(session, claimed):
            return True
        row = session.get(AccessTokenRow, app_id, with_for_update=True, populate_existing=True)
        assert row is not None
    if row.refreshing_by not in (None, holder) and row.refreshing_until is not None and row.refreshing_until > now:
        return False
    row.refreshing_by, row.refreshing_until = holder, now + lease
    session.add(row)
    session.flush()
    return True


def release_refresh(*, session: Session, app_id: str, holder: str) -> None:
    """End this holder's claim (a claim left by a dead process runs out by itself)."""
    session.execute(
        update(AccessTokenRow)
        .where(AccessTokenRow.app_id == app_id, AccessTokenRow.refreshing_by == holder)  # type: ignore[arg-type]
        .values(refreshing_by=None, refreshing_until=None)
    )


def store_token(*, session: Session, app_id: str, value: str, expires_at: datetime) -> None:
    """Replace the shared token."""
    row = session.get(AccessTokenRow, app_id, with_for_update=True)
    if row is None:
        if try_insert(session, AccessTokenRow(app_id=app_id, value=value, expires_at=expires_at)):
            return
        row = session.get(AccessTokenRow, app_id, with_for_update=True, populate_existing=True)
        assert row is not None
    row.value, row.expires_at = value, expires_at
    session.add(row)
    session.flush()


def invalidate_token(*, session: Session, app_id: str, value: str) -> bool:
    """Forget value for everybody, unless the stored token is already another one; whether it was forgotten."""
    result = session.execute(
        update(AccessTokenRow)
        .where(AccessTokenRow.app_id == app_id, AccessTokenRow.value == value)  # type: ignore[arg-type]
        .values(value=None, expires_at=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]

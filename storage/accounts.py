"""Web accounts and their sessions (the leaders' pages): rows only, no hashing or policy."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, col, delete, select

from storage.models import WebRole, WebSession, WebUser


def user_by_name(*, session: Session, name: str) -> WebUser | None:
    return session.exec(select(WebUser).where(WebUser.name == name)).first()


def user_for_update(*, session: Session, name: str) -> WebUser | None:
    """The account, locked for this transaction where the database has row locks (failed-login counting)."""
    return session.exec(select(WebUser).where(WebUser.name == name).with_for_update()).first()


def save_user(
    *, session: Session, name: str, role: WebRole, cadre_id: int | None, password_hash: str, now: datetime
) -> tuple[WebUser, bool]:
    """Create the account, or replace its role, cadre and password (and unlock it); (user, created)."""
    user = user_by_name(session=session, name=name)
    created = user is None
    if user is None:
        user = WebUser(name=name, role=role, cadre_id=cadre_id, password_hash=password_hash, created_at=now)
    else:
        user.role, user.cadre_id, user.password_hash = role, cadre_id, password_hash
        user.failed_logins, user.locked_until = 0, None
        # A new password or role signs every browser of the account out.
        session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))
    session.add(user)
    session.flush()
    return user, created


def record_login_failure(*, session: Session, user: WebUser, locked_until: datetime | None) -> None:
    user.failed_logins += 1
    user.locked_until = locked_until
    session.add(user)
    session.flush()


def record_login_success(*, session: Session, user: WebUser) -> None:
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    session.flush()


def create_session(
    *, session: Session, user_id: int, token_hash: str, csrf_token: str, now: datetime, expires_at: datetime
) -> WebSession:
    row = WebSession(
        token_hash=token_hash, user_id=user_id, csrf_token=csrf_token, created_at=now, expires_at=expires_at
    )
    session.add(row)
    session.flush()
    return row


class SignedIn(NamedTuple):
    """A live session with its account."""

    session: WebSession
    user: WebUser


def live_session(*, session: Session, token_hash: str, now: datetime) -> SignedIn | None:
    """The unexpired session with this token hash and its account, or None."""
    row = session.exec(
        select(WebSession, WebUser)
        .join(WebUser, col(WebUser.id) == WebSession.user_id)
        .where(WebSession.token_hash == token_hash, col(WebSession.expires_at) > now)
    ).first()
    return SignedIn(*row) if row else None


def end_session(*, session: Session, token_hash: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.token_hash) == token_hash))


def purge_expired_sessions(*, session: Session, now: datetime) -> None:
    session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))

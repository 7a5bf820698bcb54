"""Web accounts: passwords (argon2), sign-in with lock-out, server-side sessions, and what each account may see."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from storage import accounts as account_repo
from storage import org_chart as org_repo
from storage.db import Database
from storage.ledger_query import Scope
from storage.models import Cadre, Role, WebRole

MIN_PASSWORD_CHARS = 8
MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCK_MINUTES = 15
SESSION_HOURS = 12  # a working day and its evening; then sign in again

_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs as long as a wrong password (no name probing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """An account cannot be created as asked; the message says why, for the operator."""


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG = "wrong"  # unknown name or wrong password: the same answer for both
    LOCKED = "locked"


@dataclass(frozen=True)
class SignIn:
    """The result of a sign-in: on success the cookie token (shown once, stored only as a hash)."""

    outcome: Outcome
    token: str | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Viewer:
    """The signed-in account behind a request, and the slice of the ledger it may see."""

    name: str
    role: WebRole
    scope: Scope
    csrf_token: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == WebRole.ADMIN


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reach_scope(cadre: Cadre) -> Scope:
    """The tickets a cadre reaches, as in chat (handlers.cadre.in_reach): their own tasks, plus the town,
    their community or their courtyard by level."""
    if cadre.role == Role.TOWN:
        return Scope()
    if cadre.role == Role.COMMUNITY:
        return Scope(everything=False, assignee_id=cadre.id, community_id=cadre.community_id)
    return Scope(everything=False, assignee_id=cadre.id, courtyard_id=cadre.courtyard_id)


def add_user(*, db: Database, name: str, role: str, cadre_name: str | None, password: str, now: datetime) -> bool:
    """Create or update a web account; True when it is new. Raises AccountError with the reason."""
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("账号名应为 1 到 64 个字符")
    try:
        web_role = WebRole(role)
    except ValueError:
        raise AccountError(f"--role 应是 admin、leader 或 cadre，收到的是 {role!r}") from None
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"密码至少要 {MIN_PASSWORD_CHARS} 个字符")
    if web_role == WebRole.CADRE and not cadre_name:
        raise AccountError("干部账号需要 --cadre 姓名（组织架构里的干部姓名）")
    if web_role != WebRole.CADRE and cadre_name:
        raise AccountError("--cadre 只用于 --role cadre")
    password_hash = _hasher.hash(password)
    with db.transaction() as session:
        cadre_id = None
        if cadre_name:
            cadre = org_repo.cadre_by_name(session=session, name=cadre_name)
            if cadre is None:
                raise AccountError(f"组织架构里没有名叫“{cadre_name}”的干部")
            cadre_id = cadre.id
        _, created = account_repo.save_user(
            session=session, name=name, role=web_role, cadre_id=cadre_id, password_hash=password_hash, now=now
        )
    return created


def sign_in(*, db: Database, name: str, password: str, now: datetime) -> SignIn:
    """Check the password; count wrong ones and lock the account after MAX_FAILURES in a row."""
    with db.transaction() as session:
        user = account_repo.user_for_update(session=session, name=name)
        if user is None:
            _matches(_DUMMY_HASH, password)
            return SignIn(Outcome.WRONG)
        if user.locked_until is not None and user.locked_until > now:
            return SignIn(Outcome.LOCKED, locked_until=user.locked_until)
        if not _matches(user.password_hash, password):
            locked = now + timedelta(minutes=LOCK_MINUTES) if user.failed_logins + 1 >= MAX_FAILURES else None
            account_repo.record_login_failure(session=session, user=user, locked_until=locked)
            return SignIn(Outcome.LOCKED, locked_until=locked) if locked else SignIn(Outcome.WRONG)
        account_repo.record_login_success(session=session, user=user)
        assert user.id is not None
        token = secrets.token_urlsafe(32)
        account_repo.purge_expired_sessions(session=session, now=now)
        account_repo.create_session(
            session=session,
            user_id=user.id,
            token_hash=token_hash(token),
            csrf_token=secrets.token_urlsafe(32),
            now=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    return SignIn(Outcome.SIGNED_IN, token=token)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def viewer(*, db: Database, token: str, now: datetime) -> Viewer | None:
    """The account signed in with this cookie token, or None (unknown or expired)."""
    if not token or len(token) > 128:
        return None
    hashed = token_hash(token)
    with db.snapshot() as session:
        signed_in = account_repo.live_session(session=session, token_hash=hashed, now=now)
        if signed_in is None:
            return None
        user = signed_in.user
        scope = Scope()
        if user.role == WebRole.CADRE:
            cadre = org_repo.get_cadre(session=session, cadre_id=user.cadre_id)
            scope = reach_scope(cadre) if cadre is not None and cadre.active else Scope(everything=False)
        return Viewer(
            name=user.name,
            role=WebRole(user.role),
            scope=scope,
            csrf_token=signed_in.session.csrf_token,
            token_hash=hashed,
        )


def sign_out(*, db: Database, viewer: Viewer) -> None:
    with db.transaction() as session:
        account_repo.end_session(session=session, token_hash=viewer.token_hash)

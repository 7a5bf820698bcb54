"""Who is asking: the session cookie, CSRF tokens, and the admin check other web modules (the simulator) use."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime

import bottle

from handlers import accounts
from handlers.accounts import Viewer
from storage.clock import utc_now
from storage.db import Database

SESSION_COOKIE = "courtyard_session"
LOGIN_CSRF_COOKIE = "courtyard_login_csrf"


def current_viewer(request: bottle.BaseRequest, *, db: Database, now: datetime | None = None) -> Viewer | None:
    """The signed-in account of this request, or None."""
    token = request.get_cookie(SESSION_COOKIE) or ""
    return accounts.viewer(db=db, token=token, now=now or utc_now())


def is_admin(request: bottle.BaseRequest, *, db: Database, now: datetime | None = None) -> bool:
    """Whether this request carries the session of an admin account (gates /simulator on a real org chart)."""
    viewer = current_viewer(request, db=db, now=now)
    return viewer is not None and viewer.is_admin


def same_token(expected: str, given: object) -> bool:
    """Constant-time comparison of a CSRF token; anything but a non-empty matching string fails."""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())


class Cookies:
    """Sets the session cookies with HttpOnly, SameSite=Lax and, over HTTPS or when configured, Secure."""

    def __init__(self, secure: bool | None) -> None:
        self._secure = secure  # None: Secure exactly when the request came over HTTPS (X-Forwarded-Proto too)

    def _is_secure(self) -> bool:
        return self._secure if self._secure is not None else bottle.request.urlparts.scheme == "https"

    def set(self, name: str, value: str, *, max_age: int | None = None) -> None:
        options: dict[str, object] = {"path": "/", "httponly": True, "samesite": "lax", "secure": self._is_secure()}
        if max_age is not None:
            options["max_age"] = max_age
        bottle.response.set_cookie(name, value, **options)

    def clear(self, name: str) -> None:
        bottle.response.set_cookie(
            name, "", path="/", httponly=True, samesite="lax", secure=self._is_secure(), max_age=0, expires=0
        )

    def login_csrf(self) -> str:
        """The pre-session CSRF token of the login form (double-submit: a cookie and a hidden field)."""
        token = bottle.request.get_cookie(LOGIN_CSRF_COOKIE) or ""
        if len(token) < 32 or len(token) > 64:
            token = secrets.token_urlsafe(32)
            self.set(LOGIN_CSRF_COOKIE, token)
        return token


Now = Callable[[], datetime]

"""A TokenStore in the database: one WeChat access token for every process, fetched by one at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from bot.wechat_api import AccessToken
from storage import access_tokens
from storage.db import Database
from storage.leader import holder_id

# Longer than a token fetch can take (the API timeout is 15 s): a claim outlives a slow fetch, and a
# claim left by a process that died mid-fetch frees itself after this.
REFRESH_LEASE = timedelta(seconds=30)
WAIT_POLL_SECONDS = 0.2


class DatabaseTokenStore:
    """The access token of one AppID, stored with its expiry; a refresh is claimed in the database so
    that one process fetches and the others wait for its token instead of fetching their own."""

    def __init__(self, db: Database, app_id: str) -> None:
        self._db = db
        self._app_id = app_id
        self._holder = holder_id()
        self._local = threading.Lock()  # one claim per process at a time

    def get(self) -> AccessToken | None:
        """The shared token, if any."""
        with self._db.snapshot() as session:
            found = access_tokens.current_token(session=session, app_id=self._app_id)
        return None if found is None else AccessToken(*found)

    def set(self, token: str, expires_at: datetime) -> None:
        """Store a new token for everybody."""
        with self._db.transaction() as session:
            access_tokens.store_token(session=session, app_id=self._app_id, value=token, expires_at=expires_at)

    def invalidate(self, token: str) -> None:
        """Forget a token WeChat refused, for every process (unless one already replaced it)."""
        with self._db.transaction() as session:
            access_tokens.invalidate_token(session=session, app_id=self._app_id, value=token)

    def refreshing(self) -> AbstractContextManager[object]:
        """Hold the claim to fetch the next token; waits while another process holds it."""
        return self._claimed()

    @contextmanager
    def _claimed(self) -> Iterator[None]:
        with self._local:
            while not self._claim():
                time.sleep(WAIT_POLL_SECONDS)
            try:
                yield
            finally:
                with self._db.transaction() as session:
                    access_tokens.release_refresh(session=session, app_id=self._app_id, holder=self._holder)

    def _claim(self) -> bool:
        with self._db.transaction() as session:
            return access_tokens.claim_refresh(
                session=session, app_id=self._app_id, holder=self._holder, lease=REFRESH_LEASE
            )

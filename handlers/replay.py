"""The replay guard: a signed webhook URL is good for one body only, in every process."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers.durability import StoreHealth
from storage import guards
from storage.clock import utc_now
from storage.db import Database, is_unavailable

log = logging.getLogger(__name__)

_REMEMBERED = 10_000


class ReplayGuard:
    """Remembers each signed URL with a hash of its body for the replay window, in the database (so
    every process sees it) and in memory (when the database is down, this process still does)."""

    def __init__(
        self, db: Database, window: timedelta, health: StoreHealth, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.db = db
        self.health = health
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, str] = OrderedDict()

    def admit(self, key: str, body_hash: str, *, use_database: bool = True) -> bool:
        """True for a URL not seen before or seen with this same body (WeChat's retry)."""
        if not self.first_seen(key, body_hash):
            return False
        if not use_database or not self.health.ok:
            return True
        try:
            with self.db.transaction(group=True) as session:
                return self.remember(session, key, body_hash)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("replay guard without the database (this process only): %s", str(exc).splitlines()[0])
            self.health.mark(ok=False, reason=str(exc).splitlines()[0])
            return True

    def first_seen(self, key: str, body_hash: str) -> bool:
        """This process's memory only: False when the URL came here before with another body."""
        with self._lock:
            seen = self._memory.get(key)
            if seen is not None and seen != body_hash:
                return False
            self._memory[key] = body_hash
            while len(self._memory) > _REMEMBERED:
                self._memory.popitem(last=False)
        return True

    def remember(self, session: Session, key: str, body_hash: str) -> bool:
        """Record the URL in the database, in the caller's transaction (the message's own, so one
        commit keeps both); False when another process saw it with another body."""
        return guards.remember_request(session=session, key=key, body_hash=body_hash, now=self.clock())

    def prune(self) -> int:
        """Forget URLs older than twice the window (their timestamps are refused anyway)."""
        with self.db.transaction() as session:
            return guards.forget_requests(session=session, before=self.clock() - 2 * self.window)

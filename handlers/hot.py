"""Hot issues of the ledger: nlp.hot's grouping over recent tickets, grouped within their courtyard.

The words come from the full-text index (cut once, when a ticket is indexed), so a grouping does not
segment thousands of texts. Grouping a month of a busy town takes seconds, so the dashboard never waits
for it: a HotBoard computes each reader's scope in a background thread and the page shows the last
result with its time (or that it is being computed).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers import search
from nlp.hot import HotIssue, Message, group
from nlp.segment import Segmenter
from storage import ledger_query
from storage.db import Database
from storage.ledger_query import Scope

DASHBOARD_DAYS = 30
DASHBOARD_TOP = 10
# A result is computed again when the ledger has a new ticket or 附议, or when it is this old (a status
# change — a withdrawal, a merge — shows within this time).
MAX_AGE_SECONDS = 300.0

log = logging.getLogger(__name__)
_segmenter = Segmenter()


def from_ledger(
    *, db: Database, scope: Scope, now: datetime, days: int = DASHBOARD_DAYS, top: int = DASHBOARD_TOP
) -> list[HotIssue]:
    """The hottest issues among tickets filed in the last days that scope may see."""
    search.refresh_index(db=db)
    with db.snapshot() as session:
        candidates = ledger_query.hot_candidates(session=session, scope=scope, since=now - timedelta(days=days))
    messages = [
        Message(
            id=str(c.id),
            subject=c.text,
            at=c.created_at,
            place=c.courtyard,
            words=tuple(c.tokens.split()),
            reporters=c.reporters,
        )
        for c in candidates
    ]
    return group(messages, segmenter=_segmenter)[:top]


@dataclass(frozen=True)
class HotResult:
    """The hot issues of one scope as of a moment."""

    issues: list[HotIssue]
    as_of: datetime
    version: Hashable  # the ledger's version it was computed on
    computed_at: float  # monotonic seconds


class HotBoard:
    """The last hot issues of each scope asked for, kept fresh by one background thread.

    latest() answers at once: the last result (None before the first) and, when the ledger changed since
    or the result is older than max_age seconds, a new computation is queued. Scopes are computed one at
    a time, so a burst of readers never runs the grouping more than once per scope.
    """

    def __init__(
        self,
        *,
        db: Database,
        clock: Callable[[], datetime],
        max_age: float = MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.clock, self.max_age, self.monotonic = db, clock, max_age, monotonic
        self._results: dict[Scope, HotResult] = {}
        self._queued: dict[Scope, None] = {}  # insertion-ordered set
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopped = False

    def latest(self, scope: Scope) -> HotResult | None:
        """The last result for scope, at once; a fresh one is queued when this one is out of date."""
        with self._lock:
            result = self._results.get(scope)
        if result is None or self.monotonic() - result.computed_at >= self.max_age or result.version != self._version():
            self.refresh(scope)
        return result

    def refresh(self, scope: Scope) -> None:
        """Queue scope for computing (once, however often asked) and make sure the thread runs."""
        with self._lock:
            if self._stopped or scope in self._queued:
                return
            self._queued[scope] = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="courtyard-hot-issues", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def wait(self, scope: Scope, timeout: float) -> HotResult | None:
        """The result for scope once nothing is queued for it (for start-up and tests); None on timeout."""
        deadline = self.monotonic() + timeout
        with self._lock:
            while scope in self._queued or scope not in self._results:
                left = deadline - self.monotonic()
                if left <= 0 or self._stopped:
                    return None
                self._changed.wait(left)
            return self._results[scope]

    def stop(self) -> None:
        """Stop after the computation under way (if any); nothing is computed afterwards."""
        with self._lock:
            self._stopped = True
            self._queued.clear()
            thread = self._thread
            self._changed.notify_all()
        if thread is not None:
            thread.join(timeout=60)

    def _version(self) -> Hashable:
        with self.db.snapshot() as session:
            return ledger_query.ledger_version(session=session)

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopped or not self._queued:
                    self._thread = None
                    return
                scope = next(iter(self._queued))
            try:
                version = self._version()
                now = self.clock()
                issues = from_ledger(db=self.db, scope=scope, now=now)
                result: HotResult | None = HotResult(issues, now, version, self.monotonic())
            except Exception:  # the next page view asks again; the page keeps the last result meanwhile
                log.exception("hot issues could not be computed")
                result = None
            with self._lock:
                if result is not None:
                    self._results[scope] = result
                self._queued.pop(scope, None)
                self._changed.notify_all()

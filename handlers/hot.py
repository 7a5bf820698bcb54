"""Hot issues of the ledger: nlp.hot's grouping over recent tickets, grouped within their courtyard.

The words come from the full-text index (cut once, when a ticket is indexed), so a dashboard does not
segment thousands of texts; the answer is kept a few minutes per reader's scope.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from handlers import search
from nlp.hot import HotIssue, Message, group
from nlp.segment import Segmenter
from storage import ledger_query
from storage.db import Database
from storage.ledger_query import Scope

DASHBOARD_DAYS = 30
DASHBOARD_TOP = 10
CACHE_SECONDS = 300.0

_segmenter = Segmenter()
_cache: dict[tuple[str, Scope, int, int], tuple[float, list[HotIssue]]] = {}
_lock = threading.Lock()


def from_ledger(
    *,
    db: Database,
    scope: Scope,
    now: datetime,
    days: int = DASHBOARD_DAYS,
    top: int = DASHBOARD_TOP,
    monotonic: Callable[[], float] = time.monotonic,
) -> list[HotIssue]:
    """The hottest issues among tickets filed in the last days that scope may see (cached CACHE_SECONDS)."""
    key = (str(db.engine.url), scope, days, top)
    with _lock:
        cached = _cache.get(key)
        if cached and monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
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
    issues = group(messages, segmenter=_segmenter)[:top]
    with _lock:
        _cache[key] = (monotonic(), issues)
    return issues

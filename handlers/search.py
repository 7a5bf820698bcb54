"""Full-text search over tickets: texts and queries cut by the same tokenizer, the index kept up to date."""

from __future__ import annotations

import re
import threading

from sqlalchemy.exc import IntegrityError

from nlp.segment import Segmenter
from storage import ledger_query
from storage.db import Database

INDEX_BATCH = 500
MAX_TERMS = 12
_WORDISH = re.compile(r"[^\W_]")  # a letter or digit, not just an underscore

# No org-chart words: the index must cut a text the same way whenever it was filed and whatever the
# org chart was then, and so must the query.
_segmenter = Segmenter()
_lock = threading.Lock()


def words(text: str) -> list[str]:
    """The searchable words of a text: the tokenizer's tokens, lower-cased, punctuation dropped."""
    return [t.lower() for t in _segmenter.cut(text) if _WORDISH.search(t)]


def query_terms(text: str) -> tuple[str, ...]:
    """The distinct words of a search box's text (at most MAX_TERMS); all must occur in a ticket."""
    return tuple(dict.fromkeys(words(text[:200])))[:MAX_TERMS]


def refresh_index(*, db: Database) -> int:
    """Index every ticket not yet indexed, and again every ticket joined by a neighbour (附议) since it was
    (each reporter's words are searchable); how many were written."""
    added = 0
    with _lock:
        for pending in (ledger_query.unindexed, ledger_query.endorsed_since_indexed):
            while True:
                # Texts are cut outside the write: the writer's turn is held for the inserts alone, so
                # messages arriving meanwhile are not kept waiting (or journaled) behind a long backlog.
                with db.snapshot() as session:
                    batch = pending(session=session, limit=INDEX_BATCH)
                rows = [(item, " ".join(w for text in item.texts for w in words(text))) for item in batch]
                try:
                    with db.transaction() as session:
                        ledger_query.add_to_index(session=session, rows=rows)
                except IntegrityError:  # another process indexed the same tickets first
                    continue
                added += len(batch)
                if len(batch) < INDEX_BATCH:
                    break
    return added

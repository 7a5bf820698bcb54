"""What keeps a message safe when the database is not: the store's health and journal records."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from handlers.messages import Inbound

log = logging.getLogger(__name__)

Record = dict[str, Any]
_FIELDS = {f.name for f in fields(Inbound)}


class StoreHealth:
    """Whether the database takes messages now: set by every message handled and by probes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ok = True
        self.reason = ""

    @property
    def ok(self) -> bool:
        with self._lock:
            return self._ok

    def mark(self, *, ok: bool, reason: str = "") -> None:
        with self._lock:
            changed, self._ok = ok != self._ok, ok
            self.reason = "" if ok else reason
        if changed and ok:
            log.warning("database takes messages again")
        elif changed:
            log.error("database cannot take messages: %s", reason)


def to_record(inbound: Inbound, *, reply: str, now: datetime) -> Record:
    """A journal record: the message, the reply it was given, and when it came."""
    record = asdict(inbound)
    record["sent_at"] = inbound.sent_at.isoformat()
    return record | {"reply": reply, "received_at": now.isoformat()}


def from_record(record: Record) -> Inbound:
    """The message a journal record holds."""
    values = {k: v for k, v in record.items() if k in _FIELDS}
    values["sent_at"] = datetime.fromisoformat(str(values["sent_at"]))
    return Inbound(**values)

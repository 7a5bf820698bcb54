"""Timezone rules for stored timestamps: always aware, always UTC in the database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is a bug, so it is refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
    return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ShiftedClock:
    """Real time plus an offset that only grows: the demo's time machine moves the whole server forward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        with self._lock:
            return utc_now() + self._offset

    def set(self, moment: datetime) -> None:
        """Make now `moment`; a moment in the past is ignored (the ledger never runs backwards)."""
        with self._lock:
            self._offset = max(self._offset, as_utc(moment) - utc_now())

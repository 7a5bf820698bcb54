"""Timezone rules for stored timestamps: always aware, always UTC in the database."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is a bug, so it is refused."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
    return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)

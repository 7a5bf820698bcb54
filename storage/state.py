"""Per-person conversation state: what the bot is waiting for from someone, keyed by openid."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.db import try_insert
from storage.models import ConversationState

_KNOWN = "courtyard.conversation_state"  # session.info: openid -> their row as this transaction read it


def get_state(*, session: Session, openid: str) -> ConversationState | None:
    known: dict[str, ConversationState | None] = session.info.get(_KNOWN, {})
    if openid in known:
        return known[openid]
    return session.get(ConversationState, openid)


def note_state(*, session: Session, openid: str, row: ConversationState | None) -> None:
    """The person's state as this transaction just read it (storage.first_look): not read again."""
    session.info.setdefault(_KNOWN, {})[openid] = row


def set_state(*, session: Session, openid: str, state: str, payload: str, now: datetime) -> None:
    session.info.get(_KNOWN, {}).pop(openid, None)
    row = session.get(ConversationState, openid, with_for_update=True)
    if row is None:
        if try_insert(session, ConversationState(openid=openid, state=state, payload=payload, updated_at=now)):
            return
        # A concurrent message from the same person wrote it first.
        row = session.get(ConversationState, openid, with_for_update=True, populate_existing=True)
        assert row is not None
    row.state, row.payload, row.updated_at = state, payload, now
    session.add(row)
    session.flush()


def clear_state(*, session: Session, openid: str) -> None:
    session.info.get(_KNOWN, {}).pop(openid, None)
    row = session.get(ConversationState, openid)
    if row is not None:
        session.delete(row)
        session.flush()

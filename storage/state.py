"""Per-person conversation state: what the bot is waiting for from someone, keyed by openid."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.db import try_insert
from storage.models import ConversationState


def get_state(*, session: Session, openid: str) -> ConversationState | None:
    return session.get(ConversationState, openid)


def set_state(*, session: Session, openid: str, state: str, payload: str, now: datetime) -> None:
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
    row = session.get(ConversationState, openid)
    if row is not None:
        session.delete(row)
        session.flush()

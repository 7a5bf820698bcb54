"""Per-person conversation state: what the bot is waiting for from someone, keyed by openid."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import ConversationState


def get_state(*, session: Session, openid: str) -> ConversationState | None:
    return session.get(ConversationState, openid)


def set_state(*, session: Session, openid: str, state: str, payload: str, now: datetime) -> None:
    row = session.get(ConversationState, openid) or ConversationState(openid=openid, state=state)
    row.state, row.payload, row.updated_at = state, payload, now
    session.add(row)
    session.flush()


def clear_state(*, session: Session, openid: str) -> None:
    row = session.get(ConversationState, openid)
    if row is not None:
        session.delete(row)
        session.flush()

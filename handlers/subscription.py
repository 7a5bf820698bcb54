"""Follow and unfollow: the welcome text, and binding a resident to a courtyard from a QR-code scene."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from handlers import texts
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.models import Resident

# WeChat prefixes the scene of a follow-by-QR-code with "qrscene_"; a scan by a follower has none.
_SCENE = re.compile(r"^(?:qrscene_)?courtyard:(\d+)$")


def bind_from_scene(*, session: Session, resident: Resident, event_key: str | None) -> str | None:
    """Bind the resident to the courtyard named by a `courtyard:<id>` scene; its name, or None."""
    match = _SCENE.match((event_key or "").strip())
    if match is None:
        return None
    courtyard = org_repo.get_courtyard(session=session, courtyard_id=int(match.group(1)))
    if courtyard is None:
        return None
    resident.courtyard_id = courtyard.id
    session.add(resident)
    session.flush()
    return courtyard.name


def on_subscribe(*, session: Session, resident: Resident, event_key: str | None) -> str:
    courtyard = bind_from_scene(session=session, resident=resident, event_key=event_key)
    if courtyard is None:
        return texts.WELCOME
    return texts.WELCOME + "\n" + texts.WELCOME_BOUND.format(courtyard=courtyard)


def on_scan(*, session: Session, resident: Resident, event_key: str | None) -> str:
    courtyard = bind_from_scene(session=session, resident=resident, event_key=event_key)
    return texts.WELCOME_BOUND.format(courtyard=courtyard) if courtyard else ""


def on_unsubscribe(*, session: Session, openid: str, now: datetime) -> str:
    ticket_repo.set_resident_subscribed(session=session, openid=openid, subscribed=False, now=now)
    return ""

"""Deciding a push: writes the outbox row, in the same transaction as the change it is about."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import texts
from handlers.policy import WorkCalendar
from storage import org as org_repo
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.models import Cadre, Role, Ticket


def tell_cadre(*, session: Session, cadre: Cadre, kind: str, text: str, now: datetime, ticket_id: int | None) -> bool:
    """Queue a push to a cadre; False when they have not bound a WeChat account yet."""
    if not cadre.openid:
        return False
    outbox_repo.enqueue(
        session=session, openid=cadre.openid, audience="cadre", kind=kind, ticket_id=ticket_id, text=text, now=now
    )
    return True


def tell_resident(
    *, session: Session, calendar: WorkCalendar, ticket: Ticket, kind: str, text: str, now: datetime
) -> bool:
    """Queue a push to the resident who filed ticket and the neighbours who endorsed it (附议).

    False when nobody can be told (a ticket a cadre entered, or everyone unfollowed).

    Outside quiet hours it goes at once; inside them it waits for the morning unless the ticket is urgent.
    """
    if ticket.resident_id is None or ticket.id is None:
        return False
    filer = ticket_repo.get_resident(session=session, resident_id=ticket.resident_id)
    people = [filer] if filer is not None else []
    if kind != "survey":  # the survey is the filer's to answer; neighbours who endorsed hear the news
        people += ticket_repo.endorsers(session=session, ticket_id=ticket.id)
    told = False
    for person in people:
        if not person.subscribed:
            continue
        outbox_repo.enqueue(
            session=session,
            openid=person.openid,
            audience="resident",
            kind=kind,
            ticket_id=ticket.id,
            text=text,
            now=now,
            not_before=now if ticket.urgent else calendar.next_push_time(now),
        )
        told = True
    return told


def courtyard_label(session: Session, ticket: Ticket) -> str:
    """The ticket's courtyard as people read it in a message."""
    name = org_repo.courtyard_name_of(session=session, courtyard_id=ticket.courtyard_id)
    return name or texts.UNKNOWN_COURTYARD_NAME


def levels_above(session: Session, ticket: Ticket, cadre: Cadre) -> list[list[Cadre]]:
    """The cadres of each level above cadre for this ticket, nearest first (empty levels dropped)."""
    levels: list[list[Cadre]] = []
    if cadre.role == Role.COURTYARD and ticket.community_id is not None:
        levels.append(list(org_repo.community_cadres(session=session, community_id=ticket.community_id)))
    if cadre.role != Role.TOWN:
        levels.append([c for c in org_repo.town_cadres(session=session) if c.id != cadre.id])
    return [level for level in levels if level]

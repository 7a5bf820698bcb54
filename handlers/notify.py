"""Deciding a push: writes the outbox row, in the same transaction as the change it is about."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import texts
from handlers.workcalendar import WorkCalendar
from storage import org_chart as org_repo
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.models import Cadre, Resident, Role, Ticket


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
    """Queue a push to everyone who reported ticket: its filer and the neighbours who joined it (附议).

    False when nobody can be told (a ticket a cadre entered, or everyone unfollowed).

    Outside quiet hours it goes at once; inside them it waits for the morning unless the ticket is urgent.
    """
    if ticket.resident_id is None or ticket.id is None:
        return False
    told = False
    for person in reporters(session, ticket):
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
            not_before=resident_push_time(calendar, ticket, now),
        )
        told = True
    return told


def tell_person(
    *, session: Session, calendar: WorkCalendar, ticket: Ticket, openid: str, kind: str, text: str, now: datetime
) -> None:
    """Queue news of ticket to one resident, at the time residents may hear it."""
    outbox_repo.enqueue(
        session=session,
        openid=openid,
        audience="resident",
        kind=kind,
        ticket_id=ticket.id,
        text=text,
        now=now,
        not_before=resident_push_time(calendar, ticket, now),
    )


def resident_push_time(calendar: WorkCalendar, ticket: Ticket, now: datetime) -> datetime:
    """When news of ticket may reach its residents: now, or the end of quiet hours unless it is urgent."""
    return now if ticket.urgent else calendar.next_push_time(now)


def reporters(session: Session, ticket: Ticket) -> list[Resident]:
    """Everyone who reported the ticket: the filer and the neighbours who joined it (附议); all are parties."""
    if ticket.id is None:
        return []
    filer = ticket_repo.get_resident(session=session, resident_id=ticket.resident_id) if ticket.resident_id else None
    return ([filer] if filer is not None else []) + list(ticket_repo.endorsers(session=session, ticket_id=ticket.id))


SECONDED_PUSH_EVERY = timedelta(hours=1)


def tell_seconded(*, session: Session, cadre: Cadre, ticket: Ticket, count: int, text: str, now: datetime) -> None:
    """Tell the assignee that neighbours joined the ticket: one push per ticket per hour at most, with the count.

    A 附议 push not sent yet is rewritten with the new count; after one went out, the next waits an hour.
    """
    if not cadre.openid or ticket.id is None:
        return
    last = outbox_repo.latest_push(session=session, openid=cadre.openid, ticket_id=ticket.id, kind="seconded")
    if last is not None and outbox_repo.rewrite_unsent(session=session, push=last, text=text):
        return
    not_before = now
    if last is not None and last.created_at > now - SECONDED_PUSH_EVERY:
        not_before = max(now, (last.sent_at or last.next_attempt_at) + SECONDED_PUSH_EVERY)
    outbox_repo.enqueue(
        session=session,
        openid=cadre.openid,
        audience="cadre",
        kind="seconded",
        ticket_id=ticket.id,
        text=text,
        now=now,
        not_before=not_before,
    )


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

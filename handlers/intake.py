"""Intake: a complaint, photo or location becomes a ticket routed to the cadre who answers for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

import nlp
from handlers import notify, texts, timers
from handlers.context import Context
from storage import org as org_repo
from storage import tickets as ticket_repo
from storage.models import Cadre, Courtyard, Resident, Role, Ticket

# A photo or location sent this soon after a complaint belongs to it.
ATTACH_WINDOW = timedelta(hours=24)
PHOTO_PLACEHOLDER = "（居民发来一张照片）"
# A complaint about the same problem in the same courtyard this recently joins the open ticket (附议).
DUPLICATE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Routing:
    """Where a ticket went: its courtyard's name (or None for triage) and who was told."""

    courtyard: str | None
    assignee: Cadre | None


def file_complaint(*, session: Session, ctx: Context, resident: Resident, text: str, now: datetime) -> str:
    """File free text (or a voice transcript) from a resident and say what happens next."""
    if not text.strip():
        return texts.EMPTY_TEXT
    analyzer = ctx.analyzers.for_session(session)
    analysis = analyzer.analyze(text)
    if analysis.is_small_talk:
        return texts.SMALL_TALK
    hotline = texts.URGENT_PREFIX.format(hotline=analysis.hotline_text) if analysis.hotline_text else ""
    courtyard = resolve_courtyard(session=session, name=analysis.courtyard, resident_id=resident.id)
    if courtyard is not None:
        seconded = _second(session, analyzer, resident, courtyard, text.strip(), now)
        if seconded is not None:
            return hotline + seconded
    ticket = new_ticket(text=text.strip(), analysis=analysis, now=now, resident_id=resident.id)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid)
    routing = route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=analysis.courtyard, now=now)
    if analysis.needs_triage:
        ask_triage(session=session, ticket=ticket, analysis=analysis, courtyard=routing.courtyard, now=now)
    return hotline + _filed_reply(ticket, routing)


def _second(
    session: Session, analyzer: nlp.Analyzer, resident: Resident, courtyard: Courtyard, text: str, now: datetime
) -> str | None:
    """Link the complaint to an open ticket of the same courtyard about the same problem (附议), if any."""
    assert courtyard.id is not None and resident.id is not None
    since = now - DUPLICATE_WINDOW
    for earlier in ticket_repo.recent_open_in_courtyard(session=session, courtyard_id=courtyard.id, since=since):
        if not analyzer.is_duplicate(text, earlier.text):
            continue
        assert earlier.id is not None
        if earlier.resident_id == resident.id or not ticket_repo.add_endorsement(
            session=session, ticket_id=earlier.id, resident_id=resident.id, text=text, now=now
        ):
            return texts.ALREADY_REPORTED.format(number=earlier.id)
        count = ticket_repo.reporters(session=session, ticket_id=earlier.id)
        ticket_repo.add_event(
            session=session, ticket=earlier, kind="seconded", actor=resident.openid, note=text, at=now
        )
        assignee = org_repo.get_cadre(session=session, cadre_id=earlier.assignee_id)
        if assignee is not None:
            notify.tell_cadre(
                session=session,
                cadre=assignee,
                kind="seconded",
                ticket_id=earlier.id,
                now=now,
                text=texts.SECONDED_TASK.format(number=earlier.id, count=count, text=text),
            )
        return texts.SECONDED.format(number=earlier.id, count=count)
    return None


def enter_for_resident(*, session: Session, ctx: Context, cadre: Cadre, text: str, now: datetime) -> Ticket:
    """File a ticket a cadre took down for a resident (代录); their own courtyard unless the text names one."""
    analysis = ctx.analyzers.for_session(session).analyze(text)
    ticket = new_ticket(text=text.strip(), analysis=analysis, now=now, resident_id=None)
    ticket.entered_by_cadre_id = cadre.id
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=cadre.name, note="干部代录")
    courtyard_name = analysis.courtyard
    if courtyard_name is None and cadre.courtyard_id is not None:
        own = org_repo.get_courtyard(session=session, courtyard_id=cadre.courtyard_id)
        courtyard_name = own.name if own else None
    routing = route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=courtyard_name, now=now)
    if analysis.needs_triage:
        ask_triage(session=session, ticket=ticket, analysis=analysis, courtyard=routing.courtyard, now=now)
    return ticket


def attach_photo(
    *, session: Session, ctx: Context, resident: Resident, url: str, media_id: str | None, now: datetime
) -> str:
    """Add a photo to the resident's fresh open ticket, or start a ticket from it."""
    note = f"照片 {url}" + (f" (media_id {media_id})" if media_id else "")
    ticket = ticket_repo.latest_open_ticket(session=session, resident_id=_id(resident), since=now - ATTACH_WINDOW)
    if ticket is not None:
        ticket_repo.add_event(session=session, ticket=ticket, kind="photo", actor=resident.openid, note=note, at=now)
        return texts.PHOTO_ATTACHED.format(number=ticket.id)
    ticket = Ticket(text=PHOTO_PLACEHOLDER, category=nlp.OTHER, resident_id=resident.id, created_at=now, updated_at=now)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid, note=note)
    route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=None, now=now)
    return texts.PHOTO_FILED.format(number=ticket.id)


def attach_location(
    *,
    session: Session,
    ctx: Context,
    resident: Resident,
    lat: float,
    lon: float,
    label: str | None,
    now: datetime,
) -> str:
    """Add a location to the resident's fresh open ticket (routing it if it had no courtyard), or start one."""
    analyzer = ctx.analyzers.for_session(session)
    nearest = analyzer.nearest(lat, lon)
    note = f"位置 {label or ''} ({lat:.5f}, {lon:.5f})".replace("  ", " ")
    ticket = ticket_repo.latest_open_ticket(session=session, resident_id=_id(resident), since=now - ATTACH_WINDOW)
    if ticket is not None:
        ticket.lat, ticket.lon = lat, lon
        ticket_repo.add_event(session=session, ticket=ticket, kind="location", actor=resident.openid, note=note, at=now)
        if ticket.courtyard_id is None and nearest is not None:
            route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=nearest, now=now)
        return texts.LOCATION_ATTACHED.format(number=ticket.id)
    ticket = Ticket(
        text=f"（居民发来位置：{label or '未标注'}）",
        category=nlp.OTHER,
        resident_id=resident.id,
        lat=lat,
        lon=lon,
        created_at=now,
        updated_at=now,
    )
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid, note=note)
    route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=nearest, now=now)
    return texts.LOCATION_FILED.format(number=ticket.id)


def resolve_courtyard(*, session: Session, name: str | None, resident_id: int | None) -> Courtyard | None:
    """The courtyard named in the message, else the one the resident registered with."""
    courtyard = org_repo.courtyard_by_name(session=session, name=name) if name else None
    if courtyard is None and resident_id is not None:
        resident = ticket_repo.get_resident(session=session, resident_id=resident_id)
        if resident is not None and resident.courtyard_id is not None:
            courtyard = org_repo.get_courtyard(session=session, courtyard_id=resident.courtyard_id)
    return courtyard


def route_ticket(
    *, session: Session, ctx: Context, ticket: Ticket, courtyard_name: str | None, now: datetime
) -> Routing:
    """Place the ticket in a courtyard (named, else the resident's own) and tell whoever answers for it.

    Without a courtyard the town's cadres triage it. An urgent ticket is pushed to every bound cadre
    of its courtyard and community at once.
    """
    courtyard = resolve_courtyard(session=session, name=courtyard_name, resident_id=ticket.resident_id)
    if courtyard is not None:
        ticket.courtyard_id = courtyard.id
        ticket.community_id = courtyard.community_id
    candidates = org_repo.responsible_cadres(session=session, courtyard_id=ticket.courtyard_id)
    bound = [c for c in candidates if c.openid]
    assignee = pick_assignee(candidates)
    ticket.assignee_id = assignee.id if assignee else None
    if ticket.due_at is None:
        timers.on_filed(ticket, ctx.calendar, now)
    else:
        timers.on_assigned(ticket, ctx.calendar, now)
    yard_name = courtyard.name if courtyard else None
    ticket_repo.add_event(
        session=session,
        ticket=ticket,
        kind="routed",
        actor="system",
        note=f"{yard_name or texts.UNKNOWN_COURTYARD_NAME} → {assignee.name if assignee else '无人负责'}",
        at=now,
    )
    told = bound[:1]
    if ticket.urgent:
        told = [c for c in bound if c.role != Role.TOWN] or told
    for cadre in told:
        notify.tell_cadre(
            session=session,
            cadre=cadre,
            kind="new_task",
            ticket_id=ticket.id,
            text=task_text(ticket, yard_name, ctx),
            now=now,
        )
    return Routing(courtyard=yard_name, assignee=assignee)


def ask_triage(
    *, session: Session, ticket: Ticket, analysis: nlp.Analysis, courtyard: str | None, now: datetime
) -> None:
    """Ask the town's triage cadre to set the category the classifier was unsure of (归类)."""
    town = pick_assignee([c for c in org_repo.town_cadres(session=session) if c.openid])
    if town is None:
        return
    notify.tell_cadre(
        session=session,
        cadre=town,
        kind="triage",
        ticket_id=ticket.id,
        now=now,
        text=texts.TRIAGE_TASK.format(
            number=ticket.id,
            courtyard=courtyard or texts.UNKNOWN_COURTYARD_NAME,
            guess=analysis.category,
            confidence=round(analysis.confidence * 100),
            text=ticket.text,
        ),
    )


def pick_assignee(candidates: Sequence[Cadre]) -> Cadre | None:
    """The first candidate who can be reached in WeChat, else the first one at all."""
    return next((c for c in candidates if c.openid), candidates[0] if candidates else None)


def task_text(ticket: Ticket, courtyard: str | None, ctx: Context) -> str:
    yard = courtyard or texts.UNKNOWN_COURTYARD_NAME
    if ticket.urgent:
        return texts.NEW_TASK_URGENT.format(
            number=ticket.id, reason=ticket.urgent_reason or "紧急情况", courtyard=yard, text=ticket.text
        )
    return texts.NEW_TASK.format(
        number=ticket.id,
        category=texts.category_label(ticket.category),
        courtyard=yard,
        created=ctx.local_time(ticket.created_at),
        text=ticket.text,
    )


def new_ticket(*, text: str, analysis: nlp.Analysis, now: datetime, resident_id: int | None) -> Ticket:
    """A ticket for text; a category the classifier is unsure of is left for a person to set (其他)."""
    return Ticket(
        text=text,
        category=nlp.OTHER if analysis.needs_triage else analysis.category,
        confidence=analysis.confidence,
        urgent=analysis.urgent,
        urgent_reason=analysis.urgent_reason,
        resident_id=resident_id,
        created_at=now,
        updated_at=now,
    )


def _filed_reply(ticket: Ticket, routing: Routing) -> str:
    if routing.courtyard is None:
        return texts.FILED_TRIAGE.format(number=ticket.id)
    return texts.FILED_ROUTED.format(number=ticket.id, courtyard=routing.courtyard)


def _id(resident: Resident) -> int:
    assert resident.id is not None
    return resident.id

"""Intake: a complaint, photo or location becomes a ticket routed to the cadre who answers for it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

import nlp
from handlers import lifecycle, notify, texts, timers
from handlers.context import Context
from storage import org_chart as org_repo
from storage import photos as photo_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Cadre, Courtyard, Resident, Role, Ticket, TicketStatus

# A photo or location sent this soon after a complaint belongs to it.
ATTACH_WINDOW = timedelta(hours=24)
PHOTO_PLACEHOLDER = "（居民发来一张照片）"
# A complaint about the same problem in the same courtyard this recently joins the open ticket (附议).
DUPLICATE_WINDOW = timedelta(days=7)
# The same complaint again from the same person this soon joins their own ticket, with no new push.
FLOOD_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class Routing:
    """Where a ticket went: its courtyard's name (or None for triage) and who was told."""

    courtyard: str | None
    assignee: Cadre | None


def file_complaint(
    *, session: Session, ctx: Context, resident: Resident, text: str, analysis: nlp.Analysis, now: datetime
) -> str:
    """File a complaint from a resident (free text or a voice transcript) and say what happens next.

    The same text again within minutes joins the resident's own ticket; the same problem at the same
    place within 7 days joins the neighbours' open ticket (附议); otherwise a new ticket is routed.
    """
    text = text.strip()
    hotline = texts.URGENT_PREFIX.format(hotline=analysis.hotline_text) if analysis.hotline_text else ""
    building = analysis.building
    same_problem = _SameProblem(session, ctx)
    repeated = _repeated(session, same_problem, resident, text, building, now)
    if repeated is not None:
        return hotline + texts.ALREADY_REPORTED.format(number=repeated.id)
    courtyard = resolve_courtyard(session=session, ctx=ctx, name=analysis.courtyard, resident_id=resident.id)
    if courtyard is not None:
        seconded = _second(session, ctx, same_problem, resident, courtyard, text, analysis, building, now)
        if seconded is not None:
            return hotline + seconded
    ticket = new_ticket(text=text, analysis=analysis, now=now, resident_id=resident.id)
    same_problem.key(ticket, building)
    # Placed before it is written: the ticket goes in with its courtyard, assignee and deadlines.
    placed = _place(session=session, ctx=ctx, ticket=ticket, courtyard=courtyard, now=now)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid)
    routing = _announce(session=session, ctx=ctx, ticket=ticket, placed=placed, now=now)
    if analysis.needs_triage:
        ask_triage(session=session, ticket=ticket, analysis=analysis, courtyard=routing.courtyard, now=now)
    return hotline + _filed_reply(ticket, routing)


def _repeated(
    session: Session, same_problem: _SameProblem, resident: Resident, text: str, building: str | None, now: datetime
) -> Ticket | None:
    """The resident's own ticket of the last minutes that this message repeats (a flood), if any."""
    flat = " ".join(text.split())
    for earlier in ticket_repo.recent_own_tickets(session=session, resident_id=_id(resident), since=now - FLOOD_WINDOW):
        if " ".join(earlier.text.split()) == flat or (
            same_place(building, earlier.building)
            and same_problem(text, earlier.text, both_name_a_building=bool(building and earlier.building))
        ):
            return earlier
    return None


def _second(
    session: Session,
    ctx: Context,
    same_problem: _SameProblem,
    resident: Resident,
    courtyard: Courtyard,
    text: str,
    analysis: nlp.Analysis,
    building: str | None,
    now: datetime,
) -> str | None:
    """Join the complaint to an open ticket about the same problem at the same place (附议), if there is one.

    Same courtyard, same building or unit when both name one, same problem, filed within 7 days. An
    urgent report joins only an urgent ticket: next to a quiet one ("垃圾桶满了") it is filed as its own
    urgent ticket, so its words reach the cadres in the urgent push (a cadre may 合并 them later, and the
    merged ticket turns urgent).
    """
    assert courtyard.id is not None and resident.id is not None
    candidates = ticket_repo.duplicate_candidates(
        session=session,
        courtyard_id=courtyard.id,
        since=now - DUPLICATE_WINDOW,
        problem=same_problem.problem_at(text, building),
        urgent_only=analysis.urgent,
    )
    for candidate in candidates:
        if analysis.urgent and not candidate.urgent:
            continue
        both = bool(building and candidate.building)
        stored = candidate.problem_key_bare if both else candidate.problem_key
        if not same_place(building, candidate.building) or not same_problem(
            text, candidate.text, both_name_a_building=both, old_key=stored
        ):
            continue
        assert candidate.id is not None
        earlier = ticket_repo.get_ticket_for_update(session=session, ticket_id=candidate.id)
        if earlier is None or earlier.status not in OPEN_STATUSES:
            continue
        joined, endorsed = ticket_repo.endorsements(session=session, ticket_id=candidate.id, resident_id=resident.id)
        if joined or earlier.resident_id == resident.id:
            return texts.ALREADY_REPORTED.format(number=earlier.id)
        # The ticket is locked (or SQLite's writer is this transaction): nobody joins it meanwhile.
        added = ticket_repo.add_endorsement(
            session=session, ticket_id=candidate.id, resident_id=resident.id, text=text, now=now
        )
        count = endorsed + int(added) + (1 if earlier.resident_id is not None else 0)
        ticket_repo.add_event_now(
            session=session, ticket=earlier, kind="seconded", actor=resident.openid, note=text, at=now
        )
        assignee = ctx.org.view(session).cadre(earlier.assignee_id) or org_repo.get_cadre(
            session=session, cadre_id=earlier.assignee_id
        )
        if assignee is not None:
            notify.tell_seconded(
                session=session,
                cadre=assignee,
                ticket=earlier,
                count=count,
                now=now,
                text=texts.SECONDED_TASK.format(
                    number=earlier.id, count=count, text=texts.excerpt(text, texts.EXCERPT_CHARS)
                ),
            )
        return texts.SECONDED.format(number=earlier.id, count=count)
    return None


def key_for_seconding(*, session: Session, ctx: Context, ticket: Ticket) -> None:
    """Store on a ticket built outside intake (an import, a bench's ledger) what 附议 finds it by."""
    _SameProblem(session, ctx).key(ticket, ticket.building)


# A building, unit or door as residents write it: 一号楼, 3栋, 2单元, 301号 (the place is compared apart).
_PLACE_WORDS = re.compile(r"[0-9零〇一二两三四五六七八九十百]+\s*(?:号楼|栋|幢|号院|座|单元|号)")


class _SameProblem:
    """Whether two reports name the same problem, their courtyard names left out.

    Places are compared on their own (same courtyard, same_place); left in, "银杏小区二十一号楼" shared
    by two reports makes an elevator and a pothole look alike. Building words go too when both reports
    named one (then it is the same one); otherwise they stay, for nlp's own building check.
    """

    def __init__(self, session: Session, ctx: Context) -> None:
        self._analyzer = ctx.analyzers.for_session(session)
        self._names = ctx.analyzers.place_names(session)
        self._problems: dict[tuple[str, str | None], ticket_repo.ProblemAt] = {}  # the 附议 query's, reused by key()

    def _strip(self, text: str, buildings: bool) -> str:
        for name in self._names:
            text = text.replace(name, "")
        return _PLACE_WORDS.sub("", text) if buildings else text

    def __call__(self, new: str, old: str, *, both_name_a_building: bool, old_key: str | None = None) -> bool:
        """old_key: the old ticket's stored key for this comparison (its category, "" for none)."""
        strip = both_name_a_building
        known = None if old_key is None else old_key or nlp.OTHER
        return self._analyzer.is_duplicate(self._strip(new, strip), self._strip(old, strip), old_category=known)

    def problem_at(self, text: str, building: str | None) -> ticket_repo.ProblemAt:
        """What a ticket must share with this report to be compared with it (its keys, as __call__
        would strip the two texts: building words too only when both name a building)."""
        known = self._problems.get((text, building))
        if known is None:
            known = self._problems[(text, building)] = self._problem_at(text, building)
        return known

    def _problem_at(self, text: str, building: str | None) -> ticket_repo.ProblemAt:
        return ticket_repo.ProblemAt(
            key=self._analyzer.duplicate_key(self._strip(text, False)),
            bare_key=self._analyzer.duplicate_key(self._strip(text, True)) if building else None,
            building_no=_number(_BUILDING, building),
            unit_no=_number(_UNIT, building),
        )

    def key(self, ticket: Ticket, building: str | None) -> None:
        """Store on a new ticket what later reports find it by (duplicate_candidates)."""
        problem = self.problem_at(ticket.text, building)
        ticket.building = building
        ticket.problem_key, ticket.problem_key_bare = problem.key, problem.bare_key
        ticket.building_no, ticket.unit_no = problem.building_no, problem.unit_no


_BUILDING = re.compile(r"(\d+)栋")
_UNIT = re.compile(r"(\d+)单元")


def _number(pattern: re.Pattern[str], building: str | None) -> int | None:
    found = pattern.search(building) if building else None
    return int(found.group(1)) if found else None


def same_place(new: str | None, old: str | None) -> bool:
    """Two reports are at the same place unless both name a building (or both a unit) and they differ.

    Buildings come normalised from the analysis: 3栋, 3栋2单元, 5栋2单元301, 2单元.
    """
    if not new or not old:
        return True
    for pattern in (_BUILDING, _UNIT):
        a, b = pattern.search(new), pattern.search(old)
        if a and b and int(a.group(1)) != int(b.group(1)):
            return False
    return True


def enter_for_resident(*, session: Session, ctx: Context, cadre: Cadre, text: str, now: datetime) -> Ticket:
    """File a ticket a cadre took down for a resident (代录); their own courtyard unless the text names one.

    When it lands with the cadre who typed it, it is accepted by them at once."""
    analysis = ctx.analyzers.for_session(session).analyze(text)
    ticket = new_ticket(text=text.strip(), analysis=analysis, now=now, resident_id=None)
    ticket.entered_by_cadre_id = cadre.id
    _SameProblem(session, ctx).key(ticket, analysis.building)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=cadre.name, note="干部代录")
    courtyard_name = analysis.courtyard
    if courtyard_name is None and cadre.courtyard_id is not None:
        own = org_repo.get_courtyard(session=session, courtyard_id=cadre.courtyard_id)
        courtyard_name = own.name if own else None
    routing = route_ticket(
        session=session, ctx=ctx, ticket=ticket, courtyard_name=courtyard_name, now=now, typed_by=cadre
    )
    if ticket.assignee_id == cadre.id and ticket.status == TicketStatus.NEW:
        # taken down by the cadre who handles it: nobody is left to accept it, so nobody may be chased to
        lifecycle.accept(session=session, ticket=ticket, by=cadre, now=now)
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
        _keep_photo(session=session, ticket=ticket, url=url, media_id=media_id, now=now)
        return texts.PHOTO_ATTACHED.format(number=ticket.id)
    ticket = Ticket(text=PHOTO_PLACEHOLDER, category=nlp.OTHER, resident_id=resident.id, created_at=now, updated_at=now)
    _SameProblem(session, ctx).key(ticket, None)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid, note=note)
    route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=None, now=now)
    _keep_photo(session=session, ticket=ticket, url=url, media_id=media_id, now=now)
    return texts.PHOTO_FILED.format(number=ticket.id)


def _keep_photo(*, session: Session, ticket: Ticket, url: str, media_id: str | None, now: datetime) -> None:
    """The photo sweep (handlers/photos.py) fetches it from WeChat within WeChat's 3 days."""
    if media_id and ticket.id is not None:
        photo_repo.add_pending(session=session, ticket_id=ticket.id, media_id=media_id, pic_url=url[:2000], now=now)


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
    _SameProblem(session, ctx).key(ticket, None)
    ticket_repo.create_ticket(session=session, ticket=ticket, actor=resident.openid, note=note)
    route_ticket(session=session, ctx=ctx, ticket=ticket, courtyard_name=nearest, now=now)
    return texts.LOCATION_FILED.format(number=ticket.id)


def resolve_courtyard(*, session: Session, ctx: Context, name: str | None, resident_id: int | None) -> Courtyard | None:
    """The courtyard named in the message, else the one the resident registered with (the org chart's
    copy: read it, never add it to a session)."""
    chart = ctx.org.view(session)
    courtyard = chart.by_name.get(name) if name else None
    if courtyard is None and resident_id is not None:
        resident = ticket_repo.get_resident(session=session, resident_id=resident_id)
        if resident is not None and resident.courtyard_id is not None:
            courtyard = chart.courtyard(resident.courtyard_id)
    return courtyard


def route_ticket(
    *,
    session: Session,
    ctx: Context,
    ticket: Ticket,
    courtyard_name: str | None,
    now: datetime,
    typed_by: Cadre | None = None,
) -> Routing:
    """Place the ticket in a courtyard (named, else the resident's own) and tell whoever answers for it.

    Without a courtyard the town's cadres triage it. An urgent ticket is pushed to every bound cadre
    of its courtyard and community at once. The cadre who typed a 代录 is not told of their own ticket.
    """
    courtyard = resolve_courtyard(session=session, ctx=ctx, name=courtyard_name, resident_id=ticket.resident_id)
    placed = _place(session=session, ctx=ctx, ticket=ticket, courtyard=courtyard, now=now)
    return _announce(session=session, ctx=ctx, ticket=ticket, placed=placed, now=now, typed_by=typed_by)


@dataclass(frozen=True)
class _Placed:
    """A ticket's courtyard, who answers for it (nearest level first) and its assignee."""

    courtyard: Courtyard | None
    candidates: list[Cadre]
    assignee: Cadre | None


def _place(*, session: Session, ctx: Context, ticket: Ticket, courtyard: Courtyard | None, now: datetime) -> _Placed:
    """Set the ticket's courtyard, assignee and deadlines (nothing is written or pushed here)."""
    if courtyard is not None:
        ticket.courtyard_id = courtyard.id
        ticket.community_id = courtyard.community_id
    candidates = ctx.org.view(session).responsible(ticket.courtyard_id)
    assignee = pick_assignee(candidates)
    ticket.assignee_id = assignee.id if assignee else None
    if ticket.due_at is None:
        timers.on_filed(ticket, ctx.calendar, now)
    else:
        timers.on_assigned(ticket, ctx.calendar, now)
    return _Placed(courtyard=courtyard, candidates=candidates, assignee=assignee)


def _announce(
    *, session: Session, ctx: Context, ticket: Ticket, placed: _Placed, now: datetime, typed_by: Cadre | None = None
) -> Routing:
    """The routing's history line and the pushes to whoever must act (the ticket is written)."""
    courtyard, assignee = placed.courtyard, placed.assignee
    bound = [c for c in placed.candidates if c.openid]
    yard_name = courtyard.name if courtyard else None
    ticket_repo.add_event(
        session=session,
        ticket=ticket,
        kind="routed",
        actor="system",
        note=f"{yard_name or texts.UNKNOWN_COURTYARD_NAME} → {assignee.name if assignee else '无人负责'}",
        at=now,
    )
    told = _urgent_audience(bound) if ticket.urgent else bound[:1]
    for cadre in told:
        if typed_by is None or cadre.id != typed_by.id:
            notify.tell_cadre(
                session=session,
                cadre=cadre,
                kind="new_task",
                ticket_id=ticket.id,
                text=task_text(ticket, yard_name, ctx),
                now=now,
            )
    return Routing(courtyard=yard_name, assignee=assignee)


def _urgent_audience(bound: list[Cadre]) -> list[Cadre]:
    """Everyone bound at the courtyard and community levels (the town only when nobody else is)."""
    return [c for c in bound if c.role != Role.TOWN] or bound[:1]


def push_urgent(*, session: Session, ctx: Context, ticket: Ticket, now: datetime) -> None:
    """A ticket just became urgent: the urgent task goes at once to everyone who must act."""
    chart = ctx.org.view(session)
    bound = [c for c in chart.responsible(ticket.courtyard_id) if c.openid]
    found = chart.courtyard(ticket.courtyard_id)
    yard = found.name if found else None
    for cadre in _urgent_audience(bound):
        notify.tell_cadre(
            session=session,
            cadre=cadre,
            kind="new_task",
            ticket_id=ticket.id,
            text=task_text(ticket, yard, ctx),
            now=now,
        )


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
            text=texts.ticket_excerpt(ticket),
        ),
    )


def pick_assignee(candidates: Sequence[Cadre]) -> Cadre | None:
    """The first candidate who can be reached in WeChat, else the first one at all."""
    return next((c for c in candidates if c.openid), candidates[0] if candidates else None)


def task_text(ticket: Ticket, courtyard: str | None, ctx: Context) -> str:
    yard = courtyard or texts.UNKNOWN_COURTYARD_NAME
    if ticket.urgent:
        return texts.NEW_TASK_URGENT.format(
            number=ticket.id,
            reason=ticket.urgent_reason or "紧急情况",
            courtyard=yard,
            text=texts.ticket_excerpt(ticket),
        )
    return texts.NEW_TASK.format(
        number=ticket.id,
        category=texts.category_label(ticket.category),
        courtyard=yard,
        created=ctx.local_time(ticket.created_at),
        text=texts.ticket_excerpt(ticket),
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

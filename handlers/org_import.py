"""Loading the org chart: parse the YAML fully, then import it in one transaction (all or nothing).

A cadre the new chart leaves out loses access at once; the tickets they still answer for go, in the
same transaction, to the courtyard's other cadre or the level above, who is told in one push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers import intake, notify, texts, timers
from handlers.policy import Policy, PolicyError, parse_policy
from handlers.workcalendar import WorkCalendar
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.clock import utc_now
from storage.db import Database
from storage.models import Cadre, Role, Ticket, TicketStatus
from storage.orgfile import OrgFileError, load_org_chart

_LEVEL = {Role.COURTYARD: 0, Role.COMMUNITY: 1, Role.TOWN: 2}
HANDOVER_LINES = 15
HANDOVER_LIMIT_BYTES = 2048
EXCERPT_CHARS = 24


@dataclass(frozen=True)
class Handover:
    """What became of a removed cadre's tickets: who took which, and which found nobody."""

    cadre: str
    taken: tuple[tuple[str, tuple[int, ...]], ...]  # (successor, ticket numbers)
    stranded: tuple[int, ...]


@dataclass(frozen=True)
class Imported(org_repo.ImportResult):
    """An org import and the hand-overs it caused."""

    handovers: tuple[Handover, ...] = ()


def import_org_file(
    *, db: Database, path: Path, now: datetime | None = None, tz: ZoneInfo | None = None
) -> Imported:
    """Import path; raises storage.orgfile.OrgFileError naming the line or field, with nothing imported."""
    now = now or utc_now()
    chart = load_org_chart(path)
    try:
        policy = parse_policy(chart.policy)
    except PolicyError as exc:
        raise OrgFileError(f"{path}: {exc}") from None
    calendar = WorkCalendar(tz or ZoneInfo("Asia/Shanghai"), policy)
    with db.transaction() as session:
        result = org_repo.import_org(session=session, chart=chart, now=now)
        handovers = tuple(
            handover
            for cadre_id in result.removed
            if (handover := _hand_over(session, cadre_id, calendar, now)) is not None
        )
        return Imported(**vars(result), handovers=handovers)


def _hand_over(session: Session, cadre_id: int, calendar: WorkCalendar, now: datetime) -> Handover | None:
    """Give each ticket of a removed cadre to the nearest reachable cadre at their level or above."""
    gone = org_repo.get_cadre(session=session, cadre_id=cadre_id)
    tickets = ticket_repo.tickets_in_hand(session=session, assignee_id=cadre_id)
    if gone is None or not tickets:
        return None
    given: dict[int, list[Ticket]] = {}
    successors: dict[int, Cadre] = {}
    stranded: list[int] = []
    for ticket in tickets:
        successor = _successor(session, gone, ticket)
        if successor is None or successor.id is None or ticket.id is None:
            stranded += [ticket.id] if ticket.id is not None else []
            continue
        ticket.assignee_id = successor.id
        if ticket.status == TicketStatus.NEW:  # the new assignee is reminded and 督办'd afresh
            timers.on_assigned(ticket, calendar, now)
        session.add(ticket)
        note = texts.HANDOVER_EVENT.format(gone=gone.name, successor=successor.name)
        ticket_repo.add_event(session=session, ticket=ticket, kind="handed_over", actor="system", note=note, at=now)
        given.setdefault(successor.id, []).append(ticket)
        successors[successor.id] = successor
    for successor_id, handed in given.items():
        notify.tell_cadre(
            session=session,
            cadre=successors[successor_id],
            kind="new_task",
            ticket_id=handed[0].id if len(handed) == 1 else None,
            text=_handover_text(session, gone, handed),
            now=now,
        )
    taken = tuple(
        (successors[i].name, tuple(t.id for t in handed if t.id is not None)) for i, handed in given.items()
    )
    return Handover(cadre=gone.name, taken=taken, stranded=tuple(stranded))


def _successor(session: Session, gone: Cadre, ticket: Ticket) -> Cadre | None:
    """The courtyard's other cadre, else the community's, else the town's (never a level below gone)."""
    candidates = [
        c
        for c in org_repo.responsible_cadres(session=session, courtyard_id=ticket.courtyard_id)
        if c.active and c.id != gone.id and _LEVEL[c.role] >= _LEVEL[gone.role]
    ]
    return intake.pick_assignee(candidates)


def _handover_text(session: Session, gone: Cadre, handed: list[Ticket]) -> str:
    header = texts.HANDOVER_TASKS.format(gone=gone.name, count=len(handed))
    lines = [header]
    budget = HANDOVER_LIMIT_BYTES - _size(header) - _size(texts.HANDOVER_FOOTER) - 64
    for index, ticket in enumerate(handed):
        line = texts.HANDOVER_LINE.format(
            number=ticket.id,
            status=texts.STATUS_NAMES.get(ticket.status, ticket.status),
            courtyard=notify.courtyard_label(session, ticket),
            excerpt=texts.excerpt(ticket.text, EXCERPT_CHARS),
        )
        if index >= HANDOVER_LINES or _size(line) + 1 > budget:
            lines.append(texts.HANDOVER_MORE.format(more=len(handed) - index))
            break
        lines.append(line)
        budget -= _size(line) + 1
    lines.append(texts.HANDOVER_FOOTER)
    return "\n".join(lines)


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def load_policy(*, db: Database) -> Policy:
    """The policy of the imported org chart; raises PolicyError naming the field of a bad value."""
    with db.transaction() as session:
        return parse_policy(org_repo.policy_document(session=session))


def has_org_chart(*, db: Database) -> bool:
    with db.transaction() as session:
        return org_repo.has_org_chart(session=session)

"""A resident's own commands: 帮助, 查询, 查询 N, 撤回 N. Residents only ever see their own tickets."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import commands, notify, texts, timers
from handlers.commands import Command
from handlers.context import Context
from storage import org as org_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Resident, Ticket, TicketStatus

EXCERPT_CHARS = 30
# A command word followed by at most this much is a command; longer text is a complaint that
# happens to start with the word ("查询一下为什么路灯一直不亮……").
COMMAND_TAIL_CHARS = 12
WORDS = ("帮助", "查询", "撤回")


def parse_command(text: str) -> Command | None:
    command = commands.parse(text, WORDS)
    if command is None or len(command.tail) > COMMAND_TAIL_CHARS:
        return None
    return command


def run_command(*, session: Session, ctx: Context, resident: Resident, command: Command, now: datetime) -> str:
    if command.word == "帮助":
        return texts.HELP
    if command.number is None:
        if command.word == "查询" and not command.rest:
            return list_tickets(session=session, resident=resident)
        return texts.BAD_NUMBER.format(command=command.word)
    ticket = _own_ticket(session, resident, command.number)
    if ticket is None:
        return texts.NOT_YOUR_TICKET.format(number=command.number)
    if command.word == "查询":
        return show_ticket(session=session, ctx=ctx, ticket=ticket)
    return withdraw(session=session, ctx=ctx, resident=resident, ticket=ticket, now=now)


def list_tickets(*, session: Session, resident: Resident) -> str:
    assert resident.id is not None
    tickets = ticket_repo.tickets_of_resident(session=session, resident_id=resident.id)
    if not tickets:
        return texts.NO_TICKETS
    lines = [texts.TICKET_LIST_HEADER.format(count=len(tickets))]
    lines += [
        texts.TICKET_LIST_LINE.format(number=t.id, status=_status(t), excerpt=texts.excerpt(t.text, EXCERPT_CHARS))
        for t in tickets
    ]
    lines.append(texts.TICKET_LIST_FOOTER)
    return "\n".join(lines)


def show_ticket(*, session: Session, ctx: Context, ticket: Ticket) -> str:
    reply = texts.TICKET_DETAIL.format(
        number=ticket.id,
        status=_status(ticket),
        courtyard=notify.courtyard_label(session, ticket),
        created=ctx.local_time(ticket.created_at),
        excerpt=texts.excerpt(ticket.text, 80),
    )
    assert ticket.id is not None
    notes = [e for e in ticket_repo.history(session=session, ticket_id=ticket.id) if e.kind in ("progress", "resolved")]
    if notes and notes[-1].note:
        latest = texts.TICKET_DETAIL_RESULT if notes[-1].kind == "resolved" else texts.TICKET_DETAIL_LATEST
        reply += "\n" + latest.format(note=notes[-1].note)
    return reply


def withdraw(*, session: Session, ctx: Context, resident: Resident, ticket: Ticket, now: datetime) -> str:
    if ticket.status not in OPEN_STATUSES:
        return texts.CANNOT_WITHDRAW.format(number=ticket.id, status=_status(ticket))
    ticket_repo.set_status(session=session, ticket=ticket, status=TicketStatus.WITHDRAWN, at=now)
    timers.on_finished(ticket)
    ticket_repo.add_event(session=session, ticket=ticket, kind="withdrawn", actor=resident.openid, note="", at=now)
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    if assignee is not None:
        notify.tell_cadre(
            session=session,
            cadre=assignee,
            kind="withdrawn",
            ticket_id=ticket.id,
            text=texts.WITHDRAWN_NOTICE.format(number=ticket.id),
            now=now,
        )
    return texts.WITHDRAWN.format(number=ticket.id)


def _own_ticket(session: Session, resident: Resident, number: int) -> Ticket | None:
    ticket = ticket_repo.get_ticket(session=session, ticket_id=number)
    if ticket is None or ticket.resident_id != resident.id:
        return None
    return ticket


def _status(ticket: Ticket) -> str:
    return texts.STATUS_NAMES.get(ticket.status, ticket.status)

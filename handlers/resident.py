"""A resident's own commands: 帮助, 查询, 查询 N, 撤回 N. Residents see only tickets they reported or joined."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import lifecycle, notify, texts
from handlers.commands import Audience, Call, ChatCommand, Numbers
from handlers.context import Context
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Resident, Ticket, TicketStatus

EXCERPT_CHARS = 30
DETAIL_EXCERPT_CHARS = 200
# A command word followed by at most this much is a command; longer text is a complaint that
# happens to start with the word ("查询一下为什么路灯一直不亮……").
COMMAND_TAIL_CHARS = 12


def _help(call: Call) -> str:
    """The residents' 帮助, generated from the declarations below."""
    lines = [f"{i}. {line}" for i, line in enumerate((texts.HELP_REPORT, *(c.help for c in COMMANDS if c.help)), 1)]
    return "\n".join([texts.HELP_HEADER, *lines, texts.HELP_FOOTER])


def _query(call: Call) -> str:
    if call.command.number is None:
        if call.command.rest:
            return texts.BAD_NUMBER.format(command="查询", example="查询 12")
        return list_tickets(session=call.session, resident=call.person)
    ticket = _own_ticket(call.session, call.person, call.command.number)
    if ticket is None:
        return texts.NOT_YOUR_TICKET.format(number=call.command.number)
    return show_ticket(session=call.session, ctx=call.ctx, ticket=ticket)


def _withdraw(call: Call) -> str:
    answers = []
    for number in call.command.numbers:
        ticket = _own_ticket(call.session, call.person, number, lock=True)
        if ticket is None:
            answers.append(_not_withdrawable(call.session, call.person, number))
        else:
            answers.append(
                withdraw(session=call.session, ctx=call.ctx, resident=call.person, ticket=ticket, now=call.now)
            )
    return "\n".join(answers)


COMMANDS = (
    ChatCommand(
        words=("帮助", "help", "HELP", "?", "？"),
        audience=Audience.RESIDENT,
        numbers=Numbers.NONE,
        run=_help,
        help="",
        max_tail=COMMAND_TAIL_CHARS,
    ),
    ChatCommand(
        words=("查询",),
        audience=Audience.RESIDENT,
        numbers=Numbers.OPTIONAL,
        run=_query,
        help="查询：看您反映过（或一起反映）的问题；“查询 编号”（如“查询 12”）看某一件的进展",
        example="查询 12",
        max_tail=COMMAND_TAIL_CHARS,
    ),
    ChatCommand(
        words=("撤回",),
        audience=Audience.RESIDENT,
        numbers=Numbers.SEVERAL,
        run=_withdraw,
        help="撤回：问题已经解决或发错了，发送“撤回 编号”；邻居一起反映的问题只撤回您自己的那份",
        example="撤回 12",
        max_tail=COMMAND_TAIL_CHARS,
    ),
)


def list_tickets(*, session: Session, resident: Resident) -> str:
    assert resident.id is not None
    tickets = ticket_repo.tickets_of_resident(session=session, resident_id=resident.id)
    if not tickets:
        return texts.NO_TICKETS
    total = ticket_repo.count_tickets_of_resident(session=session, resident_id=resident.id)
    lines = [texts.TICKET_LIST_HEADER.format(count=len(tickets))]
    lines += [ticket_line(resident, t) for t in tickets]
    if total > len(tickets):
        lines.append(texts.TICKET_LIST_MORE.format(count=total - len(tickets)))
    lines.append(texts.TICKET_LIST_FOOTER)
    return "\n".join(lines)


def ticket_line(resident: Resident, ticket: Ticket) -> str:
    """One line of a resident's list of tickets: number, status, excerpt (and whether neighbours joined)."""
    return texts.TICKET_LIST_LINE.format(
        number=ticket.id,
        status=status_name(ticket),
        excerpt=texts.excerpt(ticket.text, EXCERPT_CHARS)
        + ("（邻居一起反映）" if ticket.resident_id != resident.id else ""),
    )


def show_ticket(*, session: Session, ctx: Context, ticket: Ticket) -> str:
    reply = texts.TICKET_DETAIL.format(
        number=ticket.id,
        status=status_name(ticket),
        courtyard=notify.courtyard_label(session, ticket),
        created=ctx.local_time(ticket.created_at),
        excerpt=texts.excerpt(ticket.text, DETAIL_EXCERPT_CHARS),
    )
    assert ticket.id is not None
    count = ticket_repo.reporters(session=session, ticket_id=ticket.id)
    if count > 1:
        reply += "\n" + texts.TICKET_DETAIL_REPORTERS.format(count=count)
    events = ticket_repo.history(session=session, ticket_id=ticket.id)
    notes = [e for e in events if e.kind in ("progress", "resolved", "invalid", "reopened")]
    if notes and notes[-1].kind == "reopened":  # the last result did not satisfy: it is not the result
        results = [e for e in notes if e.kind == "resolved" and e.note]
        if results:
            last = texts.excerpt(results[-1].note, DETAIL_EXCERPT_CHARS)
            reply += "\n" + texts.TICKET_DETAIL_REOPENED.format(note=last)
    elif notes and notes[-1].note:
        latest = {"resolved": texts.TICKET_DETAIL_RESULT, "invalid": texts.TICKET_DETAIL_INVALID}.get(
            notes[-1].kind, texts.TICKET_DETAIL_LATEST
        )
        reply += "\n" + latest.format(note=texts.excerpt(notes[-1].note, DETAIL_EXCERPT_CHARS))
    if ticket.merged_into_id is not None:
        reply += "\n" + texts.TICKET_DETAIL_MERGED.format(target=ticket.merged_into_id)
    return reply


def withdraw(*, session: Session, ctx: Context, resident: Resident, ticket: Ticket, now: datetime) -> str:
    """撤回 by one reporter: the ticket ends only when nobody else reported it."""
    assert ticket.id is not None and resident.id is not None
    if ticket.status == TicketStatus.WITHDRAWN:
        return texts.ALREADY_WITHDRAWN.format(number=ticket.id)
    if ticket.status not in OPEN_STATUSES:
        return texts.CANNOT_WITHDRAW.format(number=ticket.id, status=status_name(ticket))
    others = ticket_repo.reporters(session=session, ticket_id=ticket.id) - 1
    if others > 0:
        if ticket.resident_id == resident.id:
            ticket_repo.hand_filing_to_first_endorser(session=session, ticket=ticket)
        else:
            ticket_repo.remove_endorsement(session=session, ticket_id=ticket.id, resident_id=resident.id)
        ticket_repo.add_event(
            session=session,
            ticket=ticket,
            kind="reporter_left",
            actor=resident.openid,
            note=texts.REPORTER_LEFT_NOTE.format(count=others),
            at=now,
        )
        return texts.WITHDRAWN_OWN_SHARE.format(number=ticket.id, count=others)
    lifecycle.withdraw(session=session, ticket=ticket, actor=resident.openid, now=now)
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    if assignee is not None:
        notify.tell_cadre(
            session=session,
            cadre=assignee,
            kind="withdrawn",
            ticket_id=ticket.id,
            text=texts.WITHDRAWN_NOTICE.format(number=ticket.id, excerpt=texts.excerpt(ticket.text, 40)),
            now=now,
        )
    return texts.WITHDRAWN.format(number=ticket.id)


def latest_news(*, session: Session, ctx: Context, resident: Resident) -> str:
    """ "我反映的路灯修得咋样了": the status of my latest open ticket, or the list when I have several."""
    assert resident.id is not None
    tickets = ticket_repo.tickets_of_resident(session=session, resident_id=resident.id)
    if not tickets:
        return texts.PROGRESS_NO_TICKETS
    open_ones = [t for t in tickets if t.status in OPEN_STATUSES]
    if len(open_ones) > 1:
        return list_tickets(session=session, resident=resident)
    return show_ticket(session=session, ctx=ctx, ticket=open_ones[0] if open_ones else tickets[0])


def _not_withdrawable(session: Session, resident: Resident, number: int) -> str:
    """Why 撤回 N finds nothing of mine: I withdrew my share of it before, or it never was mine."""
    left = any(
        e.kind == "reporter_left" and e.actor == resident.openid
        for e in ticket_repo.history(session=session, ticket_id=number)
    )
    return (texts.ALREADY_WITHDRAWN_SHARE if left else texts.NOT_YOUR_TICKET).format(number=number)


def _own_ticket(session: Session, resident: Resident, number: int, *, lock: bool = False) -> Ticket | None:
    """The ticket if the resident reported it or joined it (附议), else None."""
    if lock:
        ticket = ticket_repo.get_ticket_for_update(session=session, ticket_id=number)
    else:
        ticket = ticket_repo.get_ticket(session=session, ticket_id=number)
    assert resident.id is not None
    if ticket is None or not ticket_repo.is_party(session=session, ticket=ticket, resident_id=resident.id):
        return None
    return ticket


def status_name(ticket: Ticket) -> str:
    return texts.STATUS_NAMES.get(ticket.status, ticket.status)

"""The cadre's workbench in chat: 任务, 受理, 进展, 办结, 转办, 上报, 详情, 归类, 合并, 无效, 代录 within reach."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import nlp
from handlers import intake, lifecycle, notify, texts, timers
from handlers.commands import Audience, Call, ChatCommand, Numbers, normalise
from handlers.context import Context
from handlers.delivery import SERVICE_WINDOW
from storage import org_chart as org_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Cadre, Courtyard, Resident, Role, Ticket, TicketEvent, TicketStatus

TASK_LIST_LIMIT = 10
ESCALATED_LIST_LIMIT = 5
ESCALATED_COUNT_LIMIT = 200
EXCERPT_CHARS = 24
DETAIL_TEXT_CHARS = 500
CANDIDATES_SHOWN = 8
READ_ONLY_WORDS = ("详情",)  # commands that only show: a number out of reach is not "未做处理"

# Short names cadres use for the categories, besides the full names and their first two characters.
_CATEGORY_SHORT_NAMES = {
    "城建": "城乡建设",
    "环保": "环境保护",
    "交通": "交通运输",
    "文体": "教育文体",
    "社保": "劳动和社会保障",
    "劳保": "劳动和社会保障",
    "旅游": "商贸旅游",
    "医疗": "卫生计生",
    "计生": "卫生计生",
}


@dataclass(frozen=True)
class Step:
    """One cadre command being carried out on one ticket: who, when, with what note."""

    session: Session
    ctx: Context
    cadre: Cadre
    ticket: Ticket
    note: str
    now: datetime

    @property
    def number(self) -> int:
        assert self.ticket.id is not None
        return self.ticket.id

    def tell_resident(self, kind: str, text: str) -> None:
        """Push news to every reporter; their next status follow-up waits a full period from now."""
        notify.tell_resident(
            session=self.session, calendar=self.ctx.calendar, ticket=self.ticket, kind=kind, text=text, now=self.now
        )
        timers.on_news(self.ticket, self.ctx.calendar, self.now)

    def told(self) -> str:
        """How the residents hear of this step: now, in the morning (quiet hours), when they next write
        (their 48-hour window is closed and no status template is set), or not at all (代录)."""
        people = [p for p in notify.reporters(self.session, self.ticket) if p.subscribed]
        if not people:
            return texts.TOLD_NOBODY
        held = 0 if self.ctx.templates.status else sum(1 for p in people if self.window_closed(p))
        if held == len(people):
            return texts.TOLD_WHEN_THEY_WRITE
        when = notify.resident_push_time(self.ctx.calendar, self.ticket, self.now)
        if when <= self.now:
            told = texts.TOLD_NOW
        else:
            local = when.astimezone(self.ctx.tz)
            day = "" if local.date() == self.now.astimezone(self.ctx.tz).date() else "明天"
            minute = f"{local.minute:02d}" if local.minute else ""
            told = texts.TOLD_LATER.format(day=day, hour=local.hour, minute=minute)
        return told + (texts.TOLD_SOME_LATER.format(count=held) if held else "")

    def window_closed(self, person: Resident) -> bool:
        return person.last_message_at is not None and self.now - person.last_message_at >= SERVICE_WINDOW

    def tell_cadre(self, cadre: Cadre | None, kind: str, text: str) -> None:
        if cadre is not None and cadre.id != self.cadre.id:
            notify.tell_cadre(
                session=self.session, cadre=cadre, kind=kind, ticket_id=self.ticket.id, text=text, now=self.now
            )


# --- dispatch -----------------------------------------------------------------------------------


def _on_tickets(action: Callable[[Step], str]) -> Callable[[Call], str]:
    """Run action on every ticket number given, each in reach or said not to be."""

    def run(call: Call) -> str:
        assert call.cadre is not None
        answers, missing = [], []
        for number in call.command.numbers:
            ticket = ticket_repo.get_ticket_for_update(session=call.session, ticket_id=number)
            if ticket is None or not _reachable(call.cadre, ticket):
                missing.append(number)
                continue
            step = Step(call.session, call.ctx, call.cadre, ticket, call.command.rest, call.now)
            try:
                answers.append(action(step))
            except lifecycle.IllegalTransition as refused:
                answers.append(_cannot(step, refused.action))
        if missing:
            answers.append(_not_found(call, missing))
        return "\n".join(answers)

    return run


def _not_found(call: Call, numbers: list[int]) -> str:
    assert call.cadre is not None and call.cadre.id is not None
    listed = "、".join(f"编号 {n}" for n in numbers)
    untouched = "" if call.command.word in READ_ONLY_WORDS else texts.CADRE_UNTOUCHED  # 详情 changes nothing anyway
    mine = ticket_repo.open_tasks(session=call.session, assignee_id=call.cadre.id, limit=CANDIDATES_SHOWN)
    if not mine:
        return texts.CADRE_NO_SUCH_TASK.format(numbers=listed, untouched=untouched)
    total = ticket_repo.count_open_tasks(session=call.session, assignee_id=call.cadre.id)
    more = texts.CADRE_TASKS_MORE.format(count=total) if total > len(mine) else ""
    return texts.CADRE_NO_SUCH_TASK_MINE.format(
        numbers=listed, untouched=untouched, mine="、".join(str(t.id) for t in mine), more=more
    )


def _reachable(cadre: Cadre, ticket: Ticket | None) -> bool:
    return ticket is not None and in_reach(cadre, ticket)


def in_reach(cadre: Cadre, ticket: Ticket) -> bool:
    """A courtyard cadre reaches their courtyard's tickets, a community cadre their community's, the town all."""
    if ticket.assignee_id == cadre.id or cadre.role == Role.TOWN:
        return True
    if cadre.role == Role.COMMUNITY:
        return ticket.community_id is not None and ticket.community_id == cadre.community_id
    return ticket.courtyard_id is not None and ticket.courtyard_id == cadre.courtyard_id


# --- 任务 and 代录 ------------------------------------------------------------------------------


def _help(call: Call) -> str:
    return "\n".join([texts.CADRE_HELP_HEADER, *(c.help for c in COMMANDS if c.help)])


def _tasks(call: Call) -> str:
    assert call.cadre is not None
    return list_tasks(session=call.session, ctx=call.ctx, cadre=call.cadre, page=call.command.number or 1)


def list_tasks(*, session: Session, ctx: Context, cadre: Cadre, page: int = 1) -> str:
    """My open tasks, a page of TASK_LIST_LIMIT at a time, then (on the first page) the tickets escalated
    to me by 督办 that others handle."""
    assert cadre.id is not None
    total = ticket_repo.count_open_tasks(session=session, assignee_id=cadre.id)
    pages = max(1, -(-total // TASK_LIST_LIMIT))
    asked, page = page, min(max(page, 1), pages)
    tasks = ticket_repo.open_tasks(
        session=session, assignee_id=cadre.id, limit=TASK_LIST_LIMIT, offset=(page - 1) * TASK_LIST_LIMIT
    )
    escalated = (
        ticket_repo.escalated_to(session=session, cadre_id=cadre.id, openid=cadre.openid, limit=ESCALATED_COUNT_LIMIT)
        if cadre.openid and page == 1
        else []
    )
    lines: list[str] = []
    if tasks:
        shown = texts.TASK_LIST_PAGE.format(page=page, pages=pages) if pages > 1 else ""
        if asked > pages:
            shown += texts.TASK_LIST_NO_PAGE.format(asked=asked)
        lines.append(texts.TASK_LIST_HEADER.format(count=total, page=shown))
        lines += [_task_line(session, ctx, t, cadre) for t in tasks]
        if page < pages:
            later = total - page * TASK_LIST_LIMIT
            lines.append(texts.TASK_LIST_NEXT_PAGE.format(count=later, next=page + 1))
    else:
        lines.append(texts.NO_TASKS)
    if escalated:
        lines.append(texts.ESCALATED_LIST_HEADER.format(count=len(escalated)))
        for ticket in escalated[:ESCALATED_LIST_LIMIT]:
            assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
            lines.append(
                _task_line(session, ctx, ticket, cadre)
                + texts.ESCALATED_LIST_ASSIGNEE.format(assignee=assignee.name if assignee else "未分派")
            )
        if len(escalated) > ESCALATED_LIST_LIMIT:
            lines.append(texts.TASK_LIST_MORE.format(count=len(escalated) - ESCALATED_LIST_LIMIT))
    if tasks:
        lines.append(texts.TASK_LIST_FOOTER)
    elif escalated:  # nothing of their own to accept: they follow the others up
        lines.append(texts.ESCALATED_LIST_FOOTER)
    return texts.fit("\n".join(lines))


def _task_line(session: Session, ctx: Context, ticket: Ticket, cadre: Cadre) -> str:
    """One line of 任务, short enough for a phone: the courtyard only when it is not the cadre's own."""
    own = cadre.courtyard_id is not None and ticket.courtyard_id == cadre.courtyard_id
    return texts.TASK_LIST_LINE.format(
        urgent="【急】" if ticket.urgent else "",
        number=ticket.id,
        status=texts.TASK_STATUS_NAMES.get(ticket.status, texts.STATUS_NAMES[ticket.status])
        + ("·超期" if ticket.overdue else ""),
        courtyard="" if own else notify.courtyard_label(session, ticket) + "｜",
        due=texts.TASK_DUE.format(due=ctx.local_time(ticket.due_at)) if ticket.due_at else texts.TASK_NO_DUE,
        excerpt=texts.excerpt(ticket.text, EXCERPT_CHARS) + _reporters(session, ticket),
    )


def _enter(call: Call) -> str:
    assert call.cadre is not None
    ticket = intake.enter_for_resident(
        session=call.session, ctx=call.ctx, cadre=call.cadre, text=call.command.tail, now=call.now
    )
    text = texts.ENTERED_AND_ACCEPTED if ticket.status == TicketStatus.ACCEPTED else texts.ENTERED_FOR_RESIDENT
    return text.format(number=ticket.id, courtyard=notify.courtyard_label(call.session, ticket))


# --- the numbered commands ----------------------------------------------------------------------


def _accept(step: Step) -> str:
    if step.ticket.status == TicketStatus.ACCEPTED:
        if step.ticket.assignee_id == step.cadre.id:
            return texts.ALREADY_ACCEPTED.format(number=step.number)
        assignee = org_repo.get_cadre(session=step.session, cadre_id=step.ticket.assignee_id)
        return texts.ACCEPTED_BY_OTHER.format(number=step.number, name=assignee.name if assignee else "他人")
    _mark_accepted(step)
    return texts.ACCEPTED.format(number=step.number, told=step.told())


def _mark_accepted(step: Step) -> None:
    previous = lifecycle.accept(session=step.session, ticket=step.ticket, by=step.cadre, now=step.now)
    step.tell_cadre(previous, "taken_over", texts.TAKEN_OVER.format(number=step.number, name=step.cadre.name))
    step.tell_resident("accepted", texts.PUSH_ACCEPTED.format(number=step.number))


def _progress(step: Step) -> str:
    if step.ticket.status == TicketStatus.NEW:  # a progress note implies 受理
        _mark_accepted(step)
    elif step.ticket.status == TicketStatus.ACCEPTED:
        last = ticket_repo.latest_event(session=step.session, ticket_id=step.number, kind="progress")
        if last is not None and (last.actor, last.note) == (step.cadre.name, step.note):  # the same note again
            return texts.PROGRESS_ALREADY_NOTED.format(number=step.number, at=step.ctx.local_time(last.at))
    lifecycle.progress(session=step.session, ticket=step.ticket, by=step.cadre, note=step.note, now=step.now)
    step.tell_resident("progress", texts.PUSH_PROGRESS.format(number=step.number, note=_note(step)))
    return texts.PROGRESS_NOTED.format(number=step.number, told=step.told())


def _resolve(step: Step) -> str:
    if step.ticket.status == TicketStatus.RESOLVED and step.ticket.resolved_at is not None:
        return texts.ALREADY_RESOLVED.format(number=step.number, at=step.ctx.local_time(step.ticket.resolved_at))
    if step.ticket.status == TicketStatus.NEW:  # 办结 before 受理 is allowed and implies it
        _mark_accepted(step)
    archived = lifecycle.resolve(
        session=step.session, ticket=step.ticket, by=step.cadre, note=step.note, cal=step.ctx.calendar, now=step.now
    )
    if archived:  # entered by a cadre: nobody to survey
        return texts.RESOLVED_NO_RESIDENT.format(number=step.number)
    step.tell_resident("resolved", texts.PUSH_RESOLVED.format(number=step.number, note=_note(step)))
    step.tell_resident("survey", texts.PUSH_SURVEY.format(number=step.number))
    return texts.RESOLVED.format(number=step.number)


def _transfer(step: Step) -> str:
    """转办 N 院落或干部. A courtyard named moves the ticket there (it was filed under the wrong place);
    a cadre named takes over its handling and the ticket stays where the problem is."""
    if step.ticket.status not in OPEN_STATUSES:
        return _cannot(step, "转办")
    target = normalise(step.note)
    people = _cadres_named(step.session, target)
    courtyard = None if people else _courtyard_named(step.session, target)
    if len(people) > 1:
        return texts.TRANSFER_NAME_SHARED.format(
            target=target,
            count=len(people),
            number=step.number,
            people="、".join(_cadre_with_place(step, c) for c in people),
            example=_place_of(step.session, people[0]) + _base_name(people[0]),
        )
    if courtyard is None and not people:
        return texts.TRANSFER_TARGET_UNKNOWN.format(
            target=target, number=step.number, candidates=_transfer_candidates(step)
        )
    ticket = step.ticket
    if people:
        new_assignee, label = people[0], people[0].name
        community_id = new_assignee.community_id
        # The ticket stays where the problem is; only a ticket nobody could place takes the cadre's place.
        moved_to = None
        if ticket.courtyard_id is None:
            moved_to = org_repo.get_courtyard(session=step.session, courtyard_id=new_assignee.courtyard_id)
    else:
        assert courtyard is not None
        moved_to, community_id = courtyard, courtyard.community_id
        chosen = intake.pick_assignee(org_repo.responsible_cadres(session=step.session, courtyard_id=courtyard.id))
        if chosen is None:
            return texts.ESCALATE_NOBODY
        new_assignee, label = chosen, f"{courtyard.name}（{chosen.name}）"
    if not _may_transfer_to(step.cadre, community_id):
        return texts.TRANSFER_OUT_OF_REACH.format(
            target=target, number=step.number, candidates=_transfer_candidates(step)
        )
    if new_assignee.id == ticket.assignee_id and (moved_to is None or moved_to.id == ticket.courtyard_id):
        return texts.TRANSFER_SAME.format(number=step.number, target=new_assignee.name)
    if moved_to is not None:
        ticket.courtyard_id, ticket.community_id = moved_to.id, moved_to.community_id
    elif ticket.community_id is None and new_assignee.community_id is not None:
        ticket.community_id = new_assignee.community_id
    task = texts.TASK_TRANSFERRED_IN.format(
        number=step.number,
        category=texts.category_label(ticket.category),
        source=step.cadre.name,
        courtyard=notify.courtyard_label(step.session, ticket),
        text=texts.ticket_excerpt(ticket),
    )
    _hand_over(step, new_assignee, event="transferred", note=f"转给{label}", push_kind="new_task", task=task)
    step.tell_resident("transferred", texts.PUSH_TRANSFERRED.format(number=step.number))
    return texts.TRANSFERRED.format(
        number=step.number,
        target=label,
        courtyard=notify.courtyard_label(step.session, ticket),
        heard=_heard(step, new_assignee),
    )


def _heard(step: Step, cadre: Cadre) -> str:
    """Whether the cadre a ticket was handed to gets its push now, when they next write, or never."""
    if not cadre.openid:
        return texts.TRANSFER_HEARD_NEVER
    person = ticket_repo.resident_by_openid(session=step.session, openid=cadre.openid)
    if step.ctx.templates.task or person is None or not step.window_closed(person):
        return texts.TRANSFER_HEARD_NOW
    return texts.TRANSFER_HEARD_LATER


_QUALIFIER = re.compile(r"[（(][^）)]*[）)]")
_SEPARATORS = " ·・的（）()"


def _cadres_named(session: Session, target: str) -> list[Cadre]:
    """The active cadres the typed name means: the exact name; else the name with a qualifier left off
    (张伟 for 张伟（东区）) or with their place before or after it (桂花苑李芳, 李芳 桂花苑)."""
    exact = org_repo.cadre_by_name(session=session, name=target)
    if exact is not None:
        return [exact]
    typed = target.strip(_SEPARATORS)
    found: list[Cadre] = []
    for cadre in org_repo.cadres_in(session=session, community_id=None):
        base = _base_name(cadre)
        place = typed.replace(base, "", 1).strip(_SEPARATORS) if base in typed else None
        if typed == base or (place is not None and place in _place_names(session, cadre)):
            found.append(cadre)
    return found


def _base_name(cadre: Cadre) -> str:
    """A cadre's name without the qualifier an org chart adds to tell namesakes apart: 张伟（东区） → 张伟."""
    return _QUALIFIER.sub("", cadre.name).strip() or cadre.name


def _place_names(session: Session, cadre: Cadre) -> set[str]:
    """What a cadre's place may be typed as: their courtyard's name and aliases, their community's name."""
    names: set[str] = set()
    yard = org_repo.get_courtyard(session=session, courtyard_id=cadre.courtyard_id)
    if yard is not None:
        yards = org_repo.courtyard_names(session=session)
        names |= {n for y in yards if y.name == yard.name for n in (y.name, *y.aliases)}
    community = org_repo.get_community(session=session, community_id=cadre.community_id) if cadre.community_id else None
    if community is not None:
        names.add(community.name)
    if cadre.role == Role.TOWN:
        names |= {"镇", "镇上", "镇里"}
    return names


def _place_of(session: Session, cadre: Cadre) -> str:
    yard = org_repo.courtyard_name_of(session=session, courtyard_id=cadre.courtyard_id)
    if yard is not None:
        return yard
    community = org_repo.get_community(session=session, community_id=cadre.community_id) if cadre.community_id else None
    return community.name if community is not None else "镇"


def _cadre_with_place(step: Step, cadre: Cadre) -> str:
    place = _place_of(step.session, cadre)
    notes = [place] if place not in cadre.name else []
    if not _may_transfer_to(step.cadre, cadre.community_id):
        notes.append("不在您可转办的范围")
    return cadre.name + (f"（{'，'.join(notes)}）" if notes else "")


def _courtyard_named(session: Session, target: str) -> Courtyard | None:
    """The courtyard whose name or alias the cadre typed (exactly, not a near miss: 荷花苑 is not 桂花苑)."""
    for names in org_repo.courtyard_names(session=session):
        if target in (names.name, *names.aliases):
            return org_repo.courtyard_by_name(session=session, name=names.name)
    return None


def _transfer_candidates(step: Step) -> str:
    """Courtyards and cadres this cadre may transfer to, for an answer that names them."""
    session, cadre = step.session, step.cadre
    yards = [
        y.name
        for y in org_repo.courtyards_in(
            session=session, community_id=None if cadre.role == Role.TOWN else cadre.community_id
        )
    ]
    people = [
        c.name
        for c in org_repo.cadres_in(
            session=session, community_id=None if cadre.role == Role.TOWN else cadre.community_id
        )
        if c.id != cadre.id
    ]
    yard_text = "、".join(yards[:CANDIDATES_SHOWN]) or "（无）"
    people_text = "、".join(people[:CANDIDATES_SHOWN]) or "（无）"
    return texts.TRANSFER_CANDIDATES.format(courtyards=yard_text, cadres=people_text)


def _hand_over(step: Step, new_assignee: Cadre, *, event: str, note: str, push_kind: str, task: str) -> None:
    """Give the ticket to new_assignee, who must accept it afresh; the previous assignee hears of it."""
    previous = lifecycle.hand_over(
        session=step.session,
        ticket=step.ticket,
        to=new_assignee,
        event=event,
        actor=step.cadre.name,
        note=note,
        cal=step.ctx.calendar,
        now=step.now,
    )
    notify.tell_cadre(
        session=step.session, cadre=new_assignee, kind=push_kind, ticket_id=step.ticket.id, now=step.now, text=task
    )
    if previous is not None and previous.id != new_assignee.id:
        step.tell_cadre(
            previous,
            "handed_over",
            texts.HANDED_OVER.format(number=step.number, source=step.cadre.name, target=new_assignee.name),
        )


def _may_transfer_to(cadre: Cadre, community_id: int | None) -> bool:
    """Town cadres send anywhere; others within their own community or to the town."""
    return cadre.role == Role.TOWN or community_id is None or community_id == cadre.community_id


def _escalate(step: Step) -> str:
    if step.ticket.status not in OPEN_STATUSES:
        return _cannot(step, "上报")
    if step.cadre.role == Role.TOWN:
        return texts.ESCALATE_TOP.format(number=step.number)
    levels = notify.levels_above(step.session, step.ticket, step.cadre)
    new_assignee = intake.pick_assignee(levels[0]) if levels else None
    if new_assignee is None:
        return texts.ESCALATE_NOBODY
    if new_assignee.id == step.ticket.assignee_id:
        return texts.ALREADY_ESCALATED.format(number=step.number, name=new_assignee.name)
    task = texts.TASK_ESCALATED_IN.format(
        number=step.number,
        source=step.cadre.name,
        reason=texts.excerpt(step.note, texts.EXCERPT_CHARS),
        courtyard=notify.courtyard_label(step.session, step.ticket),
        text=texts.ticket_excerpt(step.ticket),
    )
    note = f"上报{new_assignee.name}：{step.note}"
    _hand_over(step, new_assignee, event="escalated", note=note, push_kind="escalation", task=task)
    step.tell_resident("escalated", texts.PUSH_ESCALATED.format(number=step.number))
    return texts.ESCALATED.format(number=step.number, target=new_assignee.name)


def category_named(text: str) -> str | None:
    """The category a cadre means: its full name, its first two characters or a common short name."""
    given = text.strip().strip("“”\"'「」")
    for category in (*nlp.CATEGORIES, nlp.OTHER):
        if given in (category, category[:2]):
            return category
    return _CATEGORY_SHORT_NAMES.get(given)


def _categorize(step: Step) -> str:
    ticket = step.ticket
    category = category_named(step.note)
    if category is None:
        return texts.CATEGORY_UNKNOWN.format(given=step.note, choices="、".join(nlp.CATEGORIES), number=step.number)
    if category == ticket.category:
        return texts.CATEGORY_SAME.format(number=step.number, category=category)
    before = texts.category_label(ticket.category)
    ticket.category = category
    ticket_repo.add_event(
        session=step.session,
        ticket=ticket,
        kind="categorized",
        actor=step.cadre.name,
        note=f"{before} → {texts.category_label(category)}",
        at=step.now,
    )
    if ticket.status in OPEN_STATUSES and not ticket.overdue and ticket.due_at is not None:
        timers.set_deadline(ticket, step.ctx.calendar, ticket.created_at)  # the new category's time limit
        return texts.CATEGORIZED.format(number=step.number, category=category, due=step.ctx.local_time(ticket.due_at))
    return texts.CATEGORIZED_KEEPS_DUE.format(number=step.number, category=category)


def _merge(call: Call) -> str:
    """合并 N M: N's reporters join M and hear its news; N ends as 已合并."""
    assert call.cadre is not None
    source_no, target_no = call.command.numbers[:2]
    if source_no == target_no:
        return texts.MERGE_SELF.format(number=source_no)
    first, second = sorted((source_no, target_no))  # lock in number order: two merges never deadlock
    locked = {n: ticket_repo.get_ticket_for_update(session=call.session, ticket_id=n) for n in (first, second)}
    missing = [n for n in (source_no, target_no) if not _reachable(call.cadre, locked[n])]
    if missing:
        return _not_found(call, missing)
    source, target = locked[source_no], locked[target_no]
    assert source is not None and target is not None
    if source.merged_into_id == target_no:
        return texts.ALREADY_MERGED.format(number=source_no, target=target_no)
    if target.merged_into_id is not None and target.merged_into_id != source_no:
        return texts.MERGE_TARGET_MERGED.format(number=source_no, target=target_no, into=target.merged_into_id)
    if target.status not in OPEN_STATUSES:
        return texts.MERGE_TARGET_CLOSED.format(target=target_no, status=texts.STATUS_NAMES[target.status])
    step = Step(call.session, call.ctx, call.cadre, source, "", call.now)
    if source.status not in OPEN_STATUSES:
        return _cannot(step, "合并")
    people = notify.reporters(call.session, source)
    was_urgent = target.urgent
    lifecycle.merge(
        session=call.session, ticket=source, into=target, by=call.cadre, cal=call.ctx.calendar, now=call.now
    )
    moved = ticket_repo.move_reporters(session=call.session, source=source, target=target, now=call.now)
    for person in people:
        if person.subscribed:
            notify.tell_person(
                session=call.session,
                calendar=call.ctx.calendar,
                ticket=target,
                openid=person.openid,
                kind="merged",
                text=texts.PUSH_MERGED.format(number=source_no, target=target_no),
                now=call.now,
            )
    step.tell_cadre(
        org_repo.get_cadre(session=call.session, cadre_id=source.assignee_id),
        "merged",
        texts.MERGED_NOTICE.format(number=source_no, target=target_no, name=call.cadre.name),
    )
    if target.urgent and not was_urgent:
        intake.push_urgent(session=call.session, ctx=call.ctx, ticket=target, now=call.now)
    assert target.id is not None
    return texts.MERGED.format(
        number=source_no,
        target=target_no,
        moved=moved,
        count=ticket_repo.reporters(session=call.session, ticket_id=target.id),
    )


def _invalidate(step: Step) -> str:
    """无效 N 原因: closed without a survey; the residents are told why, politely."""
    if step.ticket.status == TicketStatus.INVALID and step.ticket.closed_at is not None:
        return texts.ALREADY_INVALID.format(number=step.number, at=step.ctx.local_time(step.ticket.closed_at))
    lifecycle.invalidate(session=step.session, ticket=step.ticket, by=step.cadre, reason=step.note, now=step.now)
    step.tell_resident("invalid", texts.PUSH_INVALID.format(number=step.number, reason=_note(step)))
    assignee = org_repo.get_cadre(session=step.session, cadre_id=step.ticket.assignee_id)
    step.tell_cadre(assignee, "invalid", texts.INVALID_NOTICE.format(number=step.number, name=step.cadre.name))
    return texts.INVALIDATED.format(number=step.number, told=step.told())


def _detail(step: Step) -> str:
    session, ticket = step.session, step.ticket
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    text = texts.excerpt(ticket.text, DETAIL_TEXT_CHARS, flat=False)
    if len(ticket.text) > DETAIL_TEXT_CHARS:
        text += texts.DETAIL_LONG_TEXT.format(chars=len(ticket.text), number=step.number)
    head = [
        texts.DETAIL_HEADER.format(
            number=step.number,
            status=texts.STATUS_NAMES[ticket.status],
            category=texts.category_label(ticket.category) + _reporters(session, ticket),
            urgent=f"｜紧急：{ticket.urgent_reason}" if ticket.urgent else "",
            courtyard=notify.courtyard_label(session, ticket),
            assignee=assignee.name if assignee else "未分派",
            source="代录时间" if ticket.entered_by_cadre_id else "反映时间",
            created=step.ctx.local_time(ticket.created_at),
            text=text,
        )
    ]
    if ticket.due_at:
        head.append(texts.DETAIL_DUE.format(due=step.ctx.local_time(ticket.due_at)))
    if ticket.satisfaction:
        head.append(texts.DETAIL_SATISFACTION.format(satisfaction=texts.SATISFACTION_NAMES[ticket.satisfaction]))
    if ticket.merged_into_id:
        head.append(texts.TICKET_DETAIL_MERGED.format(target=ticket.merged_into_id))
    head.append(texts.DETAIL_HISTORY)
    who = _people(session, ticket)
    history: list[str] = []
    for run in _runs_of_seconding(ticket_repo.history(session=session, ticket_id=step.number)):
        event = run[-1]
        note = f"：{texts.excerpt(event.note, texts.EXCERPT_CHARS)}" if event.note else ""
        if len(run) > 1:  # neighbours joining one after another: one line, not one each
            first, last = step.ctx.local_time(run[0].at), step.ctx.local_time(event.at)
            span = first if first == last else f"{first}～{last}"
            history.append(texts.DETAIL_SECONDED_RUN.format(span=span, count=len(run), note=note))
            continue
        history.append(
            texts.DETAIL_LINE.format(
                at=step.ctx.local_time(event.at),
                what=texts.EVENT_NAMES.get(event.kind, event.kind),
                who=f"（{who(event.actor, event.kind)}）" if who(event.actor, event.kind) else "",
                note=note,
            )
        )
    return texts.fit_lines(head, history)


def _runs_of_seconding(events: Sequence[TicketEvent]) -> list[list[TicketEvent]]:
    """The history with each run of consecutive 附议 grouped; every other event alone."""
    runs: list[list[TicketEvent]] = []
    for event in events:
        if event.kind == "seconded" and runs and runs[-1][-1].kind == "seconded":
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def _people(session: Session, ticket: Ticket) -> Callable[[str, str], str]:
    """How the history names an actor: 居民, 居民（附议）, a cadre's name, never an openid."""
    assert ticket.id is not None
    filer = ticket_repo.get_resident(session=session, resident_id=ticket.resident_id) if ticket.resident_id else None
    joined = {r.openid for r in ticket_repo.endorsers(session=session, ticket_id=ticket.id)}
    cadre_names = set(org_repo.other_names(session=session))

    def name(actor: str, kind: str) -> str:
        if actor == lifecycle.SYSTEM:
            return ""
        if filer is not None and actor == filer.openid:
            return "居民"
        if kind == "seconded":
            return ""  # the line itself says 居民附议
        if actor in joined:
            return "居民（附议）"
        if actor in cadre_names or org_repo.cadre_by_name(session=session, name=actor) is not None:
            return actor
        return "居民"

    return name


def _note(step: Step) -> str:
    return texts.excerpt(step.note, texts.EXCERPT_CHARS)


def _reporters(session: Session, ticket: Ticket) -> str:
    """ "（3人反映）" when neighbours endorsed the ticket (附议), else nothing."""
    assert ticket.id is not None
    count = ticket_repo.reporters(session=session, ticket_id=ticket.id)
    return texts.REPORTERS.format(count=count) if count > 1 else ""


def _cannot(step: Step, action: str) -> str:
    return texts.CANNOT_ACT.format(number=step.number, status=texts.STATUS_NAMES[step.ticket.status], action=action)


def _acknowledge(call: Call) -> str:
    return texts.CADRE_ACKNOWLEDGED


# The order here is the order 帮助 lists them in; the dispatcher tries them in this order too.
COMMANDS = (
    ChatCommand(("帮助", "help", "HELP", "?", "？"), Audience.CADRE, Numbers.NONE, _help, help="", max_tail=0),
    ChatCommand(
        ("任务", "待办"),
        Audience.CADRE,
        Numbers.OPTIONAL,
        _tasks,
        max_tail=4,
        example="任务 2",
        help="任务 —— 看我的待办（紧急的和最早的在前），以及督办给我的事；待办多时发“任务 2”看第二页",
    ),
    ChatCommand(
        ("受理",),
        Audience.CADRE,
        Numbers.SEVERAL,
        _on_tickets(_accept),
        help="受理 N —— 接下这件事（可一次写几个：受理 17、18）",
        example="受理 12",
    ),
    ChatCommand(
        ("进展",),
        Audience.CADRE,
        Numbers.SEVERAL,
        _on_tickets(_progress),
        note="进展说明",
        example="进展 12 已联系电工，明天上午来修",
        help="进展 N 说明 —— 告诉居民办到哪一步了",
    ),
    ChatCommand(
        ("办结",),
        Audience.CADRE,
        Numbers.SEVERAL,
        _on_tickets(_resolve),
        note="办理结果",
        example="办结 12 路灯已更换",
        help="办结 N 说明 —— 办完了，写上结果，系统会请居民评价",
    ),
    ChatCommand(
        ("转办",),
        Audience.CADRE,
        Numbers.ONE,
        _on_tickets(_transfer),
        note="院落或干部姓名",
        example="转办 12 银杏院",
        help="转办 N 院落或干部 —— 转给更合适的院落或干部",
    ),
    ChatCommand(
        ("上报",),
        Audience.CADRE,
        Numbers.ONE,
        _on_tickets(_escalate),
        note="上报原因",
        example="上报 12 需要社区协调物业",
        help="上报 N 原因 —— 交给上一级（院落→社区→镇）",
    ),
    ChatCommand(
        ("详情",),
        Audience.CADRE,
        Numbers.ONE,
        _on_tickets(_detail),
        example="详情 12",
        help="详情 N —— 看这件事的全部经过",
    ),
    ChatCommand(
        ("归类",),
        Audience.CADRE,
        Numbers.ONE,
        _on_tickets(_categorize),
        note="类别",
        example="归类 12 城乡建设",
        help="归类 N 类别 —— 定下或改正问题的类别（如城乡建设、环境保护）",
    ),
    ChatCommand(
        ("合并",),
        Audience.CADRE,
        Numbers.TWO,
        _merge,
        example="合并 15 12",
        help="合并 N M —— N 和 M 是同一个问题：N 的居民并入 M，一起听 M 的进展",
    ),
    ChatCommand(
        ("无效",),
        Audience.CADRE,
        Numbers.ONE,
        _on_tickets(_invalidate),
        note="原因",
        example="无效 12 这是咨询，已电话答复",
        help="无效 N 原因 —— 不是要办理的问题（如闲聊、不归本镇管），不评价直接归档，会客气地告诉居民原因",
    ),
    ChatCommand(
        ("代录",),
        Audience.CADRE,
        Numbers.NONE,
        _enter,
        note="居民反映的问题",
        example="代录 桂花苑3栋楼道灯坏了",
        help="代录 说明 —— 替走院子时遇到的居民登记问题",
    ),
    ChatCommand(
        ("收到", "好的", "好", "嗯", "嗯嗯", "明白", "知道了", "ok", "OK", "谢谢", "辛苦了", "👌", "👍"),
        Audience.CADRE,
        Numbers.NONE,
        _acknowledge,
        help="",
        max_tail=0,
    ),
)

"""The cadre's workbench in chat: 任务, 受理, 进展, 办结, 转办, 上报, 详情, 归类, 代录 on tickets within reach."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import nlp
from handlers import intake, notify, texts, timers
from handlers.commands import Command
from handlers.context import Context
from storage import org as org_repo
from storage import tickets as ticket_repo
from storage.models import OPEN_STATUSES, Cadre, Role, Ticket, TicketStatus

TASK_LIST_LIMIT = 10
EXCERPT_CHARS = 24

NUMBERED = ("受理", "进展", "办结", "转办", "上报", "详情", "归类")
WORDS = ("任务", "代录", *NUMBERED)

# What each numbered command needs after the number, as (description, example) for the hint.
_NOTE_HINTS = {
    "进展": ("进展说明", "进展 12 已联系电工，明天上午来修"),
    "办结": ("办理结果", "办结 12 路灯已更换"),
    "转办": ("院落或干部姓名", "转办 12 银杏院"),
    "上报": ("上报原因", "上报 12 需要社区协调物业"),
    "归类": ("类别", "归类 12 城乡建设"),
}
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
    """One cadre command being carried out: who, on which ticket, when, with what note."""

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

    def record(self, kind: str, note: str | None = None) -> None:
        ticket_repo.add_event(
            session=self.session,
            ticket=self.ticket,
            kind=kind,
            actor=self.cadre.name,
            note=self.note if note is None else note,
            at=self.now,
        )

    def tell_resident(self, kind: str, text: str) -> None:
        """Push news to the resident; their next status follow-up waits a full period from now."""
        notify.tell_resident(
            session=self.session, calendar=self.ctx.calendar, ticket=self.ticket, kind=kind, text=text, now=self.now
        )
        timers.on_news(self.ticket, self.ctx.calendar, self.now)


def run(*, session: Session, ctx: Context, cadre: Cadre, command: Command, now: datetime) -> str:
    """Carry out one cadre command and answer the cadre."""
    if command.word == "任务":
        return list_tasks(session=session, ctx=ctx, cadre=cadre)
    if command.word == "代录":
        if not command.tail:
            return texts.CADRE_NEEDS_NOTE.format(what="居民反映的问题", example="代录 桂花苑3栋楼道灯坏了")
        ticket = intake.enter_for_resident(session=session, ctx=ctx, cadre=cadre, text=command.tail, now=now)
        return texts.ENTERED_FOR_RESIDENT.format(number=ticket.id, courtyard=notify.courtyard_label(session, ticket))
    if command.number is None:
        example = _NOTE_HINTS[command.word][1] if command.word in _NOTE_HINTS else f"{command.word} 12"
        return texts.CADRE_BAD_NUMBER.format(command=command.word, example=example)
    target = ticket_repo.get_ticket_for_update(session=session, ticket_id=command.number)
    if target is None or not in_reach(cadre, target):
        return texts.CADRE_NO_SUCH_TASK.format(number=command.number)
    if command.word in _NOTE_HINTS and not command.rest:
        what, example = _NOTE_HINTS[command.word]
        return texts.CADRE_NEEDS_NOTE.format(what=what, example=example)
    step = Step(session=session, ctx=ctx, cadre=cadre, ticket=target, note=command.rest, now=now)
    return _ACTIONS[command.word](step)


def in_reach(cadre: Cadre, ticket: Ticket) -> bool:
    """A courtyard cadre reaches their courtyard's tickets, a community cadre their community's, the town all."""
    if ticket.assignee_id == cadre.id or cadre.role == Role.TOWN:
        return True
    if cadre.role == Role.COMMUNITY:
        return ticket.community_id is not None and ticket.community_id == cadre.community_id
    return ticket.courtyard_id is not None and ticket.courtyard_id == cadre.courtyard_id


def list_tasks(*, session: Session, ctx: Context, cadre: Cadre) -> str:
    assert cadre.id is not None
    tasks = ticket_repo.open_tasks(session=session, assignee_id=cadre.id, limit=TASK_LIST_LIMIT)
    if not tasks:
        return texts.NO_TASKS
    total = ticket_repo.count_open_tasks(session=session, assignee_id=cadre.id)
    lines = [texts.TASK_LIST_HEADER.format(count=total)]
    for ticket in tasks:
        lines.append(
            texts.TASK_LIST_LINE.format(
                urgent="【急】" if ticket.urgent else "",
                number=ticket.id,
                status=texts.STATUS_NAMES[ticket.status],
                courtyard=notify.courtyard_label(session, ticket),
                due=texts.TASK_DUE.format(due=ctx.local_time(ticket.due_at)) if ticket.due_at else texts.TASK_NO_DUE,
                excerpt=texts.excerpt(ticket.text, EXCERPT_CHARS) + _reporters(session, ticket),
            )
        )
    if total > len(tasks):
        lines.append(texts.TASK_LIST_MORE.format(count=total - len(tasks)))
    lines.append(texts.TASK_LIST_FOOTER)
    return "\n".join(lines)


def _accept(step: Step) -> str:
    ticket = step.ticket
    if ticket.status == TicketStatus.ACCEPTED:
        return texts.ALREADY_ACCEPTED.format(number=step.number)
    if ticket.status != TicketStatus.NEW:
        return _cannot(step, "受理")
    _mark_accepted(step)
    return texts.ACCEPTED.format(number=step.number)


def _mark_accepted(step: Step) -> None:
    ticket = step.ticket
    ticket.status = TicketStatus.ACCEPTED
    ticket.accepted_at = step.now
    ticket.assignee_id = step.cadre.id
    timers.on_accepted(ticket)
    step.record("accepted", note="")
    step.tell_resident("accepted", texts.PUSH_ACCEPTED.format(number=step.number))


def _progress(step: Step) -> str:
    if step.ticket.status not in OPEN_STATUSES:
        return _cannot(step, "报进展")
    if step.ticket.status == TicketStatus.NEW:
        _mark_accepted(step)
    step.record("progress")
    step.tell_resident("progress", texts.PUSH_PROGRESS.format(number=step.number, note=step.note))
    return texts.PROGRESS_NOTED.format(number=step.number)


def _resolve(step: Step) -> str:
    ticket = step.ticket
    if ticket.status not in OPEN_STATUSES:
        return _cannot(step, "办结")
    if ticket.status == TicketStatus.NEW:  # 办结 before 受理 is allowed and implies it
        _mark_accepted(step)
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = step.now
    timers.on_resolved(ticket, step.ctx.calendar, step.now)
    step.record("resolved")
    if ticket.resident_id is None:  # entered by a cadre: nobody to survey
        ticket_repo.set_status(session=step.session, ticket=ticket, status=TicketStatus.CLOSED, at=step.now)
        timers.on_finished(ticket)
        step.record("closed", note="代录问题办结即归档")
        return texts.RESOLVED_NO_RESIDENT.format(number=step.number)
    step.tell_resident("resolved", texts.PUSH_RESOLVED.format(number=step.number, note=step.note))
    step.tell_resident("survey", texts.PUSH_SURVEY.format(number=step.number))
    return texts.RESOLVED.format(number=step.number)


def _transfer(step: Step) -> str:
    if step.ticket.status not in OPEN_STATUSES:
        return _cannot(step, "转办")
    target = step.note
    analyzer = step.ctx.analyzers.for_session(step.session)
    courtyard_name = analyzer.locate(target)
    courtyard = org_repo.courtyard_by_name(session=step.session, name=courtyard_name) if courtyard_name else None
    person = org_repo.cadre_by_name(session=step.session, name=target)
    if courtyard is None and person is None:
        return texts.TRANSFER_TARGET_UNKNOWN.format(target=target, number=step.number)
    if person is not None:
        new_assignee, community_id = person, person.community_id
        courtyard = org_repo.get_courtyard(session=step.session, courtyard_id=person.courtyard_id)
        label = person.name
    else:
        assert courtyard is not None
        community_id = courtyard.community_id
        chosen = intake.pick_assignee(org_repo.responsible_cadres(session=step.session, courtyard_id=courtyard.id))
        if chosen is None:
            return texts.ESCALATE_NOBODY
        new_assignee = chosen
        label = f"{courtyard.name}（{new_assignee.name}）"
    if not _may_transfer_to(step.cadre, community_id):
        return texts.TRANSFER_OUT_OF_REACH.format(target=target, number=step.number)
    if new_assignee.id == step.ticket.assignee_id and (courtyard is None or courtyard.id == step.ticket.courtyard_id):
        return texts.TRANSFER_SAME.format(number=step.number, target=new_assignee.name)
    ticket = step.ticket
    if courtyard is not None:
        ticket.courtyard_id, ticket.community_id = courtyard.id, courtyard.community_id
    task = texts.TASK_TRANSFERRED_IN.format(
        number=step.number,
        category=ticket.category,
        source=step.cadre.name,
        courtyard=notify.courtyard_label(step.session, ticket),
        text=ticket.text,
    )
    _hand_over(step, new_assignee, event="transferred", note=f"转给{label}", push_kind="new_task", task=task)
    step.tell_resident("transferred", texts.PUSH_TRANSFERRED.format(number=step.number))
    return texts.TRANSFERRED.format(number=step.number, target=label)


def _hand_over(step: Step, new_assignee: Cadre, *, event: str, note: str, push_kind: str, task: str) -> None:
    """Give the ticket to new_assignee, who must accept it afresh, and push them the task."""
    ticket = step.ticket
    ticket.assignee_id = new_assignee.id
    ticket.status, ticket.accepted_at = TicketStatus.NEW, None
    timers.on_assigned(ticket, step.ctx.calendar, step.now)
    step.record(event, note=note)
    notify.tell_cadre(
        session=step.session, cadre=new_assignee, kind=push_kind, ticket_id=ticket.id, now=step.now, text=task
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
    task = texts.TASK_ESCALATED_IN.format(
        number=step.number,
        source=step.cadre.name,
        reason=step.note,
        courtyard=notify.courtyard_label(step.session, step.ticket),
        text=step.ticket.text,
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
    before = texts.category_label(ticket.category)
    ticket.category = category
    step.record("categorized", note=f"{before} → {texts.category_label(category)}")
    if ticket.status in OPEN_STATUSES and not ticket.overdue and ticket.due_at is not None:
        timers.set_deadline(ticket, step.ctx.calendar, ticket.created_at)  # the new category's time limit
        return texts.CATEGORIZED.format(number=step.number, category=category, due=step.ctx.local_time(ticket.due_at))
    return texts.CATEGORIZED_KEEPS_DUE.format(number=step.number, category=category)


def _detail(step: Step) -> str:
    session, ticket = step.session, step.ticket
    assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
    lines = [
        texts.DETAIL_HEADER.format(
            number=step.number,
            status=texts.STATUS_NAMES[ticket.status],
            category=texts.category_label(ticket.category) + _reporters(session, ticket),
            urgent=f"｜紧急：{ticket.urgent_reason}" if ticket.urgent else "",
            courtyard=notify.courtyard_label(session, ticket),
            assignee=assignee.name if assignee else "未分派",
            source="代录时间" if ticket.entered_by_cadre_id else "反映时间",
            created=step.ctx.local_time(ticket.created_at),
            text=ticket.text,
        )
    ]
    if ticket.due_at:
        lines.append(texts.DETAIL_DUE.format(due=step.ctx.local_time(ticket.due_at)))
    if ticket.satisfaction:
        lines.append(texts.DETAIL_SATISFACTION.format(satisfaction=texts.SATISFACTION_NAMES[ticket.satisfaction]))
    lines.append(texts.DETAIL_HISTORY)
    resident_openid = _resident_openid(session, ticket)
    for event in ticket_repo.history(session=session, ticket_id=step.number):
        who = "居民" if event.actor == resident_openid else ("" if event.actor == "system" else event.actor)
        lines.append(
            texts.DETAIL_LINE.format(
                at=step.ctx.local_time(event.at),
                what=texts.EVENT_NAMES.get(event.kind, event.kind),
                who=f"（{who}）" if who else "",
                note=f"：{event.note}" if event.note else "",
            )
        )
    return "\n".join(lines)


def _reporters(session: Session, ticket: Ticket) -> str:
    """ "（3人反映）" when neighbours endorsed the ticket (附议), else nothing."""
    assert ticket.id is not None
    count = ticket_repo.reporters(session=session, ticket_id=ticket.id)
    return texts.REPORTERS.format(count=count) if count > 1 else ""


def _cannot(step: Step, action: str) -> str:
    return texts.CANNOT_ACT.format(number=step.number, status=texts.STATUS_NAMES[step.ticket.status], action=action)


def _resident_openid(session: Session, ticket: Ticket) -> str | None:
    if ticket.resident_id is None:
        return None
    resident = ticket_repo.get_resident(session=session, resident_id=ticket.resident_id)
    return resident.openid if resident else None


_ACTIONS: dict[str, Callable[[Step], str]] = {
    "受理": _accept,
    "进展": _progress,
    "办结": _resolve,
    "转办": _transfer,
    "上报": _escalate,
    "详情": _detail,
    "归类": _categorize,
}

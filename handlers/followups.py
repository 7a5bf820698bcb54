"""The time-driven follow-ups: each sweep asks the ledger what is due now and acts once per key.

Every action is claimed in the sweep-action log under a unique key in the same transaction as the
pushes and ticket changes it makes, so a second run, a second process or a restart half-way through
can neither double nor lose a follow-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from handlers import lifecycle, notify, texts
from handlers.delivery import SERVICE_WINDOW
from handlers.workcalendar import WorkCalendar
from storage import due as due_repo
from storage import org_chart as org_repo
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.models import OPEN_STATUSES, Cadre, Role, Ticket, TicketStatus

log = logging.getLogger(__name__)

BATCH = 500
STEPS_PER_RUN = 4  # the most steps one ticket takes in one run (reminder, community, town, and one spare)
WORST_COURTYARDS = 3
UNREACHABLE_NUMBERS = 10  # ticket numbers named in a 【联系不上】 push; the rest is "等"
DIGEST_LINES = 30  # a chat message, not a report: the rest is one line and the web ledger


@dataclass
class SweepReport:
    """How many follow-ups of each kind a sweep carried out."""

    counts: dict[str, int] = field(default_factory=dict)
    # What the operator must see even when nothing was done: e.g. a cadre nobody can be told about.
    warnings: list[str] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Sweeper:
    """Runs the sweeps against one database and work calendar."""

    db: Database
    calendar: WorkCalendar

    def run(self, now: datetime) -> SweepReport:
        """Every ticket and digest sweep once, as of now."""
        report = SweepReport()
        self._each_due("nudge_at", now, report, self._nudge)
        self._each_due("due_soon_at", now, report, self._due_soon)
        self._each_due("overdue_at", now, report, self._overdue)
        self._each_due("followup_at", now, report, self._follow_up)
        self._each_due("survey_remind_at", now, report, self._survey_remind)
        self._each_due("survey_close_at", now, report, self._survey_close)
        self._unreachable_cadres(now, report)
        self._walk_digests(now, report)
        self._leader_digests(now, report)
        return report

    # --- the per-ticket loop ------------------------------------------------------------------

    def _each_due(
        self,
        timer: str,
        now: datetime,
        report: SweepReport,
        act: Callable[[Session, Ticket, datetime], str | None],
    ) -> None:
        """Act on every ticket whose timer has come, one transaction each; act must move or clear the timer.

        A timer moved to a moment that has also come is acted on again in the same run (a ticket left
        unaccepted past the community's and the town's 督办 gets every step), so a second run as of the
        same moment finds nothing to do; STEPS_PER_RUN bounds it should an act fail to move its timer.
        """
        passes: dict[int, int] = {}
        while True:
            with self.db.transaction() as session:
                ids = due_repo.due_ticket_ids(session=session, timer=timer, now=now, limit=BATCH)
            fresh = [i for i in ids if passes.get(i, 0) < STEPS_PER_RUN]
            if not fresh:
                return
            for ticket_id in fresh:
                passes[ticket_id] = passes.get(ticket_id, 0) + 1
                with self.db.transaction() as session:
                    ticket = ticket_repo.get_ticket_for_update(session=session, ticket_id=ticket_id)
                    due = getattr(ticket, timer) if ticket is not None else None
                    if ticket is None or due is None or due > now:
                        continue  # changed since the query: someone acted on it
                    outcome = act(session, ticket, now)
                    if outcome:
                        report.add(outcome)

    def _claim(self, session: Session, ticket: Ticket, kind: str, period: object, now: datetime) -> bool:
        key = f"{kind}:{ticket.id}:{_stamp(period)}"
        return due_repo.record_action(session=session, key=key, kind=kind, ticket_id=ticket.id, now=now)

    # --- the sweeps ---------------------------------------------------------------------------

    def _nudge(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """Unaccepted: remind the assignee, then 督办 one level up, then the town; each step once."""
        step, assigned_at = ticket.nudge_step, ticket.assigned_at or ticket.created_at
        schedule = self.calendar.unaccepted_schedule(assigned_at, ticket.urgent)
        ticket.nudge_step = step + 1
        ticket.nudge_at = {0: schedule.community_at, 1: schedule.town_at}.get(step)
        session.add(ticket)
        assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
        if ticket.status != TicketStatus.NEW or assignee is None:
            ticket.nudge_at = None
            return None
        if not self._claim(session, ticket, f"nudge{step}", assigned_at, now):
            return None
        courtyard = notify.courtyard_label(session, ticket)
        if step == 0:
            told = notify.tell_cadre(
                session=session,
                cadre=assignee,
                kind="reminder",
                ticket_id=ticket.id,
                now=now,
                text=texts.NUDGE_ASSIGNEE.format(number=ticket.id, courtyard=courtyard),
            )
            return "unaccepted_reminder" if told else None
        levels = notify.levels_above(session, ticket, assignee)
        if len(levels) < step:
            return None
        waited = self._waited(assigned_at, now)
        text = texts.NUDGE_SUPERVISE.format(
            number=ticket.id,
            courtyard=courtyard,
            assignee=assignee.name,
            waited=waited,
            text=texts.ticket_excerpt(ticket),
        )
        supervisors = levels[step - 1]
        told_any = _tell_all(session, supervisors, "escalation", ticket, text, now)
        ticket_repo.add_event(
            session=session,
            ticket=ticket,
            kind="supervised",
            actor="system",
            note=f"未受理督办：{'、'.join(c.name for c in supervisors)}",
            at=now,
        )
        return (
            ("unaccepted_to_community" if supervisors[0].role == Role.COMMUNITY else "unaccepted_to_town")
            if told_any
            else None
        )

    def _due_soon(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        ticket.due_soon_at = None
        session.add(ticket)
        assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
        if ticket.status not in OPEN_STATUSES or assignee is None or ticket.due_at is None:
            return None
        if not self._claim(session, ticket, "due_soon", ticket.due_at, now):
            return None
        # It may supersede a held 【提醒】 to accept: a ticket nobody accepted yet is asked to be accepted first.
        template = texts.DUE_SOON_UNACCEPTED if ticket.status == TicketStatus.NEW else texts.DUE_SOON
        text = template.format(
            number=ticket.id, courtyard=notify.courtyard_label(session, ticket), due=self._local(ticket.due_at)
        )
        told = notify.tell_cadre(
            session=session, cadre=assignee, kind="reminder", ticket_id=ticket.id, text=text, now=now
        )
        return "due_soon_reminder" if told else None

    def _overdue(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """Past the deadline and still open: marked overdue in the ledger and 督办 one level up."""
        ticket.overdue_at = None
        session.add(ticket)
        if ticket.status not in OPEN_STATUSES or ticket.due_at is None:
            return None
        if not self._claim(session, ticket, "overdue", ticket.due_at, now):
            return None
        ticket.overdue = True
        due, courtyard = self._local(ticket.due_at), notify.courtyard_label(session, ticket)
        assignee = org_repo.get_cadre(session=session, cadre_id=ticket.assignee_id)
        ticket_repo.add_event(
            session=session, ticket=ticket, kind="overdue", actor="system", note=f"期限 {due}", at=now
        )
        if assignee is None:
            return "overdue"
        notify.tell_cadre(
            session=session,
            cadre=assignee,
            kind="escalation",
            ticket_id=ticket.id,
            now=now,
            text=texts.OVERDUE_ASSIGNEE.format(number=ticket.id, courtyard=courtyard, due=due),
        )
        levels = notify.levels_above(session, ticket, assignee)
        if levels:
            text = texts.OVERDUE_SUPERVISE.format(
                number=ticket.id,
                courtyard=courtyard,
                assignee=assignee.name,
                due=due,
                text=texts.ticket_excerpt(ticket),
            )
            _tell_all(session, levels[0], "escalation", ticket, text, now)
        return "overdue"

    def _follow_up(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """No news for a while: tell the resident where their ticket stands, once per period."""
        period = ticket.followup_at
        ticket.followup_at = self.calendar.status_followup_at(now) if ticket.status in OPEN_STATUSES else None
        session.add(ticket)
        if ticket.status not in OPEN_STATUSES or not self._claim(session, ticket, "followup", period, now):
            return None
        assert ticket.id is not None
        progress = [e for e in ticket_repo.history(session=session, ticket_id=ticket.id) if e.kind == "progress"]
        latest = (
            texts.FOLLOWUP_LATEST.format(at=self._local(progress[-1].at), note=progress[-1].note.rstrip("。"))
            if progress
            else ""
        )
        text = texts.FOLLOWUP.format(number=ticket.id, status=texts.STATUS_NAMES[ticket.status], latest=latest)
        told = notify.tell_resident(
            session=session, calendar=self.calendar, ticket=ticket, kind="status", text=text, now=now
        )
        return "resident_followup" if told else None

    def _survey_remind(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        ticket.survey_remind_at = None
        session.add(ticket)
        if ticket.status != TicketStatus.RESOLVED or not self._claim(
            session, ticket, "survey_remind", ticket.resolved_at, now
        ):
            return None
        text = texts.SURVEY_REMINDER.format(number=ticket.id)
        told = notify.tell_resident(
            session=session, calendar=self.calendar, ticket=ticket, kind="survey", text=text, now=now
        )
        return "survey_reminder" if told else None

    def _survey_close(self, session: Session, ticket: Ticket, now: datetime) -> str | None:
        """Unanswered for the whole survey period: closed as 未评价."""
        ticket.survey_close_at = None
        session.add(ticket)
        if ticket.status != TicketStatus.RESOLVED or not self._claim(
            session, ticket, "survey_close", ticket.resolved_at, now
        ):
            return None
        lifecycle.close(
            session=session, ticket=ticket, actor="system", note=texts.SURVEY_AUTO_CLOSED, now=now, satisfaction="none"
        )
        return "closed_unrated"

    # --- cadres nobody can reach ------------------------------------------------------------

    def _unreachable_cadres(self, now: datetime, report: SweepReport) -> None:
        """Cadres whose pushes have been held for a working day: the reachable level above is told, once.

        One transaction, so each supervisor gets one push however many of their cadres are out of reach.
        """
        with self.db.transaction() as session:
            waiting = outbox_repo.openids_with_held(session=session)
            lines: dict[int, list[str]] = {}
            supervisors_by_id: dict[int, Cadre] = {}
            for openid in waiting:
                cadre = org_repo.active_cadre_by_openid(session=session, openid=openid)
                since = self._unreachable_since(session, openid) if cadre is not None else None
                if cadre is None or since is None or self.calendar.add_working_days(since, 1) > now:
                    continue
                supervisors = self._reachable_above(session, cadre, set(waiting))
                if not supervisors:
                    self._nobody_to_tell(session, cadre, openid, since, now, report)
                    continue
                key = f"unreachable:{cadre.id}:{since.isoformat()}"
                if not due_repo.record_action(session=session, key=key, kind="unreachable", ticket_id=None, now=now):
                    continue
                line = self._unreachable_line(session, cadre, openid)
                for supervisor in supervisors:
                    assert supervisor.id is not None
                    lines.setdefault(supervisor.id, []).append(line)
                    supervisors_by_id[supervisor.id] = supervisor
                self._note_unreachable(session, cadre, openid, supervisors, now)
                report.add("unreachable_cadre")
            for supervisor_id, found in lines.items():
                notify.tell_cadre(
                    session=session,
                    cadre=supervisors_by_id[supervisor_id],
                    kind="escalation",
                    ticket_id=None,
                    text=_fit(texts.UNREACHABLE_HEADER, found, texts.UNREACHABLE_FOOTER),
                    now=now,
                )

    def _nobody_to_tell(
        self, session: Session, cadre: Cadre, openid: str, since: datetime, now: datetime, report: SweepReport
    ) -> None:
        """No cadre above (nor, for the town, beside) can be reached by chat: `courtyard sweep` prints it on
        every run; the log says it once per ticket concerned and out-of-reach spell (a sweep a minute in
        `serve` must not repeat it); the tickets' histories show it once, for the leaders."""
        line = self._unreachable_line(session, cadre, openid).removeprefix("· ")
        warning = texts.UNREACHABLE_UNTOLD_WARNING.format(line=line, since=self._local(since))
        if self._untold_is_news(session, cadre, openid, since, now):
            log.warning("%s", warning)
        report.warnings.append(warning)
        report.add("unreachable_untold")
        key = f"unreachable_untold:{cadre.id}:{since.isoformat()}"
        if due_repo.record_action(session=session, key=key, kind="unreachable_untold", ticket_id=None, now=now):
            self._note_unreachable(session, cadre, openid, [], now)

    def _untold_is_news(self, session: Session, cadre: Cadre, openid: str, since: datetime, now: datetime) -> bool:
        """Whether this out-of-reach spell, or a ticket in it, has not been logged before (each is claimed once)."""
        held = outbox_repo.held_for(session=session, openid=openid)
        numbers = sorted({p.ticket_id for p in held if p.ticket_id is not None})
        spell, kind = f"unreachable_untold_log:{cadre.id}:{since.isoformat()}", "unreachable_untold_log"
        news = due_repo.record_action(session=session, key=spell, kind=kind, ticket_id=None, now=now)
        for n in numbers:
            news |= due_repo.record_action(session=session, key=f"{spell}:{n}", kind=kind, ticket_id=n, now=now)
        return news

    def _unreachable_since(self, session: Session, openid: str) -> datetime | None:
        """Since when pushes to a person cannot reach them: their window closed and something was held."""
        person = ticket_repo.resident_by_openid(session=session, openid=openid)
        wrote = person.last_message_at if person is not None else None
        first = outbox_repo.first_undelivered_since(session=session, openid=openid, since=wrote)
        if first is None:
            return None
        return max(first, wrote + SERVICE_WINDOW) if wrote is not None else first

    def _note_unreachable(
        self, session: Session, cadre: Cadre, openid: str, supervisors: list[Cadre], now: datetime
    ) -> None:
        """A history line on each open ticket whose pushes to cadre are held."""
        note = (
            texts.UNREACHABLE_EVENT.format(name=cadre.name, told="、".join(c.name for c in supervisors))
            if supervisors
            else texts.UNREACHABLE_UNTOLD_EVENT.format(name=cadre.name)
        )
        held = outbox_repo.held_for(session=session, openid=openid)
        for ticket_id in sorted({p.ticket_id for p in held if p.ticket_id is not None}):
            ticket = ticket_repo.get_ticket(session=session, ticket_id=ticket_id)
            if ticket is not None and ticket.status in OPEN_STATUSES:
                ticket_repo.add_event(
                    session=session, ticket=ticket, kind="supervised", actor="system", note=note, at=now
                )

    def _reachable_above(self, session: Session, cadre: Cadre, unreachable: set[str]) -> list[Cadre]:
        """The nearest level above cadre with someone bound and not waiting for pushes themselves; for a town
        cadre, the other town cadres (nobody is above them in chat)."""
        levels: list[Sequence[Cadre]] = []
        if cadre.role == Role.COURTYARD and cadre.community_id is not None:
            levels.append(org_repo.community_cadres(session=session, community_id=cadre.community_id))
        levels.append(org_repo.town_cadres(session=session))
        for level in levels:
            reachable = [c for c in level if c.openid and c.openid not in unreachable and c.id != cadre.id]
            if reachable:
                return reachable
        return []

    def _unreachable_line(self, session: Session, cadre: Cadre, openid: str) -> str:
        held = outbox_repo.held_for(session=session, openid=openid)
        numbers = sorted({p.ticket_id for p in held if p.ticket_id is not None})
        shown = "、".join(str(n) for n in numbers[:UNREACHABLE_NUMBERS])
        shown += "等" if len(numbers) > UNREACHABLE_NUMBERS else ""
        place = org_repo.courtyard_name_of(session=session, courtyard_id=cadre.courtyard_id)
        if place is None and cadre.community_id is not None:
            community = org_repo.get_community(session=session, community_id=cadre.community_id)
            place = community.name if community else None
        return texts.UNREACHABLE_LINE.format(
            name=cadre.name,
            place=place or texts.ROLE_NAMES.get(cadre.role, ""),
            phone=texts.UNREACHABLE_PHONE.format(phone=cadre.phone) if cadre.phone else "",
            count=len(held),
            numbers=texts.UNREACHABLE_NUMBERS.format(numbers=shown) if numbers else "",
        )

    # --- digests ------------------------------------------------------------------------------

    def _walk_digests(self, now: datetime, report: SweepReport) -> None:
        """Tuesday's courtyard-walk digest to every courtyard cadre: open tickets, overdue first."""
        day = self.calendar.digest_due("courtyard_walk", now)
        if day is None or not self._existed_at(self.calendar.digest_moment("courtyard_walk", day)):
            return
        with self.db.transaction() as session:
            cadres = [c.id for c in org_repo.cadres_with_role(session=session, role=Role.COURTYARD) if c.id]
        self._send_digests("courtyard_walk_digest", day, cadres, now, report, self._walk_digest_text)

    def _send_digests(
        self,
        kind: str,
        day: date,
        cadre_ids: list[int],
        now: datetime,
        report: SweepReport,
        text_for: Callable[[Session, Cadre, date], str],
    ) -> None:
        """One digest per bound cadre and period, each claimed under its key in its own transaction."""
        for cadre_id in cadre_ids:
            with self.db.transaction() as session:
                cadre = org_repo.get_cadre(session=session, cadre_id=cadre_id)
                if cadre is None or not cadre.openid:
                    continue
                key = f"{kind}:{day.isoformat()}:{cadre_id}"
                if not due_repo.record_action(session=session, key=key, kind=kind, ticket_id=None, now=now):
                    continue
                text = text_for(session, cadre, day)
                notify.tell_cadre(session=session, cadre=cadre, kind="digest", ticket_id=None, text=text, now=now)
                report.add(kind)

    def _walk_digest_text(self, session: Session, cadre: Cadre, day: date) -> str:
        assert cadre.courtyard_id is not None  # courtyard-level cadres are placed in a courtyard
        yard = org_repo.get_courtyard(session=session, courtyard_id=cadre.courtyard_id)
        open_tickets = due_repo.open_tickets_of_courtyard(session=session, courtyard_id=cadre.courtyard_id)
        since = self._start_of(day - timedelta(days=7))
        resolved = due_repo.resolved_in_courtyard_since(session=session, courtyard_id=cadre.courtyard_id, since=since)
        lines = [texts.WALK_DIGEST_HEADER.format(day=_chinese_day(day), courtyard=yard.name if yard else "")]
        if open_tickets:
            overdue = sum(1 for t in open_tickets if t.overdue)
            lines.append(texts.WALK_DIGEST_OPEN.format(count=len(open_tickets), overdue=overdue))
            lines += [
                texts.WALK_DIGEST_LINE.format(
                    late="【超期】" if t.overdue else "",
                    number=t.id,
                    status=texts.STATUS_NAMES[t.status],
                    due=texts.TASK_DUE.format(due=self._local(t.due_at)) if t.due_at else texts.TASK_NO_DUE,
                    excerpt=texts.excerpt(t.text, 24),
                )
                for t in open_tickets[:DIGEST_LINES]
            ]
            if len(open_tickets) > DIGEST_LINES:
                lines.append(texts.TASK_LIST_MORE.format(count=len(open_tickets) - DIGEST_LINES))
        else:
            lines.append(texts.WALK_DIGEST_NONE_OPEN)
        if resolved:
            numbers = "、".join(f"编号 {t.id}" for t in resolved)
            lines.append(texts.WALK_DIGEST_RESOLVED.format(count=len(resolved), numbers=numbers))
        lines.append(texts.WALK_DIGEST_FOOTER)
        return "\n".join(lines)

    def _leader_digests(self, now: datetime, report: SweepReport) -> None:
        """Monday's digest to the town cadres: last week's numbers and the courtyards to watch."""
        day = self.calendar.digest_due("leader", now)
        if day is None:
            return
        start, end = self._start_of(day - timedelta(days=7)), self._start_of(day)
        with self.db.transaction() as session:
            began = due_repo.beginning(session=session)
        if began is not None and began > start:  # the week before the system existed is no week to report
            start = self._start_of(began.astimezone(self.calendar.tz).date())
        if start >= end:
            return
        with self.db.transaction() as session:
            numbers = due_repo.period_numbers(session=session, start=start, end=end)
            worst = due_repo.worst_courtyards(session=session, limit=WORST_COURTYARDS)
            leader_ids = [c.id for c in org_repo.town_cadres(session=session) if c.id]
        text = texts.LEADER_DIGEST.format(
            start=_chinese_day(start.date(), weekday=False),
            end=_chinese_day((end - timedelta(days=1)).date(), weekday=False),
            collected=numbers.collected,
            accepted=numbers.accepted_within_a_day,
            accepted_rate=f"（{_percent(numbers.accepted_within_a_day / numbers.collected)}）"
            if numbers.collected
            else "",
            resolved=numbers.resolved,
            resolution_rate=_percent(numbers.resolution_rate),
            satisfaction_rate=_percent(numbers.satisfaction_rate),
            surveyed=numbers.surveyed,
            overdue=numbers.overdue_open,
        )
        if worst:
            text += "\n" + texts.LEADER_DIGEST_WORST.format(
                courtyards="、".join(
                    texts.LEADER_DIGEST_WORST_LINE.format(name=name, overdue=late, open=count)
                    for name, late, count in worst
                )
            )
        self._send_digests("leader_digest", day, leader_ids, now, report, lambda _s, _c, _d: text)

    # --- helpers ------------------------------------------------------------------------------

    def _existed_at(self, moment: datetime) -> bool:
        """Whether the system had begun (org chart imported or a ticket filed) by moment."""
        with self.db.transaction() as session:
            began = due_repo.beginning(session=session)
        return began is None or began <= moment

    def _waited(self, since: datetime, now: datetime) -> str:
        """How long a ticket has waited, in the working time the policy counts."""
        hours = self.calendar.working_hours_between(since, now)
        day = self.calendar.policy.day_hours
        return f"{hours:.0f}个工作小时" if hours < day else f"{hours / day:.0f}个工作日"

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.calendar.tz):%m-%d %H:%M}"

    def _start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.calendar.tz)


def _tell_all(session: Session, cadres: list[Cadre], kind: str, ticket: Ticket, text: str, now: datetime) -> bool:
    told = [
        notify.tell_cadre(session=session, cadre=c, kind=kind, ticket_id=ticket.id, text=text, now=now) for c in cadres
    ]
    return any(told)


def _fit(header: str, items: list[str], footer: str, limit: int = 2048) -> str:
    """Header, as many items as fit a chat message (the rest counted), and footer."""
    for kept in range(len(items), -1, -1):
        more = [texts.UNREACHABLE_MORE.format(count=len(items) - kept)] if kept < len(items) else []
        text = "\n".join([header, *items[:kept], *more, footer])
        if len(text.encode("utf-8")) <= limit:
            return text
    return "\n".join([header, footer])


def _stamp(period: object) -> str:
    return period.isoformat() if isinstance(period, (datetime, date)) else str(period)


def _percent(rate: float | None) -> str:
    return texts.NO_FIGURE if rate is None else f"{rate:.0%}"


_WEEKDAY_NAMES = "一二三四五六日"


def _chinese_day(day: date, *, weekday: bool = True) -> str:
    text = f"{day.month}月{day.day}日"
    return text + f"（周{_WEEKDAY_NAMES[day.weekday()]}）" if weekday else text

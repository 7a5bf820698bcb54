"""Keeping a ticket's sweep timers in step with its state: what follow-up is due next, and when."""

from __future__ import annotations

from datetime import datetime

from handlers.workcalendar import WorkCalendar
from storage.models import Ticket


def on_filed(ticket: Ticket, cal: WorkCalendar, now: datetime) -> None:
    """A new ticket: its deadline, the due-soon reminder, the overdue check and the resident follow-up."""
    set_deadline(ticket, cal, now)
    ticket.followup_at = cal.status_followup_at(now) if ticket.resident_id is not None else None
    on_assigned(ticket, cal, now)


def set_deadline(ticket: Ticket, cal: WorkCalendar, start: datetime) -> None:
    due = cal.deadline_for(ticket.category, ticket.urgent, start)
    ticket.due_at, ticket.overdue_at, ticket.overdue = due, due, False
    soon = cal.due_soon_at(due)
    # Urgent tickets run on calendar hours; a reminder before the ticket existed is no reminder.
    ticket.due_soon_at = soon if not ticket.urgent and soon > start else None


def on_assigned(ticket: Ticket, cal: WorkCalendar, now: datetime) -> None:
    """A (new) assignee who has not accepted yet: the reminder and 督办 chain starts again."""
    ticket.assigned_at = now
    ticket.nudge_step = 0
    ticket.nudge_at = cal.unaccepted_schedule(now, ticket.urgent).remind_at


def on_accepted(ticket: Ticket) -> None:
    ticket.nudge_at = None


def on_news(ticket: Ticket, cal: WorkCalendar, now: datetime) -> None:
    """The resident just heard about their ticket; the next status follow-up waits its full period."""
    if ticket.followup_at is not None:
        ticket.followup_at = cal.status_followup_at(now)


def on_resolved(ticket: Ticket, cal: WorkCalendar, now: datetime) -> None:
    _stop_work_timers(ticket)
    if ticket.resident_id is not None:
        ticket.survey_remind_at = cal.survey_remind_at(now)
        ticket.survey_close_at = cal.survey_close_at(now)


def on_reopened(ticket: Ticket, cal: WorkCalendar, now: datetime) -> None:
    """Not satisfied: the same assignee works it again against a fresh deadline."""
    ticket.survey_remind_at = ticket.survey_close_at = None
    set_deadline(ticket, cal, now)
    ticket.followup_at = cal.status_followup_at(now)


def on_finished(ticket: Ticket) -> None:
    """Closed or withdrawn: nothing more is due."""
    _stop_work_timers(ticket)
    ticket.survey_remind_at = ticket.survey_close_at = None


def _stop_work_timers(ticket: Ticket) -> None:
    ticket.nudge_at = ticket.due_soon_at = ticket.overdue_at = ticket.followup_at = None

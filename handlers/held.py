"""Pushes held while a person's 48-hour window is closed: kept to the latest per ticket, released as one summary.

WeChat lets us message a person freely only within 48 hours of their last message; without a
template id the drain holds the rest. While they wait, a newer push about the same ticket makes
the older one stale (【即将到期】 then 【已超期】: only the latter matters), and when the person
writes again they get at most one push: the held one itself, or a summary of all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import texts
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.models import OPEN_STATUSES, Outbox

SUMMARY_LIMIT_BYTES = 2048
LINE_CHARS = 60
# Most urgent first: what asks the person to act now, then new work, then news, then digests.
_RANK = {"escalation": 0, "reminder": 1, "new_task": 2, "digest": 5}
_NEWS_RANK = 4
_CALLS_TO_WORK = ("reminder", "escalation", "new_task")
_REMINDERS = ("reminder", "escalation")
SUMMARY = "summary"
# The drain runs every second: a push still waiting this long after it was decided, never tried or tried
# without an access token, piled up while nothing could be sent (no credentials yet, credentials refused,
# the night's quiet hours for residents).
BACKLOG_AGE = timedelta(minutes=2)
# More reminders and 督办 than this due for one person at once (a sweep reaching every ticket filed one
# morning) go as one summary too. An urgent ticket's new task always goes on its own.
BURST = 4


def on_held(*, session: Session, push: Outbox) -> int:
    """A push was just held: the person's earlier held pushes on the same subject are dropped."""
    return outbox_repo.supersede_held(session=session, row=push)


def newer_reminder(*, session: Session, push: Outbox) -> int | None:
    """For a reminder or 督办 still waiting to go: a later one about the same ticket that makes it stale."""
    if push.kind not in _REMINDERS:
        return None
    return outbox_repo.newer_on_same_ticket(session=session, row=push, kinds=_REMINDERS)


def release(*, session: Session, openid: str, now: datetime, since: datetime | None) -> int:
    """The person wrote: what was held for them goes out as one push. How many held pushes it covers.

    since is when they last wrote before this message (None: never); it bounds the count of stale
    pushes the summary mentions.
    """
    held = list(outbox_repo.held_for(session=session, openid=openid))
    if not held:
        return 0
    stale = [p.id for p in held if p.id is not None and _overtaken(session, p)]
    outbox_repo.retire(session=session, ids=stale, reason="the ticket moved on: no longer open")
    held = [p for p in held if p.id not in stale]
    if len(held) <= 1:
        return outbox_repo.release_held(session=session, openid=openid, now=now)
    dropped = outbox_repo.count_since(session=session, openid=openid, since=since) - len(held)
    text = summary_text(session, held, dropped)
    row = outbox_repo.enqueue(
        session=session, openid=openid, audience=held[0].audience, kind=SUMMARY, text=text, now=now
    )
    outbox_repo.retire(session=session, ids=[p.id for p in held if p.id is not None], reason=f"in summary #{row.id}")
    return len(held)


def backlog_waiting(*, db: Database, now: datetime) -> bool:
    """Whether collapse_backlog has work: pushes piled up unsent (after a pause: no credentials, quiet
    hours, the process down) or a sweep's burst. Read without taking the writer's turn, so the drain
    every second does not hold up the webhook's writes."""
    with db.snapshot() as session:
        return bool(
            outbox_repo.openids_with_backlog(session=session, now=now, decided_before=now - BACKLOG_AGE)
            or outbox_repo.openids_with_many_due(session=session, now=now, at_least=BURST + 1, kinds=_REMINDERS)
        )


def collapse_backlog(*, session: Session, now: datetime) -> int:
    """Pushes that piled up unsent become at most one summary per person; how many people got one.

    Per ticket only the latest news and the latest survey ask stay, as for held pushes; calls to work
    on tickets no longer open are dropped. A summary still unsent is folded into the next one.
    """
    people = 0
    backlog = outbox_repo.openids_with_backlog(session=session, now=now, decided_before=now - BACKLOG_AGE)
    burst = outbox_repo.openids_with_many_due(session=session, now=now, at_least=BURST + 1, kinds=_REMINDERS)
    for openid in sorted({*backlog, *burst}):
        due = [
            p
            for p in outbox_repo.due_for(session=session, openid=openid, now=now)
            if not _alarm(session, p) and (openid in backlog or (p.kind in _REMINDERS and p.ticket_id is not None))
        ]
        fresh = [p for p in due if p.kind != SUMMARY]
        if not fresh:
            continue  # only a summary already made, waiting for its retry
        stood_for: list[Outbox] = []
        for push in due:
            if push.kind == SUMMARY and push.id is not None:
                stood_for += outbox_repo.folded_into(session=session, summary_id=push.id)
        items = sorted([*fresh, *stood_for], key=lambda p: p.id or 0)
        latest: dict[tuple[object, ...], Outbox] = {}
        for push in items:
            latest[_subject(push)] = push
        kept = [p for p in latest.values() if not _overtaken(session, p)]
        dropped = [p.id for p in items if p.id is not None and p not in kept]
        if len(kept) <= 1 and len(fresh) == len(due):
            stale = f"{outbox_repo.BACKLOG_MARK} made stale by a later push"
            outbox_repo.supersede(session=session, ids=dropped, reason=stale)
            continue
        if not kept:
            gone = [p.id for p in (*due, *stood_for) if p.id is not None]
            outbox_repo.supersede(session=session, ids=gone, reason=f"{outbox_repo.BACKLOG_MARK} the tickets moved on")
            continue
        header = texts.BACKLOG_SUMMARY_HEADER if openid in backlog else texts.BURST_SUMMARY_HEADER
        text = summary_text(session, kept, len(dropped), header=header)
        row = outbox_repo.enqueue(
            session=session, openid=openid, audience=kept[0].audience, kind=SUMMARY, text=text, now=now
        )
        folded = [p.id for p in (*due, *stood_for) if p.id is not None]
        reason = f"{outbox_repo.BACKLOG_MARK} in summary #{row.id}"
        outbox_repo.supersede(session=session, ids=folded, reason=reason)
        people += 1
    return people


def _alarm(session: Session, push: Outbox) -> bool:
    """An urgent ticket's new task: it goes on its own, never folded into a summary."""
    if push.kind != "new_task" or push.ticket_id is None:
        return False
    ticket = ticket_repo.get_ticket(session=session, ticket_id=push.ticket_id)
    return ticket is not None and ticket.urgent


def _subject(push: Outbox) -> tuple[object, ...]:
    """What a push is about: a later push on the same subject makes it stale (cf. storage.outbox.supersede_held)."""
    if push.ticket_id is None:
        return ("digest",) if push.kind == "digest" else ("alone", push.id)
    return (push.ticket_id, push.kind == outbox_repo.SURVEY)


def _overtaken(session: Session, push: Outbox) -> bool:
    """A call to work on a ticket that is no longer open (resolved, closed, withdrawn meanwhile)."""
    if push.kind not in _CALLS_TO_WORK or push.ticket_id is None:
        return False
    ticket = ticket_repo.get_ticket(session=session, ticket_id=push.ticket_id)
    return ticket is not None and ticket.status not in OPEN_STATUSES


def summary_text(
    session: Session, held: Sequence[Outbox], dropped: int, *, header: str = texts.HELD_SUMMARY_HEADER
) -> str:
    """Counts, then the most urgent items one line each (naming 编号 N), within WeChat's size limit."""
    cadre = held[0].audience == "cadre"
    tickets = {p.ticket_id for p in held if p.ticket_id is not None}
    about = texts.HELD_SUMMARY_ABOUT.format(tickets=len(tickets)) if tickets else ""
    header = header.format(count=len(held) + max(dropped, 0), about=about)
    footer = texts.HELD_SUMMARY_FOOTER_CADRE if cadre else texts.HELD_SUMMARY_FOOTER_RESIDENT
    if dropped > 0:  # after the list it counts on: the header ends with a colon that opens the list
        footer = texts.HELD_SUMMARY_DROPPED.format(dropped=dropped) + "\n" + footer
    lines = [_line(p) for p in sorted(held, key=lambda p: _urgency(session, p))]
    body: list[str] = []
    budget = SUMMARY_LIMIT_BYTES - _size(header) - _size(footer) - _size(texts.HELD_SUMMARY_MORE.format(more=999)) - 3
    for index, line in enumerate(lines):
        if _size(line) + 1 > budget:
            body.append(texts.HELD_SUMMARY_MORE.format(more=len(lines) - index))
            break
        body.append(line)
        budget -= _size(line) + 1
    return "\n".join([header, *body, footer])


def _urgency(session: Session, push: Outbox) -> tuple[int, int, int, int]:
    """Calls to act before news, urgent tickets first, newest ticket first, one ticket's pushes in order."""
    ticket = ticket_repo.get_ticket(session=session, ticket_id=push.ticket_id) if push.ticket_id else None
    urgent = 0 if ticket is not None and ticket.urgent else 1
    return (_RANK.get(push.kind, _NEWS_RANK), urgent, -(push.ticket_id or 0), push.id or 0)


def _line(push: Outbox) -> str:
    if push.kind == outbox_repo.SURVEY and push.ticket_id is not None:  # the question is no use without its answers
        return "· " + texts.SUMMARY_SURVEY_LINE.format(number=push.ticket_id)
    first = texts.excerpt(push.text.partition("\n")[0], LINE_CHARS)
    if push.ticket_id is not None and f"编号 {push.ticket_id}" not in first:
        first = f"编号 {push.ticket_id}：{first}"
    return "· " + first


def _size(text: str) -> int:
    return len(text.encode("utf-8"))

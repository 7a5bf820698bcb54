"""Draining the outbox: each push goes by customer-service message, template message, or waits."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers import held
from handlers.ports import DeliveryError, Failure, Sender
from storage import outbox as outbox_repo
from storage import tickets as ticket_repo
from storage.db import Database
from storage.models import Outbox, OutboxStatus

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=48)  # WeChat's customer-service window after a person's last message
# A claim abandoned by a dead drain is retried after this, on the database's clock. It is several
# times the WeChat API timeout (courtyard.runtime), so a slow answer is waited for, not doubled.
CLAIM_LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 8
# Sender threads of one drain on PostgreSQL: WeChat's API answers in ~0.1–0.3 s, so a few calls in
# flight multiply throughput. A sender holds a database connection only to claim and settle, not
# while WeChat answers, so 8 fit in the default pool (5 + 10 overflow).
SENDERS = 8
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class Templates:
    """Template ids for pushes outside the window: task for cadres, status for residents (None: hold)."""

    task: str | None = None
    status: str | None = None

    def for_audience(self, audience: str) -> str | None:
        return self.task if audience == "cadre" else self.status


@dataclass
class DrainReport:
    """What one drain did, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class _Outcome:
    status: OutboxStatus
    channel: str | None = None
    error: str | None = None
    failure: Failure | None = None


def drain(
    *, db: Database, sender: Sender, templates: Templates, now: datetime, senders: int | None = None
) -> DrainReport:
    """Attempt every push that is due as of now; safe to run from several processes at once.

    senders threads send side by side (default SENDERS on PostgreSQL; SQLite keeps one): each takes the
    next push of somebody with none in flight, so one person's pushes still go one at a time, in order.
    """
    count = senders if senders is not None else (SENDERS if db.engine.dialect.name == "postgresql" else 1)
    run = _Drain(db, sender, templates, now)
    if held.backlog_waiting(db=db, now=now):  # a backlog goes as one summary per person, never a burst
        with db.transaction() as session:
            if summaries := held.collapse_backlog(session=session, now=now):
                run.report.counts["backlog_summary"] = summaries
    if count <= 1:
        run.work()
        return run.report
    if not run.step():  # idle (the drain runs every second): one query, no threads started
        return run.report
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="courtyard-sender") as pool:
        for future in [pool.submit(run.work) for _ in range(count)]:
            future.result()
    return run.report


class _Drain:
    """One drain's shared state: what its senders tried, and what came of it."""

    def __init__(self, db: Database, sender: Sender, templates: Templates, now: datetime) -> None:
        self.db, self.sender, self.templates, self.now = db, sender, templates, now
        self.report = DrainReport()
        self._again: set[int] = set()  # attempted by this drain and due again at once: not retried by it
        self._lock = threading.Lock()

    def work(self) -> None:
        """Claim and attempt pushes until nobody has one this sender may take."""
        while self.step():
            pass

    def step(self) -> bool:
        """Claim and attempt one push; False when there was none to take."""
        outcome = self._attempt_next()
        if outcome is None:
            return False
        with self._lock:
            self.report.add(outcome)
        return True

    def _attempt_next(self) -> str | None:
        """Claim one push, try it outside any transaction, and record the outcome; None when none is left."""
        db, now = self.db, self.now
        with db.transaction() as session:
            with self._lock:
                skip = frozenset(self._again)
            push = outbox_repo.claim_next(session=session, now=now, lease=CLAIM_LEASE, skip=skip)
            if push is None:
                return None
            outbox_id = push.id
            assert outbox_id is not None
            person = ticket_repo.resident_by_openid(session=session, openid=push.openid)
            last_message_at = person.last_message_at if person else None
            newer = held.newer_reminder(session=session, push=push)
            if newer is not None:  # a backlog (no credentials yet, a long outage): only the latest reminder goes
                outbox_repo.settle(
                    session=session,
                    outbox_id=outbox_id,
                    status=OutboxStatus.SUPERSEDED,
                    now=now,
                    error=f"superseded by #{newer}",
                )
                return str(OutboxStatus.SUPERSEDED)
            if push.unknown_fate >= 2:
                log.error("push %d (%s to %s): fate unknown twice, not resent", push.id, push.kind, push.openid)
                outbox_repo.settle(
                    session=session,
                    outbox_id=outbox_id,
                    status=OutboxStatus.FAILED,
                    now=now,
                    error="not resent: two attempts of unknown fate, it may have arrived",
                )
                return str(OutboxStatus.FAILED)
        outcome, due_again = _send(db, self.sender, self.templates, push, last_message_at, now)
        if due_again:
            with self._lock:
                self._again.add(outbox_id)
        return outcome


def _send(
    db: Database, sender: Sender, templates: Templates, push: Outbox, last_message_at: datetime | None, now: datetime
) -> tuple[str, bool]:
    """Deliver a claimed push and settle it: what came of it, and whether it is due again as of now."""
    outbox_id = push.id
    assert outbox_id is not None
    if push.unknown_fate:
        log.warning("push %d (%s to %s) possibly doubled: resent after an attempt of unknown fate",
                    push.id, push.kind, push.openid)  # fmt: skip
    began = time.perf_counter()
    outcome = _deliver(sender, push, templates, window_open=_window_open(last_message_at, now))
    retry_at = None
    status = outcome.status
    if outcome.failure == Failure.NO_TOKEN:  # not this push's fault: never given up, never hurried
        retry_at = now + timedelta(seconds=min(2 ** (push.attempts - 1), MAX_BACKOFF_SECONDS))
    elif outcome.failure in (Failure.RETRY, Failure.UNCERTAIN):
        if push.attempts >= MAX_ATTEMPTS or (outcome.failure == Failure.UNCERTAIN and push.unknown_fate):
            status = OutboxStatus.FAILED
        else:
            status = OutboxStatus.PENDING
            retry_at = now + timedelta(seconds=min(2 ** (push.attempts - 1), MAX_BACKOFF_SECONDS))
    log.info("push %d %s to %s: %s%s in %.0f ms", push.id, push.kind, push.openid, status,
             f" ({outcome.channel})" if outcome.channel else "", (time.perf_counter() - began) * 1000)  # fmt: skip
    with db.transaction() as session:
        if status == OutboxStatus.HELD and _wrote_since(session, push.openid, last_message_at):
            status, retry_at = OutboxStatus.PENDING, now  # they wrote while we tried: their window is open
        outbox_repo.settle(
            session=session,
            outbox_id=outbox_id,
            status=status,
            now=now,
            channel=outcome.channel,
            error=outcome.error,
            retry_at=retry_at,
            uncertain=outcome.failure == Failure.UNCERTAIN,
        )
        if status == OutboxStatus.HELD:
            held.on_held(session=session, push=push)
    due_again = status == OutboxStatus.PENDING and retry_at is not None and retry_at <= now
    return f"{status}:{outcome.channel}" if status == OutboxStatus.SENT else str(status), due_again


def _wrote_since(session: Session, openid: str, last_message_at: datetime | None) -> bool:
    person = ticket_repo.resident_by_openid(session=session, openid=openid)
    return person is not None and person.last_message_at != last_message_at


def _window_open(last_message_at: datetime | None, now: datetime) -> bool | None:
    """Whether the person wrote within the window; None when they never wrote (WeChat will tell us)."""
    if last_message_at is None:
        return None
    return now - last_message_at < SERVICE_WINDOW


def _deliver(sender: Sender, push: Outbox, templates: Templates, *, window_open: bool | None) -> _Outcome:
    if window_open is not False:
        try:
            sender.send_text(push.openid, push.text)
            return _Outcome(OutboxStatus.SENT, channel="custom")
        except DeliveryError as exc:
            if exc.failure != Failure.WINDOW_CLOSED:
                return _failed(exc)
    template_id = templates.for_audience(push.audience)
    if template_id is None:
        return _Outcome(OutboxStatus.HELD, error="48-hour window closed and no template configured")
    try:
        sender.send_template(push.openid, template_id, template_data(push))
        return _Outcome(OutboxStatus.SENT, channel="template")
    except DeliveryError as exc:
        if exc.failure == Failure.WINDOW_CLOSED:
            return _Outcome(OutboxStatus.HELD, error=exc.reason)
        return _failed(exc)


def _failed(exc: DeliveryError) -> _Outcome:
    waits = exc.failure in (Failure.RETRY, Failure.UNCERTAIN, Failure.NO_TOKEN)
    log.warning("push failed (%s): %s", exc.failure, exc.reason)
    error = f"{outbox_repo.UNSENDABLE_MARK} {exc.reason}" if exc.failure == Failure.NO_TOKEN else exc.reason
    return _Outcome(OutboxStatus.PENDING if waits else OutboxStatus.FAILED, error=error, failure=exc.failure)


def template_data(push: Outbox) -> dict[str, str]:
    """Template values: the ticket number (编号 N) on its own and the message itself."""
    first_line, _, rest = push.text.partition("\n")
    data = {"first": first_line, "remark": rest or first_line}
    if push.ticket_id is not None:
        data["keyword1"] = f"编号 {push.ticket_id}"
    return data


def waiting_pushes(db: Database) -> int:
    """Pushes in the outbox not tried yet (quiet hours, a retry later, or nobody draining)."""
    with db.snapshot() as session:
        return outbox_repo.count_pending(session=session)

"""The periodic sweeps and the APScheduler that runs them inside `serve` (and once from `courtyard sweep`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from handlers.delivery import DrainReport, Templates, drain
from handlers.followups import Sweeper, SweepReport
from handlers.photos import PhotoReport, fetch_due
from handlers.ports import MediaSource, Sender
from handlers.workcalendar import WorkCalendar
from storage.db import Database

log = logging.getLogger(__name__)

OUTBOX_DRAIN_SECONDS = 1
# Reminders and digests are due to the minute at most; once a minute keeps them timely and cheap.
LEDGER_SWEEP_SECONDS = 60
# A resident's photo is fetched within half a minute (WeChat keeps it 3 days; retries back off in minutes).
PHOTO_SWEEP_SECONDS = 30


@dataclass(frozen=True)
class SweepDeps:
    """What the sweeps work with; built by the wiring."""

    db: Database
    sender: Sender
    templates: Templates
    calendar: WorkCalendar
    clock: Callable[[], datetime]
    media: MediaSource | None = None  # residents' photos are fetched from WeChat only with credentials


def drain_outbox(deps: SweepDeps, now: datetime | None = None) -> DrainReport:
    report = drain(db=deps.db, sender=deps.sender, templates=deps.templates, now=now or deps.clock())
    if report.total:
        log.debug("outbox drain: %s", report.counts)  # each push has its own INFO line
    return report


def sweep_ledger(deps: SweepDeps, now: datetime | None = None) -> SweepReport:
    report = Sweeper(db=deps.db, calendar=deps.calendar).run(now or deps.clock())
    if report.total:
        log.info("ledger sweep: %s", report.counts)
    return report


def fetch_photos(deps: SweepDeps, now: datetime | None = None) -> PhotoReport:
    """Residents' photos due for fetching from WeChat (handlers/photos.py); nothing without credentials."""
    if deps.media is None:
        return PhotoReport()
    report = fetch_due(db=deps.db, media=deps.media, now=now or deps.clock())
    if report.total:
        log.info("photo sweep: %s", report.counts)
    return report


def run_all(
    deps: SweepDeps, now: datetime, *, drain: bool = True
) -> dict[str, SweepReport | DrainReport | PhotoReport]:
    """Every sweep once as of now, the outbox drain last so that what was decided is sent; what each did."""
    reports: dict[str, SweepReport | DrainReport | PhotoReport] = {"ledger": sweep_ledger(deps, now)}
    if deps.media is not None:
        reports["photos"] = fetch_photos(deps, now)
    if drain:
        reports["outbox"] = drain_outbox(deps, now)
    return reports


def build_scheduler(deps: SweepDeps, tz: ZoneInfo, *, drain: bool = True) -> BackgroundScheduler:
    """A scheduler with every sweep on its trigger; missed runs coalesce and no job overlaps itself.

    Without drain (nothing to send with yet) the ledger sweeps still run and their pushes wait in the outbox.
    """
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 5},
    )
    scheduler.add_job(
        sweep_ledger,
        "interval",
        seconds=LEDGER_SWEEP_SECONDS,
        args=[deps],
        id="ledger_sweep",
        replace_existing=True,
        misfire_grace_time=LEDGER_SWEEP_SECONDS * 5,
        next_run_time=datetime.now(tz),  # catch up at once after a restart, not a minute later
    )
    if deps.media is not None:
        scheduler.add_job(
            fetch_photos, "interval", seconds=PHOTO_SWEEP_SECONDS, args=[deps], id="photo_fetch", replace_existing=True
        )
    if not drain:
        return scheduler
    scheduler.add_job(
        drain_outbox,
        "interval",
        seconds=OUTBOX_DRAIN_SECONDS,
        args=[deps],
        id="outbox_drain",
        replace_existing=True,
    )
    return scheduler

"""The periodic sweeps and the APScheduler that runs them inside `serve` (and once from `courtyard sweep`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from handlers.outbox import DrainReport, Templates, drain
from handlers.ports import Sender
from storage.db import Database

log = logging.getLogger(__name__)

OUTBOX_DRAIN_SECONDS = 1


@dataclass(frozen=True)
class SweepDeps:
    """What the sweeps work with; built by the wiring."""

    db: Database
    sender: Sender
    templates: Templates
    clock: Callable[[], datetime]


def drain_outbox(deps: SweepDeps, now: datetime | None = None) -> DrainReport:
    report = drain(db=deps.db, sender=deps.sender, templates=deps.templates, now=now or deps.clock())
    if report.total:
        log.info("outbox drain: %s", report.counts)
    return report


def run_all(deps: SweepDeps, now: datetime) -> dict[str, DrainReport]:
    """Every sweep once, as of now; what each one did."""
    return {"outbox": drain_outbox(deps, now)}


def build_scheduler(deps: SweepDeps, tz: ZoneInfo) -> BackgroundScheduler:
    """A scheduler with every sweep on its trigger; missed runs coalesce and no job overlaps itself."""
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    scheduler.add_job(
        drain_outbox,
        "interval",
        seconds=OUTBOX_DRAIN_SECONDS,
        args=[deps],
        id="outbox_drain",
        replace_existing=True,
    )
    return scheduler

"""Wiring: builds the database, the WeChat client, the conversation and the scheduler from Settings."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import bottle
from sqlalchemy import make_url

from bot.app import WeChatConfig, make_app
from bot.sender import WeChatSender
from bot.wechat_api import InMemoryTokenStore, WeChatAPI
from courtyard.settings import Settings
from handlers import org as org_use_cases
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.outbox import Templates
from handlers.policy import WorkCalendar
from handlers.replay import ReplayGuard
from scheduler.sweeps import SweepDeps
from storage import migrate
from storage.clock import utc_now
from storage.db import Database, make_engine, startup_lock
from storage.journal import Journal

log = logging.getLogger(__name__)

# Well inside handlers.outbox.CLAIM_LEASE: an answer WeChat gives late (its API has been seen to take
# 6 s) is still waited for and recorded, instead of the push being retried and doubled.
API_TIMEOUT_SECONDS = 15.0
# The webhook waits at most this long for a database lock or connection, then journals the message:
# WeChat gives up on an answer after 5 s.
WEBHOOK_DB_WAIT_SECONDS = 3.0
# A webhook write that has held the database for this long is stuck (a transaction takes ~20 ms):
# messages behind it go to the journal at once, and /healthz says 503.
WEBHOOK_STUCK_SECONDS = 1.0
KEEPER_INTERVAL_SECONDS = 1.0
PRUNE_EVERY_SECONDS = 60.0
Clock = Callable[[], datetime]


# Libraries that narrate every step at INFO: schema checks, every scheduler run, queue depths, jieba's loading.
CHATTY_LOGGERS = ("alembic", "apscheduler", "waitress.queue", "urllib3", "jieba")


def configure_logging(*, verbose: bool = False) -> None:
    """One INFO line per message and per push; with verbose, everything down to DEBUG."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not verbose and not any(isinstance(f, _SkippedRunFilter) for f in scheduler_log.filters):
        scheduler_log.addFilter(_SkippedRunFilter())


class _SkippedRunFilter(logging.Filter):
    """A sweep still running when its next tick comes is skipped by design (max_instances=1): no warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def demo_org_path() -> Path:
    return Path(str(resources.files("courtyard").joinpath("demo_org.yaml")))


def open_database(settings: Settings) -> Database:
    """Connect and bring the schema up to date (Alembic migrations), one process at a time."""
    engine = make_engine(settings.courtyard_db_url)
    with startup_lock(engine):
        migrate.upgrade(engine)
    return Database(engine)


def journal_path(settings: Settings) -> Path:
    """COURTYARD_JOURNAL, or beside the SQLite file, or courtyard-inbox.jsonl in the working folder."""
    if settings.courtyard_journal:
        return Path(settings.courtyard_journal)
    url = make_url(settings.courtyard_db_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(database.name + ".inbox.jsonl")
    return Path("courtyard-inbox.jsonl")


class Keeper:
    """Background upkeep of the webhook: probes the database for /healthz, replays the journal as
    soon as the database is back, and forgets old signed URLs."""

    def __init__(self, db: Database, conversation: Conversation, guard: ReplayGuard) -> None:
        self.db = db
        self.conversation = conversation
        self.guard = guard
        self._stop = threading.Event()
        self._pruned = 0.0
        self._thread = threading.Thread(target=self._run, name="courtyard-keeper", daemon=True)

    def start(self) -> Keeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the upkeep and close the webhook's database connections."""
        self._stop.set()
        self.conversation.journaled.set()
        self._thread.join(timeout=10)
        self.db.engine.dispose()

    def tick(self) -> None:
        """One round: probe, replay what waits, prune now and then."""
        health = self.conversation.health
        try:
            self.db.ping()
        except Exception as exc:
            health.mark(ok=False, reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            log.debug("database probe failed: %s", exc)
            return
        self.conversation.replay_journal()
        if self.conversation.journal is None or self.conversation.journal.is_empty():
            health.mark(ok=True)
        if time.monotonic() - self._pruned > PRUNE_EVERY_SECONDS:
            self._pruned = time.monotonic()
            log.debug("forgot %d old signed URLs", self.guard.prune())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.conversation.journaled.wait(KEEPER_INTERVAL_SECONDS)
            self.conversation.journaled.clear()
            if self._stop.is_set():
                return
            try:
                self.tick()
            except Exception:
                log.exception("keeper round failed")


def build_sweep_deps(settings: Settings, db: Database, clock: Clock = utc_now) -> SweepDeps:
    api = WeChatAPI(
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret,
        timeout=API_TIMEOUT_SECONDS,
        token_store=InMemoryTokenStore(),
    )
    templates = Templates(task=settings.wechat_template_task or None, status=settings.wechat_template_status or None)
    return SweepDeps(
        db=db, sender=WeChatSender(api), templates=templates, calendar=build_calendar(settings, db), clock=clock
    )


def build_calendar(settings: Settings, db: Database) -> WorkCalendar:
    """The work calendar of the imported policy; raises PolicyError naming a bad field."""
    return WorkCalendar(settings.tz, org_use_cases.load_policy(db=db))


def build_web_app(
    settings: Settings,
    db: Database,
    ready: threading.Event,
    clock: Clock = utc_now,
    *,
    threads: int = 8,
    durable: bool = True,
) -> bottle.Bottle:
    """The WSGI app; /healthz answers 200 once ready is set and while the database takes messages.

    Starts the keeper; `app.config["courtyard.keeper"]` stops it. durable=False only for measuring
    what full sync costs (bench/faults.py).
    """
    webhook_db = Database(
        make_engine(settings.courtyard_db_url, wait_seconds=WEBHOOK_DB_WAIT_SECONDS, durable=durable),
        wait_seconds=WEBHOOK_DB_WAIT_SECONDS,
        stuck_after_seconds=WEBHOOK_STUCK_SECONDS,
    )
    journal = Journal(journal_path(settings))
    context = Context(db=webhook_db, calendar=build_calendar(settings, db), clock=clock)
    with db.snapshot() as session:  # load jieba and the model now, not while the first message waits
        context.analyzers.for_session(session).analyze("预热")
    conversation = Conversation(context, journal=journal)
    config = WeChatConfig(
        token=settings.token,
        app_id=settings.wechat_app_id or None,
        encoding_aes_key=settings.wechat_encoding_aes_key or None,
    )
    guard = ReplayGuard(webhook_db, timedelta(seconds=config.max_clock_skew_seconds), conversation.health)
    app = make_app(
        config=config, conversation=conversation, ready=ready.is_set, replay_guard=guard, webhook_slots=threads - 1
    )
    keeper = Keeper(webhook_db, conversation, guard)
    keeper.tick()  # what an earlier run left in the journal goes in before the first new message
    app.config["courtyard.keeper"] = keeper.start()
    return app


def ensure_org_chart(db: Database, org: Path | None) -> str:
    """Import org if given; with none and an empty database, load the demo town. Says what it did."""
    with startup_lock(db.engine):
        return _ensure_org_chart(db, org)


def _ensure_org_chart(db: Database, org: Path | None) -> str:
    if org is not None:
        result = org_use_cases.import_org_file(db=db, path=org)
        return f"org chart {org}: {result.courtyards} courtyards, {result.cadres} cadres" + (
            "" if result.changed else " (unchanged)"
        )
    if org_use_cases.has_org_chart(db=db):
        return "org chart: using the one in the database"
    result = org_use_cases.import_org_file(db=db, path=demo_org_path())
    return (
        f"no org chart yet: loaded the demo town {result.town} ({result.courtyards} courtyards, "
        f"{result.cadres} cadres) from {demo_org_path()}. Import your own with `courtyard org import FILE`."
    )

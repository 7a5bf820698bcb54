"""Wiring: builds the database, the WeChat client, the conversation and the scheduler from Settings."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import bottle
from sqlalchemy import make_url

from bot.app import WeChatConfig, make_app
from bot.media import WeChatMedia
from bot.sender import WeChatSender
from bot.token_store import DatabaseTokenStore
from bot.wechat_api import WeChatAPI
from courtyard import messages
from courtyard.settings import Settings
from handlers import org_import as org_use_cases
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.delivery import Templates
from handlers.ports import Sender
from handlers.replay import ReplayGuard
from handlers.simulation import (
    DEMO_LOGIN,
    DEMO_PASSWORD,
    DemoCheck,
    ensure_demo_login,
    is_simulator_openid,
    latest_moment,
    remove_demo_login,
    seed_demo_history,
    simulated_tickets_named,
)
from handlers.workcalendar import WorkCalendar
from scheduler.jobs import SweepDeps, drain_outbox, run_all
from storage import migrate
from storage.clock import ShiftedClock, utc_now
from storage.db import Database, make_engine, startup_lock
from storage.journal import Journal
from storage.ledger_query import Scope
from web.app import WebConfig, make_web_app
from web.auth import is_admin as session_is_admin
from web.simulator import SettableClock, SimulatorDeps, make_simulator_app
from web.simulator_wechat import Account, Feeds, RoutingSender, ScreenSender, WeChatStandIn

log = logging.getLogger(__name__)

# Well inside handlers.delivery.CLAIM_LEASE: an answer WeChat gives late (its API has been seen to take
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


def announce_leadership(leading: bool, holder: str) -> None:
    """Tell the operator, in Chinese, when this process takes or loses the sweeps."""
    if leading:
        log.info(messages.SCHEDULER_TAKEN.format(holder=holder))
    else:
        log.warning(messages.SCHEDULER_LOST)


def demo_org_path() -> Path:
    return Path(str(resources.files("courtyard").joinpath("demo_org.yaml")))


def open_database(settings: Settings) -> Database:
    """Connect and bring the schema up to date (Alembic migrations), one process at a time."""
    engine = make_engine(settings.courtyard_db_url)
    with startup_lock(engine):
        migrate.upgrade_in_child(engine)
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
        # The database takes writes again: new messages go straight in (a sender with messages still
        # in the journal queues behind them) while the journal is replayed.
        health.mark(ok=True)
        self.conversation.replay_journal()
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


def build_sweep_deps(
    settings: Settings, db: Database, clock: Clock = utc_now, *, sender: Sender | None = None
) -> SweepDeps:
    """The sweeps' dependencies; pushes go to WeChat unless another sender is given."""
    return SweepDeps(
        db=db,
        sender=sender or build_wechat_sender(settings, db),
        templates=build_templates(settings),
        calendar=build_calendar(settings, db),
        clock=clock,
        media=WeChatMedia(build_wechat_api(settings, db)) if settings.can_push else None,
    )


def build_wechat_api(settings: Settings, db: Database) -> WeChatAPI:
    """A WeChat API client whose access token is shared through the database with every other process."""
    return WeChatAPI(
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret,
        timeout=API_TIMEOUT_SECONDS,
        token_store=DatabaseTokenStore(db, settings.wechat_app_id),
    )


def build_wechat_sender(settings: Settings, db: Database) -> WeChatSender:
    """A sender whose access token is shared through the database with every other process."""
    return WeChatSender(build_wechat_api(settings, db))


def build_templates(settings: Settings) -> Templates:
    """The template ids for pushes outside the 48-hour window (None: hold until the person writes)."""
    return Templates(task=settings.wechat_template_task or None, status=settings.wechat_template_status or None)


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

    Starts the keeper and the hot issues' thread; `app.config["courtyard.keeper"]` and
    `app.config["courtyard.hot"]` stop them. durable=False only for measuring
    what full sync costs (bench/faults.py).
    """
    webhook_db = Database(
        # No ping per checkout (a round trip per message): a connection found dead is retried once.
        make_engine(
            settings.courtyard_db_url,
            wait_seconds=WEBHOOK_DB_WAIT_SECONDS,
            durable=durable,
            pool_size=threads + 2,
            pre_ping=False,
        ),
        wait_seconds=WEBHOOK_DB_WAIT_SECONDS,
        stuck_after_seconds=WEBHOOK_STUCK_SECONDS,
    )
    journal = Journal(journal_path(settings))
    context = Context(
        db=webhook_db, calendar=build_calendar(settings, db), clock=clock, templates=build_templates(settings)
    )
    with db.snapshot() as session:  # load jieba and the model now, not while the first message waits
        analyzer = context.analyzers.for_session(session)
        analyzer.analyze("预热")
        analyzer.tokens("预热")  # an analysis cuts words only when asked for them
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
    web = make_web_app(
        ctx=Context(db=db, calendar=conversation.ctx.calendar, clock=clock),
        config=WebConfig(secure_cookies=settings.secure_cookies, fetches_photos=settings.can_push),
    )
    hot = web.config["courtyard.hot"]
    hot.refresh(Scope())  # the whole ledger's hot issues are ready before a leader's first dashboard
    app.config["courtyard.hot"] = hot
    app.merge(web)
    app.error_handler.update(web.error_handler)  # Chinese error pages instead of bottle's English ones
    return app


def ensure_org_chart(db: Database, org: Path | None, tz: ZoneInfo | None = None) -> str:
    """Import org if given; with none and an empty database, load the demo town. Says what it did, in Chinese."""
    with startup_lock(db.engine):
        return _ensure_org_chart(db, org, tz)


def _ensure_org_chart(db: Database, org: Path | None, tz: ZoneInfo | None) -> str:
    if org is not None:
        result = org_use_cases.import_org_file(db=db, path=org, tz=tz)
        if not DemoCheck(db=db, demo_file=demo_org_path())():
            remove_demo_login(db=db)  # its password is printed in every README
        lines = [messages.org_result(org, result.courtyards, result.cadres, result.changed)]
        return "\n".join(lines + [messages.handover(h) for h in result.handovers])
    if org_use_cases.has_org_chart(db=db):
        return messages.ORG_IN_DATABASE
    result = org_use_cases.import_org_file(db=db, path=demo_org_path(), tz=tz)
    return messages.ORG_DEMO.format(
        town=result.town, courtyards=result.courtyards, cadres=result.cadres, path=demo_org_path()
    )


@dataclass(frozen=True)
class ServerParts:
    """What `serve` runs: the WSGI app, the sweeps' dependencies, and whether the outbox is drained."""

    wsgi: bottle.Bottle
    sweeps: SweepDeps
    drains: bool
    demo: bool  # the demo org chart was loaded at start-up


def build_server(
    settings: Settings,
    db: Database,
    ready: threading.Event,
    *,
    host: str = "127.0.0.1",
    threads: int = 8,
    clock: SettableClock | None = None,
    is_admin: Callable[[bottle.BaseRequest], bool] | None = None,
) -> ServerParts:
    """The webhook with the chat simulator beside it, sharing one clock and one outbox drain.

    Pushes to simulator personas land on their simulated phones; everybody else's go to WeChat
    (held without credentials), and never when they name a ticket only simulator personas reported.
    The outbox is drained with credentials, or on the demo org chart (for the simulator) without.
    """
    clock = clock or ShiftedClock()
    demo = DemoCheck(db=db, demo_file=demo_org_path())
    feeds = Feeds(clock=clock, tz=settings.tz)

    def is_persona(openid: str) -> bool:
        # The demo cadres' invented openids are played in the simulator; with credentials they are
        # treated like any org chart openid and go to WeChat.
        return is_simulator_openid(openid) or (not settings.can_push and openid in demo.openids and demo())

    def blocked(text: str) -> bool:
        return not demo() and bool(simulated_tickets_named(db=db, text=text))

    sender = RoutingSender(
        screens=ScreenSender(feeds),
        real=build_wechat_sender(settings, db) if settings.can_push else None,
        is_persona=is_persona,
        blocked=blocked,
    )
    sweeps = build_sweep_deps(settings, db, clock, sender=sender)
    at_start = demo()
    drains = settings.can_push or at_start
    if at_start:
        ensure_demo_login(db=db, now=clock())
        seed_demo_history(db=db, calendar=sweeps.calendar, now=clock(), deliver=lambda at: drain_outbox(sweeps, at))
        # After a restart the demo's clock resumes where the time machine had taken the ledger.
        latest = latest_moment(db=db)
        if latest is not None and latest > clock():
            clock.set(latest)
    else:
        remove_demo_login(db=db)
    wsgi = build_web_app(settings, db, ready, clock, threads=threads)
    simulator = SimulatorDeps(
        db=db,
        calendar=sweeps.calendar,
        clock=clock,
        feeds=feeds,
        stand_in=WeChatStandIn(
            Account(
                token=settings.token,
                app_id=settings.wechat_app_id or None,
                encoding_aes_key=settings.wechat_encoding_aes_key or None,
            )
        ),
        is_demo=demo,
        is_admin=is_admin or (lambda request: session_is_admin(request, db=db, now=clock())),
        run_sweeps=lambda at: {name: report.counts for name, report in run_all(sweeps, at).items()},
        pushes_shown=lambda: drains,
        listen_host=host,
    )
    wsgi.merge(make_simulator_app(simulator))
    return ServerParts(wsgi=wsgi, sweeps=sweeps, drains=drains, demo=at_start)


def next_steps(address: str, *, demo: bool, token_set: bool) -> list[str]:
    """The three lines `serve` ends its start-up with: the simulator, the dashboard, and WeChat."""
    simulator = "演示数据，谁都能打开，扮演居民和干部试一遍" if demo else "正式组织架构：仅管理员登录后可用"
    login = f"演示账号 {DEMO_LOGIN}，密码 {DEMO_PASSWORD}" if demo else "账号用 courtyard user add 创建"
    token = "令牌填 WECHAT_TOKEN 的值" if token_set else "先设置 WECHAT_TOKEN（现在用的是开发令牌）"
    return [
        f"聊天模拟器：{address}/simulator （{simulator}）",
        f"管理后台：{address}/ （{login}）",
        f"接入微信：公众号“服务器地址”填 https://您的域名/wechat（HTTPS 反向代理到本机 {address}），{token}",
    ]

"""Wiring: builds the database, the WeChat client, the conversation and the scheduler from Settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import bottle

from bot.app import WeChatConfig, make_app
from bot.sender import WeChatSender
from bot.wechat_api import InMemoryTokenStore, WeChatAPI
from courtyard.settings import Settings
from handlers import org as org_use_cases
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.outbox import Templates
from handlers.policy import WorkCalendar
from handlers.ports import Sender
from handlers.simulation import (
    DemoCheck,
    is_simulator_openid,
    latest_moment,
    seed_demo_history,
    simulated_tickets_named,
)
from scheduler.sweeps import SweepDeps, run_all
from storage import migrate
from storage.clock import ShiftedClock, utc_now
from storage.db import Database, make_engine
from web.simulator import SettableClock, SimulatorDeps, make_simulator_app
from web.simulator_wechat import Account, Feeds, RoutingSender, ScreenSender, WeChatStandIn

log = logging.getLogger(__name__)

API_TIMEOUT_SECONDS = 5.0
Clock = Callable[[], datetime]


def demo_org_path() -> Path:
    return Path(str(resources.files("courtyard").joinpath("demo_org.yaml")))


def open_database(settings: Settings) -> Database:
    """Connect and bring the schema up to date (Alembic migrations)."""
    engine = make_engine(settings.courtyard_db_url)
    migrate.upgrade(engine)
    return Database(engine)


def build_sweep_deps(
    settings: Settings, db: Database, clock: Clock = utc_now, *, sender: Sender | None = None
) -> SweepDeps:
    """The sweeps' dependencies; pushes go to WeChat unless another sender is given."""
    templates = Templates(task=settings.wechat_template_task or None, status=settings.wechat_template_status or None)
    return SweepDeps(
        db=db,
        sender=sender or build_wechat_sender(settings),
        templates=templates,
        calendar=build_calendar(settings, db),
        clock=clock,
    )


def build_wechat_sender(settings: Settings) -> WeChatSender:
    api = WeChatAPI(
        base_url=settings.wechat_api_base,
        app_id=settings.wechat_app_id,
        app_secret=settings.wechat_app_secret,
        timeout=API_TIMEOUT_SECONDS,
        token_store=InMemoryTokenStore(),
    )
    return WeChatSender(api)


def build_calendar(settings: Settings, db: Database) -> WorkCalendar:
    """The work calendar of the imported policy; raises PolicyError naming a bad field."""
    return WorkCalendar(settings.tz, org_use_cases.load_policy(db=db))


def build_web_app(settings: Settings, db: Database, ready: threading.Event, clock: Clock = utc_now) -> bottle.Bottle:
    """The WSGI app; /healthz answers 200 once ready is set."""
    conversation = Conversation(Context(db=db, calendar=build_calendar(settings, db), clock=clock))
    config = WeChatConfig(
        token=settings.token,
        app_id=settings.wechat_app_id or None,
        encoding_aes_key=settings.wechat_encoding_aes_key or None,
    )
    return make_app(config=config, conversation=conversation, ready=ready.is_set)


def ensure_org_chart(db: Database, org: Path | None) -> str:
    """Import org if given; with none and an empty database, load the demo town. Says what it did."""
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
        return is_simulator_openid(openid) or (openid in demo.openids and demo())

    def blocked(text: str) -> bool:
        return not demo() and bool(simulated_tickets_named(db=db, text=text))

    sender = RoutingSender(
        screens=ScreenSender(feeds),
        real=build_wechat_sender(settings) if settings.can_push else None,
        is_persona=is_persona,
        blocked=blocked,
    )
    sweeps = build_sweep_deps(settings, db, clock, sender=sender)
    at_start = demo()
    drains = settings.can_push or at_start
    if at_start:
        seed_demo_history(db=db, calendar=sweeps.calendar, now=clock())
        # After a restart the demo's clock resumes where the time machine had taken the ledger.
        latest = latest_moment(db=db)
        if latest is not None and latest > clock():
            clock.set(latest)
    wsgi = build_web_app(settings, db, ready, clock)
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
        # Web accounts come with the dashboard; until then only the demo opens the simulator.
        is_admin=is_admin or (lambda request: False),
        run_sweeps=lambda at: {name: report.counts for name, report in run_all(sweeps, at).items()},
        pushes_shown=lambda: drains,
        listen_host=host,
    )
    wsgi.merge(make_simulator_app(simulator))
    return ServerParts(wsgi=wsgi, sweeps=sweeps, drains=drains, demo=at_start)


def next_steps(address: str, *, demo: bool, token_set: bool) -> list[str]:
    """The three lines `serve` ends its start-up with: the simulator, the dashboard, and WeChat."""
    simulator = "演示数据，谁都能打开，扮演居民和干部试一遍" if demo else "正式组织架构：仅管理员登录后可用"
    token = "令牌填 WECHAT_TOKEN 的值" if token_set else "先设置 WECHAT_TOKEN（现在用的是开发令牌）"
    return [
        f"聊天模拟器：{address}/simulator （{simulator}）",
        "管理后台：网页版还在开发中，台账先用 courtyard export -o 台账.xlsx 导出",
        f"接入微信：公众号“服务器地址”填 https://您的域名/wechat（HTTPS 反向代理到本机 {address}），{token}",
    ]

"""Wiring: builds the database, the WeChat client, the conversation and the scheduler from Settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import bottle

from bot.app import WeChatConfig, make_app
from bot.sender import WeChatSender
from bot.wechat_api import InMemoryTokenStore, WeChatAPI
from courtyard import messages
from courtyard.settings import Settings
from handlers import org as org_use_cases
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.outbox import Templates
from handlers.policy import WorkCalendar
from scheduler.sweeps import SweepDeps
from storage import migrate
from storage.clock import utc_now
from storage.db import Database, make_engine

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


def build_web_app(settings: Settings, db: Database, ready: threading.Event, clock: Clock = utc_now) -> bottle.Bottle:
    """The WSGI app; /healthz answers 200 once ready is set."""
    conversation = Conversation(Context(db=db, calendar=build_calendar(settings, db), clock=clock))
    config = WeChatConfig(
        token=settings.token,
        app_id=settings.wechat_app_id or None,
        encoding_aes_key=settings.wechat_encoding_aes_key or None,
    )
    return make_app(config=config, conversation=conversation, ready=ready.is_set)


def ensure_org_chart(db: Database, org: Path | None, tz: ZoneInfo | None = None) -> str:
    """Import org if given; with none and an empty database, load the demo town. Says what it did, in Chinese."""
    if org is not None:
        result = org_use_cases.import_org_file(db=db, path=org, tz=tz)
        lines = [messages.org_result(org, result.courtyards, result.cadres, result.changed)]
        return "\n".join(lines + [messages.handover(h) for h in result.handovers])
    if org_use_cases.has_org_chart(db=db):
        return messages.ORG_IN_DATABASE
    result = org_use_cases.import_org_file(db=db, path=demo_org_path(), tz=tz)
    return messages.ORG_DEMO.format(
        town=result.town, courtyards=result.courtyards, cadres=result.cadres, path=demo_org_path()
    )

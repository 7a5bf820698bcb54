"""What the chat simulator asks of the ledger: personas, held pushes, demo detection, simulated tickets."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from handlers import accounts
from handlers.context import Context
from handlers.conversation import Conversation
from handlers.messages import Inbound
from handlers.workcalendar import WorkCalendar
from storage import accounts as account_repo
from storage import org_chart as org_repo
from storage import simulation as sim_repo
from storage.db import Database
from storage.models import OutboxStatus
from storage.orgfile import load_org_chart

SIM_PREFIX = "sim-"  # every openid the simulator invents starts with this; no WeChat openid does
NEW_RESIDENT = re.compile(r"sim-[0-9a-f]{12}")
ROLE_LABELS = {"town": "{place}镇干部", "community": "{place}干部", "courtyard": "{place}院落干部"}
_NUMBER = re.compile(r"编号\s*(\d{1,9})")


@dataclass(frozen=True)
class Persona:
    """Someone the simulator can be: a cadre of the org chart, or a resident who wrote before."""

    openid: str | None  # None: a cadre not bound to WeChat yet, who cannot be played
    name: str
    detail: str
    kind: str  # "cadre" or "resident"


@dataclass(frozen=True)
class WaitingPush:
    """A push not sent yet: held until the person writes again, or due at a later moment (quiet hours)."""

    outbox_id: int
    text: str
    held: bool
    due_at: datetime


def is_simulator_openid(openid: str) -> bool:
    return openid.startswith(SIM_PREFIX)


def cadre_personas(*, db: Database) -> list[Persona]:
    with db.snapshot() as session:
        rows = sim_repo.cadres(session=session)
    return [
        Persona(
            openid=row.openid,
            name=row.name,
            detail=ROLE_LABELS.get(row.role, "{place}").format(place=row.place),
            kind="cadre",
        )
        for row in rows
    ]


def resident_personas(*, db: Database, limit: int = 20) -> list[Persona]:
    """Simulator residents who filed tickets before, most recent first."""
    with db.snapshot() as session:
        rows = sim_repo.residents_with_prefix(session=session, prefix=SIM_PREFIX, limit=limit)
    return [
        Persona(
            openid=row.openid,
            name=DEMO_RESIDENT_NAME
            if row.openid == DEMO_RESIDENT
            else f"居民 {row.openid.removeprefix(SIM_PREFIX)[:4]}",
            detail=f"{row.courtyard or '院落未知'}，反映过 {row.tickets} 件",
            kind="resident",
        )
        for row in rows
    ]


def waiting_pushes(*, db: Database, openid: str, now: datetime) -> list[WaitingPush]:
    with db.snapshot() as session:
        rows = sim_repo.waiting_pushes(session=session, openid=openid, now=now)
        return [
            WaitingPush(row.id or 0, row.text, row.status == OutboxStatus.HELD, row.next_attempt_at) for row in rows
        ]


def simulated_tickets_named(*, db: Database, text: str) -> set[int]:
    """The tickets named in text (编号 N) that only simulator personas reported."""
    numbers: Iterable[int] = {int(n) for n in _NUMBER.findall(text)}
    with db.snapshot() as session:
        return sim_repo.tickets_reported_only_by(session=session, numbers=numbers, prefix=SIM_PREFIX)


class DemoCheck:
    """Whether the database holds the demo org chart (same town, same cadres), re-checked when the chart changes."""

    def __init__(self, *, db: Database, demo_file: Path) -> None:
        chart = load_org_chart(demo_file)
        self._db = db
        self._town = chart.town
        everyone = [
            *chart.town_cadres,
            *(c for community in chart.communities for c in community.cadres),
            *(c for yard in chart.courtyards() for c in yard.cadres),
        ]
        self._cadres = {c.name for c in everyone}
        self.openids = frozenset(c.openid for c in everyone if c.openid)  # the demo cadres' invented openids
        self._lock = threading.Lock()
        self._known: tuple[int, bool] | None = None

    def __call__(self) -> bool:
        with self._db.snapshot() as session:
            revision = org_repo.org_revision(session=session)
            with self._lock:
                if self._known is not None and self._known[0] == revision:
                    return self._known[1]
            towns, cadres = sim_repo.org_names(session=session)
        demo = towns == {self._town} and cadres == self._cadres
        with self._lock:
            self._known = (revision, demo)
        return demo


@dataclass(frozen=True)
class Point:
    name: str
    lat: float | None
    lon: float | None


def courtyard_points(*, db: Database) -> list[Point]:
    """Every courtyard with its coordinates when known, for the simulator's little map."""
    with db.snapshot() as session:
        return [Point(c.name, c.lat, c.lon) for c in org_repo.courtyard_names(session=session)]


DEMO_RESIDENT = "sim-00000000a001"  # 老张 of 银杏院, the demo resident with history
DEMO_RESIDENT_NAME = "老张"
_DEMO_HISTORY = (
    (DEMO_RESIDENT, "event:subscribe"),
    (DEMO_RESIDENT, "银杏院2栋的楼道灯坏了，晚上上楼黑黢黢的看不见"),
    ("o_chengang", "受理 {first}"),
    ("o_chengang", "办结 {first} 已经换了新灯，声控开关也修好了"),
    (DEMO_RESIDENT, "2"),
    (DEMO_RESIDENT, "银杏院门口的垃圾桶好几天没人清了，味道很大"),
)
_FIRST_NUMBER = re.compile(r"编号 (\d+)")


def seed_demo_history(
    *, db: Database, calendar: WorkCalendar, now: datetime, deliver: Callable[[datetime], object]
) -> bool:
    """Give the demo town a resident with history (one ticket closed, one open), once, on an empty ledger.

    It happened on the previous working day from 10:00, through the same use cases as WeChat's
    messages, each message's pushes delivered as of its moment (deliver drains the outbox then), so
    the history reads as it happened and not as a backlog; False when the ledger already has tickets.
    """
    with db.snapshot() as session:
        if sim_repo.has_tickets(session=session):
            return False
    day = calendar.previous_workday(now.astimezone(calendar.tz).date())
    start = datetime.combine(day, time(10), tzinfo=calendar.tz)
    first = ""
    for index, (openid, said) in enumerate(_DEMO_HISTORY):
        at = start + timedelta(minutes=20 * index)
        conversation = Conversation(Context(db=db, calendar=calendar, clock=_stopped(at)))
        key = f"demo-history:{index}"
        if said == "event:subscribe":
            message = Inbound(openid=openid, kind="event", key=key, sent_at=at, event="subscribe")
        else:
            message = Inbound(openid=openid, kind="text", key=key, sent_at=at, text=said.format(first=first))
        reply = conversation.handle(message)
        deliver(at)
        if not first and openid == DEMO_RESIDENT and (found := _FIRST_NUMBER.search(reply)):
            first = found.group(1)
    return True


def _stopped(moment: datetime) -> Callable[[], datetime]:
    """A clock that always says moment."""
    return lambda: moment


def latest_moment(*, db: Database) -> datetime | None:
    """The latest moment in the ledger; the demo's clock never starts behind it (after a time machine run)."""
    with db.snapshot() as session:
        return sim_repo.latest_moment(session=session)


DEMO_LOGIN = "demo"
DEMO_PASSWORD = "courtyard-demo"  # printed by serve on the demo org chart; the account exists only there


def ensure_demo_login(*, db: Database, now: datetime) -> None:
    """On the demo org chart: a leader account with the printed password, created once."""
    with db.snapshot() as session:
        if account_repo.user_by_name(session=session, name=DEMO_LOGIN) is not None:
            return
    accounts.add_user(db=db, name=DEMO_LOGIN, role="leader", cadre_name=None, password=DEMO_PASSWORD, now=now)


def remove_demo_login(*, db: Database) -> bool:
    """Off the demo org chart: delete the demo account (only while it still has the published password)."""
    with db.transaction() as session:
        user = account_repo.user_by_name(session=session, name=DEMO_LOGIN)
        if user is None or not _has_password(user.password_hash, DEMO_PASSWORD):
            return False
        sim_repo.remove_web_user(session=session, user=user)
        return True


def _has_password(password_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

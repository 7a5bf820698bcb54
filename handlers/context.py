"""What every use case is handed: the database, the analyzer for the current org chart, and a clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

import nlp
from handlers.delivery import Templates
from handlers.workcalendar import WorkCalendar
from storage import org_chart as org_repo
from storage.clock import utc_now
from storage.db import Database
from storage.models import Cadre


class AnalyzerSource:
    """Keeps one nlp.Analyzer per org-chart revision, rebuilt when an import changes the chart,
    with the courtyards' names and aliases of that revision."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._analyzer: nlp.Analyzer | None = None
        self._names: tuple[str, ...] = ()

    def for_session(self, session: Session) -> nlp.Analyzer:
        return self._current(session)[0]

    def place_names(self, session: Session) -> tuple[str, ...]:
        """Every courtyard name and alias of the org chart, longest first."""
        return self._current(session)[1]

    def _current(self, session: Session) -> tuple[nlp.Analyzer, tuple[str, ...]]:
        revision = org_repo.org_revision(session=session)
        with self._lock:
            if self._analyzer is None or revision != self._revision:
                yards = org_repo.courtyard_names(session=session)
                self._analyzer = build_analyzer(session, yards)
                names = {n for yard in yards for n in (yard.name, *yard.aliases)}
                self._names = tuple(sorted(names, key=len, reverse=True))
                self._revision = revision
            return self._analyzer, self._names


class OrgViews:
    """The org chart as the webhook looks it up, read once per org-chart revision in this process.

    Every message reads the revision (one number); an import, a 绑定 or a handover bumps it, so each
    process reads the chart again on its next message. A view read by a transaction that changed the
    chart itself is used by that transaction only (it may still be rolled back)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._view: org_repo.OrgView | None = None

    def view(self, session: Session) -> org_repo.OrgView:
        revision = org_repo.org_revision(session=session)
        known = self._view
        if known is not None and known.revision == revision and not org_repo.changed_here(session=session):
            return known
        view = org_repo.org_view(session=session, revision=revision)
        if not org_repo.changed_here(session=session):
            with self._lock:
                if self._view is None or self._view.revision <= revision:
                    self._view = view
        return view

    def cadre_by_openid(self, session: Session, openid: str) -> Cadre | None:
        """The active cadre with this WeChat account, as this transaction's row (None for a resident,
        without a query)."""
        if openid not in self.view(session).cadre_openids:
            return None
        return org_repo.active_cadre_by_openid(session=session, openid=openid)


def build_analyzer(session: Session, yards: Sequence[org_repo.CourtyardNames] | None = None) -> nlp.Analyzer:
    places = [
        nlp.Place(name=c.name, aliases=c.aliases, lat=c.lat, lon=c.lon)
        for c in (yards if yards is not None else org_repo.courtyard_names(session=session))
    ]
    return nlp.Analyzer(places, extra_words=org_repo.other_names(session=session))


@dataclass
class Context:
    """Dependencies of the use cases, built once by the wiring."""

    db: Database
    calendar: WorkCalendar
    analyzers: AnalyzerSource = field(default_factory=AnalyzerSource)
    org: OrgViews = field(default_factory=OrgViews)
    clock: Callable[[], datetime] = utc_now
    templates: Templates = field(default_factory=Templates)  # which pushes can go outside the 48-hour window

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.tz

    def local_time(self, when: datetime) -> str:
        """A moment as people here read it: month-day hour:minute in the configured time zone."""
        return f"{when.astimezone(self.tz):%m-%d %H:%M}"

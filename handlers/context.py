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
    clock: Callable[[], datetime] = utc_now
    templates: Templates = field(default_factory=Templates)  # which pushes can go outside the 48-hour window

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.tz

    def local_time(self, when: datetime) -> str:
        """A moment as people here read it: month-day hour:minute in the configured time zone."""
        return f"{when.astimezone(self.tz):%m-%d %H:%M}"

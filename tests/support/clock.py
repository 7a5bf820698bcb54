"""A test clock: starts at a chosen moment, runs on with real time, and can be moved forward."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


class TestClock:
    """Callable like storage.clock.utc_now, but its time is the test's."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._began = time.monotonic()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._began)

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._start, self._began = moment, time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.set(self() + delta)

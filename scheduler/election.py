"""One scheduler for all processes: the sweeps run only in the process that leads the election."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from apscheduler.schedulers.base import BaseScheduler

from storage.leader import Leadership

log = logging.getLogger(__name__)

# Followers try to take over this often; the leader proves it is alive as often.
HEARTBEAT_SECONDS = 5.0


class ElectedScheduler:
    """Campaigns for leadership in a thread; runs a scheduler built by `build` only while leading."""

    def __init__(
        self,
        leadership: Leadership,
        build: Callable[[], BaseScheduler],
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        on_change: Callable[[bool, str], None] | None = None,
    ) -> None:
        """on_change(leading, holder) is told each time this process takes or loses the sweeps; it is
        the one that tells the operator (in their language), so without it a change is logged at DEBUG."""
        self._leadership = leadership
        self._on_change = on_change
        self._build = build
        self._interval = heartbeat_seconds
        self._scheduler: BaseScheduler | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="courtyard-election", daemon=True)

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    def start(self) -> ElectedScheduler:
        self._thread.start()
        return self

    def wait_until(self, *, leading: bool, timeout: float) -> bool:
        """Wait until this process leads (or not); whether it came to that within timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.leading == leading, timeout)

    def shutdown(self) -> None:
        """Stop campaigning, stop the sweeps and hand leadership on."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._step_down()
        self._leadership.release()

    def tick(self) -> None:
        """One round: a follower tries to take over, the leader renews and steps down if it lost."""
        if self._scheduler is None:
            if self._leadership.acquire():
                scheduler = self._build()
                scheduler.start()
                with self._changed:
                    self._scheduler = scheduler
                    self._changed.notify_all()
                self._tell(leading=True)
        elif not self._leadership.heartbeat():
            self._step_down()
            self._tell(leading=False)

    def _tell(self, *, leading: bool) -> None:
        if self._on_change is not None:
            self._on_change(leading, self._leadership.holder)
        else:
            log.debug("this process %s the sweeps (%s)", "runs" if leading else "stopped", self._leadership.holder)

    def _step_down(self) -> None:
        with self._changed:
            scheduler, self._scheduler = self._scheduler, None
            self._changed.notify_all()
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler election round failed")
            self._stop.wait(self._interval)


@contextmanager
def leading(leadership: Leadership, *, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Keep an acquired leadership alive by heartbeat while the block runs, then release it."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(heartbeat_seconds):
            if not leadership.heartbeat():
                log.warning("the scheduler lock was lost while this sweep ran")
                return

    thread = threading.Thread(target=beat, name="courtyard-sweep-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        leadership.release()

"""The server's notification loop: the outbox every few seconds, deadlines every hour.

One daemon thread per server process, started and stopped by the app's lifespan. Every
pass is caught and logged: a broken mail server or a database hiccup costs one pass, never
the thread (and never a request: requests only queue).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sandbox.config import Settings
from sandbox.notifications.deadlines import ExtraSweep, sweep_deadlines
from sandbox.notifications.delivery import deliver_due
from sandbox.store.db import transaction
from sandbox.workdays import WorkCalendar

log = logging.getLogger(__name__)


class NotificationLoop:
    """Deliver queued e-mail and sweep deadlines until stopped; ``sweeps`` are the reminder
    sweeps of workflows above this package (:data:`sandbox.notifications.deadlines.ExtraSweep`).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        calendar: WorkCalendar,
        sweeps: Sequence[ExtraSweep] = (),
    ) -> None:
        self._sweeps = tuple(sweeps)
        self._sessions = sessions
        self._settings = settings
        self._calendar = calendar
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sweep = 0.0

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a pass now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> None:
        """One pass: the deadline sweep when it is due, then the outbox."""
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self._settings.deadline_sweep_seconds
            try:
                with transaction(self._sessions) as session:
                    sweep_deadlines(
                        session,
                        self._calendar,
                        notice_days=self._settings.deadline_notice_working_days,
                        extra=self._sweeps,
                    )
            except IntegrityError:
                # another API process swept the same deadlines at the same moment: its
                # notices stand (one per account and event), this pass adds none
                log.info("the deadline sweep met another process's; it runs again later")
            except Exception:
                log.exception("the deadline sweep failed; it runs again at the next sweep")
        try:
            deliver_due(self._sessions, self._settings)
        except Exception:
            log.exception("an e-mail delivery pass failed; the next pass retries")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self._settings.notification_poll_seconds)
            self._wake.clear()

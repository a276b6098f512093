"""The dispatcher's link to Ray: connected, or unavailable and retried with backoff.

Losing Ray must never take the API server down, and must not fill the log: the link probes
the cluster every step (:func:`~sandbox.engine.ray_session.cluster_reachable`, a TCP
connect), drops the driver as soon as the cluster is gone (before Ray's own give-up would kill
the process), retries the connection with an exponential backoff, and logs one line per change
of state, never a traceback per attempt.
"""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from sandbox.config import Settings
from sandbox.engine import ray_session

__all__ = ["ComputeLink", "ComputeState"]

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
MISSED_PROBES = 2
"""Consecutive failed probes before the cluster counts as lost (one may be a hiccup)."""


class ComputeState(StrEnum):
    """What the readiness check says of Ray."""

    READY = "ready"
    ON_DEMAND = "on demand"
    """Local Ray, started when the first job needs it: ready."""
    UNAVAILABLE = "unavailable"


class ComputeLink:
    """Connects on demand, notices loss, reconnects with backoff."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._state = ComputeState.ON_DEMAND
        self._backoff = FIRST_BACKOFF
        self._next_attempt = 0.0
        self._missed = 0

    @property
    def state(self) -> ComputeState:
        """The last known state."""
        return self._state

    @property
    def eager(self) -> bool:
        """Whether to connect before any job needs it: a configured cluster is joined at
        start (readiness tells the truth); a private local Ray starts on demand.
        """
        return bool(self._settings.ray_address)

    def lost(self) -> bool:
        """Probe a connected cluster; ``True`` (once) when it has just been lost."""
        if not ray_session.connected():
            return False
        if ray_session.cluster_reachable():
            self._missed = 0
            return False
        self._missed += 1
        if self._missed < MISSED_PROBES:
            return False
        self._missed = 0
        ray_session.disconnect()
        self._become(ComputeState.UNAVAILABLE, "the Ray cluster was lost; retrying")
        self._next_attempt = time.monotonic() + self._backoff
        return True

    def connect(self) -> bool:
        """Connected (connecting now if the backoff allows); ``False`` while unavailable."""
        if ray_session.connected():
            return True
        now = time.monotonic()
        if now < self._next_attempt:
            return False
        try:
            ray_session.ensure_ray(self._settings)
        except Exception as exc:
            log.debug("connecting to Ray failed", exc_info=True)
            ray_session.disconnect()
            self._next_attempt = time.monotonic() + self._backoff
            self._backoff = min(MAX_BACKOFF, self._backoff * 2)
            self._become(
                ComputeState.UNAVAILABLE,
                f"Ray is unavailable ({type(exc).__name__}); retrying with backoff",
            )
            return False
        self._backoff = FIRST_BACKOFF
        self._missed = 0
        self._become(ComputeState.READY, "connected to Ray")
        return True

    def _become(self, state: ComputeState, message: str) -> None:
        if state is self._state:
            return
        self._state = state
        if state is ComputeState.READY:
            log.info("compute: %s", message)
        else:
            log.warning("compute: %s", message)

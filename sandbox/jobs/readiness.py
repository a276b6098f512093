"""Readiness: whether each part the platform serves with is working now.

Liveness (``/v1/health``) says the process answers; readiness says whether it can do its work:
the database, the data store, Ray (compute) and the job sandbox backend. Each part gets a
state word and nothing else: the check is unauthenticated, so it reveals no address, path or
exception text (those go to the server's log at debug level).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text

from sandbox.jobs.compute_link import ComputeState
from sandbox.platform import Platform
from sandbox.runtime.backends import default_registry

__all__ = ["READY", "UNAVAILABLE", "Readiness", "check_readiness"]

log = logging.getLogger(__name__)

READY = "ready"
UNAVAILABLE = "unavailable"

SANDBOX_CHECK_SECONDS = 30.0
"""How long a sandbox backend probe is trusted: probing starts a process (``bwrap``) or asks
the Docker engine, and the check is unauthenticated, so callers must not make one each."""

_sandbox_lock = threading.Lock()
_sandbox_seen: dict[str, tuple[float, str]] = {}


@dataclass(frozen=True)
class Readiness:
    """Each part's state; ready when every part is."""

    parts: dict[str, str]

    @property
    def ready(self) -> bool:
        """Whether every part can serve (a local Ray started on demand counts)."""
        return all(state in (READY, ComputeState.ON_DEMAND) for state in self.parts.values())

    @property
    def not_ready(self) -> list[str]:
        """The parts that cannot serve now."""
        return [name for name, state in self.parts.items() if state == UNAVAILABLE]


def _database(platform: Platform) -> str:
    try:
        with platform.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        log.debug("readiness: the database does not answer", exc_info=True)
        return UNAVAILABLE
    return READY


def _storage(platform: Platform) -> str:
    try:
        platform.store.probe()
    except Exception:
        log.debug("readiness: the data store does not answer", exc_info=True)
        return UNAVAILABLE
    return READY


def _sandbox(platform: Platform) -> str:
    name = platform.settings.runtime_backend
    with _sandbox_lock:
        seen = _sandbox_seen.get(name)
        if seen is not None and time.monotonic() - seen[0] < SANDBOX_CHECK_SECONDS:
            return seen[1]
        state = _probe_sandbox(platform)
        _sandbox_seen[name] = (time.monotonic(), state)
        return state


def _probe_sandbox(platform: Platform) -> str:
    registry = default_registry()
    try:
        name = platform.settings.runtime_backend
        if name:
            registry.get(name)
        else:
            registry.strongest()
    except (KeyError, RuntimeError, IndexError):
        log.debug("readiness: no sandbox backend", exc_info=True)
        return UNAVAILABLE
    return READY


def check_readiness(platform: Platform, compute: ComputeState) -> Readiness:
    """Probe the database, storage and sandbox backend now; Ray as the dispatcher sees it."""
    return Readiness(
        {
            "database": _database(platform),
            "storage": _storage(platform),
            "compute": str(compute),
            "sandbox": _sandbox(platform),
        }
    )

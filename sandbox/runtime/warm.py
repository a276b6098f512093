"""Sandboxes started ahead of demand, so that a small job's sandbox is up when it arrives.

Starting a sandbox is most of a small job's turnaround: bubblewrap, the interpreter and the
runtime's imports take about 45 ms, ``docker run`` about 450 ms, before the model's first
line. A process that runs jobs (a Ray worker) therefore keeps, for each kind of sandbox it
last ran (:data:`PoolKey`: backend, limits, runtime profile), a sandbox already started and
waiting on its channel for a ``start`` message. The rules:

- **Labelled when taken.** A backend that labels each sandbox with its job (docker, so that
  the platform can remove what a killed runner left) starts a warm one labelled as waiting
  and names its job when a run takes it (:meth:`DockerBackend.assign
  <sandbox.runtime.backends.docker.DockerBackend.assign>`), before the run is handed over.
- **Used once.** A warm sandbox is taken out of the pool, runs one model and ends; it never
  comes back. The next one is started as the run begins (:meth:`WarmPool.refill`), so it
  has the run's length to come up before the next job.
- **Holds nothing of a job.** It is started with no inputs directory, no dataset and no
  source: the worker inside has only imported the runtime and waits. Raw-access jobs (whose
  rows are mounted at ``/inputs``) never use the pool.
- **The job's limits.** It is started with exactly the limits the job runs under (they are
  part of its key); its wall-time deadline counts from when the run is handed to it. The CPU
  its start-up used (tens of milliseconds) counts against the job's CPU limit.
- **Short-lived when idle.** It waits at most :data:`MAX_IDLE_SECONDS`; then it is discarded
  and not replaced (the pool refills only when a run takes one), so an idle platform soon
  holds no sandbox at all.
- **Dies with its process.** Every sandbox follows the thread that started it
  (``PR_SET_PDEATHSIG``), so warm ones are started from the pool's own launcher thread,
  which lives as long as the process.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.runtime.backends.base import (
    WARM_IDLE_SECONDS,
    Launch,
    Limits,
    discard_process,
    start_process,
)
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["MAX_IDLE_SECONDS", "PoolKey", "WarmPool", "WarmSandbox", "shared_pool"]

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = WARM_IDLE_SECONDS
"""How long a warm sandbox waits for a job before it is discarded. The docker backend adds
it to its containers' own alarm, so a container that waited keeps its job's whole wall time."""

START_WAIT_SECONDS = 2.0
"""How long a run waits for a sandbox that is still starting before it starts its own."""

SWEEP_SECONDS = 5.0
"""How often the launcher looks for warm sandboxes that waited too long."""

PoolKey = tuple[str, Limits, RuntimeProfile, str]
"""What makes two sandboxes interchangeable: the backend's name, the limits, the profile and
the platform instance its sandboxes are labelled with (empty for a backend that labels none)."""

Starter = Callable[[Path], Launch]
"""Wraps the worker's command for a scratch directory (a backend's ``wrap``, bound)."""


@dataclass
class WarmSandbox:
    """A started sandbox waiting for its one run."""

    process: subprocess.Popen[bytes]
    launch: Launch
    scratch: tempfile.TemporaryDirectory[str]
    started_at: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        """Whether it still runs (a sandbox killed while it waited is not handed out)."""
        return self.process.poll() is None

    def discard(self) -> None:
        """Stop it unused and remove its scratch directory."""
        try:
            discard_process(self.process, self.launch)
        finally:
            self.scratch.cleanup()


class WarmPool:
    """Per key, up to ``size`` sandboxes started and waiting (see the module docstring)."""

    def __init__(self, size: int = 1, max_idle: float = MAX_IDLE_SECONDS) -> None:
        self.size = size
        self.max_idle = max_idle
        self._ready: dict[PoolKey, list[WarmSandbox]] = {}
        self._pending: dict[PoolKey, int] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: queue.Queue[tuple[PoolKey, Starter] | None] = queue.Queue()
        self._launcher = threading.Thread(
            target=self._launch_loop, name="warm-sandboxes", daemon=True
        )
        self._launcher.start()

    def take(self, key: PoolKey) -> WarmSandbox | None:
        """A warm sandbox for ``key``, out of the pool for good; ``None`` if none is ready.

        One still starting is waited for (up to :data:`START_WAIT_SECONDS`): it is further
        along than a sandbox this run would start itself.
        """
        stale: list[WarmSandbox] = []
        found: WarmSandbox | None = None
        deadline = time.monotonic() + START_WAIT_SECONDS
        with self._changed:
            while not self._ready.get(key) and self._pending.get(key, 0):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            waiting = self._ready.get(key, [])
            while waiting and found is None:
                candidate = waiting.pop(0)
                if candidate.alive and not self._expired(candidate):
                    found = candidate
                else:
                    stale.append(candidate)
        for sandbox in stale:
            sandbox.discard()
        return found

    def refill(self, key: PoolKey, starter: Starter) -> None:
        """Start one more sandbox for ``key`` in the background, unless ``size`` are up."""
        with self._lock:
            have = len(self._ready.get(key, [])) + self._pending.get(key, 0)
            if have >= self.size:
                return
            self._pending[key] = self._pending.get(key, 0) + 1
        self._requests.put((key, starter))

    def ready(self, key: PoolKey) -> int:
        """How many sandboxes wait for ``key`` now."""
        with self._lock:
            return len(self._ready.get(key, []))

    def wait_ready(self, key: PoolKey, timeout: float) -> bool:
        """Wait until a sandbox for ``key`` is started (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(key):
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        """Discard every waiting sandbox and stop the launcher."""
        self._requests.put(None)
        self._launcher.join(timeout=10)
        with self._lock:
            waiting = [s for group in self._ready.values() for s in group]
            self._ready.clear()
        for sandbox in waiting:
            sandbox.discard()

    def _expired(self, sandbox: WarmSandbox) -> bool:
        return time.monotonic() - sandbox.started_at > self.max_idle

    def _launch_loop(self) -> None:
        while True:
            try:
                request = self._requests.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                self._sweep()
                continue
            if request is None:
                return
            key, starter = request
            try:
                sandbox = self._start(key[1], starter)
            except Exception:  # the next run starts its sandbox itself; nothing is lost
                log.exception("starting a sandbox ahead of demand failed")
                sandbox = None
            with self._lock:
                self._pending[key] -= 1
                if sandbox is not None:
                    self._ready.setdefault(key, []).append(sandbox)
                self._changed.notify_all()
            self._sweep()

    def _start(self, limits: Limits, starter: Starter) -> WarmSandbox:
        scratch = tempfile.TemporaryDirectory(prefix="sandbox-job-")
        try:
            launch = starter(Path(scratch.name))
            process = start_process(launch, limits, Path(scratch.name))
        except BaseException:
            scratch.cleanup()
            raise
        return WarmSandbox(process, launch, scratch)

    def _sweep(self) -> None:
        stale: list[WarmSandbox] = []
        with self._lock:
            for key, waiting in self._ready.items():
                keep = [s for s in waiting if s.alive and not self._expired(s)]
                stale += [s for s in waiting if s not in keep]
                self._ready[key] = keep
        for sandbox in stale:
            sandbox.discard()


_shared: WarmPool | None = None
_shared_lock = threading.Lock()


def shared_pool(size: int) -> WarmPool | None:
    """This process's pool (``None`` when ``size`` is 0: sandboxes start on demand)."""
    global _shared
    if size <= 0:
        return None
    with _shared_lock:
        if _shared is None:
            _shared = WarmPool(size)
        _shared.size = size
        return _shared

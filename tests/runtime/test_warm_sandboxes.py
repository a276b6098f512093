"""Sandboxes started ahead of demand (:mod:`sandbox.runtime.warm`): each used by one run
only, started with the run's limits, its deadline from hand-over, discarded when it waited
too long or died, never for a run with inputs or a labelled backend, and dead with its
process.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.runtime.backends import (
    Backend,
    DockerBackend,
    Limits,
    SandboxOwner,
    default_registry,
    reap_orphans,
)
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import run_model
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.warm import PoolKey, WarmPool
from tests.runtime.test_orphaned_sandboxes import _alive, _descendants, wait_for

REPO = Path(__file__).resolve().parents[2]

COUNT = '''"""One count."""


def run(ctx):
    return {"rows": ctx.dataset("census").count(epsilon=0.1)}
'''

FOREVER = '''"""Never ends."""


def run(ctx):
    while True:
        pass
'''

LIMITS = Limits(wall_seconds=20)


def broker(request: DPRequest) -> Any:
    return 1234.0


@pytest.fixture
def bwrap() -> Backend:
    try:
        return default_registry().get("bwrap")
    except RuntimeError:
        pytest.skip("bwrap is not available on this machine")


@pytest.fixture
def pool() -> Iterator[WarmPool]:
    warm = WarmPool(size=1)
    yield warm
    warm.close()


def key_of(backend: Backend, limits: Limits = LIMITS, instance: str = "") -> PoolKey:
    return (backend.name, limits, RuntimeProfile.RESTRICTED, instance)


def warmed(pool: WarmPool, backend: Backend, limits: Limits = LIMITS) -> int:
    """Run one model so that the pool starts a sandbox for the next; its process id."""
    assert run_model(backend, COUNT, broker, limits=limits, warm=pool).status == "ok"
    assert pool.wait_ready(key_of(backend, limits), 30)
    return waiting_pid(pool, key_of(backend, limits))


def waiting_pid(pool: WarmPool, key: PoolKey) -> int:
    return pool._ready[key][0].process.pid


def test_each_warm_sandbox_runs_one_model_and_a_new_one_is_started(
    pool: WarmPool, bwrap: Backend
) -> None:
    first = warmed(pool, bwrap)
    outcome = run_model(bwrap, COUNT, broker, limits=LIMITS, warm=pool)
    assert outcome.status == "ok", outcome
    assert outcome.value == {"rows": 1234.0}
    assert wait_for(lambda: not _alive(first), 5)  # used once: it ended with its run
    assert pool.wait_ready(key_of(bwrap), 30)
    assert waiting_pid(pool, key_of(bwrap)) != first


def test_a_warm_run_answers_as_a_cold_one(pool: WarmPool, bwrap: Backend) -> None:
    cold = run_model(bwrap, COUNT, broker, limits=LIMITS)
    warmed(pool, bwrap)
    warm = run_model(bwrap, COUNT, broker, limits=LIMITS, warm=pool)
    assert (warm.status, warm.value, warm.errors, warm.log) == (
        cold.status,
        cold.value,
        cold.errors,
        cold.log,
    )


def test_the_wall_time_counts_from_when_the_run_is_handed_over(
    pool: WarmPool, bwrap: Backend
) -> None:
    limits = Limits(wall_seconds=2)
    warmed(pool, bwrap, limits)
    time.sleep(2.5)  # waiting longer than the wall time must not eat into the run's
    started = time.monotonic()
    outcome = run_model(bwrap, FOREVER, broker, limits=limits, warm=pool)
    took = time.monotonic() - started
    assert outcome.status == "timed_out"
    assert 1.8 < took < 6, took


def test_a_sandbox_started_with_other_limits_is_not_used(pool: WarmPool, bwrap: Backend) -> None:
    first = warmed(pool, bwrap)
    other = Limits(wall_seconds=19)
    assert run_model(bwrap, COUNT, broker, limits=other, warm=pool).status == "ok"
    assert _alive(first)  # still waiting for a run with its own limits
    assert pool.ready(key_of(bwrap)) == 1


def test_a_sandbox_that_waited_too_long_is_discarded(bwrap: Backend) -> None:
    pool = WarmPool(size=1, max_idle=0.3)
    try:
        first = warmed(pool, bwrap)
        time.sleep(0.6)
        assert pool.take(key_of(bwrap)) is None
        assert wait_for(lambda: not _alive(first), 5)
    finally:
        pool.close()


def test_a_sandbox_killed_while_it_waited_is_not_handed_out(pool: WarmPool, bwrap: Backend) -> None:
    first = warmed(pool, bwrap)
    sandbox = pool._ready[key_of(bwrap)][0]
    sandbox.process.kill()
    sandbox.process.wait(timeout=5)
    outcome = run_model(bwrap, COUNT, broker, limits=LIMITS, warm=pool)
    assert outcome.status == "ok", outcome  # started its own
    assert not _alive(first)


def test_a_run_with_inputs_never_takes_a_warm_sandbox(pool: WarmPool, bwrap: Backend) -> None:
    first = warmed(pool, bwrap)
    with tempfile.TemporaryDirectory(prefix="warm-inputs-") as inputs:
        os.chmod(inputs, 0o755)  # the sandbox's unprivileged uid reads it
        outcome = run_model(bwrap, COUNT, broker, limits=LIMITS, warm=pool, inputs=Path(inputs))
    assert outcome.status == "ok", outcome
    assert _alive(first)
    assert waiting_pid(pool, key_of(bwrap)) == first


def test_a_labelled_backends_waiting_container_is_named_for_its_job_when_taken(
    docker_engine: str,
) -> None:
    docker = default_registry().get("docker")
    assert isinstance(docker, DockerBackend)
    instance = f"test-warm-{secrets.token_hex(4)}"
    pool = WarmPool(size=1)
    try:
        first = run_model(
            docker, COUNT, broker, limits=LIMITS, warm=pool, owner=SandboxOwner(instance, 1)
        )
        assert first.status == "ok", first
        key = key_of(docker, instance=instance)
        assert pool.wait_ready(key, 60)
        assert wait_for(lambda: [s.waiting for s in docker.owned_sandboxes(instance)] == [True], 30)
        # a waiting container holds nothing: the reaper leaves it to its own alarm
        assert reap_orphans([docker], instance, live_jobs=lambda jobs: set()) == []
        held: list[list[tuple[int | None, bool]]] = []

        def watching(request: DPRequest) -> Any:
            held.append([(s.job_id, s.waiting) for s in docker.owned_sandboxes(instance)])
            return 1234.0

        second = run_model(
            docker, COUNT, watching, limits=LIMITS, warm=pool, owner=SandboxOwner(instance, 42)
        )
        assert second.status == "ok", second
        assert held == [[(42, False)]]  # while it ran, the platform saw it as job 42's
    finally:
        pool.close()
        docker.remove_sandboxes(docker.owned_sandboxes(instance))


RUNNER = """
import sys, time
from sandbox.runtime.backends import Limits, default_registry
from sandbox.runtime.executor import run_model
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.warm import WarmPool
backend = default_registry().get("bwrap")
pool = WarmPool(size=1)
limits = Limits(wall_seconds=20)
run_model(backend, sys.argv[1], lambda request: 1.0, limits=limits, warm=pool)
key = (backend.name, limits, RuntimeProfile.RESTRICTED, "")
assert pool.wait_ready(key, 30)
print(pool._ready[key][0].process.pid, flush=True)
time.sleep(120)
"""


def test_a_warm_sandbox_dies_with_its_process(bwrap: Backend) -> None:
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, COUNT], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert runner.stdout is not None
        pid = int(runner.stdout.readline())
        sandbox = [pid, *_descendants(pid)]
        assert all(_alive(p) for p in sandbox)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
        assert wait_for(lambda: not any(_alive(p) for p in sandbox), 5), [
            p for p in sandbox if _alive(p)
        ]
    finally:
        if runner.poll() is None:
            runner.kill()

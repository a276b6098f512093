"""Parallel execution on Ray: partial aggregates of fragments, bounding work, combination.

Without ``SANDBOX_RAY_ADDRESS`` a private local Ray is started once per process
(idempotent); with it, the process joins that cluster (:mod:`sandbox.engine.ray_session`).
Tasks read fragments by path through pyarrow, so
each worker needs the same view of the data root (a local path here; an object store URI
on a cluster). :class:`LocalTaskPool` runs the same functions in-process, for unit tests
and tiny jobs.

Partial aggregates run as few, large tasks: the fragments are dealt into two batches per
CPU of the cluster (two, so a CPU that another process slows down holds back less of the
work), and each task aggregates its fragments one after another (so a task holds
one fragment at a time: memory stays bounded by the fragment size). The remote functions
are registered once per process, so a warm Ray (and its warm workers) is reused by every
engine of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import pyarrow.fs as pafs

from sandbox.config import Settings
from sandbox.engine.partials import Fragment, Partial, PartialPlan, combine, compute_partials
from sandbox.engine.ray_session import ensure_ray as ensure_ray
from sandbox.storage import encryption

T = TypeVar("T")

TASKS_PER_CPU = 2
"""Partial-aggregate tasks per CPU of the cluster."""

_ray_lock = threading.Lock()
_remotes: dict[Callable[..., Any], Any] = {}
"""Ray remote functions, registered once per process (shared by every pool)."""


class TaskPool(Protocol):
    """Runs one trusted function over many argument tuples, in parallel where it can.

    Where the engine's own work runs (contribution bounding, partial aggregates): not to be
    confused with :mod:`sandbox.runtime.executor`, which runs a user's model in a sandbox.
    """

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """``[fn(*args) for args in calls]``, in order."""
        ...


class LocalTaskPool:
    """Runs everything in the calling process, one call after another."""

    parallelism = 1
    """How many calls run at once."""

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """``[fn(*args) for args in calls]``."""
        return [fn(*args) for args in calls]


class RayTaskPool:
    """Runs each call as a Ray task (one CPU each) and gathers the results in order."""

    def __init__(self, settings: Settings | None = None, num_cpus: int | None = None) -> None:
        self._settings = settings
        self._num_cpus = num_cpus
        self._parallelism: int | None = None

    @property
    def parallelism(self) -> int:
        """CPUs of the Ray cluster: how many one-CPU tasks run at once."""
        if self._parallelism is None:
            import ray

            ensure_ray(self._settings, self._num_cpus)
            self._parallelism = max(1, int(ray.cluster_resources().get("CPU", 1)))  # type: ignore[no-untyped-call]
        return self._parallelism

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """Submit every call as a task, then wait for all of them."""
        import ray

        ensure_ray(self._settings, self._num_cpus)
        schemes = encryption.installed()
        target: Callable[..., Any] = encryption.run_with if schemes else fn
        with _ray_lock:
            remote = _remotes.get(target)
            if remote is None:
                # Equivalent to decorating ``fn`` with ``@ray.remote(num_cpus=1)``; done here
                # so the trusted functions stay plain (and typed) for in-process use.
                remote = ray.remote(num_cpus=1)(target)
                _remotes[target] = remote
        if schemes:  # the encryption at rest travels with the call, as the store's keys do
            refs = [remote.remote(schemes, fn, *args) for args in calls]
        else:
            refs = [remote.remote(*args) for args in calls]
        results: list[T] = ray.get(refs)
        return results


def batches(fragments: Sequence[Fragment], count: int) -> list[tuple[Fragment, ...]]:
    """``fragments`` dealt into at most ``count`` contiguous batches of near-equal length."""
    count = max(1, min(count, len(fragments)))
    size, extra = divmod(len(fragments), count)
    out, start = [], 0
    for index in range(count):
        stop = start + size + (1 if index < extra else 0)
        out.append(tuple(fragments[start:stop]))
        start = stop
    return [batch for batch in out if batch]


def run_partials(
    pool: TaskPool, filesystem: pafs.FileSystem, fragments: Sequence[Fragment], plan: PartialPlan
) -> Partial:
    """Exact aggregates over all fragments: one task per batch (two batches per CPU), each
    aggregating its fragments one at a time; the task results are combined on the driver.
    """
    parallelism = int(getattr(pool, "parallelism", 1))
    calls = [(filesystem, batch, plan) for batch in batches(fragments, TASKS_PER_CPU * parallelism)]
    return combine(pool.map(compute_partials, calls))

"""Parallel execution on Ray: partial aggregates of fragments, bounding work, combination.

Without ``SANDBOX_RAY_ADDRESS`` a local Ray is started once per process (idempotent);
with it, the process joins that cluster. Tasks read fragments by path through pyarrow, so
each worker needs the same view of the data root (a local path here; an object store URI
on a cluster). :class:`LocalExecutor` runs the same functions in-process, for unit tests
and tiny jobs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import pyarrow.fs as pafs

from sandbox.config import Settings
from sandbox.engine.partials import Fragment, Partial, PartialPlan, combine, compute_partial

T = TypeVar("T")

_ray_lock = threading.Lock()


class Executor(Protocol):
    """Runs one function over many argument tuples, in parallel where it can."""

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """``[fn(*args) for args in calls]``, in order."""
        ...


class LocalExecutor:
    """Runs everything in the calling process, one call after another."""

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """``[fn(*args) for args in calls]``."""
        return [fn(*args) for args in calls]


def ensure_ray(settings: Settings | None = None, num_cpus: int | None = None) -> None:
    """Start (or join) Ray once per process; later calls do nothing."""
    import ray

    with _ray_lock:
        if ray.is_initialized():
            return
        address = settings.ray_address if settings is not None else ""
        if address:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        else:
            ray.init(
                num_cpus=num_cpus or os.cpu_count() or 1,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )


class RayExecutor:
    """Runs each call as a Ray task (one CPU each) and gathers the results in order."""

    def __init__(self, settings: Settings | None = None, num_cpus: int | None = None) -> None:
        self._settings = settings
        self._num_cpus = num_cpus
        self._remote: dict[Callable[..., Any], Any] = {}

    def map(self, fn: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
        """Submit every call as a task, then wait for all of them."""
        import ray

        ensure_ray(self._settings, self._num_cpus)
        remote = self._remote.get(fn)
        if remote is None:
            # Equivalent to decorating ``fn`` with ``@ray.remote(num_cpus=1)``; done here so
            # the trusted functions stay plain (and typed) for in-process use.
            remote = ray.remote(num_cpus=1)(fn)
            self._remote[fn] = remote
        refs = [remote.remote(*args) for args in calls]
        results: list[T] = ray.get(refs)
        return results


def run_partials(executor: Executor, filesystem: pafs.FileSystem,
                 fragments: Sequence[Fragment], plan: PartialPlan) -> Partial:
    """Exact aggregates over all fragments: one task per fragment, combined on the driver."""
    partials = executor.map(compute_partial, [(filesystem, f, plan) for f in fragments])
    return combine(partials)

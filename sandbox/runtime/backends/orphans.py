"""Finding and removing the sandboxes that dead runners left behind.

A runner's own cleanup removes its sandbox however the run ends, unless the runner itself
is killed (``SIGKILL`` of the server or of a Ray worker): then a docker container runs on
until its alarm. The platform calls :func:`reap_orphans` when it starts, when a job's task
dies and every little while, with the jobs that are still alive; every other sandbox of its
instance is removed at once. A sandbox started ahead of demand and still waiting for its run
holds nothing and ends by its own alarm: it is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sandbox.runtime.backends.base import OwnedSandbox, SandboxReaper

__all__ = ["reap_orphans"]

log = logging.getLogger(__name__)

LiveJobs = Callable[[set[int]], set[int]]
"""Given job ids, those whose sandboxes must stay (the jobs still running)."""


def reap_orphans(
    reapers: Iterable[SandboxReaper], instance: str, live_jobs: LiveJobs
) -> list[OwnedSandbox]:
    """Remove every sandbox of ``instance`` whose job ``live_jobs`` does not keep.

    Args:
        reapers: The backends whose sandboxes can outlive their runner.
        instance: The platform instance (:class:`~sandbox.runtime.backends.SandboxOwner`).
        live_jobs: Asked once, with the ids of every job that has a sandbox.

    Returns:
        The sandboxes removed.
    """
    found = [
        (reaper, sandbox) for reaper in reapers for sandbox in reaper.owned_sandboxes(instance)
    ]
    if not found:
        return []
    ids = {sandbox.job_id for _, sandbox in found if sandbox.job_id is not None}
    keep = live_jobs(ids) if ids else set()
    removed: list[OwnedSandbox] = []
    for reaper in {id(r): r for r, _ in found}.values():
        orphans = [s for r, s in found if r is reaper and not s.waiting and s.job_id not in keep]
        names = set(reaper.remove_sandboxes(orphans)) if orphans else set()
        removed += [s for s in orphans if s.name in names]
    if removed:
        log.warning(
            "removed %d sandbox(es) no live job holds: jobs %s",
            len(removed),
            sorted({s.job_id for s in removed if s.job_id is not None}),
        )
    return removed

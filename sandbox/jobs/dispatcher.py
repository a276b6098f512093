"""Dispatching jobs as Ray tasks, noticing when their workers die, and recovering at start.

One :class:`JobDispatcher` runs in the API server (a daemon thread). It:

- at start, recovers what a previous run of the platform left unfinished: ``submitted``
  jobs are queued, ``queued`` ones dispatched again, ``running`` and ``checking`` ones failed
  (their sandbox died with the old process; their DP calls were charged once and stay so;
  a job is never run twice, so never charged twice);
- submits every ``queued`` job as a Ray task (``num_cpus = settings.job_cpus``, no retries),
  which runs :func:`sandbox.jobs.runner.run_job` on a Ray worker;
- watches the tasks: one that ends in an error (its worker died, it was killed) leaves its
  job ``failed``, never stuck in ``running``;
- for a job whose cancel was asked while it ran, gives the runner :data:`CANCEL_GRACE`
  seconds to stop its sandbox, then kills the task (the sandbox dies with its parent);
- removes every sandbox of this platform that no running job holds
  (:func:`reap_orphaned_sandboxes`): when it starts (after the recovery), when a task dies,
  and every :data:`REAP_SECONDS`. A runner killed with ``SIGKILL`` (its server or its Ray
  worker was) cannot remove its docker container, which would run on until its own alarm.

Without ``SANDBOX_RAY_ADDRESS`` a private local Ray is started when the first job needs it;
with it the platform joins that cluster at start (:mod:`sandbox.engine.ray_session`). Losing
Ray never stops the dispatcher (:mod:`sandbox.jobs.compute_link`): queued jobs wait with the
reason :data:`COMPUTE_UNAVAILABLE`, running ones fail (their workers went with the cluster),
and dispatching resumes once Ray is back. A task that ends in an error has its exception
logged here and its job failed with a platform reason (:mod:`sandbox.jobs.task_failure`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from sqlalchemy import select

from sandbox.config import Settings
from sandbox.errors import StorageUnavailable
from sandbox.jobs.compute_link import ComputeLink, ComputeState
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState
from sandbox.jobs.runner import fail_unfinished, run_job, sandbox_instance
from sandbox.jobs.storage_failure import fail_for_storage
from sandbox.jobs.task_failure import COMPUTE_LOST, task_failure_reason
from sandbox.platform import Platform
from sandbox.runtime.backends import BackendRegistry, OwnedSandbox, default_registry, reap_orphans
from sandbox.store.db import transaction
from sandbox.store.models import JobRow

__all__ = [
    "CANCEL_GRACE",
    "COMPUTE_UNAVAILABLE",
    "REAP_SECONDS",
    "JobDispatcher",
    "reap_orphaned_sandboxes",
    "recover_jobs",
]

log = logging.getLogger(__name__)

CANCEL_GRACE = 5.0
"""Seconds a running job has to stop by itself after a cancel before its task is killed."""

REAP_SECONDS = 15.0
"""How often the dispatcher looks for sandboxes no running job holds."""

COMPUTE_UNAVAILABLE = "compute unavailable"
"""The reason a queued job shows while the platform has no Ray to run it on."""


@functools.lru_cache(maxsize=4)
def _platform_for(settings_json: str) -> Platform:
    """One platform per worker process and configuration (connections are reused)."""
    return Platform.open(Settings.model_validate_json(settings_json))


def execute_job(settings_json: str, job_id: int) -> None:
    """The body of a job's Ray task.

    Its settings carry the data store's credentials
    (:meth:`~sandbox.config.Settings.worker_json`); a worker that cannot open the store
    fails the job as ``storage unavailable``.
    """
    try:
        platform = _platform_for(settings_json)
    except StorageUnavailable as exc:
        fail_for_storage(Settings.model_validate_json(settings_json), job_id, exc)
        return
    run_job(platform, job_id)


def recover_jobs(platform: Platform) -> dict[str, int]:
    """Resume or fail every job a previous run left unfinished; return counts by action."""
    counts = {"queued": 0, "failed": 0}
    with transaction(platform.sessions) as session:
        rows = (
            session.execute(
                select(JobRow)
                .where(JobRow.state.in_([JobState.SUBMITTED, JobState.RUNNING, JobState.CHECKING]))
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for row in rows:
            if row.state == JobState.SUBMITTED:
                move(
                    session,
                    row,
                    JobState.QUEUED,
                    platform_actor(),
                    reason="queued after a platform restart",
                )
                counts["queued"] += 1
            else:
                fail_unfinished(
                    session,
                    row,
                    f"the platform restarted while the job was {row.state}; start it again",
                )
                counts["failed"] += 1
    return counts


def reap_orphaned_sandboxes(
    platform: Platform, registry: BackendRegistry | None = None
) -> list[OwnedSandbox]:
    """Remove every sandbox of this platform whose job is not ``running``; return them.

    A ``running`` job's sandbox stays: its runner is alive, or the platform will learn it is
    not (its task dies, or the next start's recovery fails the job) and come back for it.
    """

    def running(job_ids: set[int]) -> set[int]:
        with platform.sessions() as session:
            return set(
                session.execute(
                    select(JobRow.id).where(
                        JobRow.id.in_(job_ids), JobRow.state == JobState.RUNNING
                    )
                ).scalars()
            )

    reapers = (registry or default_registry()).reapers()
    return reap_orphans(reapers, sandbox_instance(platform.settings), running)


class JobDispatcher:
    """Hands queued jobs to Ray and watches them (see the module docstring)."""

    def __init__(self, platform: Platform, *, poll_seconds: float = 0.5) -> None:
        self._platform = platform
        self._settings_json = platform.settings.worker_json()
        self._poll = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._tasks: dict[int, Any] = {}
        self._cancel_seen: dict[int, float] = {}
        self._remote: Any = None
        self._reaped_at: float | None = None
        self._link = ComputeLink(platform.settings)

    @property
    def compute_state(self) -> ComputeState:
        """Ray as the dispatcher last saw it (for the readiness check)."""
        return self._link.state

    def start(self) -> None:
        """Recover unfinished jobs, then start the dispatch loop."""
        counts = recover_jobs(self._platform)
        if any(counts.values()):
            log.warning("recovered jobs after a restart: %s", counts)
        self._thread = threading.Thread(target=self._loop, name="job-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop (running tasks carry on; a restart recovers them)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def notify(self) -> None:
        """Something was queued or cancelled: look now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            now = time.monotonic()
            if self._reaped_at is None or now - self._reaped_at >= REAP_SECONDS:
                self._reaped_at = now
                self._reap_sandboxes()  # the first time: what a previous process left
            try:
                if self._link.lost():
                    self._forget_tasks()
                self._step()
            except Exception:
                log.exception("the job dispatcher failed a step; retrying")
                time.sleep(1)
            self._wake.wait(self._poll if self._tasks else self._poll * 2)
            self._wake.clear()

    def _reap_sandboxes(self) -> None:
        try:
            reap_orphaned_sandboxes(self._platform)
        except Exception:  # the engine or the database hiccuped: the next round retries
            log.exception("looking for orphaned sandboxes failed")

    def _ray(self) -> Any:
        import ray

        if self._remote is None:
            self._remote = ray.remote(max_retries=0)(execute_job)
        return ray

    def _step(self) -> None:
        with self._platform.sessions() as session:
            queued = list(
                session.execute(
                    select(JobRow.id).where(JobRow.state == JobState.QUEUED).order_by(JobRow.id)
                ).scalars()
            )
            cancelling = set(
                session.execute(
                    select(JobRow.id).where(
                        JobRow.state == JobState.RUNNING, JobRow.cancel_requested.is_(True)
                    )
                ).scalars()
            )
        fresh = [job_id for job_id in queued if job_id not in self._tasks]
        if not (fresh or self._tasks or self._link.eager):
            return
        if not self._link.connect():
            self._mark_waiting(fresh, COMPUTE_UNAVAILABLE)
            return
        self._mark_waiting(fresh, "")
        if fresh or self._tasks:
            ray = self._ray()
            cpus = self._platform.settings.job_cpus
            for job_id in fresh:
                self._tasks[job_id] = self._remote.options(num_cpus=cpus).remote(
                    self._settings_json, job_id
                )
            self._reap(ray)
            self._enforce_cancels(ray, cancelling)

    def _reap(self, ray: Any) -> None:
        if not self._tasks:
            return
        refs = list(self._tasks.values())
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        finished = {id(ref) for ref in done}
        died = False
        for job_id, ref in list(self._tasks.items()):
            if id(ref) not in finished:
                continue
            del self._tasks[job_id]
            self._cancel_seen.pop(job_id, None)
            try:
                ray.get(ref)
            except Exception as exc:  # the task raised, its worker or node died, it was killed
                self._settle(job_id, task_failure_reason(job_id, exc))
                died = True
        if died:  # its worker may have died with its sandbox still up
            self._reap_sandboxes()

    def _mark_waiting(self, job_ids: list[int], reason: str) -> None:
        """Show ``reason`` on queued jobs (or clear :data:`COMPUTE_UNAVAILABLE` with ``""``):
        not a transition, so not audited; only rows whose reason changes are written.
        """
        if not job_ids:
            return
        with transaction(self._platform.sessions) as session:
            stale = COMPUTE_UNAVAILABLE if not reason else None
            for row in session.execute(
                select(JobRow).where(JobRow.id.in_(job_ids), JobRow.state == JobState.QUEUED)
            ).scalars():
                if row.state_reason != reason and (stale is None or row.state_reason == stale):
                    row.state_reason = reason

    def _forget_tasks(self) -> None:
        """The cluster is gone and its tasks with it: running jobs fail, queued ones stay
        queued and are dispatched again once Ray is back.
        """
        lost, self._tasks = list(self._tasks), {}
        self._cancel_seen.clear()
        self._remote = None
        for job_id in lost:
            self._settle(job_id, COMPUTE_LOST)

    def _settle(self, job_id: int, reason: str) -> None:
        with transaction(self._platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or JobState(row.state).is_final:
                return
            if row.state == JobState.QUEUED and reason == COMPUTE_LOST:
                return  # never started: it runs once Ray is back
            if row.cancel_requested:
                move(
                    session,
                    row,
                    JobState.CANCELLED,
                    platform_actor(),
                    reason=row.state_reason or "cancelled while it ran",
                )
            else:
                fail_unfinished(session, row, reason)

    def _enforce_cancels(self, ray: Any, cancelling: set[int]) -> None:
        now = time.monotonic()
        for job_id in cancelling:
            first = self._cancel_seen.setdefault(job_id, now)
            ref = self._tasks.get(job_id)
            if ref is not None and now - first > CANCEL_GRACE:
                log.warning("job %s did not stop after its cancel; killing its task", job_id)
                ray.cancel(ref, force=True)

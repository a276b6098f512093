"""Dispatching jobs as Ray tasks, noticing when their workers die, and recovering at start.

One :class:`JobDispatcher` runs in the API server (a daemon thread). It:

- at start, recovers what a stopped process left unfinished (:func:`recover_jobs`), and
  keeps a heartbeat that renews this process's job leases and sweeps for expired ones
  (:mod:`sandbox.jobs.leases`): only jobs whose lease expired are touched, so several API
  processes share one PostgreSQL safely. ``submitted`` jobs are queued, ``queued`` ones
  dispatched again, ``running`` and ``checking`` ones failed (their sandbox died with their
  process; their DP calls were charged once and stay so; a job is never run twice, so never
  charged twice);
- claims every free ``queued`` job (:func:`sandbox.jobs.leases.claim`: one process wins) and
  submits it as a Ray task (``num_cpus = settings.job_cpus``, no retries), which runs
  :func:`sandbox.jobs.runner.run_job` on a Ray worker under this process's lease;
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

from sqlalchemy import or_, select, update

from sandbox.config import Settings
from sandbox.engine.ray_session import worker_slots
from sandbox.errors import StorageUnavailable
from sandbox.jobs.compute_link import ComputeLink, ComputeState
from sandbox.jobs.leases import LeaseKeeper, claim, claimable, process_owner, recover_expired
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState
from sandbox.jobs.observed import job_bound, observed_task, request_ids, request_ids_in
from sandbox.jobs.runner import fail_unfinished, run_job, sandbox_instance
from sandbox.jobs.storage_failure import fail_for_storage
from sandbox.jobs.task_failure import COMPUTE_LOST, task_failure_reason
from sandbox.observability import metrics
from sandbox.platform import Platform
from sandbox.runtime.backends import BackendRegistry, OwnedSandbox, default_registry, reap_orphans
from sandbox.store.db import is_postgres, transaction
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
    """One platform per worker process and configuration (connections are reused).

    A worker never migrates the schema: it only checks that it is at head
    (:func:`sandbox.store.migrate.ensure_at_head`); the API servers migrate, under a lock.
    """
    return Platform.open(Settings.model_validate_json(settings_json), migrate=False)


def execute_job(
    settings_json: str, job_id: int, owner: str | None = None, request_id: str | None = None
) -> list[metrics.Event]:
    """The body of a job's Ray task, run under ``owner``'s lease (its dispatcher's), logged
    with the ``request_id`` that submitted it (``""``: none; ``None``: read it).

    Its settings carry the data store's credentials
    (:meth:`~sandbox.config.Settings.worker_json`); a worker that cannot open the store
    fails the job as ``storage unavailable``. Returns the metric events the run counted,
    for the dispatcher to count in the server (:mod:`sandbox.jobs.observed`).
    """
    try:
        platform = _platform_for(settings_json)
    except StorageUnavailable as exc:
        with metrics.captured() as events:
            fail_for_storage(Settings.model_validate_json(settings_json), job_id, exc)
        return events
    with observed_task(platform, job_id, request_id) as events:
        run_job(platform, job_id, owner=owner)
    return events


def prepare_worker(settings_json: str) -> None:
    """Open this Ray worker's platform ahead of its first job (:meth:`JobDispatcher._ray`)."""
    try:
        _platform_for(settings_json)
    except StorageUnavailable:  # the job that comes here fails with the reason
        pass


def recover_jobs(platform: Platform, owner: str | None = None) -> dict[str, int]:
    """At start: resume or fail the jobs no live process answers for; counts by action.

    On PostgreSQL only jobs whose lease expired are touched (another API process may be
    running its own); on SQLite, where one process is the whole platform, every unfinished
    job of another owner is (:func:`sandbox.jobs.leases.recover_expired`).
    """
    return recover_expired(
        platform, owner or process_owner(), take_over_all=not is_postgres(platform.engine)
    )


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
        self._prepared: list[Any] = []
        self._reaped_at: float | None = None
        self._link = ComputeLink(platform.settings)
        self._owner = process_owner()
        self._leases = LeaseKeeper(platform, self._owner, on_recovered=self._recovered)

    @property
    def compute_state(self) -> ComputeState:
        """Ray as the dispatcher last saw it (for the readiness check)."""
        return self._link.state

    @property
    def owner(self) -> str:
        """This process's owner id on the jobs it claims."""
        return self._owner

    def start(self) -> None:
        """Recover unfinished jobs, then start the heartbeat and the dispatch loop."""
        counts = recover_jobs(self._platform, self._owner)
        if any(counts.values()):
            log.warning("recovered jobs after a restart: %s", counts)
        self._leases.start()
        self._thread = threading.Thread(target=self._loop, name="job-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and end this process's leases (its running tasks carry on as
        long as Ray lets them; another process, or a restart, takes its jobs over).
        """
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._leases.stop()

    def _recovered(self) -> None:
        """The heartbeat took jobs over: dispatch the freed ones, remove dead sandboxes."""
        self._reaped_at = None
        self._wake.set()

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
            self._prepare_workers(ray)
        return ray

    def _prepare_workers(self, ray: Any) -> None:
        """Start, on a cluster just joined, as many Ray workers as jobs can run at once,
        each with the platform opened (:func:`prepare_worker`): the first jobs of a burst
        then find them ready instead of each starting its own. Nobody waits for them.
        """
        try:
            cpus = float(ray.cluster_resources().get("CPU", 0))
        except Exception:  # the next dispatch tries again; jobs run without it
            log.exception("reading the cluster's CPUs failed")
            return
        ahead = self._platform.settings.ray_workers_ahead
        slots = worker_slots(self._platform.settings, cpus) if cpus else 0
        slots = slots if ahead < 0 else min(ahead, slots)
        if not slots:
            return
        prepare = ray.remote(max_retries=0, num_cpus=self._platform.settings.job_cpus)(
            prepare_worker
        )
        self._prepared = [prepare.remote(self._settings_json) for _ in range(slots)]

    def _step(self) -> None:
        with self._platform.sessions() as session:
            queued = claimable(session, self._owner)
            cancelling = set(
                session.execute(
                    select(JobRow.id).where(
                        JobRow.state == JobState.RUNNING, JobRow.cancel_requested.is_(True)
                    )
                ).scalars()
            )
            fresh = [job_id for job_id in queued if job_id not in self._tasks]
            submitted_by = request_ids_in(session, fresh)
        if not (fresh or self._tasks or self._link.eager):
            return
        if not self._link.connect():
            self._mark_waiting(fresh, COMPUTE_UNAVAILABLE)
            return
        fresh = [job_id for job_id in fresh if claim(self._platform, job_id, self._owner)]
        self._mark_waiting(fresh, "")
        if fresh or self._tasks:
            ray = self._ray()
            cpus = self._platform.settings.job_cpus
            for job_id in fresh:
                with job_bound(job_id, submitted_by.get(job_id)):
                    self._tasks[job_id] = self._remote.options(num_cpus=cpus).remote(
                        self._settings_json, job_id, self._owner, submitted_by.get(job_id, "")
                    )
                    log.info("job %s: dispatched to Ray", job_id)
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
                metrics.replay(ray.get(ref))
            except Exception as exc:  # the task raised, its worker or node died, it was killed
                with job_bound(job_id, request_ids(self._platform, [job_id]).get(job_id)):
                    self._settle(job_id, task_failure_reason(job_id, exc))
                died = True
        if died:  # its worker may have died with its sandbox still up
            self._reap_sandboxes()

    def _mark_waiting(self, job_ids: list[int], reason: str) -> None:
        """Show ``reason`` on queued jobs (or clear :data:`COMPUTE_UNAVAILABLE` with ``""``):
        not a transition, so not audited; only rows whose reason changes are written, in one
        statement.
        """
        if not job_ids:
            return
        if reason:
            changes = or_(JobRow.state_reason.is_(None), JobRow.state_reason != reason)
        else:
            changes = JobRow.state_reason == COMPUTE_UNAVAILABLE
        with transaction(self._platform.sessions) as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id.in_(job_ids), JobRow.state == JobState.QUEUED, changes)
                .values(state_reason=reason),
                execution_options={"synchronize_session": False},
            )

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
            if row.lease_owner not in (None, self._owner):
                return  # taken over by another process meanwhile: it answers for the job
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

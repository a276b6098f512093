"""The scrape-time gauges: jobs by state, the queue, and readiness, read when scraped.

These are facts of the shared database, not of one process: every API process of a
platform reports the same values (aggregate them with ``max``, not ``sum``), while the event
counters of :mod:`sandbox.observability.metrics` are each process's own.

A scrape runs one grouped count over the job table (an index on ``state``) and the
readiness check (:mod:`sandbox.jobs.readiness`, whose sandbox probe is cached). When the
database does not answer, the job gauges are left out and ``sandbox_ready{part="database"}``
says why; the scrape itself still succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from sandbox.clock import utc_now
from sandbox.jobs.compute_link import ComputeState
from sandbox.jobs.model import JobState
from sandbox.jobs.readiness import READY, check_readiness
from sandbox.platform import Platform
from sandbox.store.models import JobRow

__all__ = ["JobTableCollector", "ReadinessCollector"]

log = logging.getLogger(__name__)

WAITING = (JobState.SUBMITTED, JobState.QUEUED)
"""The states of a job that waits for compute: the queue."""


class JobTableCollector(Collector):
    """``sandbox_jobs{state}``, ``sandbox_job_queue_depth`` and
    ``sandbox_job_queue_oldest_seconds``.
    """

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def collect(self) -> Iterator[Metric]:
        """Count the jobs by state now (nothing when the database does not answer)."""
        try:
            with self._platform.sessions() as session:
                counts = dict(
                    session.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
                )
                oldest = session.execute(
                    select(func.min(JobRow.submitted_at)).where(JobRow.state.in_(WAITING))
                ).scalar_one_or_none()
        except Exception:
            log.warning("metrics: the job table could not be read", exc_info=True)
            return
        jobs = GaugeMetricFamily(
            "sandbox_jobs", "Jobs in each lifecycle state now.", labels=["state"]
        )
        for state in JobState:
            jobs.add_metric([str(state)], float(counts.get(str(state), 0)))
        yield jobs
        yield GaugeMetricFamily(
            "sandbox_job_queue_depth",
            "Jobs waiting for compute now (submitted or queued).",
            value=float(sum(counts.get(str(state), 0) for state in WAITING)),
        )
        age = 0.0
        if oldest is not None:
            moment = oldest if oldest.tzinfo else oldest.replace(tzinfo=utc_now().tzinfo)
            age = max(0.0, (utc_now() - moment).total_seconds())
        yield GaugeMetricFamily(
            "sandbox_job_queue_oldest_seconds",
            "Seconds the longest-waiting queued job has waited (0 when none waits).",
            value=age,
        )


class ReadinessCollector(Collector):
    """``sandbox_ready{part}``: 1 when the part can serve (as ``/v1/ready`` says), else 0."""

    def __init__(self, platform: Platform, compute: Callable[[], ComputeState]) -> None:
        self._platform = platform
        self._compute = compute

    def collect(self) -> Iterator[Metric]:
        """Run the readiness check and report each part's state."""
        readiness = check_readiness(self._platform, self._compute())
        ready = GaugeMetricFamily(
            "sandbox_ready",
            "Whether each part the platform serves with works now (1) or not (0): database, "
            "storage, compute (Ray; a local Ray started on demand counts) and sandbox.",
            labels=["part"],
        )
        for part, state in readiness.parts.items():
            up = state in (READY, ComputeState.ON_DEMAND)
            ready.add_metric([part], 1.0 if up else 0.0)
        yield ready
        yield GaugeMetricFamily(
            "sandbox_ready_all",
            "1 when every part is ready (``/v1/ready`` answers 200), else 0.",
            value=1.0 if readiness.ready else 0.0,
        )

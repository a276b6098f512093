"""The platform's Prometheus metrics, counted where the events happen.

The domain calls the small functions here (:func:`dp_charged`, :func:`ledger_refused`,
:func:`sandbox_started`, :func:`sandbox_failed`, :func:`job_finished`, ...); ``/metrics``
serves :data:`REGISTRY` with the scrape-time gauges beside it (:mod:`sandbox.jobs.metrics`).

Labels are platform vocabulary only, each from a closed set (:func:`_closed`): a backend's
name, a job's kind and state, an accounting, which budget refused, a route *template* and a
status class. Never a user, a grant, a dataset, a path with ids in it or a data value: a
metrics reader bypasses the API's role and ownership checks, so what it reads must be
platform-wide aggregates only.

A job's runner is a Ray task in another process (often on another node) that nobody scrapes.
There its events are captured (:func:`captured`) and returned with the task's result, and
the dispatcher of the server that scrapes them replays them here (:func:`replay`).

What happens inside a database transaction is counted once it commits (:func:`on_commit`):
a job's final state or a charge that rolled back never happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction

from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = [
    "BACKENDS",
    "JOB_KINDS",
    "JOB_STATES",
    "REGISTRY",
    "Event",
    "captured",
    "dp_charged",
    "http_request",
    "job_finished",
    "ledger_refused",
    "on_commit",
    "replay",
    "sandbox_failed",
    "sandbox_finished",
    "sandbox_started",
]

log = logging.getLogger(__name__)

BACKENDS = ("docker", "bwrap", "subprocess")
JOB_KINDS = ("dp", "raw")
JOB_STATES = (
    "submitted",
    "queued",
    "running",
    "checking",
    "pending_review",
    "released",
    "rejected",
    "failed",
    "cancelled",
)
ACCOUNTINGS = ("pure", "zcdp")
BUDGETS = {"grant": "grant", "dataset lifetime": "lifetime", "per-query cap": "per_query_cap"}
SANDBOX_FAILURES = ("start_failed", "crashed", "timed_out", "oom")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
OTHER = "other"

# A ``_created`` series beside every child would double the scrape for nothing.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)
"""Everything this process counts, plus its own process facts (CPU, memory, open files)."""
ProcessCollector(registry=REGISTRY)
REGISTRY.register(GC_COLLECTOR)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_JOB_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 86400.0)

HTTP_DURATION = Histogram(
    "sandbox_http_request_duration_seconds",
    "Seconds from a request's arrival to its response's end, by route template and status class.",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "sandbox_job_duration_seconds",
    "Seconds from a job's submission to its final state (the turnaround its owner sees).",
    ["kind", "state"],
    buckets=_JOB_BUCKETS,
    registry=REGISTRY,
)
SANDBOX_STARTS = Counter(
    "sandbox_sandbox_starts",
    "Sandboxes started for a model's run (jobs and server-side dry runs).",
    ["backend"],
    registry=REGISTRY,
)
SANDBOX_FAILURES_TOTAL = Counter(
    "sandbox_sandbox_failures",
    "Sandboxes that failed to start, crashed, or were stopped by a time or memory limit.",
    ["backend", "reason"],
    registry=REGISTRY,
)
SANDBOX_SECONDS = Histogram(
    "sandbox_sandbox_run_seconds",
    "Seconds a sandbox ran, from its start to its exit.",
    ["backend"],
    buckets=_JOB_BUCKETS,
    registry=REGISTRY,
)
DP_CHARGES = Counter(
    "sandbox_dp_charges",
    "Budget charges made before a DP release (one per dataset a release reads).",
    ["accounting"],
    registry=REGISTRY,
)
DP_LOSS = Counter(
    "sandbox_dp_loss_charged",
    "Privacy loss charged: epsilon under pure accounting, rho under zCDP (rounded up to "
    "ledger units, as charged).",
    ["accounting"],
    registry=REGISTRY,
)
DP_DELTA = Counter(
    "sandbox_dp_delta_charged",
    "Delta charged (approximate mechanisms such as partition selection).",
    ["accounting"],
    registry=REGISTRY,
)
LEDGER_REFUSALS = Counter(
    "sandbox_ledger_refusals",
    "DP releases the ledger refused because a budget could not pay (nothing was charged).",
    ["budget"],
    registry=REGISTRY,
)

_BY_NAME: dict[str, Counter | Histogram] = {
    metric._name: metric  # noqa: SLF001 - the name prometheus_client registered
    for metric in (
        HTTP_DURATION,
        JOB_DURATION,
        SANDBOX_STARTS,
        SANDBOX_FAILURES_TOTAL,
        SANDBOX_SECONDS,
        DP_CHARGES,
        DP_LOSS,
        DP_DELTA,
        LEDGER_REFUSALS,
    )
}

Event = tuple[str, tuple[str, ...], float]
"""One counted event: the metric's name, its label values, the amount (or the observation)."""

_capture: ContextVar[list[Event] | None] = ContextVar("sandbox_metric_capture", default=None)


def _closed(value: object, allowed: Sequence[str]) -> str:
    """``value`` as a label if it is one of ``allowed``, else ``other``: a label never takes
    a value from outside the platform's own vocabulary.
    """
    text = str(value)
    return text if text in allowed else OTHER


def _emit(metric: Counter | Histogram, labels: tuple[str, ...], amount: float) -> None:
    sink = _capture.get()
    if sink is not None:
        sink.append((metric._name, labels, amount))  # noqa: SLF001
        return
    _apply(metric, labels, amount)


def _apply(metric: Counter | Histogram, labels: tuple[str, ...], amount: float) -> None:
    child = metric.labels(*labels)
    if isinstance(child, Histogram):
        child.observe(amount)
    else:
        child.inc(amount)


@contextmanager
def captured() -> Iterator[list[Event]]:
    """Collect the events counted in this context instead of counting them here (a Ray
    task's, to be returned to the server that serves them: :func:`replay`).
    """
    events: list[Event] = []
    token = _capture.set(events)
    try:
        yield events
    finally:
        _capture.reset(token)


def replay(events: object) -> int:
    """Count events another process captured; return how many were taken.

    They come from the platform's own tasks, but are checked all the same: an unknown
    metric, a label count that does not fit or a negative counter step is skipped.
    """
    if not isinstance(events, list):
        return 0
    taken = 0
    for item in events:
        if not (isinstance(item, tuple | list) and len(item) == 3):
            continue
        name, labels, amount = item
        metric = _BY_NAME.get(name) if isinstance(name, str) else None
        if (
            metric is None
            or not isinstance(labels, tuple | list)
            or len(labels) != len(metric._labelnames)  # noqa: SLF001
            or not all(isinstance(label, str) for label in labels)
            or not isinstance(amount, int | float)
            or (isinstance(metric, Counter) and amount < 0)
        ):
            continue
        _apply(metric, tuple(labels), float(amount))
        taken += 1
    return taken


_PENDING = "sandbox.metrics.pending"


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once ``session``'s transaction commits; drop it if it rolls back."""
    session.info.setdefault(_PENDING, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    for action in session.info.pop(_PENDING, []):
        try:
            action()
        except Exception:  # counting must never fail the work it counts
            log.exception("a metric could not be counted")


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def status_class(status: int) -> str:
    """``2xx`` for 200..299, and so on."""
    return _closed(f"{status // 100}xx", STATUS_CLASSES)


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request ended; ``route`` is its template (``/v1/jobs/{job_id}``), never the
    path it was called with.
    """
    labels = (_closed(method, HTTP_METHODS), route, status_class(status))
    _emit(HTTP_DURATION, labels, seconds)


def job_finished(kind: str, state: str, seconds: float) -> None:
    """A job reached a final state ``seconds`` after it was submitted."""
    _emit(JOB_DURATION, (_closed(kind, JOB_KINDS), _closed(state, JOB_STATES)), max(0.0, seconds))


def sandbox_started(backend: str) -> None:
    """A sandbox is being started on ``backend``."""
    _emit(SANDBOX_STARTS, (_closed(backend, BACKENDS),), 1)


def sandbox_failed(backend: str, reason: str) -> None:
    """A sandbox did not start, crashed, or was stopped by a limit."""
    labels = (_closed(backend, BACKENDS), _closed(reason, SANDBOX_FAILURES))
    _emit(SANDBOX_FAILURES_TOTAL, labels, 1)


def sandbox_finished(backend: str, seconds: float) -> None:
    """A sandbox exited after ``seconds``."""
    _emit(SANDBOX_SECONDS, (_closed(backend, BACKENDS),), max(0.0, seconds))


def dp_charged(accounting: str, loss: Fraction, delta: Fraction) -> None:
    """A charge was committed: ``loss`` (epsilon or rho) and ``delta`` taken from budgets."""
    labels = (_closed(accounting, ACCOUNTINGS),)
    _emit(DP_CHARGES, labels, 1)
    _emit(DP_LOSS, labels, float(loss))
    if delta:
        _emit(DP_DELTA, labels, float(delta))


def ledger_refused(budget: str) -> None:
    """The ledger refused a charge: the ``budget`` (``grant``, ``dataset lifetime``) could
    not pay.
    """
    _emit(LEDGER_REFUSALS, (BUDGETS.get(budget, OTHER),), 1)


def label_values() -> dict[str, set[str]]:
    """Every label value this process's metrics carry now, by label name (for tests and
    the operator's own checks that no label holds anything but platform vocabulary).
    """
    values: dict[str, set[str]] = {}
    for family in REGISTRY.collect():
        for sample in family.samples:
            for key, value in sample.labels.items():
                values.setdefault(key, set()).add(value)
    return values

"""A job's request id in every log line about it, and its task's metrics brought home.

The request that submitted a job stored its id with the job (``jobs.request_id``). The
dispatcher binds it (with the job's id) around what it does for the job in the server, and
the job's Ray task binds it around the whole run (:func:`observed_task`), so that a line the
runner, the broker or the engine logs on a Ray worker carries the id the client was given.

A Ray worker is another process with none of the server's logging set up: the task sets up
the platform's format there (once per worker process and settings), so its lines land, in
that format, in the worker's log file under Ray's session directory. The metrics the task
counts are captured and returned with its result for the server to count
(:func:`sandbox.observability.metrics.replay`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.config import Settings
from sandbox.observability import metrics
from sandbox.observability.context import bound
from sandbox.observability.logs import configure_logging
from sandbox.platform import Platform
from sandbox.store.models import JobRow

__all__ = ["job_bound", "observed_task", "request_ids", "request_ids_in"]

log = logging.getLogger(__name__)


def request_ids(platform: Platform, job_ids: Iterable[int]) -> dict[int, str]:
    """The request id each of ``job_ids`` was submitted with (jobs without one are left out)."""
    wanted = list(job_ids)
    if not wanted:
        return {}
    with platform.sessions() as session:
        return request_ids_in(session, wanted)


def request_ids_in(session: Session, job_ids: Iterable[int]) -> dict[int, str]:
    """:func:`request_ids`, read in ``session`` (the dispatcher's step reads them with the
    queue, in one transaction).
    """
    wanted = list(job_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(JobRow.id, JobRow.request_id).where(
            JobRow.id.in_(wanted), JobRow.request_id.is_not(None)
        )
    ).all()
    return {job_id: request_id for job_id, request_id in rows if request_id}


@contextmanager
def job_bound(job_id: int, request_id: str | None) -> Iterator[None]:
    """Log lines in the block carry the job's id and the id of the request that submitted it."""
    with bound(request_id=request_id, job_id=job_id):
        yield


@functools.lru_cache(maxsize=4)
def _worker_logging(log_format: str, log_level: str) -> None:
    """Set up the platform's log format in this (Ray worker) process, once."""
    configure_logging(log_format, log_level)


@contextmanager
def observed_task(
    platform: Platform, job_id: int, request_id: str | None = None
) -> Iterator[list[metrics.Event]]:
    """The context of a job's Ray task: logging set up, the job bound, metrics captured.

    Yields the list the task's metric events are collected in (to be returned to the
    dispatcher). ``request_id`` is the one the dispatcher read with the job's claim (``""``
    for none); without it, it is read here, best effort: a database that does not answer
    here fails the run itself a moment later, with its own reason.
    """
    settings: Settings = platform.settings
    _worker_logging(settings.log_format, settings.log_level)
    if request_id is None:
        try:
            request_id = request_ids(platform, [job_id]).get(job_id)
        except Exception:
            log.warning("job %s: its request id could not be read", job_id, exc_info=True)
    request_id = request_id or None
    with job_bound(job_id, request_id), metrics.captured() as events:
        log.info("job %s: its run starts on this worker", job_id)
        try:
            yield events
        finally:
            log.info("job %s: its run on this worker ended", job_id)

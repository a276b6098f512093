"""Why a job's Ray task ended in an error, in the platform's words.

The exception itself (its traceback, its message, which may quote paths, addresses or data)
is logged on the server only; the job's reason, which its owner reads, is one of the fixed
sentences here, chosen by what kind of failure it was.
"""

from __future__ import annotations

import logging

from sandbox.errors import SchemaOutOfDate, StorageUnavailable

__all__ = ["COMPUTE_LOST", "task_failure_reason"]

log = logging.getLogger(__name__)

COMPUTE_LOST = "compute became unavailable while the job ran; start it again"
"""The reason of a running job whose cluster the server lost."""

NODE_LOST = "the compute node running the job was lost; start it again"
WORKER_STOPPED = "the worker running the job stopped; start it again"
OUT_OF_MEMORY = "the worker running the job ran out of memory"
STORAGE = "storage unavailable"
SOFTWARE = "the worker running the job lacks the platform's software"
SCHEMA = "the worker running the job runs another version of the platform than its database"
PLATFORM = "the platform failed while running the job"


def _reason(exc: BaseException) -> str:
    from ray import exceptions as ray_errors

    if isinstance(exc, ray_errors.NodeDiedError):
        return NODE_LOST
    if isinstance(exc, ray_errors.OutOfMemoryError):
        return OUT_OF_MEMORY
    if isinstance(exc, (ray_errors.WorkerCrashedError, ray_errors.LocalRayletDiedError)):
        return WORKER_STOPPED
    if isinstance(exc, ray_errors.RayTaskError):
        cause = exc.cause
        if isinstance(cause, StorageUnavailable):
            return STORAGE
        if isinstance(cause, SchemaOutOfDate):  # workers never migrate: see store.migrate
            return SCHEMA
        if isinstance(cause, ImportError):
            return SOFTWARE
        return PLATFORM
    if isinstance(exc, (ray_errors.RaySystemError, ray_errors.ObjectLostError)):
        return WORKER_STOPPED
    return PLATFORM


def task_failure_reason(job_id: int, exc: BaseException) -> str:
    """Log ``exc`` with its traceback (server side) and return the job's reason."""
    reason = _reason(exc)
    log.error(
        "job %s: its task ended in %s (reported as %r)",
        job_id,
        type(exc).__name__,
        reason,
        exc_info=exc,
    )
    return reason

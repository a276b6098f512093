"""A failed job task's reason: a platform sentence by kind of failure, never the exception's
text (which may quote paths, addresses or data); the exception and its traceback are logged."""

from __future__ import annotations

import logging

import pytest
from ray import exceptions as ray_errors

from sandbox.errors import SchemaOutOfDate, StorageUnavailable
from sandbox.jobs.task_failure import task_failure_reason

SECRET = "/srv/data/s3-secret-AKIA123 row: alice,42"


def raised_in_task(cause: BaseException) -> ray_errors.RayTaskError:
    return ray_errors.RayTaskError("execute_job", f"Traceback ...\n{SECRET}", cause)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ray_errors.NodeDiedError(SECRET), "the compute node running the job was lost"),
        (ray_errors.WorkerCrashedError(), "the worker running the job stopped"),
        (ray_errors.OutOfMemoryError(SECRET), "the worker running the job ran out of memory"),
        (raised_in_task(StorageUnavailable(SECRET)), "storage unavailable"),
        (
            raised_in_task(SchemaOutOfDate(SECRET)),
            "the worker running the job runs another version of the platform than its database",
        ),
        (
            raised_in_task(ModuleNotFoundError(SECRET)),
            "the worker running the job lacks the platform's software",
        ),
        (raised_in_task(ValueError(SECRET)), "the platform failed while running the job"),
        (RuntimeError(SECRET), "the platform failed while running the job"),
    ],
)
def test_each_kind_of_failure_has_its_platform_reason(
    exc: BaseException, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="sandbox.jobs.task_failure"):
        reason = task_failure_reason(7, exc)
    assert reason.startswith(expected)
    assert SECRET not in reason and "alice" not in reason
    (record,) = caplog.records
    assert record.exc_info is not None and record.exc_info[1] is exc  # logged with its traceback
    assert "job 7" in record.getMessage()

"""A job whose worker cannot reach the data store fails with that reason, not a vague one.

The platform of a job's Ray task opens the data store first
(:meth:`sandbox.storage.datastore.DataStore.from_settings`); when it cannot (the store is
down, or the worker lacks its credentials) there is no platform to run the job with, but
the database may well answer. :func:`fail_for_storage` then fails the still unfinished job
with the platform's true reason, ``storage unavailable``, and logs the cause with its
traceback on the worker, so the dispatcher does not report "the worker running the job
stopped" for a task that ended normally.
"""

from __future__ import annotations

import logging

from sandbox.config import Settings
from sandbox.errors import StorageUnavailable
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState
from sandbox.store import make_engine, make_session_factory
from sandbox.store.db import transaction
from sandbox.store.models import JobRow

__all__ = ["STORAGE_UNAVAILABLE_REASON", "fail_for_storage"]

log = logging.getLogger(__name__)

STORAGE_UNAVAILABLE_REASON = (
    "storage unavailable: the worker running the job could not reach the platform's data "
    "store; nothing was read or charged; start the job again once the operator has fixed it"
)


def fail_for_storage(settings: Settings, job_id: int, error: StorageUnavailable) -> None:
    """Fail job ``job_id`` (if it is not final) because its worker has no data store."""
    log.error("job %s: its worker cannot open the data store", job_id, exc_info=error)
    engine = make_engine(settings.resolved_database_url())
    try:
        sessions = make_session_factory(engine)
        with transaction(sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or JobState(row.state).is_final:
                return
            move(session, row, JobState.FAILED, platform_actor(), reason=STORAGE_UNAVAILABLE_REASON)
    finally:
        engine.dispose()

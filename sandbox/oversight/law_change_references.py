"""The catalog changes that close a task opened by a change of law (Chengdu art. 14):
each must have happened to the task's dataset since the day of the change. Kept apart from
:mod:`sandbox.oversight.law_changes`, which records the changes and their tasks.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.catalog.model import ChangeStatus
from sandbox.errors import InvalidRequest
from sandbox.oversight.common import dataset_name
from sandbox.policies.model import PolicyLevel
from sandbox.store.models import (
    AttributeChangeRow,
    DatasetVersionRow,
    LawChangeRow,
    LawChangeTaskRow,
    PolicyDocumentRow,
)
from sandbox.workdays import WorkCalendar


class TaskResolution(enum.StrEnum):
    """The catalog change that closes a task."""

    ATTRIBUTE_CHANGE = "attribute_change"
    """A change of open attribute was requested (``reference``: its id)."""
    POLICY_CHANGE = "policy_change"
    """A new dataset policy was set (``reference``: its document id, or the newest)."""
    NEW_VERSION = "new_version"
    """A new version was stored (``reference``: its number, or the newest)."""
    NO_CHANGE = "no_change"
    """Nothing in the catalog needed to change; the reason says why."""


def _since(session: Session, calendar: WorkCalendar, task: LawChangeTaskRow) -> datetime:
    change = session.get(LawChangeRow, task.law_change_id)
    assert change is not None
    return calendar.start_of_day(change.changed_on)


def catalog_change_since(
    session: Session,
    calendar: WorkCalendar,
    task: LawChangeTaskRow,
    resolution: TaskResolution,
    reference: int | None,
) -> int | None:
    """Check that the catalog change named by ``resolution`` and ``reference`` happened to
    the task's dataset since the change of law; returns the reference it settled on.
    """
    since = _since(session, calendar, task)
    name = dataset_name(session, task.dataset_id)
    if resolution is TaskResolution.NO_CHANGE:
        if reference is not None:
            raise InvalidRequest("no_change names no reference")
        return None
    if resolution is TaskResolution.ATTRIBUTE_CHANGE:
        if reference is None:
            raise InvalidRequest("attribute_change names the attribute change's id (reference)")
        change = session.get(AttributeChangeRow, reference)
        if change is None or change.dataset_id != task.dataset_id:
            raise InvalidRequest(f"attribute change {reference} is not about dataset {name!r}")
        if change.status == ChangeStatus.REJECTED:
            raise InvalidRequest(f"attribute change {reference} was rejected")
        if change.requested_at < since:
            raise InvalidRequest(f"attribute change {reference} predates the change of law")
        return reference
    if resolution is TaskResolution.POLICY_CHANGE:
        stmt = select(PolicyDocumentRow).where(
            PolicyDocumentRow.level == str(PolicyLevel.DATASET),
            PolicyDocumentRow.ref == name,
            PolicyDocumentRow.set_at >= since,
        )
        if reference is not None:
            stmt = stmt.where(PolicyDocumentRow.id == reference)
        policy = session.execute(
            stmt.order_by(PolicyDocumentRow.id.desc()).limit(1)
        ).scalar_one_or_none()
        if policy is None:
            raise InvalidRequest(
                f"no policy of dataset {name!r} was set since the change of law"
                + (f" as document {reference}" if reference is not None else "")
            )
        return policy.id
    stmt_v = select(DatasetVersionRow).where(
        DatasetVersionRow.dataset_id == task.dataset_id, DatasetVersionRow.created_at >= since
    )
    if reference is not None:
        stmt_v = stmt_v.where(DatasetVersionRow.version == reference)
    version = session.execute(
        stmt_v.order_by(DatasetVersionRow.version.desc()).limit(1)
    ).scalar_one_or_none()
    if version is None:
        raise InvalidRequest(
            f"no version of dataset {name!r} was stored since the change of law"
            + (f" as version {reference}" if reference is not None else "")
        )
    return version.version

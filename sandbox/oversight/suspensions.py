"""Suspending a dataset at once, and resolving the suspension (Xi'an art. 17; Wuxi art. 23;
Qingdao art. 19; Lianyungang art. 26).

- A provider of the dataset's organisation suspends it, with a reason that everyone may
  read (and, on a complaint, the complaint's id). From that moment
  :func:`sandbox.catalog.suspension.is_suspended` answers with the suspension: no grant
  covers the dataset, and it is neither downloaded, queried nor previewed.
- The provider then resolves it: ``restore`` (open again as it was), ``reprocess`` (a new
  desensitised version is stored through :func:`sandbox.datasets.registry.add_version`,
  recorded in the dataset's desensitisation record, and the dataset is open again with
  that version as its newest), or ``end``: the dataset is **withdrawn for good**, and its
  suspension stays in force forever. An ended dataset keeps its catalog entry, its
  versions and its audit trail for inspection, but nothing can use it again; to open such
  data anew the provider registers a new dataset, which goes through the whole approval
  path again.

Suspending stops the dataset's jobs at once: queued ones are cancelled and running ones
stopped (:func:`sandbox.jobs.service.stop_jobs_on_dataset`); results already computed wait,
frozen, in review.

One suspension is in force per dataset at most: the dataset row is locked while it is
decided. Every step is audited on the dataset in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog import changes
from sandbox.catalog.model import ReviewStatus, SourceFormat
from sandbox.catalog.permissions import require_owner
from sandbox.catalog.suspension import Suspension, is_suspended, suspension_of
from sandbox.datasets import registry
from sandbox.errors import Conflict, InvalidRequest
from sandbox.identity.model import Actor
from sandbox.jobs.service import stop_jobs_on_dataset
from sandbox.notifications.events import suspension_event
from sandbox.oversight.common import clean_text, dataset_by_name, now_or
from sandbox.oversight.model import RESOLUTION_STEPS, Resolution
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import (
    ComplaintRow,
    DatasetRow,
    DatasetSuspensionRow,
    DatasetVersionRow,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Reprocessing:
    """What a reprocessing stores: a staged upload of the desensitised data, and the
    desensitisation record that describes it.
    """

    upload_id: str
    method: str
    description: str = ""
    format: SourceFormat | None = None


def parse_step(step: str) -> Resolution:
    """``restore``, ``reprocess`` or ``end`` to the resolution it records."""
    if step not in RESOLUTION_STEPS:
        raise InvalidRequest(f"outcome {step!r} is not one of: {', '.join(RESOLUTION_STEPS)}")
    return RESOLUTION_STEPS[step]


def _in_force(session: Session, dataset: DatasetRow) -> DatasetSuspensionRow | None:
    return session.execute(
        select(DatasetSuspensionRow)
        .where(
            DatasetSuspensionRow.dataset_id == dataset.id, DatasetSuspensionRow.in_force.is_(True)
        )
        .order_by(DatasetSuspensionRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def suspend(
    session: Session,
    actor: Actor,
    name: str,
    *,
    reason: str,
    complaint_id: int | None = None,
    now: datetime | None = None,
) -> Suspension:
    """Suspend dataset ``name`` at once (a provider of its organisation)."""
    now = now_or(now)
    dataset = dataset_by_name(session, name, lock=True)
    require_owner(actor, dataset.provider_org_id, "suspend this dataset")
    reason = clean_text(reason, "reason", required=True)
    if complaint_id is not None:
        complaint = session.get(ComplaintRow, complaint_id)
        if complaint is None or complaint.dataset_id != dataset.id:
            raise InvalidRequest(f"complaint {complaint_id} is not about dataset {name!r}")
    current = _in_force(session, dataset)
    if current is not None:
        raise Conflict(suspension_of(session, current, name).refusal())
    row = DatasetSuspensionRow(
        dataset_id=dataset.id,
        complaint_id=complaint_id,
        reason=reason,
        suspended_by=actor.user_id,
        suspended_at=now,
        in_force=True,
        resolution="",
        note="",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.suspend",
        object_type="dataset",
        object_id=name,
        detail={"suspension_id": row.id, "reason": reason, "complaint_id": complaint_id},
    )
    stop_jobs_on_dataset(session, actor, name, f"dataset {name!r} was suspended: {reason}")
    suspension_event(session, dataset.id, "dataset.suspended", row.id)
    return suspension_of(session, row, name)


def check_resolvable(session: Session, actor: Actor, name: str) -> DatasetSuspensionRow:
    """The suspension in force that ``actor`` may resolve, or the refusal."""
    dataset = dataset_by_name(session, name, lock=True)
    require_owner(actor, dataset.provider_org_id, "resolve this dataset's suspension")
    current = _in_force(session, dataset)
    if current is None:
        raise Conflict(f"dataset {name!r} is not suspended")
    if current.resolution == Resolution.ENDED:
        raise Conflict(f"dataset {name!r} was withdrawn for good; it stays suspended")
    return current


def _passed(session: Session, current: DatasetSuspensionRow, version: int | None) -> bool:
    return (
        session.execute(
            select(DatasetVersionRow.id).where(
                DatasetVersionRow.dataset_id == current.dataset_id,
                DatasetVersionRow.version == version,
                DatasetVersionRow.review_status == str(ReviewStatus.PASSED),
            )
        ).first()
        is not None
    )


def resolve(
    session: Session,
    actor: Actor,
    name: str,
    *,
    resolution: Resolution,
    note: str = "",
    new_version: int | None = None,
    now: datetime | None = None,
) -> Suspension:
    """Resolve the suspension in force (a provider of the dataset's organisation).

    ``reprocessed`` names the desensitised ``new_version`` (see :func:`resolve_dataset`,
    which stores it); ``ended`` keeps the suspension in force for good.
    """
    now = now_or(now)
    current = check_resolvable(session, actor, name)
    note = clean_text(note, "note")
    if (resolution is Resolution.REPROCESSED) != (new_version is not None):
        raise InvalidRequest(
            "a reprocessing names its new desensitised version, and only a reprocessing does"
        )
    current.resolution = str(resolution)
    # a reprocessed dataset stays suspended until the authority passes its new version
    # (Qingdao art. 12): the version it replaces is never served again meanwhile
    current.in_force = resolution is Resolution.ENDED or (
        resolution is Resolution.REPROCESSED and not _passed(session, current, new_version)
    )
    current.resolved_by = actor.user_id
    current.resolved_at = now
    current.note = note
    current.new_version = new_version
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.suspension.resolve",
        object_type="dataset",
        object_id=name,
        detail={
            "suspension_id": current.id,
            "resolution": str(resolution),
            "note": note,
            "new_version": new_version,
        },
    )
    ended = resolution is Resolution.ENDED
    if ended or not current.in_force:  # a reprocessing resumes once its version is passed
        suspension_event(
            session,
            current.dataset_id,
            "dataset.closed" if ended else "dataset.resumed",
            current.id,
        )
    return suspension_of(session, current, name)


def reprocess(
    platform: Platform,
    actor: Actor,
    name: str,
    reprocessing: Reprocessing,
    *,
    check: Callable[[Session], object],
    finish: Callable[[Session, int], T],
) -> T:
    """Store a new desensitised version of ``name`` and finish in one transaction.

    ``check`` runs first (in a transaction of its own) so that nothing is ingested for a
    step that would be refused; then the version is ingested with
    :func:`sandbox.datasets.registry.add_version` (which audits it); then, in one
    transaction, the desensitisation record of that version is written and ``finish``
    runs with the new version number. Should that last transaction fail, the new version
    stays stored (versions are immutable) while the dataset stays suspended.
    """
    method = clean_text(reprocessing.method, "method", required=True, limit=200)
    description = clean_text(reprocessing.description, "description")
    with transaction(platform.sessions) as session:
        check(session)
    entry = registry.add_version(
        platform,
        actor,
        name,
        registry.DataSource(upload_id=reprocessing.upload_id),
        reprocessing.format,
        note=f"desensitised: {method}",
    )
    # the version just stored (it waits for the authority's publication review)
    version = entry.versions[-1].version
    with transaction(platform.sessions) as session:
        changes.record_desensitisation(
            session, actor, name, method=method, description=description, version=version
        )
        return finish(session, version)


def resolve_dataset(
    platform: Platform,
    actor: Actor,
    name: str,
    *,
    step: str,
    note: str = "",
    reprocessing: Reprocessing | None = None,
) -> Suspension:
    """Resolve a suspension with ``restore``, ``reprocess`` (``reprocessing`` required)
    or ``end``, each in its own transactions.
    """
    resolution = parse_step(step)
    if resolution is Resolution.REPROCESSED:
        if reprocessing is None:
            raise InvalidRequest(
                "to reprocess, give the desensitised data (upload_id) and "
                "the desensitisation method"
            )
        return reprocess(
            platform,
            actor,
            name,
            reprocessing,
            check=lambda session: check_resolvable(session, actor, name),
            finish=lambda session, version: resolve(
                session, actor, name, resolution=resolution, note=note, new_version=version
            ),
        )
    if reprocessing is not None:
        raise InvalidRequest("only a reprocessing stores new data (upload_id)")
    with transaction(platform.sessions) as session:
        return resolve(session, actor, name, resolution=resolution, note=note)


def history(session: Session, name: str) -> list[Suspension]:
    """Every suspension of dataset ``name``, newest first (anyone may read them)."""
    dataset = dataset_by_name(session, name)
    rows = session.execute(
        select(DatasetSuspensionRow)
        .where(DatasetSuspensionRow.dataset_id == dataset.id)
        .order_by(DatasetSuspensionRow.id.desc())
    ).scalars()
    return [suspension_of(session, row, name) for row in rows]


__all__ = [
    "Reprocessing",
    "Suspension",
    "check_resolvable",
    "history",
    "is_suspended",
    "parse_step",
    "reprocess",
    "resolve",
    "resolve_dataset",
    "suspend",
]

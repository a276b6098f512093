"""Usage figures per dataset for the statistics (Lianyungang art. 18, 37; Chengdu art. 41):
catalog entry views, applications naming it, jobs on it, downloads, its users' average
rating, and the calls of its verification services with the records they verified
(Qingdao art. 13).

Every figure is counted, never sampled: views and downloads from the audit log (each
catalog entry read is audited as ``dataset.read``, each download as ``dataset.download``),
applications and jobs from their rows, ratings from theirs. Oversight sees every dataset's
figures, a provider those of its organisation's datasets, anyone else none (as for the
budget figures). Entries removed from the live log by an audit prune are no longer counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.identity.model import Actor, Role
from sandbox.store.models import (
    ApplicationRow,
    AuditEntryRow,
    DatasetRatingRow,
    DatasetRow,
    JobRow,
)
from sandbox.verification.usage import calls_per_dataset

VIEW_ACTION = "dataset.read"
DOWNLOAD_ACTION = "dataset.download"


@dataclass(frozen=True)
class DatasetUsage:
    """How much one dataset is used."""

    dataset: str
    views: int
    applications: int
    jobs: int
    downloads: int
    ratings: int
    average_rating: float | None
    verification_calls: int = 0
    """Calls of the dataset's verification services (JSON calls and batches)."""
    verified_records: int = 0
    """Records those calls verified."""


def _audited(session: Session, action: str, names: list[str]) -> Counter[str]:
    found = session.execute(
        select(AuditEntryRow.object_id, func.count())
        .where(
            AuditEntryRow.action == action,
            AuditEntryRow.object_type == "dataset",
            AuditEntryRow.object_id.in_(names),
        )
        .group_by(AuditEntryRow.object_id)
    ).all()
    return Counter({str(name): int(count) for name, count in found})


def dataset_usage(session: Session, actor: Actor) -> tuple[DatasetUsage, ...]:
    """The figures of every dataset ``actor`` may see figures of, by name."""
    stmt = select(DatasetRow.id, DatasetRow.name)
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            return ()
        stmt = stmt.where(DatasetRow.provider_org_id == actor.organisation_id)
    datasets = {str(name): int(ident) for ident, name in session.execute(stmt)}
    if not datasets:
        return ()
    names = sorted(datasets)
    views = _audited(session, VIEW_ACTION, names)
    downloads = _audited(session, DOWNLOAD_ACTION, names)
    applications: Counter[str] = Counter()
    for (listed,) in session.execute(select(ApplicationRow.datasets)):
        applications.update(set(listed or ()) & datasets.keys())
    jobs: Counter[str] = Counter()
    for (read,) in session.execute(select(JobRow.datasets)):
        jobs.update(set(read or {}) & datasets.keys())
    ratings = {
        int(ident): (int(count), float(average))
        for ident, count, average in session.execute(
            select(
                DatasetRatingRow.dataset_id, func.count(), func.avg(DatasetRatingRow.stars)
            ).group_by(DatasetRatingRow.dataset_id)
        )
    }
    verifications = calls_per_dataset(session, datasets.values())
    figures = []
    for name in names:
        count, average = ratings.get(datasets[name], (0, None))
        calls, records = verifications.get(datasets[name], (0, 0))
        figures.append(
            DatasetUsage(
                dataset=name,
                views=views[name],
                applications=applications[name],
                jobs=jobs[name],
                downloads=downloads[name],
                ratings=count,
                average_rating=None if average is None else round(average, 2),
                verification_calls=calls,
                verified_records=records,
            )
        )
    return tuple(figures)

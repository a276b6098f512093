"""The latest policy document of each (level, ref), read once per transaction where asked.

An effective policy is assembled from several documents: the authority's floor, its
additions to each grade's level, the dataset's own policy. Read one by one that was a
statement each, and a job's submission, its DP calls, its output checks and every read of
the job computed it again. :func:`preload` reads the latest floor documents and the
given datasets' documents in one statement and keeps them in the session;
:func:`latest` answers from there when it can. Like the effective policy memo
(:mod:`sandbox.policy_store`), what a session keeps is forgotten at its transaction's end
and at any flush that may have changed a policy (:func:`flush_keeps_policies`), so a
document set in the same transaction is read afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session

from sandbox.policies import PolicyLevel
from sandbox.store.models import (
    AuditEntryRow,
    AuditHeadRow,
    BudgetChargeRow,
    EmailOutboxRow,
    JobRow,
    NotificationRow,
    PolicyDocumentRow,
    ReviewDecisionRow,
    VerificationRecordUsageRow,
    VerificationUsageRow,
)

__all__ = ["flush_keeps_policies", "latest", "preload"]

_NOT_POLICY_INPUTS: tuple[type, ...] = (
    AuditEntryRow,
    AuditHeadRow,
    BudgetChargeRow,
    EmailOutboxRow,
    JobRow,
    NotificationRow,
    ReviewDecisionRow,
    VerificationRecordUsageRow,
    VerificationUsageRow,
)
"""Rows no effective policy is computed from: a job's own writes (its row, its charges, its
audit entries and notifications) leave what a session kept valid. Anything else a flush
writes (a grant, a dataset, its grade, a policy document, a budget account) forgets it."""

_KEPT = "sandbox.catalog.policy_documents"


@dataclass
class _Kept:
    """Documents read by :func:`preload`: every floor document, the named datasets' own."""

    datasets: set[str] = field(default_factory=set)
    rows: dict[tuple[str, str], PolicyDocumentRow] = field(default_factory=dict)

    def covers(self, level: str, ref: str) -> bool:
        return level == str(PolicyLevel.FLOOR) or (
            level == str(PolicyLevel.DATASET) and ref in self.datasets
        )


def preload(session: Session, datasets: Iterable[str]) -> None:
    """Read, in one statement, the latest floor documents (the platform's and each grade's)
    and the latest own document of each of ``datasets`` not already kept.
    """
    kept: _Kept | None = session.info.get(_KEPT)
    wanted = set(datasets)
    if kept is not None and wanted <= kept.datasets:
        return
    floor = PolicyDocumentRow.level == str(PolicyLevel.FLOOR)
    own = and_(
        PolicyDocumentRow.level == str(PolicyLevel.DATASET), PolicyDocumentRow.ref.in_(wanted)
    )
    newest = (
        select(func.max(PolicyDocumentRow.id))
        .where(or_(floor, own) if wanted else floor)
        .group_by(PolicyDocumentRow.level, PolicyDocumentRow.ref)
    )
    rows = session.execute(
        select(PolicyDocumentRow).where(PolicyDocumentRow.id.in_(newest))
    ).scalars()
    fresh = _Kept(datasets=wanted | (kept.datasets if kept else set()))
    fresh.rows = {**(kept.rows if kept else {}), **{(r.level, r.ref): r for r in rows}}
    session.info[_KEPT] = fresh


def latest(session: Session, level: PolicyLevel, ref: str) -> PolicyDocumentRow | None:
    """The newest document of ``level`` and ``ref`` (``None`` if none was ever set)."""
    kept: _Kept | None = session.info.get(_KEPT)
    if kept is not None and kept.covers(str(level), ref):
        return kept.rows.get((str(level), ref))
    return session.execute(
        select(PolicyDocumentRow)
        .where(PolicyDocumentRow.level == str(level), PolicyDocumentRow.ref == ref)
        .order_by(PolicyDocumentRow.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def flush_keeps_policies(session: Session) -> bool:
    """Whether the flush under way (called from ``after_flush``, when the session still
    lists what it flushed) wrote only rows of :data:`_NOT_POLICY_INPUTS`.
    """
    flushed = [*session.new, *session.dirty, *session.deleted]
    return all(isinstance(row, _NOT_POLICY_INPUTS) for row in flushed)


@event.listens_for(Session, "after_flush")
def _forget_unless_kept(session: Session, *_: Any) -> None:
    if not flush_keeps_policies(session):
        session.info.pop(_KEPT, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEPT, None)

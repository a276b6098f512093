"""Verification calls per dataset, for the statistics (Qingdao art. 13: every call is
counted): calls and records verified, summed over every service, grant and day.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox.store.models import VerificationServiceRow, VerificationUsageRow


def calls_per_dataset(session: Session, dataset_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``{dataset id: (calls, records)}`` of the datasets given (those with any call)."""
    wanted = list(dataset_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(
            VerificationServiceRow.dataset_id,
            func.sum(VerificationUsageRow.calls),
            func.sum(VerificationUsageRow.records),
        )
        .join(VerificationServiceRow, VerificationServiceRow.id == VerificationUsageRow.service_id)
        .where(VerificationServiceRow.dataset_id.in_(wanted))
        .group_by(VerificationServiceRow.dataset_id)
    ).all()
    return {int(ident): (int(calls or 0), int(records or 0)) for ident, calls, records in rows}

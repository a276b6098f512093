"""The verification quotas: records per grant per day, questions per record per day.

Each answer reveals one bit of a conditional dataset (Qingdao art. 13 opens verification,
not extraction), so a grant draws a rationed number of them, from the dataset's effective
policy (``verification.per_grant_per_day`` and ``per_record_per_day``; the shipped floor
sets both and a dataset or grant policy may only tighten them:
:mod:`sandbox.policies.layering`).

- ``per_grant_per_day`` counts the records one grant verified against every service of the
  dataset on the platform calendar's local day;
- ``per_record_per_day`` counts how often one grant asked one service about one record,
  the record named by its key field's value: guessing a known licence's company name
  stops after that many tries, whatever else varies.

A call over either quota is refused whole before any answer (:class:`QuotaExceeded`, 429
with the time left until the local day ends): a batch is never half answered, so its size
cannot probe where a quota stands. The check and the count run in the call's transaction
with the grant's row locked, so two calls at once cannot both take the last places.
Counters keep counts and keyed fingerprints only; fingerprints of earlier days are deleted
as calls come, and no submitted value is ever stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sandbox.errors import QuotaExceeded, SandboxInternalError
from sandbox.policies import Policy, VerificationLimits
from sandbox.store.models import (
    GrantRow,
    VerificationRecordUsageRow,
    VerificationServiceRow,
    VerificationUsageRow,
)
from sandbox.verification.model import Quota
from sandbox.workdays import WorkCalendar

GRANT_LIMIT = "verification.per_grant_per_day"
RECORD_LIMIT = "verification.per_record_per_day"


def limits_of(policy: Policy) -> tuple[int, int]:
    """The two quotas of an effective policy."""
    limits: VerificationLimits = policy.verification
    if limits.per_grant_per_day is None or limits.per_record_per_day is None:
        raise SandboxInternalError("an effective policy has no verification quota")
    return limits.per_grant_per_day, limits.per_record_per_day


def used_today(session: Session, dataset_id: int, grant_id: int, day: date) -> int:
    """Records ``grant_id`` verified on ``day`` against every service of the dataset."""
    total = session.execute(
        select(func.coalesce(func.sum(VerificationUsageRow.records), 0))
        .join(VerificationServiceRow, VerificationServiceRow.id == VerificationUsageRow.service_id)
        .where(
            VerificationServiceRow.dataset_id == dataset_id,
            VerificationUsageRow.grant_id == grant_id,
            VerificationUsageRow.day == day,
        )
    ).scalar_one()
    return int(total)


def quota_now(session: Session, policy: Policy, dataset_id: int, grant_id: int, day: date) -> Quota:
    """Where the grant stands today."""
    per_grant, per_record = limits_of(policy)
    return Quota(
        day.isoformat(), per_grant, per_record, used_today(session, dataset_id, grant_id, day)
    )


def seconds_left(calendar: WorkCalendar, day: date, now: datetime) -> int:
    """Seconds until the local day ``day`` ends (when the counts start again)."""
    return max(1, int((calendar.end_of_day(day) - now).total_seconds()) + 1)


def refuse_total(
    quota: Quota, grant_ref: str, records: int, retry: int, *, streaming: bool = False
) -> QuotaExceeded:
    """The refusal of a call whose records do not fit in what the grant has left
    (``streaming``: a batch refused as soon as its records passed that, before its end).
    """
    held = f"at least {records}" if streaming else str(records)
    return QuotaExceeded(
        f"grant {grant_ref} has verified {quota.used_today} of the {quota.per_grant_per_day} "
        f"records it may verify on {quota.day} ({GRANT_LIMIT}); this call holds {held}, "
        f"so none was answered; {quota.remaining} remain today",
        limit=GRANT_LIMIT,
        retry_after_seconds=retry,
    )


def charge(
    session: Session,
    *,
    service_id: int,
    dataset_id: int,
    grant_id: int,
    grant_ref: str,
    policy: Policy,
    day: date,
    fingerprints: Sequence[str],
    retry: int,
) -> Quota:
    """Count a call of ``len(fingerprints)`` records, or refuse it whole.

    Raises:
        QuotaExceeded: Naming the limit; nothing was counted.
    """
    session.execute(  # NO KEY UPDATE: foreign-key checks of rows citing the grant never wait
        select(GrantRow.id).where(GrantRow.id == grant_id).with_for_update(key_share=True)
    )
    per_grant, per_record = limits_of(policy)
    before = quota_now(session, policy, dataset_id, grant_id, day)
    if before.used_today + len(fingerprints) > per_grant:
        raise refuse_total(before, grant_ref, len(fingerprints), retry)
    asked = Counter(fingerprints)
    session.execute(
        delete(VerificationRecordUsageRow).where(
            VerificationRecordUsageRow.grant_id == grant_id, VerificationRecordUsageRow.day < day
        )
    )
    known = {
        row.fingerprint: row
        for row in session.execute(
            select(VerificationRecordUsageRow).where(
                VerificationRecordUsageRow.service_id == service_id,
                VerificationRecordUsageRow.grant_id == grant_id,
                VerificationRecordUsageRow.day == day,
                VerificationRecordUsageRow.fingerprint.in_(list(asked)),
            )
        ).scalars()
    }
    for position, record in enumerate(fingerprints):
        earlier = known[record].count if record in known else 0
        if earlier + asked[record] > per_record:
            raise QuotaExceeded(
                f"record {position} asks about a record grant {grant_ref} may ask this service "
                f"about {per_record} times a day ({RECORD_LIMIT}; {earlier} asked today, "
                f"{asked[record]} in this call), so none of the call's records was answered",
                limit=RECORD_LIMIT,
                retry_after_seconds=retry,
            )
    for record, times in asked.items():
        if record in known:
            known[record].count += times
        else:
            session.add(
                VerificationRecordUsageRow(
                    service_id=service_id,
                    grant_id=grant_id,
                    day=day,
                    fingerprint=record,
                    count=times,
                )
            )
    usage = session.execute(
        select(VerificationUsageRow).where(
            VerificationUsageRow.service_id == service_id,
            VerificationUsageRow.grant_id == grant_id,
            VerificationUsageRow.day == day,
        )
    ).scalar_one_or_none()
    if usage is None:
        usage = VerificationUsageRow(
            service_id=service_id, grant_id=grant_id, day=day, calls=0, records=0
        )
        session.add(usage)
    usage.calls += 1
    usage.records += len(fingerprints)
    session.flush()
    return Quota(day.isoformat(), per_grant, per_record, before.used_today + len(fingerprints))

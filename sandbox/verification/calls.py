"""A verification call: who may ask, what is counted, and in which order.

1. **Who** (:func:`open_call`): an account of role ``user`` holding an active grant on the
   service's dataset. Grants carry their scope as datasets and job kinds (``dp``, ``raw``;
   :mod:`sandbox.access.grants`), with no kind for verification, so a grant active on the
   dataset (any kind) suffices: its approval already opened the dataset to its holder
   (Qingdao art. 17), and a verification shows less of it than any job. A suspended or
   withdrawn dataset is refused under every grant, as jobs are (Xi'an art. 17; Wuxi
   art. 23); so is a withdrawn service, and a dataset no longer conditional.
2. **Input** (:meth:`Call.probe`): every record is normalised and checked
   (:mod:`sandbox.verification.normalise`) and turned into its keyed hashes; its values
   are dropped there. A bad record refuses the call (422) before anything is counted.
3. **Quota** (:func:`charge_call`): the records are counted against the grant's quotas in
   one transaction, with the call's audit entry (counts only: service, grant, records), and
   committed before any answer is computed; a call over a quota is refused whole (429)
   and its refusal audited.
4. **Answer**: from the version's index (:mod:`sandbox.verification.index`), the same
   lookups for every record.

The index is built (or found) before the quota is charged, so a damaged version (503) costs
no quota.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.errors import NoActiveGrant
from sandbox.access.grant_rows import grants_of
from sandbox.access.model import Grant
from sandbox.access.rules import grant_gap
from sandbox.catalog.dictionary import ColumnType, DataDictionary
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.catalog.suspension import is_suspended
from sandbox.clock import utc_now
from sandbox.datasets.integrity import Read, ServedVersion, ensure_intact, reading, served
from sandbox.errors import (
    AccessRefused,
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
)
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform
from sandbox.policies import Policy, PolicyLevel, parse_policy
from sandbox.policy_store import effective_for_dataset
from sandbox.store.db import transaction
from sandbox.store.models import GrantRow, VerificationServiceRow
from sandbox.verification import quotas
from sandbox.verification.index import INDEXES, Hasher, Probe, VersionIndex, build_index
from sandbox.verification.keys import load_key
from sandbox.verification.model import Answer, Quota, Service, ServiceStatus, Verification
from sandbox.verification.normalise import input_record
from sandbox.verification.reading import column_batches
from sandbox.verification.services import column_types, service_of

MAX_RECORDS_PER_CALL = 100
"""Most records one JSON call carries; a file of records goes to the batch endpoint."""
MAX_BATCH_RECORDS = 100_000
"""Most records one batch carries, whatever the quota."""


def _verification_grant(
    session: Session, actor: Actor, dataset: str, grant_ref: str | None, now: datetime
) -> Grant:
    """The caller's active grant on ``dataset`` (any job kind; see the module docstring)."""
    suspension = is_suspended(session, dataset)
    if suspension is not None:
        raise NoActiveGrant(suspension.refusal())
    stmt = select(GrantRow).where(GrantRow.holder_id == actor.user_id).order_by(GrantRow.id.desc())
    if grant_ref is not None:
        stmt = stmt.where(GrantRow.ref == grant_ref)
    grants = grants_of(session, stmt, now)
    candidates = [g for g in grants if dataset in g.datasets]
    if not candidates:
        which = f"grant {grant_ref!r} on" if grant_ref else "grant on"
        raise NoActiveGrant(f"you hold no {which} dataset {dataset!r}; apply for it first")
    reasons = []
    for grant in candidates:
        gap = grant_gap(grant, dataset, grant.job_kinds[0], now)
        if gap is None:
            return grant
        reasons.append(gap)
    raise NoActiveGrant(
        f"no active grant of yours covers dataset {dataset!r}: " + "; ".join(reasons)
    )


@dataclass(frozen=True)
class Call:
    """A call that passed the checks of who may ask (step 1), ready for its records."""

    platform: Platform
    actor: Actor
    service: Service
    dataset_id: int
    grant: Grant
    policy: Policy
    kinds: tuple[ColumnType, ...]
    version: ServedVersion
    storage_path: str
    sha256: str
    day: date
    now: datetime
    quota: Quota
    """Where the grant stood when the call opened (checked again when it is charged)."""
    hasher: Hasher

    def probe(self, record: object, where: str) -> Probe:
        """One record's hashes, or :class:`InvalidRecord` naming the record and field."""
        values = input_record(self.service.fields, self.kinds, record, where)
        return self.hasher.probe(values, self.service.answer)

    def retry_seconds(self) -> int:
        """Seconds until the local day ends and the grant's counts start again."""
        return quotas.seconds_left(self.platform.calendar, self.day, utc_now())

    def check_fits(self, records: int, *, streaming: bool = False) -> None:
        """Refuse (and audit) a call whose records already exceed what is left today."""
        if records > self.quota.remaining:
            error = quotas.refuse_total(
                self.quota, self.grant.ref, records, self.retry_seconds(), streaming=streaming
            )
            _audit_refusal(self, records, error)
            raise error

    def index(self) -> VersionIndex:
        """The index of the dataset's latest version for this service (built if needed)."""
        ensure_intact(self.platform, self.actor, self.version, Read.VERIFICATION)
        service = self.service

        def build() -> VersionIndex:
            columns = [spec.column for spec in service.fields]
            with reading(self.platform, self.actor, self.version, Read.VERIFICATION):
                return build_index(
                    self.hasher,
                    service.fields,
                    self.kinds,
                    service.answer,
                    column_batches(self.platform.store, self.storage_path, columns),
                )

        cache_key = (
            self.platform.settings.resolved_verification_key_path(),
            service.id,
            self.storage_path,
            self.sha256,
        )
        return INDEXES.get(cache_key, build)


def open_call(
    platform: Platform, actor: Actor, service_id: int, grant_ref: str | None = None
) -> Call:
    """Check who asks (step 1 of the module docstring) and where the grant's quota stands."""
    if actor.role is not Role.USER:
        raise PermissionDenied("only a user holding a grant on the dataset verifies records")
    now = utc_now()
    with platform.sessions() as session:
        row = session.get(VerificationServiceRow, service_id)
        if row is None:
            raise NotFound(f"verification service {service_id} does not exist")
        service = service_of(session, row)
        if service.status is ServiceStatus.WITHDRAWN:
            when = service.withdrawn_at.date().isoformat() if service.withdrawn_at else "?"
            raise Conflict(
                f"verification service {service_id} was withdrawn by its provider on {when}: "
                f"{service.withdrawn_reason}"
            )
        dataset = dataset_row(session, service.dataset)
        grant = _verification_grant(session, actor, dataset.name, grant_ref, now)
        if OpenAttribute(dataset.open_attribute) is not OpenAttribute.CONDITIONAL:
            raise AccessRefused(
                f"dataset {dataset.name!r} is no longer conditional; its verification "
                "services do not answer"
            )
        policy = effective_for_dataset(
            session, dataset.name, parse_policy(grant.policy, PolicyLevel.GRANT)
        )
        version = version_row(session, dataset, None)
        day = platform.calendar.local_date(now)
        kinds = column_types(DataDictionary.from_list(dataset.dictionary), service)
        return Call(
            platform=platform,
            actor=actor,
            service=service,
            dataset_id=dataset.id,
            grant=grant,
            policy=policy,
            kinds=kinds,
            version=served(session, dataset.name, version),
            storage_path=version.storage_path,
            sha256=version.sha256,
            day=day,
            now=now,
            quota=quotas.quota_now(session, policy, dataset.id, grant.id, day),
            hasher=Hasher(
                load_key(platform.settings.resolved_verification_key_path()),
                service.id,
                service.fields,
            ),
        )


def _audit_refusal(call: Call, records: int, error: QuotaExceeded) -> None:
    with transaction(call.platform.sessions) as session:
        audit.record(
            session,
            call.actor,
            "verification.refused",
            object_type="verification_service",
            object_id=call.service.id,
            outcome="denied",
            detail={
                "dataset": call.service.dataset,
                "grant": call.grant.ref,
                "records": records,
                "limit": error.limit,
            },
        )


def charge_call(call: Call, probes: Sequence[Probe], mode: str) -> Quota:
    """Count the call's records and audit it (committed), or refuse it whole (step 3)."""
    try:
        with transaction(call.platform.sessions) as session:
            quota = quotas.charge(
                session,
                service_id=call.service.id,
                dataset_id=call.dataset_id,
                grant_id=call.grant.id,
                grant_ref=call.grant.ref,
                policy=call.policy,
                day=call.day,
                fingerprints=[p.record for p in probes],
                retry=call.retry_seconds(),
            )
            audit.record(
                session,
                call.actor,
                "verification.called",
                object_type="verification_service",
                object_id=call.service.id,
                detail={
                    "dataset": call.service.dataset,
                    "grant": call.grant.ref,
                    "mode": mode,
                    "records": len(probes),
                },
            )
    except QuotaExceeded as error:
        _audit_refusal(call, len(probes), error)
        raise
    return quota


def answer(call: Call, index: VersionIndex, probes: Sequence[Probe]) -> list[Answer]:
    """The answers to a charged call's records, in order (step 4)."""
    return index.answers(call.service.fields, probes)


def verify(
    platform: Platform,
    actor: Actor,
    service_id: int,
    records: Sequence[object],
    *,
    grant_ref: str | None = None,
) -> Verification:
    """Verify up to :data:`MAX_RECORDS_PER_CALL` records (the JSON call), every step of the
    module docstring in order.
    """
    if not records:
        raise InvalidRequest("give at least one record to verify")
    if len(records) > MAX_RECORDS_PER_CALL:
        raise InvalidRequest(
            f"one call verifies at most {MAX_RECORDS_PER_CALL} records; send a file of "
            "records to the batch endpoint"
        )
    call = open_call(platform, actor, service_id, grant_ref)
    probes = [call.probe(record, f"record {i}") for i, record in enumerate(records)]
    call.check_fits(len(probes))
    index = call.index()
    quota = charge_call(call, probes, "single")
    return Verification(
        service=call.service.id,
        dataset=call.service.dataset,
        grant=call.grant.ref,
        answers=tuple(answer(call, index, probes)),
        quota=quota,
    )


class BatchProbes:
    """The probes of a batch as its records stream in, refused whole as soon as they pass
    what the grant has left today or :data:`MAX_BATCH_RECORDS`.
    """

    def __init__(self, call: Call) -> None:
        self.call = call
        self.probes: list[Probe] = []

    def add(self, line: int, record: object) -> bool:
        """Check and hash one record of the batch (read from line ``line``); whether the
        batch now holds more records than the grant has left today (the caller then
        refuses it with :meth:`refuse`, which writes the refusal's audit entry).
        """
        if len(self.probes) >= MAX_BATCH_RECORDS:
            raise InvalidRequest(f"a batch holds at most {MAX_BATCH_RECORDS} records")
        self.probes.append(self.call.probe(record, f"line {line}"))
        return len(self.probes) > self.call.quota.remaining

    def add_all(self, records: Iterable[tuple[int, object]]) -> bool:
        """:meth:`add` every record, stopping at the first past the quota."""
        return any(self.add(line, record) for line, record in records)

    def refuse(self) -> None:
        """Refuse the batch over the quota (audited), before reading the rest of it."""
        self.call.check_fits(len(self.probes), streaming=True)


def run_batch(call: Call, probes: Sequence[Probe]) -> Verification:
    """Charge and answer a batch whose every record was read and checked."""
    if not probes:
        raise InvalidRequest("the batch holds no records")
    index = call.index()
    quota = charge_call(call, probes, "batch")
    return Verification(
        service=call.service.id,
        dataset=call.service.dataset,
        grant=call.grant.ref,
        answers=tuple(answer(call, index, probes)),
        quota=quota,
    )

"""Where policy documents live: the authority's floor and each dataset's policy.

The pure rules (parsing, "looser than the floor", the strictest combination) are in
:mod:`sandbox.policies`; this module only stores documents and hands them to those rules.
Every change is audited in its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog import policy_documents
from sandbox.catalog.grades import floor_of_grade
from sandbox.catalog.permissions import require_owner, sees_details
from sandbox.catalog.publication import require_visible
from sandbox.catalog.queries import dataset_row, get_entry
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.policies import (
    Accounting,
    Policy,
    PolicyLevel,
    check_dataset_policy,
    effective_policy,
    find_loosenings,
    parse_policy,
    to_dict,
)
from sandbox.policies.shipped import check_authority_floor, combine_levels, floor_in_force
from sandbox.store.models import DatasetRow, GrantRow, PolicyDocumentRow, UserRow

FLOOR_REF = "platform"


@dataclass(frozen=True)
class StoredPolicy:
    """A policy in force, with who set it and when (``None`` for the built-in empty one)."""

    level: PolicyLevel
    ref: str
    policy: Policy
    set_by: str | None
    set_at: datetime | None


def _policy_of(session: Session, level: PolicyLevel, ref: str, default: Policy) -> Policy:
    """The policy in force at ``level`` for ``ref``, without who set it."""
    row = policy_documents.latest(session, level, ref)
    return parse_policy(row.document, level) if row is not None else default


def _stored(session: Session, level: PolicyLevel, ref: str, default: Policy) -> StoredPolicy:
    row = policy_documents.latest(session, level, ref)
    if row is None:
        return StoredPolicy(level, ref, default, None, None)
    setter = session.get(UserRow, row.set_by) if row.set_by is not None else None
    return StoredPolicy(
        level,
        ref,
        parse_policy(row.document, level),
        setter.username if setter else "system",
        row.set_at,
    )


def current_floor(session: Session) -> StoredPolicy:
    """The authority's platform floor as it set it (empty until one is set). The floor in
    force is the platform's shipped floor tightened by it (:func:`floor_in_force`).
    """
    return _stored(session, PolicyLevel.FLOOR, FLOOR_REF, Policy())


def set_floor(
    session: Session, actor: Actor, document: str | Mapping[str, Any]
) -> tuple[StoredPolicy, list[str]]:
    """Set the floor (authority). Returns it and the datasets whose own policy it now
    overrides (their effective policy simply becomes the stricter floor).
    """
    if actor.role not in (Role.AUTHORITY, Role.ADMIN):
        raise PermissionDenied("only the authority sets the platform policy floor")
    policy = parse_policy(document, PolicyLevel.FLOOR)
    check_authority_floor(policy)
    _save(session, actor, PolicyLevel.FLOOR, FLOOR_REF, policy)
    overridden = []
    for ref in session.execute(
        select(PolicyDocumentRow.ref)
        .where(PolicyDocumentRow.level == str(PolicyLevel.DATASET))
        .distinct()
    ).scalars():
        if find_loosenings(policy, current_dataset_policy(session, ref).policy):
            overridden.append(ref)
    return current_floor(session), sorted(overridden)


def current_dataset_policy(session: Session, name: str) -> StoredPolicy:
    """A dataset's own policy; its privacy unit defaults to the catalog's."""
    row = dataset_row(session, name)
    stored = _stored(session, PolicyLevel.DATASET, name, Policy())
    return replace(stored, policy=_with_catalog_unit(stored.policy, row))


def _with_catalog_unit(policy: Policy, row: DatasetRow) -> Policy:
    """A dataset's own policy with the catalog's privacy unit where it names none."""
    if policy.privacy_unit is None and row.privacy_unit:
        return replace(policy, privacy_unit=row.privacy_unit)
    return policy


def set_dataset_policy(
    session: Session, actor: Actor, name: str, document: str | Mapping[str, Any]
) -> StoredPolicy:
    """Set a dataset's policy (its provider); refused, naming each rule, if looser than the
    floor.
    """
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, "set this dataset's policy")
    policy = parse_policy(document, PolicyLevel.DATASET)
    unit = policy.privacy_unit
    if unit is not None and unit not in {c["name"] for c in row.dictionary}:
        raise InvalidRequest(f"privacy_unit {unit!r} is not a column of dataset {name!r}")
    check_dataset_policy(_dataset_floor(session, name, policy), policy)
    _save(session, actor, PolicyLevel.DATASET, name, policy)
    return current_dataset_policy(session, name)


def effective_for_dataset(session: Session, name: str, grant: Policy | None = None) -> Policy:
    """The strictest combination of the floor, the dataset's policy and ``grant``.

    The dataset's row is read once, and the documents without who set them (the effective
    policy does not say): with :func:`policy_documents.preload` before, that is one
    statement for the row and none for the documents.
    """
    row = dataset_row(session, name)
    dataset = _with_catalog_unit(_policy_of(session, PolicyLevel.DATASET, name, Policy()), row)
    floor = _dataset_floor(session, name, dataset, *([grant] if grant else []), row=row)
    return effective_policy(floor, dataset, grant)


def _dataset_floor(
    session: Session, name: str, *levels: Policy, row: DatasetRow | None = None
) -> Policy:
    """The floor dataset ``name`` meets: the stricter of the authority's floor and its
    grade's level (Wuxi art. 11-12, Lianyungang art. 8, Xi'an art. 9: the grade selects a
    default policy level the dataset policy may tighten, never loosen).
    """
    floor = floor_in_force(_policy_of(session, PolicyLevel.FLOOR, FLOOR_REF, Policy()), *levels)
    accounting = floor.accounting or _accounting_of(levels)
    return combine_levels([floor, floor_of_grade(session, name, accounting, row)])


def _accounting_of(levels: Iterable[Policy]) -> Accounting:
    chosen = {level.accounting for level in levels if level.accounting is not None}
    return chosen.pop() if len(chosen) == 1 else Accounting.PURE


@dataclass(frozen=True)
class DatasetPolicies:
    """The three policies of a dataset, read together: the floor, its own, the effective."""

    floor: StoredPolicy
    dataset: StoredPolicy
    effective: Policy


def read_dataset_policies(session: Session, actor: Actor, name: str) -> DatasetPolicies:
    """A dataset's policies for ``actor``, the read audited (API and CLI alike).

    Not-open data keeps its policy from anyone outside its provider and oversight, as it
    keeps its dictionary.
    """
    if not sees_details(actor, require_visible(actor, get_entry(session, name))):
        raise PermissionDenied(f"dataset {name!r} is not open: its policy is not shown")
    audit.record(session, actor, "policy.dataset.read", object_type="policy", object_id=name)
    return DatasetPolicies(
        floor=current_floor(session),
        dataset=current_dataset_policy(session, name),
        effective=effective_for_dataset(session, name),
    )


def effective_under_grant(
    session: Session, grant_id: int, names: Iterable[str]
) -> dict[str, Policy]:
    """The effective policy of each of a job's datasets under the job's grant.

    The one place submission, the DP broker, the output checks and the review count
    approvals from, so the four can never disagree on which rules hold for a job.
    """
    names = tuple(names)
    memo: dict[tuple[int, tuple[str, ...]], dict[str, Policy]] = session.info.setdefault(
        _EFFECTIVE_MEMO, {}
    )
    found = memo.get((grant_id, names))
    if found is not None:
        return dict(found)
    grant = session.get(GrantRow, grant_id)
    if grant is None:
        raise InvalidRequest(f"grant {grant_id} does not exist")
    # Held for the session's life: its identity map keeps rows only while someone refers
    # to them, and the output checks and notifications that follow ask for the same grant.
    session.info.setdefault(_GRANTS_HELD, {})[grant_id] = grant
    grant_policy = parse_policy(grant.policy, PolicyLevel.GRANT)
    policy_documents.preload(session, names)
    effective = {name: effective_for_dataset(session, name, grant_policy) for name in names}
    memo[(grant_id, names)] = effective
    return dict(effective)


_GRANTS_HELD = "sandbox.policy_store.grants"
"""The grant rows :func:`effective_under_grant` read, referred to from the session."""

_EFFECTIVE_MEMO = "sandbox.policy_store.effective"
"""Where a session keeps the effective policies it computed (a listing of many jobs under
one grant computes them once). Its transaction's end forgets them, and so does any flush
that may have changed a policy (:func:`sandbox.catalog.policy_documents.flush_keeps_policies`:
a job's own writes do not), so a policy, grade or grant changed in the same transaction is
read afresh."""


@event.listens_for(Session, "after_flush")
def _forget_effective_unless_kept(session: Session, *_: Any) -> None:
    if not policy_documents.flush_keeps_policies(session):
        session.info.pop(_EFFECTIVE_MEMO, None)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_effective(session: Session, *_: Any) -> None:
    session.info.pop(_EFFECTIVE_MEMO, None)


def _save(session: Session, actor: Actor, level: PolicyLevel, ref: str, policy: Policy) -> None:
    document = to_dict(policy)
    session.add(
        PolicyDocumentRow(
            level=str(level), ref=ref, document=document, set_by=actor.user_id, set_at=utc_now()
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        f"policy.{level}.set",
        object_type="policy",
        object_id=ref,
        detail={"document": document},
    )

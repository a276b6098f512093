"""Policies (the authority's floor, each dataset's policy) and budgets (read only)."""

from decimal import Decimal
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, require_roles
from api.schemas import (
    AccountPublic,
    BudgetPublic,
    CostPublic,
    DatasetPolicyPublic,
    FloorSet,
    PolicyDocumentIn,
    PolicyPublic,
)
from sandbox import audit, policy_store
from sandbox.catalog.permissions import owns, sees_details
from sandbox.catalog.queries import get_entry
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.ledger.model import Account
from sandbox.ledger.sql import dataset_accounts
from sandbox.policies import PrivacyCost, to_dict
from sandbox.store.db import transaction

router = APIRouter(tags=["policies"])


def _policy(stored: policy_store.StoredPolicy) -> PolicyPublic:
    return PolicyPublic(level=str(stored.level), ref=stored.ref,
                        document=to_dict(stored.policy), set_by=stored.set_by,
                        set_at=stored.set_at)


@router.get("/policies/floor", response_model=PolicyPublic)
def floor(platform: PlatformDep, _actor: ActorDep) -> PolicyPublic:
    """The authority's platform floor (every account may read the rules)."""
    with platform.sessions() as session:
        return _policy(policy_store.current_floor(session))


@router.put("/policies/floor", response_model=FloorSet)
def set_floor(
    body: PolicyDocumentIn,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> FloorSet:
    """Set the platform floor (authority)."""
    with transaction(platform.sessions) as session:
        stored, overridden = policy_store.set_floor(session, actor, body.document)
        return FloorSet(floor=_policy(stored), overridden_datasets=overridden)


@router.get("/datasets/{name}/policy", response_model=DatasetPolicyPublic)
def dataset_policy(name: str, platform: PlatformDep, actor: ActorDep) -> DatasetPolicyPublic:
    """A dataset's floor, own policy and effective policy."""
    with transaction(platform.sessions) as session:
        if not sees_details(actor, get_entry(session, name)):
            raise PermissionDenied(f"dataset {name!r} is not open: its policy is not shown")
        audit.record(session, actor, "policy.dataset.read", object_type="policy",
                     object_id=name)
        return DatasetPolicyPublic(
            dataset=name,
            floor=_policy(policy_store.current_floor(session)),
            dataset_policy=_policy(policy_store.current_dataset_policy(session, name)),
            effective=to_dict(policy_store.effective_for_dataset(session, name)),
        )


@router.put("/datasets/{name}/policy", response_model=PolicyPublic)
def set_dataset_policy(
    name: str,
    body: PolicyDocumentIn,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> PolicyPublic:
    """Set a dataset's policy (its provider); refused with every rule looser than the floor."""
    with transaction(platform.sessions) as session:
        return _policy(policy_store.set_dataset_policy(session, actor, name, body.document))


@router.get("/budgets/{name}", response_model=BudgetPublic)
def budget(name: str, platform: PlatformDep, actor: ActorDep) -> BudgetPublic:
    """A dataset's privacy budget accounts (its provider, the authority, auditors, admins)."""
    with transaction(platform.sessions) as session:
        entry = get_entry(session, name)
        if not (owns(actor, entry.provider_org_id)
                or actor.role in (Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)):
            raise PermissionDenied("a dataset's budget is read by its provider and oversight")
        accounts = dataset_accounts(session, dataset=name)
        audit.record(session, actor, "budget.read", object_type="dataset", object_id=name)
    return BudgetPublic(dataset=name, accounts=[_account(a) for a in accounts])


def _cost(cost: PrivacyCost) -> CostPublic:
    return CostPublic(loss=_decimal(cost.loss), delta=_decimal(cost.delta),
                      loss_float=float(cost.loss), delta_float=float(cost.delta))


def _decimal(value: Fraction) -> str:
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def _account(account: Account) -> AccountPublic:
    return AccountPublic(kind=str(account.kind), ref=account.ref,
                         accounting=str(account.accounting), limit=_cost(account.limit),
                         spent=_cost(account.spent), remaining=_cost(account.remaining))

"""Policies (the authority's floor, each dataset's policy) and budgets (read only)."""

from decimal import Decimal
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.schemas import (
    AccountPublic,
    BudgetPublic,
    CostPublic,
    DatasetPolicyPublic,
    FloorSet,
    PolicyDocumentIn,
    PolicyPublic,
)
from sandbox import policy_store
from sandbox.identity.model import Actor, Role
from sandbox.ledger.budgets import read_dataset_budget
from sandbox.ledger.model import Account
from sandbox.policies import PrivacyCost, to_dict

router = APIRouter(tags=["policies"])


def _policy(stored: policy_store.StoredPolicy) -> PolicyPublic:
    return PolicyPublic(level=str(stored.level), ref=stored.ref,
                        document=to_dict(stored.policy), set_by=stored.set_by,
                        set_at=stored.set_at)


@router.get("/policies/floor", response_model=PolicyPublic)
def floor(session: ReadSession, _actor: ActorDep) -> PolicyPublic:
    """The authority's platform floor (every account may read the rules)."""
    return _policy(policy_store.current_floor(session))


@router.put("/policies/floor", response_model=FloorSet)
def set_floor(
    body: PolicyDocumentIn,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> FloorSet:
    """Set the platform floor (authority)."""
    stored, overridden = policy_store.set_floor(session, actor, body.document)
    return FloorSet(floor=_policy(stored), overridden_datasets=overridden)


@router.get("/datasets/{name}/policy", response_model=DatasetPolicyPublic)
def dataset_policy(name: str, session: WriteSession, actor: ActorDep) -> DatasetPolicyPublic:
    """A dataset's floor, own policy and effective policy (the read is audited)."""
    policies = policy_store.read_dataset_policies(session, actor, name)
    return DatasetPolicyPublic(
        dataset=name,
        floor=_policy(policies.floor),
        dataset_policy=_policy(policies.dataset),
        effective=to_dict(policies.effective),
    )


@router.put("/datasets/{name}/policy", response_model=PolicyPublic)
def set_dataset_policy(
    name: str,
    body: PolicyDocumentIn,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> PolicyPublic:
    """Set a dataset's policy (its provider); refused with every rule looser than the floor."""
    return _policy(policy_store.set_dataset_policy(session, actor, name, body.document))


@router.get("/budgets/{name}", response_model=BudgetPublic)
def budget(name: str, session: WriteSession, actor: ActorDep) -> BudgetPublic:
    """A dataset's privacy budget accounts (its provider, the authority, auditors, admins;
    the read is audited).
    """
    accounts = read_dataset_budget(session, actor, name)
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

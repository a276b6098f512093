"""Policies (the authority's floor, each dataset's policy) and budgets (read only)."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.schemas.policies import (
    AccountPublic,
    BudgetPublic,
    DatasetPolicyPublic,
    FloorSet,
    PolicyDocumentIn,
    PolicyPublic,
)
from sandbox import policy_store
from sandbox.identity.model import Actor, Role
from sandbox.ledger.budgets import read_dataset_budget
from sandbox.policies import to_dict

router = APIRouter(tags=["policies"])


@router.get("/policies/floor", response_model=PolicyPublic)
def floor(session: ReadSession, _actor: ActorDep) -> PolicyPublic:
    """The authority's platform floor (every account may read the rules)."""
    return PolicyPublic.model_validate(policy_store.current_floor(session))


@router.put("/policies/floor", response_model=FloorSet)
def set_floor(
    body: PolicyDocumentIn,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY)],
) -> FloorSet:
    """Set the platform floor (authority)."""
    stored, overridden = policy_store.set_floor(session, actor, body.document)
    return FloorSet(floor=PolicyPublic.model_validate(stored), overridden_datasets=overridden)


@router.get("/datasets/{name}/policy", response_model=DatasetPolicyPublic)
def dataset_policy(name: str, session: WriteSession, actor: ActorDep) -> DatasetPolicyPublic:
    """A dataset's floor, own policy and effective policy (the read is audited)."""
    policies = policy_store.read_dataset_policies(session, actor, name)
    return DatasetPolicyPublic(
        dataset=name,
        floor=PolicyPublic.model_validate(policies.floor),
        dataset_policy=PolicyPublic.model_validate(policies.dataset),
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
    return PolicyPublic.model_validate(
        policy_store.set_dataset_policy(session, actor, name, body.document)
    )


@router.get("/budgets/{name}", response_model=BudgetPublic)
def budget(name: str, session: WriteSession, actor: ActorDep) -> BudgetPublic:
    """A dataset's privacy budget accounts (its provider, the authority, auditors, admins;
    the read is audited). A grant's holder reads their own grant's budget at
    ``GET /v1/grants/{grant_id}/budget`` instead: this view lists every grant's account.
    """
    accounts = read_dataset_budget(session, actor, name)
    return BudgetPublic(dataset=name, accounts=[AccountPublic.model_validate(a) for a in accounts])

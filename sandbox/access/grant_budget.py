"""A grant's budget as the people who may see the grant read it: per dataset, what the grant
was given, spent and has left, and each charge (which job, which DP call, what, when).

The grant's holder reads their own grant; providers of the grant's organisation and
oversight read any they may see; everyone else is told the grant does not exist (the same
:class:`~sandbox.errors.NotFound` as :func:`sandbox.access.grants.get_grant`).

What remains of a dataset's *lifetime* budget moves with every other grant's spending, so
its holder sees it only where the dataset's effective policy under the grant says
``show_lifetime_to_users``; its provider and oversight, who read every account of the
dataset (``GET /v1/budgets/{name}``), always see it. The limits themselves are no secret:
they are the effective policy every user may read.

Every read is audited here (``budget.read`` on the grant), whichever door it came through.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sandbox import audit, policy_store
from sandbox.access.grants import get_grant
from sandbox.access.model import GrantStatus
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.errors import NotFound
from sandbox.identity.model import Actor
from sandbox.ledger import sql as ledger
from sandbox.ledger.model import Charge
from sandbox.policies.budget import Accounting, PrivacyCost


@dataclass(frozen=True)
class DatasetSpending:
    """The grant's account on one dataset, its charges, and (where shown) the lifetime's."""

    dataset: str
    accounting: Accounting
    """Whether the amounts are epsilon (pure DP) or rho (zCDP)."""
    limit: PrivacyCost
    """What the grant was given on this dataset (as the ledger holds it)."""
    spent: PrivacyCost
    """What the grant's charges took, released or not."""
    remaining: PrivacyCost
    """What is left of the grant's own budget."""
    lifetime_remaining: PrivacyCost | None
    """What is left of the dataset's lifetime budget, across all grants; ``None`` where the
    reader may not see it."""
    charges: tuple[Charge, ...]
    """The grant's charges on this dataset, oldest first."""


@dataclass(frozen=True)
class GrantBudget:
    """A grant's budget on each of its datasets whose account is open."""

    grant_id: int
    grant: str
    """The grant's reference, under which the ledger keeps its accounts."""
    holder: str
    status: GrantStatus
    datasets: tuple[DatasetSpending, ...]
    """One per dataset with an open account (none before the agreement is accepted)."""


def _sees_every_account(actor: Actor, provider_org_id: int) -> bool:
    """Who reads every account of the grant's datasets anyway (the dataset budget view)."""
    return owns(actor, provider_org_id) or actor.role in OVERSIGHT_ROLES


def read_grant_budget(session: Session, actor: Actor, grant_id: int) -> GrantBudget:
    """Grant ``grant_id``'s budget as ``actor`` may read it; the read is audited.

    Raises:
        NotFound: The grant does not exist, or ``actor`` may not see it.
    """
    grant = get_grant(session, actor, grant_id)
    policies = policy_store.effective_under_grant(session, grant.id, grant.datasets)
    sees_all = _sees_every_account(actor, grant.provider_org_id)
    datasets: list[DatasetSpending] = []
    for name in grant.datasets:
        try:
            balance = ledger.balance(session, grant=grant.ref, dataset=name)
        except NotFound:
            continue  # accounts open when the holder accepts the agreement
        shown = sees_all or bool(policies[name].show_lifetime_to_users)
        own = balance.grant
        datasets.append(
            DatasetSpending(
                dataset=name,
                accounting=own.accounting,
                limit=own.limit,
                spent=own.spent,
                remaining=own.remaining,
                lifetime_remaining=balance.dataset.remaining if shown else None,
                charges=tuple(ledger.list_charges(session, grant=grant.ref, dataset=name)),
            )
        )
    audit.record(
        session,
        actor,
        "budget.read",
        object_type="grant",
        object_id=grant.ref,
        detail={
            "grant_id": grant.id,
            "lifetime_shown": [d.dataset for d in datasets if d.lifetime_remaining is not None],
        },
    )
    return GrantBudget(
        grant_id=grant.id,
        grant=grant.ref,
        holder=grant.holder,
        status=grant.status,
        datasets=tuple(datasets),
    )

"""Response schemas of a grant's budget (``GET /v1/grants/{id}/budget``): per dataset, what
the grant was given, spent and has left, each charge, and the lifetime remainder where the
reader may see it (:mod:`sandbox.access.grant_budget`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import FromDomain
from api.schemas.policies import CostPublic
from sandbox.access.model import GrantStatus
from sandbox.ledger.model import ChargeStatus
from sandbox.policies.budget import Accounting


class ChargePublic(FromDomain):
    """One charge of the grant (from :class:`sandbox.ledger.model.Charge`): which job and
    which DP call it paid for, what it cost (epsilon or rho, and delta), and when.
    """

    id: int
    job_id: int | None = Field(validation_alias="job")
    """Null for a charge made outside a job."""
    call: str | None
    """The DP call's operation (``count``, ``mean``, ...)."""
    purpose: str
    """The call described whole: operation, column, keys, dataset version."""
    cost: CostPublic
    status: ChargeStatus
    """``released``: its output went out; ``charged``: spent, its output never left."""
    charged_at: datetime = Field(validation_alias="created_at")
    released_at: datetime | None


class DatasetSpendingPublic(FromDomain):
    """The grant's account on one dataset (from
    :class:`sandbox.access.grant_budget.DatasetSpending`).
    """

    dataset: str
    accounting: Accounting
    limit: CostPublic
    spent: CostPublic
    remaining: CostPublic
    lifetime_remaining: CostPublic | None
    """What is left of the dataset's lifetime budget across all grants; null where the
    dataset's policy does not show it to grant holders (``show_lifetime_to_users``)."""
    charges: list[ChargePublic]


class GrantBudgetPublic(FromDomain):
    """A grant's budget on each dataset whose account is open (none before the agreement
    is accepted).
    """

    grant_id: int
    grant: str
    holder: str
    status: GrantStatus
    datasets: list[DatasetSpendingPublic]

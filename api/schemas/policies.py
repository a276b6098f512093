"""Request and response schemas of policies (the floor, each dataset's) and budgets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import FromDomain, Strict
from sandbox.ledger.model import AccountKind
from sandbox.policies import Policy, to_dict
from sandbox.policies.budget import Accounting
from sandbox.policies.model import PolicyLevel


class PolicyDocumentIn(Strict):
    """Body of ``PUT`` on a policy: the document as a JSON object, or YAML/JSON text."""

    document: dict[str, Any] | str


class PolicyPublic(FromDomain):
    """A policy level in force (``set_by`` is null while only the defaults apply), from
    :class:`sandbox.policy_store.StoredPolicy`.
    """

    level: PolicyLevel
    ref: str
    document: dict[str, Any] = Field(validation_alias="policy")
    set_by: str | None
    set_at: datetime | None

    @field_validator("document", mode="before")
    @classmethod
    def _document(cls, policy: Policy) -> dict[str, Any]:
        """The policy as the document that would set it again."""
        return to_dict(policy)


class FloorSet(BaseModel):
    """A new floor, and the datasets whose own policy it now overrides."""

    floor: PolicyPublic
    overridden_datasets: list[str]


class DatasetPolicyPublic(BaseModel):
    """A dataset's policy levels and the effective policy jobs on it run under."""

    dataset: str
    floor: PolicyPublic
    dataset_policy: PolicyPublic
    effective: dict[str, Any]


def decimal_text(value: Fraction) -> str:
    """An exact fraction as decimal text (28 significant digits at most)."""
    return str(Decimal(value.numerator) / Decimal(value.denominator))


class CostPublic(FromDomain):
    """An exact privacy cost, shown as decimal strings (and floats for convenience), from
    :class:`sandbox.policies.PrivacyCost`.
    """

    loss: str
    delta: str
    loss_float: float = Field(validation_alias="loss")
    delta_float: float = Field(validation_alias="delta")

    @field_validator("loss", "delta", mode="before")
    @classmethod
    def _exact(cls, value: Fraction) -> str:
        return decimal_text(value)

    @field_validator("loss_float", "delta_float", mode="before")
    @classmethod
    def _approximate(cls, value: Fraction) -> float:
        return float(value)


class AccountPublic(FromDomain):
    """One budget account (from :class:`sandbox.ledger.model.Account`)."""

    kind: AccountKind
    ref: str
    accounting: Accounting
    limit: CostPublic
    spent: CostPublic
    remaining: CostPublic


class BudgetPublic(BaseModel):
    """A dataset's lifetime account and every grant's account on it."""

    dataset: str
    accounts: list[AccountPublic]

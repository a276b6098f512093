"""Ledger value types and the arithmetic every ledger implementation shares.

Budgets are stored as whole numbers of ledger units
(:data:`sandbox.policies.budget.LEDGER_UNITS_PER_ONE` per epsilon or rho, and per unit of
delta): limits are rounded down and charges up, so rounding only ever protects privacy,
and a ledger holds no NaN or infinity by construction. Limits are capped at
:data:`MAX_LEDGER_UNITS` so that ``spent + charge`` never overflows a 64-bit column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost

MAX_LEDGER_UNITS = 2**62
"""Largest limit an account may hold, in ledger units (about 4.6 million epsilon)."""

MAX_PURPOSE_CHARS = 2000
"""Longest purpose text a charge may carry."""

MAX_REF_CHARS = 200
"""Longest grant or dataset reference."""

MAX_CALL_CHARS = 32
"""Longest name of the DP call a charge pays for (``count``, ``group_statistics``)."""


class AccountKind(enum.StrEnum):
    """A dataset's lifetime budget across all grants, or one grant's budget on a dataset."""

    DATASET = "dataset"
    GRANT = "grant"


class ChargeStatus(enum.StrEnum):
    """``charged``: the budget is spent, the output not yet out; ``released``: it is out.

    A charge never released (a crash between charge and release) stays ``charged`` and its
    budget stays spent: wasted, never refunded.
    """

    CHARGED = "charged"
    RELEASED = "released"


BUDGET_NAMES = {AccountKind.GRANT: "grant", AccountKind.DATASET: "dataset lifetime"}
"""How :class:`BudgetExhausted` names each kind of account."""


@dataclass(frozen=True)
class Account:
    """One budget account as callers see it."""

    kind: AccountKind
    """Dataset lifetime or grant."""
    ref: str
    """The grant's reference, or for a dataset account the dataset's."""
    dataset: str
    """The dataset's reference."""
    accounting: Accounting
    """Whether ``limit`` and ``spent`` are epsilon (pure) or rho (zCDP)."""
    limit: PrivacyCost
    """The budget, as stored (rounded down to ledger units)."""
    spent: PrivacyCost
    """What charges have taken, released or not."""

    @property
    def remaining(self) -> PrivacyCost:
        """What is left."""
        return self.limit - self.spent


@dataclass(frozen=True)
class Balance:
    """A grant's account on a dataset beside that dataset's lifetime account."""

    grant: Account
    dataset: Account

    @property
    def remaining(self) -> PrivacyCost:
        """What one charge may still take: the smaller remainder of the two, per component."""
        a, b = self.grant.remaining, self.dataset.remaining
        return PrivacyCost(min(a.loss, b.loss), min(a.delta, b.delta))


@dataclass(frozen=True)
class Charge:
    """One charge: budget taken from a grant account and its dataset's lifetime account."""

    id: int
    """The charge's id, which :meth:`release` takes."""
    grant: str
    dataset: str
    cost: PrivacyCost
    """What was taken, rounded up to ledger units."""
    purpose: str
    """What the charge pays for (e.g. the job and the query)."""
    status: ChargeStatus
    charged_by: str
    created_at: datetime
    released_at: datetime | None = None
    released_by: str | None = None
    job: int | None = None
    """The job whose DP call the charge pays for; ``None`` for a charge made outside a job
    (the engine used directly, an operator's tool)."""
    call: str | None = None
    """The DP call's operation (``count``, ``mean``, ...); ``purpose`` describes it whole."""


def check_ref(value: object, label: str) -> str:
    """A grant or dataset reference: non-empty printable text."""
    if type(value) is not str or not value.strip() or len(value) > MAX_REF_CHARS:
        raise InvalidRequest(f"{label} must be a reference of 1 to {MAX_REF_CHARS} characters")
    if not value.isprintable():
        raise InvalidRequest(f"{label} must not hold control characters")
    return value


def check_purpose(value: object) -> str:
    """A charge's purpose text."""
    if type(value) is not str or len(value) > MAX_PURPOSE_CHARS:
        raise InvalidRequest(
            f"a charge's purpose must be text of at most {MAX_PURPOSE_CHARS} characters"
        )
    return value


def check_job(value: object) -> int | None:
    """The job a charge pays for: a positive id, or ``None``."""
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise InvalidRequest("a charge's job must be a positive job id")
    return value


def check_call(value: object) -> str | None:
    """The name of the DP call a charge pays for: a short identifier, or ``None``."""
    if value is None:
        return None
    if type(value) is not str or not value.isidentifier() or len(value) > MAX_CALL_CHARS:
        raise InvalidRequest(
            f"a charge's call must be an identifier of at most {MAX_CALL_CHARS} characters"
        )
    return value


def spend_terms(
    purpose: object, job: object, call: object, cost: PrivacyCost
) -> tuple[str, int | None, str | None, tuple[int, int]]:
    """What a spend records beside its accounts, checked in this order: its purpose, job,
    call and cost in ledger units (every store refuses bad terms with the same error).
    """
    return check_purpose(purpose), check_job(job), check_call(call), charge_units(cost)


def check_datasets(value: object) -> tuple[str, ...]:
    """The datasets one release charges together (a join): two or more, each named once."""
    if type(value) not in (list, tuple) or len(value) < 2:  # type: ignore[arg-type]
        raise InvalidRequest("a joint charge names at least two datasets")
    names = tuple(check_ref(name, "dataset") for name in value)  # type: ignore[attr-defined]
    if len(set(names)) != len(names):
        raise InvalidRequest("a joint charge names each dataset once")
    return names


def naming(exc: BudgetExhausted, dataset: str) -> BudgetExhausted:
    """``exc`` saying which dataset's account could not pay (a joint charge has several)."""
    return exc.of(dataset=dataset)


def check_cost(cost: object) -> PrivacyCost:
    """A finite :class:`PrivacyCost` (an unlimited cost cannot be charged)."""
    if not isinstance(cost, PrivacyCost):
        raise InvalidRequest("a charge's cost must be a PrivacyCost")
    if cost.is_infinite:
        raise InvalidRequest("an unlimited cost cannot be charged")
    return cost


def limit_units(limit: object) -> tuple[int, int]:
    """A budget limit in ledger units, rounded down."""
    if not isinstance(limit, PrivacyCost) or limit.is_infinite:
        raise InvalidRequest("a budget account needs a finite limit")
    loss, delta = limit.to_units(round_up=False)
    if loss > MAX_LEDGER_UNITS or delta > MAX_LEDGER_UNITS:
        raise InvalidRequest("a budget account's limit is too large for the ledger")
    return loss, delta


def charge_units(cost: PrivacyCost) -> tuple[int, int]:
    """A charge in ledger units, rounded up."""
    return check_cost(cost).to_units(round_up=True)


def fits(units: tuple[int, int], limit: tuple[int, int], spent: tuple[int, int]) -> bool:
    """Whether a charge of ``units`` fits what remains of an account."""
    return all(s + u <= lim for u, lim, s in zip(units, limit, spent, strict=True))


def exhausted(cost: PrivacyCost, account: Account) -> BudgetExhausted:
    """The error for a charge that ``account`` cannot pay for; what remains of a dataset's
    lifetime account is withheld from its message (the engine reveals it by policy).
    """
    return BudgetExhausted(
        requested=cost,
        remaining=account.remaining,
        budget=BUDGET_NAMES[account.kind],
        accounting=account.accounting,
        shown=account.kind is not AccountKind.DATASET,  # the engine reveals it by policy
    )


def check_accounting(cost_accounting: Accounting | None, account: Account) -> None:
    """Refuse a cost measured in another accounting than the account's."""
    if cost_accounting is not None and Accounting(cost_accounting) is not account.accounting:
        raise InvalidRequest(
            f"the cost is measured under {cost_accounting} accounting but the "
            f"{BUDGET_NAMES[account.kind]} budget is kept under {account.accounting}"
        )


def same_terms(account: Account, limit: tuple[int, int], accounting: Accounting) -> bool:
    """Whether opening an account again asks for exactly what it already holds."""
    return account.accounting is accounting and account.limit.to_units(round_up=False) == limit

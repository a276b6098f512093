"""Charging a release: every budget it draws on checked, then paid, before it is computed.

A release charges the grant's account and the lifetime account of each dataset it reads (a
join reads several, paid in one transaction). :func:`check_budgets` fails fast, before the
(one-off, possibly long) bounding; :func:`spend_budgets` pays, and is refused if another job
spent meanwhile. Either refusal is put as the grant holder may read it
(:func:`shown_to_holder`): the ledger withholds what remains of a dataset's lifetime budget,
shared by every grant on the dataset, and it is revealed only where the policy shows it to
users (``show_lifetime_to_users``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.ledger import Charge, SqlLedger
from sandbox.ledger.model import naming
from sandbox.observability import metrics
from sandbox.policies.budget import BudgetExhausted, PrivacyCost
from sandbox.policies.model import Policy

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle

__all__ = ["check_budgets", "shown_to_holder", "spend_budgets"]


def shown_to_holder(exc: BudgetExhausted, policy: Policy) -> BudgetExhausted:
    """``exc`` as the grant holder may read it: what remains of a dataset's lifetime budget
    only where the (effective) policy shows it to users.
    """
    return exc.revealed() if not exc.shown and policy.show_lifetime_to_users else exc


def check_budgets(handle: DatasetHandle, cost: PrivacyCost) -> None:
    """Refuse ``cost`` if any budget ``handle``'s release draws on cannot pay it.

    Raises:
        BudgetExhausted: Naming the dataset when several pay (a join); nothing charged.
    """
    engine, charged = handle.engine, handle.charged_datasets
    for name in charged:
        try:
            engine.ledger.check(engine.grant, name, cost, accounting=handle.policy.accounting)
        except BudgetExhausted as exc:
            _count_refusal(handle, exc)
            named = exc if len(charged) == 1 else naming(exc, name)
            raise shown_to_holder(named, handle.policy) from None


def spend_budgets(
    handle: DatasetHandle, cost: PrivacyCost, purpose: str, call: str
) -> tuple[Charge, ...]:
    """Charge ``cost`` to every budget ``handle``'s release draws on, all or none.

    Raises:
        BudgetExhausted: A budget was spent meanwhile; nothing charged.
    """
    engine, charged = handle.engine, handle.charged_datasets
    accounting = handle.policy.accounting
    try:
        if len(charged) == 1:
            return (
                engine.ledger.spend(
                    engine.grant,
                    charged[0],
                    cost,
                    purpose,
                    engine.actor,
                    accounting=accounting,
                    job=engine.job,
                    call=call,
                ),
            )
        return engine.ledger.spend_jointly(  # a join: every dataset it reads pays in full
            engine.grant,
            charged,
            cost,
            purpose,
            engine.actor,
            accounting=accounting,
            job=engine.job,
            call=call,
        )
    except BudgetExhausted as exc:
        _count_refusal(handle, exc)
        raise shown_to_holder(exc, handle.policy) from None


def _count_refusal(handle: DatasetHandle, exc: BudgetExhausted) -> None:
    """Count a refusal of the real ledger (a dry run's fake one refuses nothing real)."""
    if isinstance(handle.engine.ledger, SqlLedger):
        metrics.ledger_refused(exc.budget)

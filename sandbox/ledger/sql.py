"""The budget ledger in the metadata store (SQLite or PostgreSQL).

:class:`SqlLedger` is the :class:`~sandbox.ledger.BudgetLedger` the engine uses: it runs
each of the session-level functions in a transaction of its own. Those functions are
re-exported here (repository style, ``from sandbox.ledger import sql as ledger``) from the
modules that hold them: opening and reading accounts and charges in
:mod:`sandbox.ledger.sql_accounts`, spending, releasing and reading charges (and how a
spend cannot overspend) in :mod:`sandbox.ledger.sql_charges`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.identity.model import Actor
from sandbox.ledger.model import Account, Balance, Charge, ChargeStatus, check_cost
from sandbox.ledger.sql_accounts import (
    account,
    balance,
    check,
    dataset_accounts,
    open_dataset_account,
    open_grant_account,
)
from sandbox.ledger.sql_charges import get_charge, list_charges, release, spend, spend_jointly
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.store.db import transaction

__all__ = [
    "SqlLedger",
    "account",
    "balance",
    "check",
    "dataset_accounts",
    "get_charge",
    "list_charges",
    "open_dataset_account",
    "open_grant_account",
    "release",
    "spend",
    "spend_jointly",
]

_T = TypeVar("_T")


class SqlLedger:
    """The :class:`~sandbox.ledger.BudgetLedger` over the metadata store.

    Each method runs in its own transaction. A refused spend is rolled back, then recorded
    in the audit log (outcome ``refused``) in a transaction of its own.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        guard: Callable[[Session], None] | None = None,
    ) -> None:
        """Use ``sessions`` (see :func:`sandbox.store.make_session_factory`).

        ``guard``, when given, runs in each spend's transaction before the debit and may
        raise to refuse it (a job's charges check that the job is still running and still
        its process's: :func:`sandbox.jobs.leases.charge_guard`), so the check and the
        charge commit together or not at all.
        """
        self._sessions = sessions
        self._guard = guard

    def open_dataset_account(
        self,
        dataset: str,
        limit: PrivacyCost,
        accounting: Accounting,
        *,
        actor: Actor | None = None,
    ) -> Account:
        """Open a dataset's lifetime budget account (idempotent; Conflict on other terms)."""
        with transaction(self._sessions) as session:
            return open_dataset_account(
                session,
                dataset=dataset,
                limit=limit,
                accounting=accounting,
                actor=actor or Actor.system(),
            )

    def open_grant_account(
        self,
        grant: str,
        dataset: str,
        limit: PrivacyCost,
        accounting: Accounting,
        *,
        actor: Actor | None = None,
    ) -> Account:
        """Open a grant's budget account on a dataset (idempotent; Conflict on other terms)."""
        with transaction(self._sessions) as session:
            return open_grant_account(
                session,
                grant=grant,
                dataset=dataset,
                limit=limit,
                accounting=accounting,
                actor=actor or Actor.system(),
            )

    def check(
        self, grant: str, dataset: str, cost: PrivacyCost, *, accounting: Accounting | None = None
    ) -> PrivacyCost:
        """What remains of the pair of accounts, or BudgetExhausted if ``cost`` won't fit."""
        with transaction(self._sessions) as session:
            return check(session, grant=grant, dataset=dataset, cost=cost, accounting=accounting)

    def spend(
        self,
        grant: str,
        dataset: str,
        cost: PrivacyCost,
        purpose: str,
        actor: Actor,
        *,
        accounting: Accounting | None = None,
        job: int | None = None,
        call: str | None = None,
    ) -> Charge:
        """Debit both accounts in one transaction, or neither (see :func:`spend`)."""
        return self._spending(
            lambda session: spend(
                session,
                grant=grant,
                dataset=dataset,
                cost=cost,
                purpose=purpose,
                actor=actor,
                accounting=accounting,
                job=job,
                call=call,
            ),
            grant=grant,
            where={"dataset": dataset},
            cost=cost,
            purpose=purpose,
            actor=actor,
        )

    def spend_jointly(
        self,
        grant: str,
        datasets: Sequence[str],
        cost: PrivacyCost,
        purpose: str,
        actor: Actor,
        *,
        accounting: Accounting | None = None,
        job: int | None = None,
        call: str | None = None,
    ) -> tuple[Charge, ...]:
        """Charge every dataset of a join in one transaction, or none (:func:`spend_jointly`)."""
        return self._spending(
            lambda session: spend_jointly(
                session,
                grant=grant,
                datasets=datasets,
                cost=cost,
                purpose=purpose,
                actor=actor,
                accounting=accounting,
                job=job,
                call=call,
            ),
            grant=grant,
            where={"datasets": list(datasets)},
            cost=cost,
            purpose=purpose,
            actor=actor,
        )

    def _spending(
        self,
        debit: Callable[[Session], _T],
        *,
        grant: str,
        where: dict[str, Any],
        cost: PrivacyCost,
        purpose: str,
        actor: Actor,
    ) -> _T:
        """Run ``debit`` in a transaction; when the budget refuses it, roll it back and then
        audit the refusal (``where`` names the datasets asked for) in a transaction of its
        own, so the refusal is on record though nothing was debited.
        """
        try:
            with transaction(self._sessions) as session:
                if self._guard is not None:
                    self._guard(session)
                return debit(session)
        except BudgetExhausted as exc:
            with transaction(self._sessions) as session:
                audit.record(
                    session,
                    actor,
                    "budget.charge",
                    object_type="budget_grant",
                    object_id=grant,
                    outcome="refused",
                    detail={
                        **where,
                        "budget": exc.budget,
                        "requested_units": list(check_cost(cost).to_units(round_up=True)),
                        "purpose": purpose,
                    },
                )
            raise

    def release(self, charge_id: int, actor: Actor) -> Charge:
        """Mark a charge released; releasing a released charge returns it unchanged."""
        with transaction(self._sessions) as session:
            return release(session, charge_id=charge_id, actor=actor)

    def remaining(self, grant: str, dataset: str) -> PrivacyCost:
        """What one charge may still take from the grant on ``dataset``."""
        return self.balance(grant, dataset).remaining

    def balance(self, grant: str, dataset: str) -> Balance:
        """Both accounts a charge of ``grant`` on ``dataset`` debits."""
        with transaction(self._sessions) as session:
            return balance(session, grant=grant, dataset=dataset)

    def account(self, dataset: str, grant: str | None = None) -> Account:
        """The dataset's lifetime account, or with ``grant`` that grant's account on it."""
        with transaction(self._sessions) as session:
            return account(session, dataset=dataset, grant=grant)

    def charge(self, charge_id: int) -> Charge:
        """One charge by id."""
        with transaction(self._sessions) as session:
            return get_charge(session, charge_id=charge_id)

    def charges(
        self,
        *,
        grant: str | None = None,
        dataset: str | None = None,
        status: ChargeStatus | None = None,
    ) -> list[Charge]:
        """Charges in the order they were made, optionally filtered."""
        with transaction(self._sessions) as session:
            return list_charges(session, grant=grant, dataset=dataset, status=status)

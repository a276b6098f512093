"""The privacy-budget ledger: accounts, charges and the atomic spend.

Three steps stay apart (examples-to-follow, Policies):

1. *Admission*: :meth:`BudgetLedger.check` reads whether a cost fits (and the pure
   :func:`sandbox.policies.check_query_cost` checks the per-query cap).
2. *Spending*: :meth:`BudgetLedger.spend` debits the grant's account and the dataset's
   lifetime account in one transaction, both or neither, and records the charge *before*
   the computation it pays for. :meth:`BudgetLedger.spend_jointly` does the same for
   every dataset one release reads (a join), all in one transaction.
3. *Release*: :meth:`BudgetLedger.release` marks the charge released when the output goes
   out. A crash between spend and release wastes the budget (the charge stays
   ``charged``) but can never release an uncharged output.

- :class:`SqlLedger` (:mod:`sandbox.ledger.sql`) keeps the ledger in the metadata store.
- :class:`InMemoryLedger` (:mod:`sandbox.ledger.memory`) is a fake with the same contract
  for other packages' unit tests.
- :mod:`sandbox.ledger.model` holds the value types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sandbox.identity.model import Actor
from sandbox.ledger import observed as _observed  # noqa: F401 - counts charges (metrics)
from sandbox.ledger.memory import InMemoryLedger
from sandbox.ledger.model import (
    MAX_LEDGER_UNITS,
    Account,
    AccountKind,
    Balance,
    Charge,
    ChargeStatus,
)
from sandbox.ledger.sql import SqlLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost


@runtime_checkable
class BudgetLedger(Protocol):
    """What the query engine and the services need of a budget ledger.

    Accounts: each dataset has one lifetime account (across all grants), and each grant
    one account per dataset it covers; a charge debits both. Budgets are kept in ledger
    units: limits are rounded down, charges up. Every method validates its arguments
    before touching any state; errors are :class:`~sandbox.errors.InvalidRequest`,
    :class:`~sandbox.errors.NotFound` (an account or charge that does not exist),
    :class:`~sandbox.errors.Conflict` and :class:`BudgetExhausted`.
    """

    def open_dataset_account(
        self,
        dataset: str,
        limit: PrivacyCost,
        accounting: Accounting,
        *,
        actor: Actor | None = None,
    ) -> Account:
        """Open a dataset's lifetime account; idempotent on the same terms, else Conflict."""
        ...

    def open_grant_account(
        self,
        grant: str,
        dataset: str,
        limit: PrivacyCost,
        accounting: Accounting,
        *,
        actor: Actor | None = None,
    ) -> Account:
        """Open a grant's account on a dataset whose lifetime account is open.

        Idempotent on the same terms, else Conflict; the accounting must be the dataset's.
        """
        ...

    def check(
        self, grant: str, dataset: str, cost: PrivacyCost, *, accounting: Accounting | None = None
    ) -> PrivacyCost:
        """A pure read: what remains (per component, the smaller of the two accounts).

        Raises:
            BudgetExhausted: ``cost`` would not fit (``budget`` names which account).
        """
        ...

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
        """Debit the grant and dataset lifetime accounts atomically, both or neither.

        ``accounting``, when given, must be the accounts' (a rho is never charged to an
        epsilon budget). ``job`` and ``call`` name the job and the DP call (its operation)
        the charge pays for, so the grant's holder can read their spending call by call.
        The charge is audited with the debit.

        Raises:
            BudgetExhausted: With ``requested``, ``remaining`` and ``budget`` (``"grant"``
                or ``"dataset lifetime"``); nothing was debited.
        """
        ...

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
        """One release that reads several datasets (a join): each one's grant and lifetime
        accounts pay the whole ``cost``, all in one transaction or none; one charge per
        dataset, in the order given.

        Raises:
            BudgetExhausted: As :meth:`spend`, its message naming the dataset that could not
                pay; nothing was debited.
        """
        ...

    def release(self, charge_id: int, actor: Actor) -> Charge:
        """Mark a charge released (its output goes out); idempotent."""
        ...

    def remaining(self, grant: str, dataset: str) -> PrivacyCost:
        """What one charge may still take: per component, the smaller of the two accounts."""
        ...

    def balance(self, grant: str, dataset: str) -> Balance:
        """Both accounts a charge of ``grant`` on ``dataset`` debits."""
        ...

    def account(self, dataset: str, grant: str | None = None) -> Account:
        """The dataset's lifetime account, or with ``grant`` that grant's account on it."""
        ...

    def charge(self, charge_id: int) -> Charge:
        """One charge by id."""
        ...

    def charges(
        self,
        *,
        grant: str | None = None,
        dataset: str | None = None,
        status: ChargeStatus | None = None,
    ) -> list[Charge]:
        """Charges in the order they were made, optionally filtered."""
        ...


__all__ = [
    "MAX_LEDGER_UNITS",
    "Account",
    "AccountKind",
    "Balance",
    "BudgetExhausted",
    "BudgetLedger",
    "Charge",
    "ChargeStatus",
    "InMemoryLedger",
    "SqlLedger",
]

"""An in-memory budget ledger: a fake for other packages' unit tests.

:class:`InMemoryLedger` honours the :class:`~sandbox.ledger.BudgetLedger` contract of
:class:`~sandbox.ledger.sql.SqlLedger` exactly (same units and rounding, same both-or-neither
spending, same exceptions and messages, idempotent opening and release) but keeps
everything in a dict under a lock and forgets it when dropped. Instead of the audit log
it appends ``(action, outcome, detail)`` tuples to :attr:`InMemoryLedger.events`, so tests
can assert what would have been audited.

Example:
    >>> from sandbox.identity.model import Actor
    >>> from sandbox.policies.budget import Accounting, PrivacyCost
    >>> ledger = InMemoryLedger()
    >>> _ = ledger.open_dataset_account("census", PrivacyCost.of(10), Accounting.PURE)
    >>> _ = ledger.open_grant_account("g1", "census", PrivacyCost.of(1), Accounting.PURE)
    >>> charge = ledger.spend("g1", "census", PrivacyCost.of(0.25), "count", Actor.system())
    >>> ledger.remaining("g1", "census")
    PrivacyCost(loss=0.75, delta=0)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.ledger.model import (
    Account,
    AccountKind,
    Balance,
    Charge,
    ChargeStatus,
    charge_units,
    check_accounting,
    check_datasets,
    check_ref,
    exhausted,
    fits,
    limit_units,
    naming,
    spend_terms,
)
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost


@dataclass
class _Slot:
    kind: AccountKind
    ref: str
    dataset: str
    accounting: Accounting
    limit: tuple[int, int]
    spent: tuple[int, int]

    def view(self) -> Account:
        return Account(
            self.kind,
            self.ref,
            self.dataset,
            self.accounting,
            PrivacyCost.from_units(*self.limit),
            PrivacyCost.from_units(*self.spent),
        )


def _admit(
    pair: tuple[_Slot, _Slot],
    units: tuple[int, int],
    cost: PrivacyCost,
    accounting: Accounting | None,
) -> None:
    """Refuse a charge either account of ``pair`` cannot take (check and spend agree)."""
    for slot in pair:
        check_accounting(accounting, slot.view())
        if not fits(units, slot.limit, slot.spent):
            raise exhausted(cost, slot.view())


class InMemoryLedger:
    """A thread-safe, in-process :class:`~sandbox.ledger.BudgetLedger` (see module doc)."""

    def __init__(self) -> None:
        """Start with no accounts and no charges."""
        self._lock = threading.Lock()
        self._slots: dict[tuple[AccountKind, str, str], _Slot] = {}
        self._charges: dict[int, Charge] = {}
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        """What the SQL ledger would have audited: ``(action, outcome, detail)``."""

    def _slot(self, kind: AccountKind, ref: str, dataset: str) -> _Slot:
        slot = self._slots.get((kind, ref, dataset))
        if slot is None:
            if kind is AccountKind.DATASET:
                raise NotFound(f"dataset {dataset!r} has no lifetime budget account")
            raise NotFound(f"grant {ref!r} has no budget account on dataset {dataset!r}")
        return slot

    def _open(
        self, kind: AccountKind, ref: str, dataset: str, limit: PrivacyCost, accounting: Accounting
    ) -> Account:
        units, accounting = limit_units(limit), Accounting(accounting)
        existing = self._slots.get((kind, ref, dataset))
        if existing is not None:
            if existing.accounting is not accounting or existing.limit != units:
                raise Conflict(
                    f"the {kind.value} budget account {ref!r} on dataset "
                    f"{dataset!r} already exists with another limit or accounting"
                )
            return existing.view()
        slot = _Slot(kind, ref, dataset, accounting, units, (0, 0))
        self._slots[(kind, ref, dataset)] = slot
        self.events.append(
            ("budget.account.open", "ok", {"kind": kind.value, "ref": ref, "dataset": dataset})
        )
        return slot.view()

    def open_dataset_account(
        self,
        dataset: str,
        limit: PrivacyCost,
        accounting: Accounting,
        *,
        actor: Actor | None = None,
    ) -> Account:
        """Open a dataset's lifetime budget account (idempotent; Conflict on other terms)."""
        dataset = check_ref(dataset, "dataset")
        with self._lock:
            return self._open(AccountKind.DATASET, dataset, dataset, limit, accounting)

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
        grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
        with self._lock:
            lifetime = self._slot(AccountKind.DATASET, dataset, dataset)
            if Accounting(accounting) is not lifetime.accounting:
                raise InvalidRequest(
                    f"dataset {dataset!r} keeps its budget under "
                    f"{lifetime.accounting} accounting, not {accounting}"
                )
            return self._open(AccountKind.GRANT, grant, dataset, limit, accounting)

    def _pair(self, grant: str, dataset: str) -> tuple[_Slot, _Slot]:
        grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
        return (
            self._slot(AccountKind.GRANT, grant, dataset),
            self._slot(AccountKind.DATASET, dataset, dataset),
        )

    def check(
        self, grant: str, dataset: str, cost: PrivacyCost, *, accounting: Accounting | None = None
    ) -> PrivacyCost:
        """What remains of the pair of accounts, or BudgetExhausted if ``cost`` won't fit."""
        units = charge_units(cost)
        with self._lock:
            pair = self._pair(grant, dataset)
            _admit(pair, units, cost, accounting)
            return Balance(pair[0].view(), pair[1].view()).remaining

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
        """Debit both accounts, or neither; BudgetExhausted names the one that can't pay."""
        grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
        (charge,) = self._spend(
            grant, (dataset,), cost, purpose, actor, accounting, job, call, joint=False
        )
        return charge

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
        """Debit every dataset's two accounts (a join), or none; one charge per dataset."""
        grant = check_ref(grant, "grant")
        names = check_datasets(datasets)
        return self._spend(grant, names, cost, purpose, actor, accounting, job, call, joint=True)

    def _spend(
        self,
        grant: str,
        names: tuple[str, ...],
        cost: PrivacyCost,
        purpose: str,
        actor: Actor,
        accounting: Accounting | None,
        job: int | None,
        call: str | None,
        *,
        joint: bool,
    ) -> tuple[Charge, ...]:
        """The one spend behind both doors: every pair of accounts pays, or none does.

        A single spend is a joint one of one dataset, except that (as in
        :class:`~sandbox.ledger.sql.SqlLedger`) its refusal neither names the dataset in
        the message nor lists ``datasets`` in the event.
        """
        purpose, job, call, units = spend_terms(purpose, job, call, cost)
        with self._lock:
            pairs = {name: self._pair(grant, name) for name in names}
            for name, pair in pairs.items():
                try:
                    _admit(pair, units, cost, accounting)
                except BudgetExhausted as exc:
                    detail: dict[str, Any] = {"grant": grant}
                    if joint:
                        detail["datasets"] = list(names)
                    detail |= {
                        "dataset": name,
                        "budget": exc.budget,
                        "requested_units": list(units),
                    }
                    self.events.append(("budget.charge", "refused", detail))
                    if joint:
                        raise naming(exc, name) from None
                    raise
            return tuple(
                self._debit(grant, name, pair, units, purpose, actor, job, call)
                for name, pair in pairs.items()
            )

    def _debit(
        self,
        grant: str,
        dataset: str,
        pair: tuple[_Slot, _Slot],
        units: tuple[int, int],
        purpose: str,
        actor: Actor,
        job: int | None,
        call: str | None,
    ) -> Charge:
        """Debit one dataset's pair of accounts (already seen to fit) and record the charge."""
        for slot in pair:
            slot.spent = (slot.spent[0] + units[0], slot.spent[1] + units[1])
        charge = Charge(
            id=len(self._charges) + 1,
            grant=grant,
            dataset=dataset,
            cost=PrivacyCost.from_units(*units),
            purpose=purpose,
            status=ChargeStatus.CHARGED,
            charged_by=actor.username,
            created_at=utc_now(),
            job=job,
            call=call,
        )
        self._charges[charge.id] = charge
        self.events.append(
            (
                "budget.charge",
                "ok",
                {
                    "charge": charge.id,
                    "grant": grant,
                    "dataset": dataset,
                    "loss_units": units[0],
                    "delta_units": units[1],
                },
            )
        )
        return charge

    def release(self, charge_id: int, actor: Actor) -> Charge:
        """Mark a charge released; releasing a released charge returns it unchanged."""
        if type(charge_id) is not int:
            raise InvalidRequest("a charge id must be an integer")
        with self._lock:
            charge = self._charges.get(charge_id)
            if charge is None:
                raise NotFound(f"charge {charge_id} does not exist")
            if charge.status is ChargeStatus.RELEASED:
                return charge
            charge = replace(
                charge,
                status=ChargeStatus.RELEASED,
                released_at=utc_now(),
                released_by=actor.username,
            )
            self._charges[charge_id] = charge
            self.events.append(("budget.release", "ok", {"charge": charge_id}))
            return charge

    def remaining(self, grant: str, dataset: str) -> PrivacyCost:
        """What one charge may still take from the grant on ``dataset``."""
        return self.balance(grant, dataset).remaining

    def balance(self, grant: str, dataset: str) -> Balance:
        """Both accounts a charge of ``grant`` on ``dataset`` debits."""
        with self._lock:
            pair = self._pair(grant, dataset)
            return Balance(pair[0].view(), pair[1].view())

    def account(self, dataset: str, grant: str | None = None) -> Account:
        """The dataset's lifetime account, or with ``grant`` that grant's account on it."""
        dataset = check_ref(dataset, "dataset")
        with self._lock:
            if grant is None:
                return self._slot(AccountKind.DATASET, dataset, dataset).view()
            return self._slot(AccountKind.GRANT, check_ref(grant, "grant"), dataset).view()

    def charge(self, charge_id: int) -> Charge:
        """One charge by id."""
        with self._lock:
            charge = self._charges.get(charge_id) if type(charge_id) is int else None
            if charge is None:
                raise NotFound(f"charge {charge_id} does not exist")
            return charge

    def charges(
        self,
        *,
        grant: str | None = None,
        dataset: str | None = None,
        status: ChargeStatus | None = None,
    ) -> list[Charge]:
        """Charges in the order they were made, optionally filtered."""
        with self._lock:
            return [
                c
                for c in self._charges.values()
                if (grant is None or c.grant == grant)
                and (dataset is None or c.dataset == dataset)
                and (status is None or c.status is ChargeStatus(status))
            ]

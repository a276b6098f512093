"""Opening the budget accounts and reading them, in the caller's session.

Every function works in the caller's session (repository style);
:class:`~sandbox.ledger.sql.SqlLedger` wraps each in a transaction of its own. Charges (spending,
releasing, reading them) are :mod:`sandbox.ledger.sql_charges`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest
from sandbox.identity.model import Actor
from sandbox.ledger.model import (
    Account,
    AccountKind,
    Balance,
    charge_units,
    check_accounting,
    check_ref,
    exhausted,
    fits,
    limit_units,
    same_terms,
)
from sandbox.ledger.sql_rows import account_of, find_account, get_account
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.store.models import BudgetAccountRow


def _open(
    session: Session,
    kind: AccountKind,
    ref: str,
    dataset: str,
    limit: PrivacyCost,
    accounting: Accounting,
    actor: Actor,
) -> Account:
    units = limit_units(limit)
    accounting = Accounting(accounting)
    existing = find_account(session, kind, ref, dataset)
    if existing is None:
        row = BudgetAccountRow(
            kind=kind.value,
            ref=ref,
            dataset_ref=dataset,
            accounting=accounting.value,
            loss_limit=units[0],
            loss_spent=0,
            delta_limit=units[1],
            delta_spent=0,
            created_at=utc_now(),
        )
        try:
            # A savepoint, so that losing a race to open the same account leaves the
            # caller's transaction usable.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            existing = find_account(session, kind, ref, dataset)
            if existing is None:
                raise
        else:
            audit.record(
                session,
                actor,
                "budget.account.open",
                object_type="budget_account",
                object_id=row.id,
                detail={
                    "kind": kind.value,
                    "ref": ref,
                    "dataset": dataset,
                    "accounting": accounting.value,
                    "loss_limit_units": units[0],
                    "delta_limit_units": units[1],
                },
            )
            return account_of(row)
    account = account_of(existing)
    if not same_terms(account, units, accounting):
        raise Conflict(
            f"the {kind.value} budget account {ref!r} on dataset {dataset!r} "
            "already exists with another limit or accounting"
        )
    return account


def open_dataset_account(
    session: Session, *, dataset: str, limit: PrivacyCost, accounting: Accounting, actor: Actor
) -> Account:
    """Open a dataset's lifetime budget account (idempotent; Conflict on other terms)."""
    dataset = check_ref(dataset, "dataset")
    return _open(session, AccountKind.DATASET, dataset, dataset, limit, accounting, actor)


def open_grant_account(
    session: Session,
    *,
    grant: str,
    dataset: str,
    limit: PrivacyCost,
    accounting: Accounting,
    actor: Actor,
) -> Account:
    """Open a grant's budget account on a dataset whose lifetime account is open.

    Idempotent; Conflict when the account exists on other terms; InvalidRequest when the
    accounting differs from the dataset's.
    """
    grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
    lifetime = get_account(session, AccountKind.DATASET, dataset, dataset)
    if Accounting(accounting) is not lifetime.accounting:
        raise InvalidRequest(
            f"dataset {dataset!r} keeps its budget under "
            f"{lifetime.accounting} accounting, not {accounting}"
        )
    return _open(session, AccountKind.GRANT, grant, dataset, limit, accounting, actor)


def balance(session: Session, *, grant: str, dataset: str) -> Balance:
    """The grant's account on ``dataset`` beside the dataset's lifetime account."""
    grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
    return Balance(
        grant=get_account(session, AccountKind.GRANT, grant, dataset),
        dataset=get_account(session, AccountKind.DATASET, dataset, dataset),
    )


def account(session: Session, *, dataset: str, grant: str | None = None) -> Account:
    """The dataset's lifetime account, or with ``grant`` that grant's account on it."""
    dataset = check_ref(dataset, "dataset")
    if grant is None:
        return get_account(session, AccountKind.DATASET, dataset, dataset)
    return get_account(session, AccountKind.GRANT, check_ref(grant, "grant"), dataset)


def dataset_accounts(session: Session, *, dataset: str) -> list[Account]:
    """Every account on ``dataset``: its lifetime account first, then each grant's."""
    dataset = check_ref(dataset, "dataset")
    rows = session.execute(
        select(BudgetAccountRow)
        .where(BudgetAccountRow.dataset_ref == dataset)
        .order_by(BudgetAccountRow.kind, BudgetAccountRow.ref)
    ).scalars()
    return [account_of(row) for row in rows]


def check(
    session: Session,
    *,
    grant: str,
    dataset: str,
    cost: PrivacyCost,
    accounting: Accounting | None = None,
) -> PrivacyCost:
    """Admission, a pure read: what remains, or BudgetExhausted if ``cost`` would not fit."""
    units = charge_units(cost)
    current = balance(session, grant=grant, dataset=dataset)
    for acct in (current.grant, current.dataset):
        check_accounting(accounting, acct)
        if not fits(
            units, acct.limit.to_units(round_up=False), acct.spent.to_units(round_up=False)
        ):
            raise exhausted(cost, acct)
    return current.remaining

"""Charges in the metadata store: spending budget, releasing and reading charges, in the
caller's session.

Spending is one transaction that debits the grant account and the dataset's lifetime
account together or not at all. Each debit is a conditional update::

    UPDATE budget_accounts SET loss_spent = loss_spent + :loss, delta_spent = ...
    WHERE <the account> AND loss_spent + :loss <= loss_limit AND delta_spent + ... <= ...

which takes the row's write lock, so concurrent charges cannot overspend: on PostgreSQL a
second writer waits for the row and re-evaluates the condition against the committed
value; on SQLite every transaction begins ``IMMEDIATE`` (see :mod:`sandbox.store.db`) and
writers run one at a time. If either update matches no row, the transaction rolls back
and :class:`BudgetExhausted` names the budget and what remains. Accounts are always
debited in the same order (grant, then dataset, then the audit head), so charges on
different grants of one dataset cannot deadlock. A check constraint on the table makes
``spent <= limit`` hold even against a bug here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.ledger.model import (
    MAX_LEDGER_UNITS,
    AccountKind,
    Charge,
    ChargeStatus,
    check_accounting,
    check_datasets,
    check_ref,
    exhausted,
    naming,
    spend_terms,
)
from sandbox.ledger.sql_rows import (
    NO_SYNC,
    account_of,
    charge_of,
    find_account,
    missing_account,
    where_account,
)
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.store.models import BudgetAccountRow, BudgetChargeRow


def _debit(
    session: Session,
    kind: AccountKind,
    ref: str,
    dataset: str,
    units: tuple[int, int],
    accounting: Accounting | None,
) -> int | None:
    """The conditional update; the account's id if it paid, ``None`` if it could not."""
    if units[0] > MAX_LEDGER_UNITS or units[1] > MAX_LEDGER_UNITS:
        return None  # more than any limit; also keeps spent + units within 64 bits
    condition = and_(
        where_account(kind, ref, dataset),
        BudgetAccountRow.loss_spent + units[0] <= BudgetAccountRow.loss_limit,
        BudgetAccountRow.delta_spent + units[1] <= BudgetAccountRow.delta_limit,
    )
    if accounting is not None:
        condition = and_(condition, BudgetAccountRow.accounting == Accounting(accounting).value)
    statement = (
        update(BudgetAccountRow)
        .where(condition)
        .values(
            loss_spent=BudgetAccountRow.loss_spent + units[0],
            delta_spent=BudgetAccountRow.delta_spent + units[1],
        )
        .returning(BudgetAccountRow.id)
    )
    paid: int | None = session.execute(statement, execution_options=NO_SYNC).scalar_one_or_none()
    return paid


def _refusal(
    session: Session,
    kind: AccountKind,
    ref: str,
    dataset: str,
    cost: PrivacyCost,
    accounting: Accounting | None,
) -> Exception:
    """Why a debit matched no row: no account, another accounting, or not enough left."""
    row = find_account(session, kind, ref, dataset)
    if row is None:
        return missing_account(kind, ref, dataset)
    acct = account_of(row)
    try:
        check_accounting(accounting, acct)
    except InvalidRequest as exc:
        return exc
    return exhausted(cost, acct)


def spend(
    session: Session,
    *,
    grant: str,
    dataset: str,
    cost: PrivacyCost,
    purpose: str,
    actor: Actor,
    accounting: Accounting | None = None,
    job: int | None = None,
    call: str | None = None,
) -> Charge:
    """Debit the grant and the dataset lifetime accounts together, in ``session``.

    ``job`` and ``call`` record which job and which of its DP calls the charge pays for.

    On any refusal the exception propagates and the caller's transaction must roll back
    (:class:`SqlLedger` does), which undoes a grant debit already made.

    Raises:
        BudgetExhausted: ``budget="grant"`` or ``"dataset lifetime"``, with what remains.
        NotFound: An account is not open.
        InvalidRequest: Bad arguments, or ``accounting`` differs from the accounts'.
    """
    grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
    purpose, job, call, units = spend_terms(purpose, job, call, cost)
    ids: dict[AccountKind, int] = {}
    for kind, ref in ((AccountKind.GRANT, grant), (AccountKind.DATASET, dataset)):
        paid = _debit(session, kind, ref, dataset, units, accounting)
        if paid is None:
            raise _refusal(session, kind, ref, dataset, cost, accounting)
        ids[kind] = paid
    row = BudgetChargeRow(
        grant_account_id=ids[AccountKind.GRANT],
        dataset_account_id=ids[AccountKind.DATASET],
        grant_ref=grant,
        dataset_ref=dataset,
        loss_units=units[0],
        delta_units=units[1],
        purpose=purpose,
        status=ChargeStatus.CHARGED.value,
        charged_by=actor.username,
        created_at=utc_now(),
        job_id=job,
        call=call,
    )
    session.add(row)
    session.flush()
    detail: dict[str, Any] = {
        "grant": grant,
        "dataset": dataset,
        "loss_units": units[0],
        "delta_units": units[1],
        "purpose": purpose,
    }
    if job is not None:
        detail["job"] = job
    if call is not None:
        detail["call"] = call
    audit.record(
        session,
        actor,
        "budget.charge",
        object_type="budget_charge",
        object_id=row.id,
        detail=detail,
    )
    return charge_of(row)


def spend_jointly(
    session: Session,
    *,
    grant: str,
    datasets: Sequence[str],
    cost: PrivacyCost,
    purpose: str,
    actor: Actor,
    accounting: Accounting | None = None,
    job: int | None = None,
    call: str | None = None,
) -> tuple[Charge, ...]:
    """One release's charges on several datasets (a join), in ``session``: each dataset's
    grant and lifetime accounts pay the whole ``cost``, as :func:`spend` debits them.

    The datasets are debited in name order (whatever order they are given in), so joint
    charges on the same datasets cannot deadlock; the charges come back in the order given.
    On any refusal the caller's transaction must roll back, which undoes every debit made:
    all the datasets pay, or none.

    Raises:
        BudgetExhausted: Its message names the dataset whose account could not pay.
    """
    names = check_datasets(datasets)
    charges: dict[str, Charge] = {}
    for name in sorted(names):
        try:
            charges[name] = spend(
                session,
                grant=grant,
                dataset=name,
                cost=cost,
                purpose=purpose,
                actor=actor,
                accounting=accounting,
                job=job,
                call=call,
            )
        except BudgetExhausted as exc:
            raise naming(exc, name) from None
    return tuple(charges[name] for name in names)


def release(session: Session, *, charge_id: int, actor: Actor) -> Charge:
    """Mark a charge released (its output is going out). Idempotent."""
    if type(charge_id) is not int:
        raise InvalidRequest("a charge id must be an integer")
    now = utc_now()
    statement = (
        update(BudgetChargeRow)
        .where(
            BudgetChargeRow.id == charge_id, BudgetChargeRow.status == ChargeStatus.CHARGED.value
        )
        .values(status=ChargeStatus.RELEASED.value, released_at=now, released_by=actor.username)
        .returning(BudgetChargeRow.id)
    )
    changed = session.execute(statement, execution_options=NO_SYNC).scalar_one_or_none()
    row = session.execute(
        select(BudgetChargeRow)
        .where(BudgetChargeRow.id == charge_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"charge {charge_id} does not exist")
    if changed is not None:
        audit.record(
            session,
            actor,
            "budget.release",
            object_type="budget_charge",
            object_id=charge_id,
            detail={"grant": row.grant_ref, "dataset": row.dataset_ref},
        )
    return charge_of(row)


def get_charge(session: Session, *, charge_id: int) -> Charge:
    """One charge by id."""
    row = session.get(BudgetChargeRow, charge_id) if type(charge_id) is int else None
    if row is None:
        raise NotFound(f"charge {charge_id} does not exist")
    return charge_of(row)


def list_charges(
    session: Session,
    *,
    grant: str | None = None,
    dataset: str | None = None,
    status: ChargeStatus | None = None,
) -> list[Charge]:
    """Charges in the order they were made, optionally filtered."""
    statement = select(BudgetChargeRow).order_by(BudgetChargeRow.id)
    if grant is not None:
        statement = statement.where(BudgetChargeRow.grant_ref == grant)
    if dataset is not None:
        statement = statement.where(BudgetChargeRow.dataset_ref == dataset)
    if status is not None:
        statement = statement.where(BudgetChargeRow.status == ChargeStatus(status).value)
    return [charge_of(row) for row in session.execute(statement).scalars()]

"""The budget ledger in the metadata store (SQLite or PostgreSQL).

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

The module-level functions work in the caller's session (repository style); :class:`SqlLedger`
wraps each in its own transaction and is the :class:`~sandbox.ledger.BudgetLedger` the
engine uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.ledger.model import (
    MAX_LEDGER_UNITS,
    Account,
    AccountKind,
    Balance,
    Charge,
    ChargeStatus,
    charge_units,
    check_accounting,
    check_call,
    check_cost,
    check_datasets,
    check_job,
    check_purpose,
    check_ref,
    exhausted,
    fits,
    limit_units,
    naming,
    same_terms,
)
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.store.db import transaction
from sandbox.store.models import BudgetAccountRow, BudgetChargeRow

_NO_SYNC: dict[str, Any] = {"synchronize_session": False}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _account(row: BudgetAccountRow) -> Account:
    return Account(
        kind=AccountKind(row.kind),
        ref=row.ref,
        dataset=row.dataset_ref,
        accounting=Accounting(row.accounting),
        limit=PrivacyCost.from_units(row.loss_limit, row.delta_limit),
        spent=PrivacyCost.from_units(row.loss_spent, row.delta_spent),
    )


def _charge(row: BudgetChargeRow) -> Charge:
    return Charge(
        id=row.id,
        grant=row.grant_ref,
        dataset=row.dataset_ref,
        cost=PrivacyCost.from_units(row.loss_units, row.delta_units),
        purpose=row.purpose,
        status=ChargeStatus(row.status),
        charged_by=row.charged_by,
        created_at=_utc(row.created_at),
        released_at=_utc(row.released_at) if row.released_at else None,
        released_by=row.released_by,
        job=row.job_id,
        call=row.call,
    )


def _where(kind: AccountKind, ref: str, dataset: str) -> ColumnElement[bool]:
    return and_(
        BudgetAccountRow.kind == kind.value,
        BudgetAccountRow.ref == ref,
        BudgetAccountRow.dataset_ref == dataset,
    )


def _find(session: Session, kind: AccountKind, ref: str, dataset: str) -> BudgetAccountRow | None:
    return session.execute(
        select(BudgetAccountRow).where(_where(kind, ref, dataset))
    ).scalar_one_or_none()


def _missing(kind: AccountKind, ref: str, dataset: str) -> NotFound:
    if kind is AccountKind.DATASET:
        return NotFound(f"dataset {dataset!r} has no lifetime budget account")
    return NotFound(f"grant {ref!r} has no budget account on dataset {dataset!r}")


def _get(session: Session, kind: AccountKind, ref: str, dataset: str) -> Account:
    row = _find(session, kind, ref, dataset)
    if row is None:
        raise _missing(kind, ref, dataset)
    return _account(row)


def _open(
    session: Session,
    *,
    kind: AccountKind,
    ref: str,
    dataset: str,
    limit: PrivacyCost,
    accounting: Accounting,
    actor: Actor,
) -> Account:
    units = limit_units(limit)
    accounting = Accounting(accounting)
    existing = _find(session, kind, ref, dataset)
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
            existing = _find(session, kind, ref, dataset)
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
            return _account(row)
    account = _account(existing)
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
    return _open(
        session,
        kind=AccountKind.DATASET,
        ref=dataset,
        dataset=dataset,
        limit=limit,
        accounting=accounting,
        actor=actor,
    )


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
    lifetime = _get(session, AccountKind.DATASET, dataset, dataset)
    if Accounting(accounting) is not lifetime.accounting:
        raise InvalidRequest(
            f"dataset {dataset!r} keeps its budget under "
            f"{lifetime.accounting} accounting, not {accounting}"
        )
    return _open(
        session,
        kind=AccountKind.GRANT,
        ref=grant,
        dataset=dataset,
        limit=limit,
        accounting=accounting,
        actor=actor,
    )


def balance(session: Session, *, grant: str, dataset: str) -> Balance:
    """The grant's account on ``dataset`` beside the dataset's lifetime account."""
    grant, dataset = check_ref(grant, "grant"), check_ref(dataset, "dataset")
    return Balance(
        grant=_get(session, AccountKind.GRANT, grant, dataset),
        dataset=_get(session, AccountKind.DATASET, dataset, dataset),
    )


def account(session: Session, *, dataset: str, grant: str | None = None) -> Account:
    """The dataset's lifetime account, or with ``grant`` that grant's account on it."""
    dataset = check_ref(dataset, "dataset")
    if grant is None:
        return _get(session, AccountKind.DATASET, dataset, dataset)
    return _get(session, AccountKind.GRANT, check_ref(grant, "grant"), dataset)


def dataset_accounts(session: Session, *, dataset: str) -> list[Account]:
    """Every account on ``dataset``: its lifetime account first, then each grant's."""
    dataset = check_ref(dataset, "dataset")
    rows = session.execute(
        select(BudgetAccountRow)
        .where(BudgetAccountRow.dataset_ref == dataset)
        .order_by(BudgetAccountRow.kind, BudgetAccountRow.ref)
    ).scalars()
    return [_account(row) for row in rows]


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
        _where(kind, ref, dataset),
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
    paid: int | None = session.execute(statement, execution_options=_NO_SYNC).scalar_one_or_none()
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
    row = _find(session, kind, ref, dataset)
    if row is None:
        return _missing(kind, ref, dataset)
    acct = _account(row)
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
    purpose = check_purpose(purpose)
    job, call = check_job(job), check_call(call)
    units = charge_units(cost)
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
    return _charge(row)


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
    changed = session.execute(statement, execution_options=_NO_SYNC).scalar_one_or_none()
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
    return _charge(row)


def get_charge(session: Session, *, charge_id: int) -> Charge:
    """One charge by id."""
    row = session.get(BudgetChargeRow, charge_id) if type(charge_id) is int else None
    if row is None:
        raise NotFound(f"charge {charge_id} does not exist")
    return _charge(row)


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
    return [_charge(row) for row in session.execute(statement).scalars()]


class SqlLedger:
    """The :class:`~sandbox.ledger.BudgetLedger` over the metadata store.

    Each method runs in its own transaction. A refused spend is rolled back, then recorded
    in the audit log (outcome ``refused``) in a transaction of its own.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        """Use ``sessions`` (see :func:`sandbox.store.make_session_factory`)."""
        self._sessions = sessions

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
        try:
            with transaction(self._sessions) as session:
                return spend(
                    session,
                    grant=grant,
                    dataset=dataset,
                    cost=cost,
                    purpose=purpose,
                    actor=actor,
                    accounting=accounting,
                    job=job,
                    call=call,
                )
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
                        "dataset": dataset,
                        "budget": exc.budget,
                        "requested_units": list(check_cost(cost).to_units(round_up=True)),
                        "purpose": purpose,
                    },
                )
            raise

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
        try:
            with transaction(self._sessions) as session:
                return spend_jointly(
                    session,
                    grant=grant,
                    datasets=datasets,
                    cost=cost,
                    purpose=purpose,
                    actor=actor,
                    accounting=accounting,
                    job=job,
                    call=call,
                )
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
                        "datasets": list(datasets),
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

"""Budget rows of the metadata store read as the ledger's value types.

Why a module of its own: opening and reading accounts (:mod:`sandbox.ledger.sql_accounts`)
and charges (:mod:`sandbox.ledger.sql_charges`) find the same rows and must report a
missing account in the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from sandbox.errors import NotFound
from sandbox.ledger.model import Account, AccountKind, Charge, ChargeStatus
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.store.models import BudgetAccountRow, BudgetChargeRow

NO_SYNC: dict[str, Any] = {"synchronize_session": False}
"""Execution options for bulk updates whose rows are re-read, not synchronised."""


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def account_of(row: BudgetAccountRow) -> Account:
    """The :class:`Account` a budget account row holds."""
    return Account(
        kind=AccountKind(row.kind),
        ref=row.ref,
        dataset=row.dataset_ref,
        accounting=Accounting(row.accounting),
        limit=PrivacyCost.from_units(row.loss_limit, row.delta_limit),
        spent=PrivacyCost.from_units(row.loss_spent, row.delta_spent),
    )


def charge_of(row: BudgetChargeRow) -> Charge:
    """The :class:`Charge` a budget charge row holds (times in UTC)."""
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


def where_account(kind: AccountKind, ref: str, dataset: str) -> ColumnElement[bool]:
    """The condition selecting one account."""
    return and_(
        BudgetAccountRow.kind == kind.value,
        BudgetAccountRow.ref == ref,
        BudgetAccountRow.dataset_ref == dataset,
    )


def find_account(
    session: Session, kind: AccountKind, ref: str, dataset: str
) -> BudgetAccountRow | None:
    """One account's row, or ``None`` when it is not open."""
    return session.execute(
        select(BudgetAccountRow).where(where_account(kind, ref, dataset))
    ).scalar_one_or_none()


def missing_account(kind: AccountKind, ref: str, dataset: str) -> NotFound:
    """The error for an account that is not open."""
    if kind is AccountKind.DATASET:
        return NotFound(f"dataset {dataset!r} has no lifetime budget account")
    return NotFound(f"grant {ref!r} has no budget account on dataset {dataset!r}")


def get_account(session: Session, kind: AccountKind, ref: str, dataset: str) -> Account:
    """One open account, or NotFound."""
    row = find_account(session, kind, ref, dataset)
    if row is None:
        raise missing_account(kind, ref, dataset)
    return account_of(row)

"""Counting the ledger's charges for the platform's metrics, whoever writes them.

A charge is a ``budget_charges`` row; whichever path inserts one (a job's DP call through
:class:`~sandbox.ledger.SqlLedger`, a joint charge, a provider's synthetic preview), it is
counted here once its transaction commits (:func:`sandbox.observability.metrics.on_commit`),
with the accounting of the account it debits: an epsilon and a rho are never added up
together. The fake in-memory ledger of dry runs writes no row, so a dry run counts nothing,
as it charges nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper, object_session

from sandbox.observability import metrics
from sandbox.policies.budget import PrivacyCost
from sandbox.store.models import BudgetAccountRow, BudgetChargeRow

__all__: list[str] = []

log = logging.getLogger(__name__)


@event.listens_for(BudgetChargeRow, "after_insert")
def _charge_inserted(_mapper: Mapper[Any], connection: Connection, row: BudgetChargeRow) -> None:
    session = object_session(row)
    if session is None:
        return
    accounting = connection.execute(
        select(BudgetAccountRow.accounting).where(BudgetAccountRow.id == row.dataset_account_id)
    ).scalar_one_or_none()
    cost = PrivacyCost.from_units(int(row.loss_units), int(row.delta_units))
    metrics.on_commit(session, lambda: metrics.dp_charged(str(accounting), cost.loss, cost.delta))

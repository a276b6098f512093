"""Reading a dataset's budget accounts: who may, and the read recorded in the trail.

The API's ``GET /v1/budgets/{name}`` and any other door (the CLI goes through the API) call
this one service, so the permission and the ``budget.read`` entry cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.permissions import owns
from sandbox.catalog.queries import get_entry
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.ledger.model import Account
from sandbox.ledger.sql_accounts import dataset_accounts

BUDGET_READERS = (Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)
"""Roles that read every dataset's budget; a provider reads its own organisation's."""


def read_dataset_budget(session: Session, actor: Actor, name: str) -> list[Account]:
    """The lifetime and grant accounts of dataset ``name``; the read is audited."""
    entry = get_entry(session, name)
    if not (owns(actor, entry.provider_org_id) or actor.role in BUDGET_READERS):
        raise PermissionDenied("a dataset's budget is read by its provider and oversight")
    accounts = dataset_accounts(session, dataset=name)
    audit.record(session, actor, "budget.read", object_type="dataset", object_id=name)
    return accounts

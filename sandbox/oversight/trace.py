"""The leak trace: everything that touched a dataset (version), from the audit trail and
the budget ledger, in order (Lianyungang art. 26; Xi'an art. 16, 32).

One call gathers, in audit sequence order:

- every audit entry whose object is the dataset: reads, downloads, row queries,
  previews, versions, policies, suspensions, and refused requests on its routes;
- every budget charge on the dataset (from the ledger), with the audit entry that
  recorded it and the charge's current status;
- every entry of a job, result or release whose detail names the dataset (``dataset``, or
  ``datasets``: a list, or a job's mapping of dataset name to the version it read).

With ``version``, entries that name another version are left out; entries that name no
version (charges, synthetic previews, jobs that do not say) stay in, shown with
``version: null``, since they may have touched it. The grants that cover the dataset and
the data products made from it are listed beside. The owning provider and oversight may
trace; the trace itself is audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import GrantStatus
from sandbox.access.rules import grant_status_at
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.catalog.queries import version_row
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor
from sandbox.ledger.model import ChargeStatus
from sandbox.oversight.common import dataset_by_name, now_or, username
from sandbox.oversight.model import Trace, TraceItem
from sandbox.oversight.products import list_products
from sandbox.policies.budget import PrivacyCost
from sandbox.store.models import AuditEntryRow, BudgetChargeRow, GrantRow

TRACE_LIMIT = 10_000
"""Most entries one trace returns (the earliest first; ``truncated`` says when cut)."""
JOB_OBJECT_TYPES = ("job", "result", "release")
"""Object types of the runtime's and the review's entries, matched on their detail."""
_KINDS = {
    "dataset.download": "download",
    "dataset.query": "query",
    "dataset.preview": "preview",
    "budget.charge": "charge",
    "budget.release": "charge_release",
}
_CHUNK = 500


def _kind(row: AuditEntryRow) -> str:
    if row.outcome == "denied":
        return "refused"
    if row.action in _KINDS:
        return _KINDS[row.action]
    prefix = row.action.split(".", 1)[0]
    if prefix in JOB_OBJECT_TYPES or row.object_type in JOB_OBJECT_TYPES:
        return prefix if prefix in JOB_OBJECT_TYPES else row.object_type
    return row.action.removeprefix("dataset.")


def _names(detail: dict[str, Any], name: str) -> bool:
    datasets = detail.get("datasets")
    return detail.get("dataset") == name or (isinstance(datasets, list | dict) and name in datasets)


def _version(detail: dict[str, Any], name: str) -> int | None:
    """The version an entry names: ``version``, or the job's ``datasets`` mapping of name
    to version.
    """
    value = detail.get("version")
    datasets = detail.get("datasets")
    if value is None and isinstance(datasets, dict):
        value = datasets.get(name)
    return value if type(value) is int else None


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _charge(row: BudgetChargeRow) -> dict[str, Any]:
    cost = PrivacyCost.from_units(row.loss_units, row.delta_units)
    return {
        "id": row.id,
        "grant": row.grant_ref,
        "loss": float(cost.loss),
        "delta": float(cost.delta),
        "purpose": row.purpose,
        "status": ChargeStatus(row.status).value,
        "charged_by": row.charged_by,
    }


def trace(session: Session, actor: Actor, name: str, *, version: int | None = None) -> Trace:
    """Everything that touched dataset ``name`` (see the module docstring)."""
    dataset = dataset_by_name(session, name)
    if not (owns(actor, dataset.provider_org_id) or actor.role in OVERSIGHT_ROLES):
        raise PermissionDenied("a dataset's trace is read by its provider and oversight")
    if version is not None:
        version_row(session, dataset, version)
    rows: dict[int, AuditEntryRow] = {
        r.seq: r
        for r in session.execute(
            select(AuditEntryRow).where(AuditEntryRow.object_id == name)
        ).scalars()
    }
    charges = {
        str(c.id): c
        for c in session.execute(
            select(BudgetChargeRow).where(BudgetChargeRow.dataset_ref == name)
        ).scalars()
    }
    for chunk in _chunks(list(charges)):
        for r in session.execute(
            select(AuditEntryRow).where(
                AuditEntryRow.object_type == "budget_charge", AuditEntryRow.object_id.in_(chunk)
            )
        ).scalars():
            rows[r.seq] = r
    for r in session.execute(
        select(AuditEntryRow).where(AuditEntryRow.object_type.in_(JOB_OBJECT_TYPES))
    ).scalars():
        if _names(json.loads(r.detail), name):
            rows[r.seq] = r
    items = []
    for seq in sorted(rows):
        r = rows[seq]
        detail = json.loads(r.detail)
        number = _version(detail, name)
        if version is not None and number is not None and number != version:
            continue
        charge = charges.get(r.object_id) if r.object_type == "budget_charge" else None
        items.append(
            TraceItem(
                seq=r.seq,
                at=r.at,
                kind=_kind(r),
                action=r.action,
                actor=r.actor,
                role=r.role,
                outcome=r.outcome,
                version=number,
                detail=detail,
                charge=_charge(charge) if charge else None,
            )
        )
    now = now_or(None)
    grants = tuple(
        {
            "ref": g.ref,
            "holder": username(session, g.holder_id),
            "status": str(grant_status_at(GrantStatus(g.status), g.valid_until, now)),
            "period_start": g.period_start.isoformat(),
            "period_end": g.period_end.isoformat(),
        }
        for g in session.execute(select(GrantRow).order_by(GrantRow.id)).scalars()
        if name in g.datasets
    )
    products = tuple(
        {
            "id": p.id,
            "title": p.title,
            "publisher": p.publisher,
            "version": next(s.version for s in p.sources if s.dataset == name),
            "published_at": p.published_at.isoformat(),
        }
        for p in list_products(session, dataset=name)
    )
    if version is not None:
        products = tuple(p for p in products if p["version"] == version)
    audit.record(
        session,
        actor,
        "dataset.trace",
        object_type="dataset",
        object_id=name,
        detail={"version": version, "entries": min(len(items), TRACE_LIMIT)},
    )
    return Trace(
        dataset=name,
        version=version,
        items=tuple(items[:TRACE_LIMIT]),
        truncated=len(items) > TRACE_LIMIT,
        grants=grants,
        data_products=products,
    )

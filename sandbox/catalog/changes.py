"""Open-attribute changes and the desensitisation record.

A provider files a change request; the rules in :mod:`sandbox.catalog.rules` refuse the
ones that can never be approved; the authority approves or rejects the rest. Only an
approval changes the dataset, in the same transaction as its audit entry.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.model import AttributeChange, ChangeStatus, Desensitisation, OpenAttribute
from sandbox.catalog.permissions import require_owner
from sandbox.catalog.queries import dataset_row
from sandbox.catalog.rules import check_attribute_change
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.store.models import (
    AttributeChangeRow,
    DatasetRow,
    DatasetVersionRow,
    DesensitisationRow,
    UserRow,
)


def record_desensitisation(
    session: Session,
    actor: Actor,
    name: str,
    *,
    method: str,
    description: str,
    version: int | None,
) -> Desensitisation:
    """Add a desensitisation step to a dataset's record (Qingdao art. 12)."""
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, "record desensitisation")
    if not method.strip():
        raise InvalidRequest("a desensitisation record needs its method")
    if (
        version is not None
        and not session.execute(
            select(DatasetVersionRow.id).where(
                DatasetVersionRow.dataset_id == row.id, DatasetVersionRow.version == version
            )
        ).first()
    ):
        raise NotFound(f"dataset {name!r} has no version {version}")
    record = DesensitisationRow(
        dataset_id=row.id,
        method=method.strip(),
        description=description,
        version=version,
        recorded_by=actor.user_id,
        recorded_at=utc_now(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.desensitisation.record",
        object_type="dataset",
        object_id=name,
        detail={"desensitisation_id": record.id, "method": method},
    )
    return Desensitisation(
        record.id,
        record.method,
        record.description,
        record.version,
        actor.username,
        record.recorded_at,
    )


def request_change(
    session: Session,
    actor: Actor,
    name: str,
    *,
    to_attribute: OpenAttribute,
    legal_basis: str = "",
    desensitisation_id: int | None = None,
    consent_reference: str = "",
    reason: str = "",
) -> AttributeChange:
    """File a change of open attribute for the authority to decide."""
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, "request a change of open attribute")
    if desensitisation_id is not None:
        record = session.get(DesensitisationRow, desensitisation_id)
        if record is None or record.dataset_id != row.id:
            raise InvalidRequest(
                f"desensitisation {desensitisation_id} is not recorded for dataset {name!r}"
            )
    current = OpenAttribute(row.open_attribute)
    check_attribute_change(
        current=current,
        requested=to_attribute,
        legal_basis=legal_basis,
        has_desensitisation=desensitisation_id is not None,
        consent_reference=consent_reference,
    )
    pending = session.execute(
        select(AttributeChangeRow.id).where(
            AttributeChangeRow.dataset_id == row.id,
            AttributeChangeRow.status == str(ChangeStatus.PENDING),
        )
    ).first()
    if pending:
        raise Conflict(f"dataset {name!r} already has a pending attribute change")
    change = AttributeChangeRow(
        dataset_id=row.id,
        from_attribute=str(current),
        to_attribute=str(to_attribute),
        legal_basis=legal_basis,
        desensitisation_id=desensitisation_id,
        consent_reference=consent_reference,
        reason=reason,
        status=str(ChangeStatus.PENDING),
        requested_by=actor.user_id,
        requested_at=utc_now(),
        decision_note="",
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.attribute_change.request",
        object_type="dataset",
        object_id=name,
        detail={"change_id": change.id, "from": str(current), "to": str(to_attribute)},
    )
    return _change(session, change)


def decide_change(
    session: Session, actor: Actor, change_id: int, *, approve: bool, note: str = ""
) -> AttributeChange:
    """The authority's decision; an approval applies the new attribute at once."""
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority decides changes of open attribute")
    change = session.get(AttributeChangeRow, change_id)
    if change is None:
        raise NotFound(f"attribute change {change_id} does not exist")
    if change.status != str(ChangeStatus.PENDING):
        raise Conflict(f"attribute change {change_id} was already {change.status}")
    dataset = session.get(DatasetRow, change.dataset_id)
    if dataset is None:
        raise NotFound(f"the dataset of attribute change {change_id} no longer exists")
    if approve and dataset.open_attribute != change.from_attribute:
        raise Conflict("the dataset's attribute changed since the request was filed")
    change.status = str(ChangeStatus.APPROVED if approve else ChangeStatus.REJECTED)
    change.decided_by = actor.user_id
    change.decided_at = utc_now()
    change.decision_note = note
    if approve:
        dataset.open_attribute = change.to_attribute
        if change.legal_basis.strip():
            dataset.legal_basis = change.legal_basis
        dataset.updated_at = utc_now()
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.attribute_change.decide",
        object_type="dataset",
        object_id=dataset.name,
        detail={"change_id": change_id, "decision": change.status, "to": change.to_attribute},
    )
    return _change(session, change)


def list_changes(
    session: Session, *, status: ChangeStatus | None = None, dataset: str | None = None
) -> list[AttributeChange]:
    """Change requests, newest first."""
    stmt = select(AttributeChangeRow).order_by(AttributeChangeRow.id.desc())
    if status is not None:
        stmt = stmt.where(AttributeChangeRow.status == str(status))
    if dataset is not None:
        stmt = stmt.where(AttributeChangeRow.dataset_id == dataset_row(session, dataset).id)
    return [_change(session, r) for r in session.execute(stmt).scalars()]


def _change(session: Session, row: AttributeChangeRow) -> AttributeChange:
    dataset = session.get(DatasetRow, row.dataset_id)
    requester = session.get(UserRow, row.requested_by)
    decider = session.get(UserRow, row.decided_by) if row.decided_by else None
    return AttributeChange(
        id=row.id,
        dataset=dataset.name if dataset else "?",
        from_attribute=OpenAttribute(row.from_attribute),
        to_attribute=OpenAttribute(row.to_attribute),
        legal_basis=row.legal_basis,
        desensitisation_id=row.desensitisation_id,
        consent_reference=row.consent_reference,
        reason=row.reason,
        status=ChangeStatus(row.status),
        requested_by=requester.username if requester else "?",
        requested_at=row.requested_at,
        decided_by=decider.username if decider else None,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
    )

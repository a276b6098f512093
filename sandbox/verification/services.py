"""Publishing and withdrawing verification services (Qingdao art. 13: the provider opens
conditional data through service interfaces "for query or verification").

Only a provider of the dataset's organisation publishes or withdraws, and only on a
conditional dataset: unconditional data is open to download anyway, and data not open is
never matched against by anyone (Qingdao art. 9). The fields are checked against the data
dictionary:

- the first field is the key, an ``identifier`` column of text or whole numbers: a
  verification asks about one record its caller already knows by its identifier. This is
  the one place where identifiers are matched, and still never returned;
- the other fields may be identifiers, quasi-identifiers or public columns, never
  ``sensitive`` ones: "does the person with this id have this diagnosis" is the disclosure
  the platform exists to prevent, one bit at a time;
- each field is compared exactly, so only text, whole-number, date and boolean columns
  qualify (a float or a timestamp has no exact value to confirm).

A withdrawn service answers no more; it keeps its name (its usage and audit trail refer to
it). Publication and withdrawal are audited. Everyone signed in may read the services of a
dataset, as they read its catalog entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog.dictionary import Classification, ColumnType, DataDictionary
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import require_owner
from sandbox.catalog.queries import dataset_row
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.store.models import DatasetRow, UserRow, VerificationServiceRow
from sandbox.verification.model import (
    MAX_DESCRIPTION_CHARS,
    MAX_FIELDS,
    MAX_REASON_CHARS,
    AnswerKind,
    FieldSpec,
    Service,
    ServiceStatus,
)
from sandbox.verification.normalise import KEY_TYPES, MATCHABLE_TYPES

SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
ALLOWED_CLASSIFICATIONS = frozenset(
    {Classification.IDENTIFIER, Classification.QUASI_IDENTIFIER, Classification.PUBLIC}
)


def service_of(
    session: Session, row: VerificationServiceRow, dataset: str | None = None
) -> Service:
    """A stored service as the domain sees it."""
    if dataset is None:
        found = session.get(DatasetRow, row.dataset_id)
        dataset = found.name if found else "?"
    creator = session.get(UserRow, row.created_by)
    return Service(
        id=row.id,
        dataset=dataset,
        name=row.name,
        description=row.description,
        fields=tuple(FieldSpec.from_dict(f) for f in row.fields),
        answer=AnswerKind(row.answer),
        status=ServiceStatus(row.status),
        created_by=creator.username if creator else "?",
        created_at=row.created_at,
        withdrawn_at=row.withdrawn_at,
        withdrawn_reason=row.withdrawn_reason,
    )


def check_fields(dictionary: DataDictionary, fields: Sequence[FieldSpec], kind: AnswerKind) -> None:
    """Refuse fields the dictionary does not allow a verification on (module docstring)."""
    if not fields:
        raise InvalidRequest("a verification service needs at least one field (its key)")
    if len(fields) > MAX_FIELDS:
        raise InvalidRequest(f"a verification service takes at most {MAX_FIELDS} fields")
    if kind is AnswerKind.PER_FIELD and len(fields) < 2:
        raise InvalidRequest("a per_field service needs a key field and at least one more")
    names = [spec.name for spec in fields]
    columns = [spec.column for spec in fields]
    for label, values in (("field names", names), ("columns", columns)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise InvalidRequest(f"the {label} repeat {', '.join(repr(v) for v in repeated)}")
    for position, spec in enumerate(fields):
        if not FIELD_NAME.match(spec.name):
            raise InvalidRequest(
                f"field name {spec.name!r} must be a letter or '_' followed by letters, "
                "digits or '_'"
            )
        column = dictionary.by_name.get(spec.column)
        if column is None:
            raise InvalidRequest(f"field {spec.name!r}: {spec.column!r} is not a column")
        if column.classification not in ALLOWED_CLASSIFICATIONS:
            raise InvalidRequest(
                f"field {spec.name!r}: column {spec.column!r} is {column.classification}; "
                "a verification never confirms a sensitive value"
            )
        if column.type not in MATCHABLE_TYPES:
            raise InvalidRequest(
                f"field {spec.name!r}: column {spec.column!r} is {column.type}, which has no "
                "exact value to verify (text, int64, date or bool columns only)"
            )
        if position == 0 and (
            column.classification is not Classification.IDENTIFIER or column.type not in KEY_TYPES
        ):
            raise InvalidRequest(
                f"the first field ({spec.name!r}) is the key: it must be an identifier column "
                "of text or whole numbers, naming the record asked about"
            )


def column_types(dictionary: DataDictionary, service: Service) -> tuple[ColumnType, ...]:
    """The column type of each of the service's fields."""
    return tuple(dictionary.by_name[spec.column].type for spec in service.fields)


def _text(value: str, label: str, limit: int, *, required: bool = False) -> str:
    if len(value) > limit:
        raise InvalidRequest(f"{label} is longer than {limit} characters")
    if required and not value.strip():
        raise InvalidRequest(f"{label} must not be empty")
    return value.strip()


def publish(
    session: Session,
    actor: Actor,
    dataset: str,
    *,
    name: str,
    fields: Sequence[dict[str, Any]],
    answer: str = "match",
    description: str = "",
    now: datetime | None = None,
) -> Service:
    """Publish a verification service on conditional dataset ``dataset`` (its provider)."""
    row = dataset_row(session, dataset)
    require_owner(actor, row.provider_org_id, "publish a verification service on it")
    if OpenAttribute(row.open_attribute) is not OpenAttribute.CONDITIONAL:
        raise InvalidRequest(
            f"dataset {dataset!r} is {row.open_attribute}: verification services are "
            "published on conditional datasets only"
        )
    if not SERVICE_NAME.match(name or ""):
        raise InvalidRequest(
            "a service name is 1 to 64 lower-case letters, digits, '_' or '-', from a letter"
        )
    kind = parse_enum(AnswerKind, answer, "answer")
    specs = [FieldSpec.from_dict(f) for f in fields]
    check_fields(DataDictionary.from_list(row.dictionary), specs, kind)
    taken = session.execute(
        select(VerificationServiceRow.id).where(
            VerificationServiceRow.dataset_id == row.id, VerificationServiceRow.name == name
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"dataset {dataset!r} already has a verification service {name!r} (a withdrawn "
            "service keeps its name); choose another name"
        )
    made = VerificationServiceRow(
        dataset_id=row.id,
        name=name,
        description=_text(description, "the description", MAX_DESCRIPTION_CHARS),
        fields=[spec.to_dict() for spec in specs],
        answer=str(kind),
        status=str(ServiceStatus.PUBLISHED),
        created_by=actor.user_id,
        created_at=now or utc_now(),
        withdrawn_reason="",
    )
    session.add(made)
    session.flush()
    audit.record(
        session,
        actor,
        "verification.published",
        object_type="verification_service",
        object_id=made.id,
        detail={
            "dataset": dataset,
            "name": name,
            "answer": str(kind),
            "columns": [spec.column for spec in specs],
        },
    )
    return service_of(session, made, dataset)


def _row(session: Session, service_id: int, *, lock: bool = False) -> VerificationServiceRow:
    stmt = select(VerificationServiceRow).where(VerificationServiceRow.id == service_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"verification service {service_id} does not exist")
    return row


def withdraw(
    session: Session, actor: Actor, service_id: int, reason: str, *, now: datetime | None = None
) -> Service:
    """Withdraw a service (a provider of its dataset's organisation); it answers no more."""
    why = _text(reason, "the reason", MAX_REASON_CHARS, required=True)
    row = _row(session, service_id, lock=True)
    dataset = session.get(DatasetRow, row.dataset_id)
    if dataset is None:
        raise NotFound(f"verification service {service_id} does not exist")
    require_owner(actor, dataset.provider_org_id, "withdraw its verification services")
    if row.status == ServiceStatus.WITHDRAWN:
        raise Conflict(f"verification service {service_id} is already withdrawn")
    row.status = str(ServiceStatus.WITHDRAWN)
    row.withdrawn_by = actor.user_id
    row.withdrawn_at = now or utc_now()
    row.withdrawn_reason = why
    session.flush()
    audit.record(
        session,
        actor,
        "verification.withdrawn",
        object_type="verification_service",
        object_id=row.id,
        detail={"dataset": dataset.name, "name": row.name},
    )
    return service_of(session, row, dataset.name)


def get_service(session: Session, service_id: int) -> Service:
    """One service (anyone signed in: services are part of the catalog)."""
    return service_of(session, _row(session, service_id))


def list_services(session: Session, dataset: str, *, status: str | None = None) -> list[Service]:
    """The services of ``dataset``, oldest first (optionally of one status)."""
    row = dataset_row(session, dataset)
    stmt = select(VerificationServiceRow).where(VerificationServiceRow.dataset_id == row.id)
    if status is not None:
        wanted = parse_enum(ServiceStatus, status, "status")
        stmt = stmt.where(VerificationServiceRow.status == str(wanted))
    rows = session.execute(stmt.order_by(VerificationServiceRow.id)).scalars()
    return [service_of(session, r, dataset) for r in rows]

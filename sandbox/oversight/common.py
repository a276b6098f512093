"""Small helpers shared by the oversight services."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sandbox._parse import parse_enum
from sandbox.access.rules import MAX_TEXT_CHARS
from sandbox.catalog.permissions import restrict_to_visible
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.oversight.model import CaseStatus
from sandbox.store.models import (
    ComplaintRow,
    DatasetRow,
    DatasetVersionRow,
    ObjectionRow,
    OrganisationRow,
    UserRow,
)

_CaseRow = TypeVar("_CaseRow", ComplaintRow, ObjectionRow)


def now_or(now: datetime | None) -> datetime:
    """``now``, or the current time."""
    return now or utc_now()


def clean_text(
    value: str, label: str, *, required: bool = False, limit: int = MAX_TEXT_CHARS
) -> str:
    """``value`` stripped, refused when too long (or empty when ``required``)."""
    if len(value) > limit:
        raise InvalidRequest(f"{label} is longer than {limit} characters")
    value = value.strip()
    if required and not value:
        raise InvalidRequest(f"{label} must not be empty")
    return value


def dataset_by_name(session: Session, name: str, *, lock: bool = False) -> DatasetRow:
    """The dataset row named ``name`` (optionally locked), or :class:`NotFound`."""
    stmt = select(DatasetRow).where(DatasetRow.name == name)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"dataset {name!r} does not exist")
    return row


def latest_version(session: Session, dataset_id: int) -> int | None:
    """The newest version number of a dataset, if it has any."""
    found = session.execute(
        select(func.max(DatasetVersionRow.version)).where(
            DatasetVersionRow.dataset_id == dataset_id
        )
    ).scalar_one()
    return int(found) if found is not None else None


def has_version(session: Session, dataset_id: int, version: int) -> bool:
    """Whether the dataset has version ``version``."""
    return (
        session.execute(
            select(DatasetVersionRow.id).where(
                DatasetVersionRow.dataset_id == dataset_id, DatasetVersionRow.version == version
            )
        ).first()
        is not None
    )


def username(session: Session, user_id: int | None) -> str | None:
    """The username of an account id (``None`` for no id, ``?`` for a lost one)."""
    if user_id is None:
        return None
    row = session.get(UserRow, user_id)
    return row.username if row else "?"


def dataset_name(session: Session, dataset_id: int) -> str:
    """The name of a dataset id."""
    row = session.get(DatasetRow, dataset_id)
    return row.name if row else "?"


def org_name(session: Session, org_id: int) -> str:
    """The name of an organisation id."""
    row = session.get(OrganisationRow, org_id)
    return row.name if row else "?"


def visible_cases(
    session: Session,
    actor: Actor,
    model: type[_CaseRow],
    filer: InstrumentedAttribute[int],
    *,
    status: str | None,
    dataset: str | None,
) -> Select[_CaseRow]:
    """Complaints or objections the actor may see, newest first, optionally filtered.

    Oversight sees every case; a provider sees its organisation's and its own; anyone else
    only the cases they filed. ``filer`` is the model's column naming who filed the case.
    """
    stmt = select(model).order_by(model.id.desc())
    if status is not None:
        stmt = stmt.where(model.status == str(parse_enum(CaseStatus, status, "status")))
    if dataset is not None:
        stmt = stmt.where(model.dataset_id == dataset_by_name(session, dataset).id)
    return restrict_to_visible(
        stmt,
        actor,
        org_column=model.provider_org_id,
        filer_column=filer,
        provider_sees_own_filings=True,
    )

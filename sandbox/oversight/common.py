"""Small helpers shared by the oversight services.

Complaints and objections are both *cases*: filed by an account against a dataset, seen by
the filer, the dataset's provider organisation and oversight, and answered by that
organisation within an answer stage. The helpers at the end of this module hold those
steps once, so that the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sandbox._parse import parse_enum
from sandbox.access.model import StageKind, Subject
from sandbox.access.rules import MAX_TEXT_CHARS
from sandbox.access.stages import close_stage, open_stage
from sandbox.catalog.permissions import (
    OVERSIGHT_ROLES,
    owns,
    require_owner,
    restrict_to_visible,
)
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.notifications.events import case_answered, case_received
from sandbox.oversight.model import CaseStatus
from sandbox.store.models import (
    ComplaintRow,
    DatasetRow,
    DatasetVersionRow,
    ObjectionRow,
    OrganisationRow,
    UserRow,
    WorkflowStageRow,
)
from sandbox.workdays import WorkCalendar

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


def sees_case(actor: Actor, filer_id: int, provider_org_id: int) -> bool:
    """Whether ``actor`` sees a case: its filer, providers of the dataset's organisation,
    and oversight.
    """
    return (
        filer_id == actor.user_id or owns(actor, provider_org_id) or actor.role in OVERSIGHT_ROLES
    )


def visible_case(
    session: Session,
    actor: Actor,
    model: type[_CaseRow],
    case_id: int,
    *,
    label: str,
    can_see: Callable[[Actor, _CaseRow], bool],
    lock: bool = False,
) -> _CaseRow:
    """The case ``case_id`` (optionally locked), or :class:`NotFound` when it does not exist
    or ``actor`` may not see it: to them it does not exist.
    """
    row = session.get(model, case_id, with_for_update=lock)
    if row is None or not can_see(actor, row):
        raise NotFound(f"{label} {case_id} does not exist")
    return row


def require_answerable(actor: Actor, row: ComplaintRow | ObjectionRow, *, label: str) -> None:
    """Refuse to answer a case that is not open, or whose dataset ``actor``'s organisation
    does not provide.
    """
    require_owner(actor, row.provider_org_id, f"answer {label}s about its datasets")
    if row.status != CaseStatus.OPEN:
        raise Conflict(f"{label} {row.id} was already answered")


def open_answer_stage(
    session: Session,
    calendar: WorkCalendar,
    subject: Subject,
    row: ComplaintRow | ObjectionRow,
    now: datetime,
) -> WorkflowStageRow:
    """The stage in which the dataset's provider organisation answers a new case."""
    stage = open_stage(
        session,
        calendar,
        subject=subject,
        subject_id=row.id,
        kind=StageKind.ANSWER,
        assignee_role="provider",
        assignee_org_id=row.provider_org_id,
        now=now,
    )
    case_received(session, str(subject), row, stage.due_on)
    return stage


def record_answer(
    session: Session,
    actor: Actor,
    subject: Subject,
    row: ComplaintRow | ObjectionRow,
    *,
    outcome: str,
    text: str,
    now: datetime,
) -> None:
    """Mark the case answered by ``actor`` with ``outcome`` and ``text``, and close its
    answer stage the same way.
    """
    row.status = str(CaseStatus.ANSWERED)
    row.outcome = outcome
    row.answer = text
    row.answered_by = actor.user_id
    row.answered_at = now
    row.updated_at = now
    close_stage(
        session,
        subject=subject,
        subject_id=row.id,
        kind=StageKind.ANSWER,
        closed_by=actor.user_id,
        outcome=outcome,
        note=text,
        now=now,
    )
    case_answered(session, str(subject), row)
    session.flush()

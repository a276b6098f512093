"""Objections to errors or omissions in a dataset (Xi'an art. 24; Qingdao art. 19; Wuxi
art. 17).

Anyone with an account objects to a dataset (``error``, ``omission``, ``quality``,
``open_attribute`` or ``illegality``, with a description); the newest version at that moment
is recorded. The dataset's provider organisation answers within 10 working days: ``rejected``
with the reason, or ``corrected``, which must name what corrected it: the new version holding
the correction (newer than the version objected to), or, for an objection to the open
attribute, the attribute-change request filed for the dataset since the objection. The
objector, providers of the dataset's organisation and oversight see an objection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.model import Subject
from sandbox.access.stages import stages_of
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.oversight.common import (
    clean_text,
    dataset_by_name,
    dataset_name,
    has_version,
    latest_version,
    now_or,
    open_answer_stage,
    org_name,
    record_answer,
    require_answerable,
    sees_case,
    username,
    visible_case,
    visible_cases,
)
from sandbox.oversight.model import CaseStatus, Objection, ObjectionKind, ObjectionOutcome
from sandbox.store.models import AttributeChangeRow, ObjectionRow
from sandbox.workdays import WorkCalendar


def submit(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    dataset: str,
    kind: str,
    description: str,
    now: datetime | None = None,
) -> Objection:
    """Object to an error or omission in ``dataset`` (any account)."""
    now = now_or(now)
    if actor.user_id is None:
        raise PermissionDenied("objections are filed by a named account")
    found = dataset_by_name(session, dataset)
    parsed = parse_enum(ObjectionKind, kind, "kind")
    description = clean_text(description, "description", required=True)
    row = ObjectionRow(
        objector_id=actor.user_id,
        dataset_id=found.id,
        provider_org_id=found.provider_org_id,
        kind=str(parsed),
        description=description,
        version_at_filing=latest_version(session, found.id),
        status=str(CaseStatus.OPEN),
        submitted_at=now,
        updated_at=now,
        outcome="",
        answer="",
    )
    session.add(row)
    session.flush()
    stage = open_answer_stage(session, calendar, Subject.OBJECTION, row, now)
    audit.record(
        session,
        actor,
        "objection.submit",
        object_type="objection",
        object_id=row.id,
        detail={
            "dataset": found.name,
            "kind": str(parsed),
            "version": row.version_at_filing,
            "answer_due": stage.due_on.isoformat(),
        },
    )
    return objection_of(session, calendar, row, now)


def _visible(
    session: Session, actor: Actor, objection_id: int, *, lock: bool = False
) -> ObjectionRow:
    return visible_case(
        session, actor, ObjectionRow, objection_id, label="objection", can_see=can_see, lock=lock
    )


def answer(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    objection_id: int,
    *,
    outcome: str,
    text: str,
    corrected_version: int | None = None,
    attribute_change: int | None = None,
    now: datetime | None = None,
) -> Objection:
    """The provider's answer: ``corrected`` (naming the new version, or for the open
    attribute the change request) or ``rejected``, with its text.
    """
    now = now_or(now)
    row = _visible(session, actor, objection_id, lock=True)
    require_answerable(actor, row, label="objection")
    parsed = parse_enum(ObjectionOutcome, outcome, "outcome")
    text = clean_text(text, "answer", required=True)
    if parsed is ObjectionOutcome.CORRECTED:
        change = _correction_named(session, row, corrected_version, attribute_change)
    elif corrected_version is not None or attribute_change is not None:
        raise InvalidRequest("only a correction names a corrected version or attribute change")
    else:
        change = None
    if corrected_version is not None:
        if not has_version(session, row.dataset_id, corrected_version):
            raise InvalidRequest(
                f"dataset {dataset_name(session, row.dataset_id)!r} has no "
                f"version {corrected_version}; add the corrected data as a "
                "new version first"
            )
        if row.version_at_filing is not None and corrected_version <= row.version_at_filing:
            raise InvalidRequest(
                f"version {corrected_version} is not newer than version "
                f"{row.version_at_filing}, the one objected to"
            )
    row.corrected_version = corrected_version
    record_answer(session, actor, Subject.OBJECTION, row, outcome=str(parsed), text=text, now=now)
    audit.record(
        session,
        actor,
        "objection.answer",
        object_type="objection",
        object_id=row.id,
        detail={
            "dataset": dataset_name(session, row.dataset_id),
            "outcome": str(parsed),
            "answer": text,
            "corrected_version": corrected_version,
            "attribute_change": change,
        },
    )
    return objection_of(session, calendar, row, now)


def _correction_named(
    session: Session, row: ObjectionRow, version: int | None, attribute_change: int | None
) -> int | None:
    """Check that a correction names what its kind needs; the attribute change's id."""
    kind = ObjectionKind(row.kind)
    if kind.corrected_by == "version":
        if attribute_change is not None:
            raise InvalidRequest(f"an objection of kind {kind} is corrected by a new version")
        if version is None:
            raise InvalidRequest(
                "a correction names the new version that holds it (version); add the "
                "corrected data as a new version first"
            )
        return None
    if version is not None:
        raise InvalidRequest(
            "an objection to the open attribute is corrected by an attribute change, not a version"
        )
    if attribute_change is None:
        raise InvalidRequest(
            "a correction of the open attribute names the attribute change filed for the "
            "dataset (attribute_change)"
        )
    change = session.get(AttributeChangeRow, attribute_change)
    if change is None or change.dataset_id != row.dataset_id:
        raise InvalidRequest(
            f"attribute change {attribute_change} is not one of dataset "
            f"{dataset_name(session, row.dataset_id)!r}"
        )
    if change.requested_at < row.submitted_at:
        raise InvalidRequest(f"attribute change {attribute_change} was filed before the objection")
    return change.id


def can_see(actor: Actor, row: ObjectionRow) -> bool:
    """The objector, providers of the dataset's organisation, and oversight."""
    return sees_case(actor, row.objector_id, row.provider_org_id)


def get_objection(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    objection_id: int,
    *,
    now: datetime | None = None,
) -> Objection:
    """One objection the actor may see (else :class:`NotFound`)."""
    return objection_of(session, calendar, _visible(session, actor, objection_id), now_or(now))


def list_objections(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: str | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> list[Objection]:
    """The objections the actor may see, newest first."""
    stmt = visible_cases(
        session, actor, ObjectionRow, ObjectionRow.objector_id, status=status, dataset=dataset
    )
    moment = now_or(now)
    return [objection_of(session, calendar, row, moment) for row in session.execute(stmt).scalars()]


def objection_of(
    session: Session, calendar: WorkCalendar, row: ObjectionRow, now: datetime
) -> Objection:
    """An objection row as the domain sees it."""
    return Objection(
        id=row.id,
        objector=username(session, row.objector_id) or "?",
        dataset=dataset_name(session, row.dataset_id),
        provider_org=org_name(session, row.provider_org_id),
        kind=ObjectionKind(row.kind),
        description=row.description,
        version_at_filing=row.version_at_filing,
        status=CaseStatus(row.status),
        submitted_at=row.submitted_at,
        outcome=row.outcome,
        answer=row.answer,
        corrected_version=row.corrected_version,
        answered_by=username(session, row.answered_by),
        answered_at=row.answered_at,
        stages=stages_of(session, calendar, Subject.OBJECTION, row.id, now),
    )

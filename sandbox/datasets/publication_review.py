"""The authority's review of catalog entries and data before publication.

Qingdao art. 10: the opening catalog is published once the authority reviewed it; art. 12:
the authority reviews submitted data "within 2 working days"; passed data is published, and
data that fails is returned with the reason "in one notice" for the provider to put right and
submit again. Lianyungang art. 11-12: the catalog is reviewed by the authority before it is
published. So every new dataset and every new version is *submitted* (a workflow stage of
2 working days on the authority) and:

- invisible and unusable until it is passed (:mod:`sandbox.catalog.publication`; a new
  version waits while the previous passed one stays current);
- passed by the authority, which also approves the dataset's grade when it has none
  (:mod:`sandbox.catalog.grades`: the pass names the grade, the provider's proposal by
  default);
- or returned with the reason, which the provider reads on the version and answers by
  submitting it again (a new 2-day stage) or by registering a corrected version.

A review past its deadline is in the authority's overdue list and in the statistics, as
every workflow stage is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import Stage, StageKind, Subject
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.grades import Grade, decide_grade
from sandbox.catalog.model import ReviewStatus
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner
from sandbox.catalog.queries import dataset_row
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import holders_of_role, notify, staff_of
from sandbox.store.models import (
    DatasetRow,
    DatasetSuspensionRow,
    DatasetVersionRow,
    OrganisationRow,
    UserRow,
    WorkflowStageRow,
)
from sandbox.workdays import TimeLeft, WorkCalendar

MAX_REASON_CHARS = 4000


@dataclass(frozen=True)
class VersionReview:
    """A dataset version's publication review as its provider and the authority see it."""

    dataset: str
    version: int
    provider_org: str
    status: ReviewStatus
    note: str
    """The authority's reason for a return (or its note on a pass)."""
    submitted_at: datetime
    due_on: date | None
    """The last day of the open review (None once decided)."""
    time_left: TimeLeft | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    grade: str | None
    proposed_grade: str | None
    first_version: bool
    stages: tuple[Stage, ...]


def submit_for_review(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    dataset: DatasetRow,
    version: DatasetVersionRow,
    *,
    now: datetime | None = None,
) -> WorkflowStageRow:
    """Put a newly stored version in the authority's queue with its 2-working-day deadline
    (Qingdao art. 12), in the transaction that stores it.
    """
    moment = now or utc_now()
    version.review_status = str(ReviewStatus.SUBMITTED)
    version.review_note = ""
    version.reviewed_by = None
    version.reviewed_at = None
    stage = open_stage(
        session,
        calendar,
        subject=Subject.DATASET_VERSION,
        subject_id=version.id,
        kind=StageKind.PUBLICATION_REVIEW,
        assignee_role=str(Role.AUTHORITY),
        now=moment,
    )
    audit.record(
        session,
        actor,
        "dataset.version.submit",
        object_type="dataset",
        object_id=dataset.name,
        detail={"version": version.version, "due_on": stage.due_on.isoformat()},
    )
    notify(
        session,
        holders_of_role(session, str(Role.AUTHORITY)),
        "task.assigned",
        subject=("dataset", dataset.name),
        params={
            "dataset": dataset.name,
            "subject": "catalog_review",
            "due_on": stage.due_on.isoformat(),
        },
        now=moment,
    )
    return stage


def _version(session: Session, dataset: DatasetRow, number: int) -> DatasetVersionRow:
    row = session.execute(
        select(DatasetVersionRow).where(
            DatasetVersionRow.dataset_id == dataset.id, DatasetVersionRow.version == number
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"dataset {dataset.name!r} has no version {number}")
    return row


def _visible_row(session: Session, actor: Actor, name: str) -> DatasetRow:
    row = dataset_row(session, name)
    if not (owns(actor, row.provider_org_id) or actor.role in OVERSIGHT_ROLES):
        raise PermissionDenied(
            "a publication review is shown to the dataset's provider and to oversight"
        )
    return row


def review_version(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    name: str,
    version: int,
    *,
    passed: bool,
    reason: str = "",
    grade: Grade | None = None,
    now: datetime | None = None,
) -> VersionReview:
    """The authority passes a submitted version (publishing it) or returns it with the
    reason (Qingdao art. 12). Passing a dataset that has no approved grade approves one:
    ``grade``, or the provider's proposal; with neither the pass is refused.
    """
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied("only the authority reviews catalog entries before publication")
    moment = now or utc_now()
    reason = reason.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidRequest(f"reason is longer than {MAX_REASON_CHARS} characters")
    row = dataset_row(session, name)
    stored = _version(session, row, version)
    if stored.review_status != str(ReviewStatus.SUBMITTED):
        raise Conflict(
            f"version {version} of {name!r} is {stored.review_status}, not waiting for review"
        )
    if not passed and not reason:
        raise InvalidRequest("a returned submission needs its reason (Qingdao art. 12)")
    if not passed and grade is not None:
        raise InvalidRequest("a returned submission approves no grade: name none")
    if passed and row.grade is None and grade is None and row.proposed_grade is None:
        raise InvalidRequest(
            f"dataset {name!r} has no grade yet: the pass names it (general, important, core)"
        )
    if passed and (grade is not None or (row.grade is None and row.proposed_grade)):
        if grade is not None and row.proposed_grade not in (None, str(grade)) and not reason:
            raise InvalidRequest(
                "a grade other than the provider's proposal needs a reason saying why"
            )
        decide_grade(session, actor, name, approve=True, grade=grade, note=reason)
    outcome = ReviewStatus.PASSED if passed else ReviewStatus.RETURNED
    stored.review_status = str(outcome)
    stored.review_note = reason
    stored.reviewed_by = actor.user_id
    stored.reviewed_at = moment
    close_stage(
        session,
        subject=Subject.DATASET_VERSION,
        subject_id=stored.id,
        kind=StageKind.PUBLICATION_REVIEW,
        closed_by=actor.user_id,
        outcome=str(outcome),
        note=reason,
        now=moment,
    )
    if passed:
        row.updated_at = moment
        _lift_reprocessed_suspension(session, actor, row, version, moment)
    session.flush()
    notify(
        session,
        staff_of(session, row.provider_org_id, [str(Role.PROVIDER)]),
        "catalog.passed" if passed else "catalog.returned",
        subject=("dataset", name),
        params={"dataset": name},
        now=moment,
    )
    audit.record(
        session,
        actor,
        "dataset.version.review",
        object_type="dataset",
        object_id=name,
        detail={"version": version, "outcome": str(outcome), "reason": reason, "grade": row.grade},
    )
    return _review(session, calendar, row, stored, moment)


def _lift_reprocessed_suspension(
    session: Session, actor: Actor, dataset: DatasetRow, version: int, now: datetime
) -> None:
    """A suspension its provider resolved by reprocessing stays in force until the new
    version is passed (:mod:`sandbox.oversight.suspensions`): this pass lifts it.
    """
    held = session.execute(
        select(DatasetSuspensionRow).where(
            DatasetSuspensionRow.dataset_id == dataset.id,
            DatasetSuspensionRow.in_force.is_(True),
            DatasetSuspensionRow.resolution == "reprocessed",
            DatasetSuspensionRow.new_version == version,
        )
    ).scalars()
    for suspension in held:
        suspension.in_force = False
        audit.record(
            session,
            actor,
            "dataset.suspension.lift",
            object_type="dataset",
            object_id=dataset.name,
            detail={"suspension_id": suspension.id, "version": version, "at": now.isoformat()},
        )


def resubmit(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    name: str,
    version: int,
    *,
    note: str = "",
    now: datetime | None = None,
) -> VersionReview:
    """The provider submits a returned version again, after putting right what the reason
    named (Qingdao art. 12: "重新提交"); a new 2-working-day review opens.
    """
    moment = now or utc_now()
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, "submit this dataset's versions for review")
    if len(note) > MAX_REASON_CHARS:
        raise InvalidRequest(f"note is longer than {MAX_REASON_CHARS} characters")
    stored = _version(session, row, version)
    if stored.review_status != str(ReviewStatus.RETURNED):
        raise Conflict(
            f"version {version} of {name!r} is {stored.review_status}: only a returned "
            "version is submitted again"
        )
    submit_for_review(session, calendar, actor, row, stored, now=moment)
    if note.strip():
        stored.note = note.strip()
    session.flush()
    return _review(session, calendar, row, stored, moment)


def version_review(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    name: str,
    version: int,
    *,
    now: datetime | None = None,
) -> VersionReview:
    """One version's review (its provider and oversight)."""
    row = _visible_row(session, actor, name)
    return _review(session, calendar, row, _version(session, row, version), now or utc_now())


def review_queue(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    *,
    status: ReviewStatus | None = ReviewStatus.SUBMITTED,
    now: datetime | None = None,
) -> list[VersionReview]:
    """Submissions in ``status`` (default: waiting), oldest deadline first: every one for
    oversight, the organisation's own for a provider.
    """
    moment = now or utc_now()
    stmt = select(DatasetVersionRow, DatasetRow).join(
        DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id
    )
    if status is not None:
        stmt = stmt.where(DatasetVersionRow.review_status == str(status))
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            raise PermissionDenied("the review queue is for the authority and providers")
        stmt = stmt.where(DatasetRow.provider_org_id == actor.organisation_id)
    found = [
        _review(session, calendar, dataset, version, moment)
        for version, dataset in session.execute(
            stmt.order_by(DatasetVersionRow.created_at, DatasetVersionRow.id)
        ).all()
    ]
    return sorted(found, key=lambda r: (r.due_on or date.max, r.submitted_at))


def _review(
    session: Session,
    calendar: WorkCalendar,
    dataset: DatasetRow,
    version: DatasetVersionRow,
    now: datetime,
) -> VersionReview:
    stages = stages_of(session, calendar, Subject.DATASET_VERSION, version.id, now)
    reviews = [s for s in stages if s.kind is StageKind.PUBLICATION_REVIEW]
    current = reviews[-1] if reviews else None
    open_stage_ = current if current is not None and current.closed_at is None else None
    org = session.get(OrganisationRow, dataset.provider_org_id)
    reviewer = session.get(UserRow, version.reviewed_by) if version.reviewed_by else None
    return VersionReview(
        dataset=dataset.name,
        version=version.version,
        provider_org=org.name if org else "?",
        status=ReviewStatus(version.review_status),
        note=version.review_note,
        submitted_at=current.started_at if current is not None else version.created_at,
        due_on=open_stage_.due_on if open_stage_ is not None else None,
        time_left=open_stage_.time_left if open_stage_ is not None else None,
        reviewed_by=reviewer.username if reviewer else None,
        reviewed_at=version.reviewed_at,
        grade=dataset.grade,
        proposed_grade=dataset.proposed_grade,
        first_version=version.version == 1,
        stages=stages,
    )


def publication_counts(session: Session, calendar: WorkCalendar, now: datetime) -> dict[str, int]:
    """Versions by review status and the submissions past their deadline (statistics)."""
    counts = dict.fromkeys([*(str(s) for s in ReviewStatus), "overdue"], 0)
    for (status,) in session.execute(select(DatasetVersionRow.review_status)):
        counts[str(status)] = counts.get(str(status), 0) + 1
    today = calendar.local_date(now)
    counts["overdue"] = len(
        session.execute(
            select(WorkflowStageRow.id).where(
                WorkflowStageRow.subject_type == str(Subject.DATASET_VERSION),
                WorkflowStageRow.stage == str(StageKind.PUBLICATION_REVIEW),
                WorkflowStageRow.closed_at.is_(None),
                WorkflowStageRow.due_on < today,
            )
        ).all()
    )
    return counts

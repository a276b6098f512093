"""The workflows' notices, one function per event: who is told, with which text.

Each workflow calls one of these in its event's transaction (one line at the place the
event happens); the choice of recipients and parameters lives here, next to the texts, so
the workflows stay about their own rules. Only ids and dataset names leave the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from sandbox.notifications.inbox import notify
from sandbox.notifications.recipients import grant_holders, staff_of
from sandbox.store.models import (
    ApplicationRow,
    ComplaintRow,
    DatasetRow,
    GrantRow,
    JobRow,
    ObjectionRow,
)

REVIEWING_ROLES = ("reviewer", "provider")
"""Who decides on a held result (sandbox.review.service): the granting organisation's."""


def _names(names: Iterable[str]) -> str:
    listed = sorted(str(n) for n in names)
    return ", ".join(listed) if listed else "-"


def application_event(session: Session, row: ApplicationRow, key: str) -> None:
    """Tell an applicant its application was approved, refused or returned."""
    notify(
        session,
        [row.applicant_id],
        key,
        subject=("application", row.id),
        params={"id": row.id, "datasets": _names(row.datasets)},
    )


def result_event(session: Session, row: JobRow, key: str) -> None:
    """Tell a job's owner its result was released, rejected or returned, or tell the
    granting organisation's reviewers that it waits for them (``result.waiting``).
    """
    if key == "result.waiting":
        grant = session.get(GrantRow, row.grant_id)
        staff = staff_of(session, grant.provider_org_id if grant else None, REVIEWING_ROLES)
        recipients = [user for user in staff if user != row.owner_id]
    else:
        recipients = [row.owner_id]
    notify(
        session,
        recipients,
        key,
        subject=("job", row.id),
        params={"id": row.id, "datasets": _names(row.datasets)},
    )


def suspension_event(session: Session, dataset_id: int, key: str, suspension_id: int) -> None:
    """Tell a dataset's grant holders it was suspended (``dataset.suspended``), resumed
    (``dataset.resumed``) or closed for good (``dataset.closed``).
    """
    dataset = session.get(DatasetRow, dataset_id)
    if dataset is None:
        return
    notify(
        session,
        grant_holders(session, dataset.name, dataset.provider_org_id),
        key,
        subject=("dataset", dataset.name),
        params={"dataset": dataset.name},
        dedupe=f"suspension:{suspension_id}:{key}",
    )


def case_answered(session: Session, subject: str, row: ComplaintRow | ObjectionRow) -> None:
    """Tell the filer of a complaint or objection it was answered."""
    filed_by = row.complainant_id if isinstance(row, ComplaintRow) else row.objector_id
    dataset = session.get(DatasetRow, row.dataset_id)
    notify(
        session,
        [filed_by],
        "case.answered",
        subject=(subject, row.id),
        params={"subject": subject, "id": row.id, "dataset": dataset.name if dataset else "-"},
    )


def case_received(
    session: Session, subject: str, row: ComplaintRow | ObjectionRow, due_on: date
) -> None:
    """Tell the providers of a case's dataset that it waits for their answer by ``due_on``."""
    dataset = session.get(DatasetRow, row.dataset_id)
    notify(
        session,
        staff_of(session, row.provider_org_id, ["provider"]),
        "case.received",
        subject=(subject, row.id),
        params={
            "subject": subject,
            "id": row.id,
            "dataset": dataset.name if dataset else "-",
            "due_on": due_on.isoformat(),
        },
    )


def rereview_answered(session: Session, subject: str, item_id: int, asked_by: int) -> None:
    """Tell who asked for a re-review of a refusal that it was answered."""
    notify(
        session,
        [asked_by],
        "rereview.answered",
        subject=(subject, item_id),
        params={"subject": subject, "id": item_id},
    )

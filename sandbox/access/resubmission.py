"""Amending and resubmitting a returned application (Qingdao art. 17; Wuxi art. 15).

The form review returns an incomplete application with its reason; the applicant amends it
and files it again under the same number, so its history (the returned stage and its reason)
stays with it. The amended application is checked exactly as a new one (eligibility,
completeness, datasets of one provider) and waits for a new form review in 5 working days.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.applications import application_of, conditional_datasets_of
from sandbox.access.eligibility import check_eligibility
from sandbox.access.model import (
    Application,
    ApplicationDraft,
    ApplicationStatus,
    StageKind,
    Subject,
)
from sandbox.access.rules import check_draft, require_application_step
from sandbox.access.stages import open_stage
from sandbox.clock import utc_now
from sandbox.errors import NotFound
from sandbox.identity.model import Actor
from sandbox.store.models import ApplicationRow
from sandbox.workdays import WorkCalendar

__all__ = ["resubmit_application"]

_AMENDABLE = (
    "title",
    "reason",
    "kind",
    "datasets",
    "period_start",
    "period_end",
    "results_form",
    "scenario",
    "security_measures",
)


def resubmit_application(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application_id: int,
    draft: ApplicationDraft,
    *,
    now: datetime | None = None,
) -> Application:
    """File a returned application again with its amendments (the applicant only)."""
    now = now or utc_now()
    row = session.get(ApplicationRow, application_id, with_for_update=True)
    if row is None or row.applicant_id != actor.user_id:
        raise NotFound(f"application {application_id} does not exist")
    require_application_step("resubmission", ApplicationStatus(row.status), row.id)
    check_eligibility(session, actor)
    kind = check_draft(draft, calendar.local_date(now))
    datasets = conditional_datasets_of(session, draft.datasets)
    assert draft.period_start and draft.period_end
    before = {name: getattr(row, name) for name in _AMENDABLE}
    row.title = (draft.title or "").strip()[:300]
    row.reason = draft.reason or ""
    row.kind = str(kind)
    row.datasets = list(draft.datasets)
    row.provider_org_id = datasets[0].provider_org_id
    row.period_start, row.period_end = draft.period_start, draft.period_end
    row.results_form = draft.results_form or ""
    row.scenario = draft.scenario or ""
    row.security_measures = draft.security_measures or ""
    row.commitment_signed_at = now
    row.status, row.return_reason = str(ApplicationStatus.SUBMITTED), ""
    row.submitted_at = row.updated_at = now
    session.flush()
    stage = open_stage(
        session,
        calendar,
        subject=Subject.APPLICATION,
        subject_id=row.id,
        kind=StageKind.FORM_REVIEW,
        assignee_role="authority",
        now=now,
    )
    changed = [name for name in _AMENDABLE if getattr(row, name) != before[name]]
    audit.record(
        session,
        actor,
        "application.resubmit",
        object_type="application",
        object_id=row.id,
        detail={"amended": changed, "form_review_due": stage.due_on.isoformat()},
    )
    return application_of(session, calendar, row, now)

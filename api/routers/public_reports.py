"""Public reports of misuse and of security problems (Lianyungang art. 38; Wuxi art. 17):
anyone files one, signed in or not; the provider or the authority answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.optional_actor import MaybeActor
from api.schemas.public_reports import PublicReportPublic, ReportAnswer, ReportCreate
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import public_reports

router = APIRouter(prefix="/public-reports", tags=["public-reports"])


@router.post(
    "", response_model=PublicReportPublic, status_code=201, responses=error_responses(404, 429)
)
def submit(
    body: ReportCreate, platform: PlatformDep, session: WriteSession, actor: MaybeActor
) -> PublicReportPublic:
    """Report misuse of a dataset or data product, or a security problem (anyone; without a
    token, give a contact). The answer is due in 10 working days.
    """
    return PublicReportPublic.model_validate(
        public_reports.submit(
            session,
            actor,
            platform.calendar,
            kind=body.kind,
            description=body.description,
            dataset=body.dataset,
            product_id=body.product_id,
            contact=body.contact,
        )
    )


@router.get("", response_model=list[PublicReportPublic])
def list_reports(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    kind: str | None = None,
) -> list[PublicReportPublic]:
    """The reports you see: yours, those routed to your organisation, or all (oversight)."""
    found = public_reports.list_reports(session, actor, platform.calendar, status=status, kind=kind)
    return [PublicReportPublic.model_validate(r) for r in found]


@router.get("/{report_id}", response_model=PublicReportPublic)
def get_report(
    report_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> PublicReportPublic:
    """One report with its answer stage."""
    return PublicReportPublic.model_validate(
        public_reports.get_report(session, actor, platform.calendar, report_id)
    )


@router.post(
    "/{report_id}/answer", response_model=PublicReportPublic, responses=error_responses(409)
)
def answer(
    report_id: Id,
    body: ReportAnswer,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER, Role.AUTHORITY)],
) -> PublicReportPublic:
    """Answer a report: ``unfounded``, ``resolved``, ``complaint`` (the authority opens a
    complaint about the dataset) or ``rectification`` (the provider asks ``user_id`` to
    rectify).
    """
    return PublicReportPublic.model_validate(
        public_reports.answer(
            session,
            actor,
            platform.calendar,
            report_id,
            outcome=body.outcome,
            text=body.answer,
            complaint_kind=body.complaint_kind,
            user_id=body.user_id,
        )
    )

"""Usage and risk reports from grant holders, and the reports due."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.usage_reports import ReportCreate, ReportDueList, ReportDuePublic, ReportPublic
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import reports

router = APIRouter(prefix="/usage-reports", tags=["usage-reports"])


@router.post("", response_model=ReportPublic, status_code=201, responses=error_responses(404, 409))
def submit(
    body: ReportCreate,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ReportPublic:
    """File a usage or risk report on one of your grants."""
    return ReportPublic.model_validate(
        reports.submit(session, actor, grant_id=body.grant_id, kind=body.kind, fields=body.fields())
    )


@router.get("", response_model=list[ReportPublic], responses=error_responses(404))
def list_reports(
    session: ReadSession,
    actor: ActorDep,
    grant_id: Id | None = None,
    kind: str | None = None,
) -> list[ReportPublic]:
    """The reports on grants you may see, newest first."""
    found = reports.list_reports(session, actor, grant_id=grant_id, kind=kind)
    return [ReportPublic.model_validate(r) for r in found]


@router.get("/due", response_model=ReportDueList)
def due(
    platform: PlatformDep, session: ReadSession, actor: ActorDep, missing: bool = False
) -> ReportDueList:
    """When each report is due on the grants you may see; ``missing=true``: only the
    missing ones.
    """
    found = reports.reports_due(session, actor, platform.calendar, missing_only=missing)
    return ReportDueList(
        data=[ReportDuePublic.model_validate(d) for d in found],
        count=len(found),
        missing=sum(1 for d in found if d.missing),
    )


@router.get("/{report_id}", response_model=ReportPublic)
def get_report(report_id: Id, session: ReadSession, actor: ActorDep) -> ReportPublic:
    """One report."""
    return ReportPublic.model_validate(reports.get_report(session, actor, report_id))

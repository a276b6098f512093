"""Deadlines: the authority's list of items past their time limit."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter

from api.deps import PlatformDep, ReadSession, require_roles
from api.schemas.stages import OverdueList, OverduePublic
from sandbox.access.overdue import list_overdue
from sandbox.clock import utc_now
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/deadlines", tags=["deadlines"])


@router.get("/overdue", response_model=OverdueList)
def overdue(
    platform: PlatformDep,
    session: ReadSession,
    actor: Annotated[Actor, require_roles(Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)],
    on: date | None = None,
) -> OverdueList:
    """Open stages past their deadline as of ``on`` (default today), most overdue first."""
    day = on or platform.calendar.local_date(utc_now())
    items = list_overdue(session, actor, platform.calendar, on=day)
    return OverdueList(
        on=day, data=[OverduePublic.model_validate(i) for i in items], count=len(items)
    )

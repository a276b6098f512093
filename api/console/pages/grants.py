"""A researcher's grants: the list, one grant with the agreement to accept (a CSRF form)
and its budget gauge per dataset, read through the API router's domain calls
(``GET /v1/grants``, ``/v1/grants/{id}``, ``/budget``, ``/agreement``, ``POST /accept``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.auth import SignedInDep, Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.schemas.budgets import DatasetSpendingPublic, GrantBudgetPublic
from api.schemas.grants import AgreementPublic, GrantPublic
from api.types import Id
from sandbox.access import grants
from sandbox.access.grant_budget import read_grant_budget
from sandbox.access.model import GrantStatus
from sandbox.identity.model import Role
from sandbox.store.db import transaction

router = console_router()
UserDep = Annotated[Viewer, require_console_roles(Role.USER)]

nav.add(nav.NavItem("nav.grants", "/console/grants", order=30, roles=frozenset({Role.USER})))


def spent_percent(spending: DatasetSpendingPublic) -> int:
    """How much of the grant's loss budget on a dataset is spent, 0-100 (the gauge)."""
    limit = spending.limit.loss_float
    if limit <= 0:
        return 100
    return max(0, min(100, round(100 * spending.spent.loss_float / limit)))


@router.get("/console/grants")
def grants_page(request: Request, platform: PlatformDep, viewer: SignedInDep) -> HTMLResponse:
    """The grants the account may see, with their status as of now."""
    with platform.sessions() as session:
        found = [GrantPublic.model_validate(g) for g in grants.list_grants(session, viewer.actor)]
    return render(request, "pages/grants.html", viewer, {"grants": found})


@router.get("/console/grants/{grant_id}")
def grant_page(
    grant_id: Id, request: Request, platform: PlatformDep, viewer: SignedInDep
) -> HTMLResponse:
    """One grant: its scope, the agreement to accept while pending, and the budget gauge
    of each dataset (the budget read is audited, as the API's is).
    """
    with transaction(platform.sessions) as session:
        grant = GrantPublic.model_validate(grants.get_grant(session, viewer.actor, grant_id))
        agreement = AgreementPublic.model_validate(
            grants.agreement_for(session, viewer.actor, platform.agreement, grant_id)
        )
        budget = GrantBudgetPublic.model_validate(
            read_grant_budget(session, viewer.actor, grant_id)
        )
    context = {
        "grant": grant,
        "agreement": agreement,
        "budget": budget,
        "percent": spent_percent,
        "pending": grant.status == GrantStatus.PENDING_ACCEPTANCE,
    }
    return render(request, "pages/grant.html", viewer, context)


@router.post("/console/grants/{grant_id}/accept")
def accept_grant(
    grant_id: Id,
    request: Request,
    platform: PlatformDep,
    viewer: UserDep,
    fields: Annotated[dict[str, str], Depends(read_form)],
) -> RedirectResponse:
    """Accept the agreement read on the page (its version and hash): the grant becomes
    active. A refusal (another's grant, a changed text) is the error page.
    """
    with transaction(platform.sessions) as session:
        grants.accept(
            session,
            viewer.actor,
            platform.agreement,
            grant_id,
            version=fields.get("agreement_version", ""),
            sha256=fields.get("agreement_sha256") or None,
        )
    return RedirectResponse(f"/console/grants/{grant_id}", status_code=303)

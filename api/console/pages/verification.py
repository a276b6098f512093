"""The grant holder's verification pages: the services published on the datasets its active
grants cover, and one service with its quota, a form of its fields for a few records and
a file of records (posted by ``static/verification.js`` straight to the streaming batch
route, ``POST /v1/verification-services/{id}/batch``, with the session's CSRF token).

The same domain calls and checks as ``GET /v1/verification-services/{id}/quota`` and
``POST /v1/verification-services/{id}/verify`` (:mod:`sandbox.verification.calls`): only a
user holding an active grant on the dataset verifies; a refusal (no grant, a withdrawn
service, a wildcard or partial input, a quota exhausted) comes back with the API's message
and status, nothing answered and nothing counted. An answer is match or no match, never a
value from the dataset.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.errors import status_for
from api.types import Id
from sandbox.access.grants import list_grants
from sandbox.access.model import GrantStatus
from sandbox.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    SandboxError,
    Throttled,
)
from sandbox.identity.model import Role
from sandbox.platform import Platform
from sandbox.verification import calls, services
from sandbox.verification.model import Quota, Service, ServiceStatus, Verification

router = console_router()
UserViewer = Annotated[Viewer, require_console_roles(Role.USER)]
nav.add(nav.NavItem("nav.verification", "/console/verification", 27, frozenset({Role.USER})))

FORM_ROWS = 5
"""Record rows the form offers (a JSON call takes up to 100; a file takes more)."""
TEMPLATE = "pages/verification_service.html"
REFUSALS = (PermissionDenied, Conflict, InvalidRequest, Throttled)
"""The refusals a verification shows on its page: no grant (403), a withdrawn service
(409), a bad record (422), a quota reached (429). A service that does not exist is the
error page (404).
"""


@router.get("/console/verification")
def verification_page(request: Request, platform: PlatformDep, viewer: UserViewer) -> HTMLResponse:
    """The published services on every dataset the viewer's active grants cover."""
    with platform.sessions() as session:
        grants = list_grants(session, viewer.actor, status=GrantStatus.ACTIVE)
        datasets = sorted({name for g in grants for name in g.datasets})
        found: list[Service] = []
        for name in datasets:
            try:
                found += services.list_services(session, name, status=str(ServiceStatus.PUBLISHED))
            except NotFound:
                continue  # a dataset withdrawn from the catalog since the grant
    return render(request, "pages/verification_list.html", viewer, {"services": found})


def _quota(
    platform: Platform, viewer: Viewer, service_id: int
) -> tuple[Quota | None, SandboxError | None]:
    """Where the viewer's grant stands (``open_call``, as the quota route), or the refusal."""
    try:
        return calls.open_call(platform, viewer.actor, service_id).quota, None
    except REFUSALS as error:
        return None, error


def _context(platform: Platform, viewer: Viewer, service_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        service = services.get_service(session, service_id)
    quota, refusal = _quota(platform, viewer, service_id)
    return {
        "service": service,
        "quota": quota,
        "refusal": refusal.message if refusal is not None else None,
        "refusal_status": status_for(refusal) if refusal is not None else 200,
        "rows": range(1, FORM_ROWS + 1),
        "limit": calls.MAX_RECORDS_PER_CALL,
        "values": {},
        "problem": None,
        "result": None,
        "typed": [],
        "invalid_rows": set(),
    }


@router.get("/console/verification/{service_id}")
def service_page(
    request: Request, service_id: Id, platform: PlatformDep, viewer: UserViewer
) -> HTMLResponse:
    """One service: its fields and answer kind, the grant's quota today, and the forms
    (or why the viewer may not verify here, with the API's status).
    """
    context = _context(platform, viewer, service_id)
    return render(request, TEMPLATE, viewer, context, status_code=context["refusal_status"])


def records_of(service: Service, values: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """The filled rows of the form as records of the service's fields, with their row
    numbers; a row left wholly blank is skipped, a partly filled one goes to the domain as
    typed (which names a missing field).
    """
    records = []
    for row in range(1, FORM_ROWS + 1):
        record = {f.name: values.get(f"r{row}_{f.name}", "").strip() for f in service.fields}
        if any(record.values()):
            records.append((row, record))
    return records


@router.post("/console/verification/{service_id}")
async def verify(
    request: Request, service_id: Id, platform: PlatformDep, viewer: UserViewer
) -> Response:
    """Verify the form's records (:func:`sandbox.verification.calls.verify`): the answers
    in a table, the quota after the call; a refusal answers nothing and counts nothing.
    """
    posted = await read_form(request)
    context = _context(platform, viewer, service_id)
    service: Service = context["service"]
    records = records_of(service, posted)
    context["values"] = {key: value for key, value in posted.items() if key.startswith("r")}
    try:
        if not records:
            raise InvalidRequest("fill in at least one record to verify")
        done: Verification = calls.verify(
            platform, viewer.actor, service_id, [record for _row, record in records]
        )
    except REFUSALS as error:
        context["problem"] = error.message
        context["invalid_rows"] = {
            row
            for index, (row, _record) in enumerate(records)
            if re.search(rf"\brecord {index}\b", error.message)
        }
        return render(request, TEMPLATE, viewer, context, status_code=status_for(error))
    context.update(
        result=done,
        quota=done.quota,
        typed=[row for row, _record in records],
        values={},
    )
    return render(request, TEMPLATE, viewer, context)

"""The provider's verification service pages: its organisation's conditional datasets with
their services, the form publishing a new one (input fields mapped to the dictionary's
identifier, quasi-identifier and public columns, the answer kind) and withdrawing one.

The same domain calls and ownership checks as ``POST|GET
/v1/datasets/{name}/verification-services`` and ``POST
/v1/verification-services/{id}/withdraw`` (:mod:`sandbox.verification.services`): another
organisation's dataset is refused (403) as by the API, and a refused form changes nothing
and comes back beside itself (422, or 409 for a name taken or a service already
withdrawn).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console import nav
from api.console.oversight_forms import read_form
from api.console.pages.provider_cases_common import FORM_ERRORS, ProviderViewer, error_status
from api.console.pages.provider_data import owned_entry
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import owns
from sandbox.catalog.queries import list_entries
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Role
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.verification import services
from sandbox.verification.model import AnswerKind, CasePolicy

router = console_router()
nav.add(
    nav.NavItem(
        "nav.provider_verification",
        "/console/provider/verification",
        38,
        frozenset({Role.PROVIDER}),
    )
)

FIELD_ROWS = 4
"""Input field rows the publish form offers (a service takes up to eight over the API)."""
TEMPLATE = "pages/verification_provider_dataset.html"
PUBLISHING = "publish a verification service on it"


@router.get("/console/provider/verification")
def provider_verification_page(
    request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """The organisation's conditional datasets, each with how many services it has."""
    with platform.sessions() as session:
        mine = [
            entry
            for entry in list_entries(session)
            if owns(viewer.actor, entry.provider_org_id)
            and entry.metadata.open_attribute is OpenAttribute.CONDITIONAL
        ]
        rows = [
            {"entry": entry, "services": services.list_services(session, entry.name)}
            for entry in mine
        ]
    return render(request, "pages/verification_provider.html", viewer, {"rows": rows})


def _blank() -> dict[str, str]:
    values = {"name": "", "description": "", "answer": str(AnswerKind.MATCH)}
    for i in range(1, FIELD_ROWS + 1):
        values |= {f"field_{i}": "", f"column_{i}": "", f"case_{i}": "sensitive"}
        values |= {f"min_length_{i}": "1", f"refuse_underscore_{i}": ""}
    return values


def _context(platform: Platform, viewer: ProviderViewer, name: str) -> dict[str, Any]:
    with platform.sessions() as session:
        entry = owned_entry(session, viewer.actor, name, PUBLISHING)
        found = services.list_services(session, name)
    columns = [
        c
        for c in entry.metadata.dictionary.columns
        if c.classification in services.ALLOWED_CLASSIFICATIONS
    ]
    return {
        "entry": entry,
        "services": found,
        "columns": columns,
        "conditional": entry.metadata.open_attribute is OpenAttribute.CONDITIONAL,
        "rows": range(1, FIELD_ROWS + 1),
        "answers": [str(a) for a in AnswerKind],
        "cases": [str(c) for c in CasePolicy],
        "values": _blank(),
        "problem": None,
        "problem_for": None,
        "done": None,
    }


@router.get("/console/provider/verification/{name}")
def provider_dataset_page(
    request: Request, name: str, platform: PlatformDep, viewer: ProviderViewer
) -> HTMLResponse:
    """One of the organisation's datasets: its services, each withdrawable while
    published, and the publish form.
    """
    context = _context(platform, viewer, name)
    done = request.query_params.get("done")
    context["done"] = done if done in ("published", "withdrawn") else None
    return render(request, TEMPLATE, viewer, context)


def _min_length(text: str, number: int) -> int:
    value = text.strip() or "1"
    if not value.isdigit():
        raise InvalidRequest(f"field {number}: min_length must be a whole number, not {value!r}")
    return int(value)


def fields_of(values: dict[str, str]) -> list[dict[str, Any]]:
    """The service's fields from the form's rows, in order; a row left blank is skipped,
    and a row naming a field without a column (or a column without a field) is refused.
    """
    fields = []
    for i in range(1, FIELD_ROWS + 1):
        name, column = values[f"field_{i}"].strip(), values[f"column_{i}"].strip()
        if not name and not column:
            continue
        if not column:
            raise InvalidRequest(f"field {i} ({name!r}) needs a column")
        fields.append(
            {
                "name": name or column,
                "column": column,
                "case": values[f"case_{i}"] or "sensitive",
                "min_length": _min_length(values[f"min_length_{i}"], i),
                "refuse_underscore": values[f"refuse_underscore_{i}"] == "yes",
            }
        )
    return fields


@router.post("/console/provider/verification/{name}")
async def publish(
    request: Request, name: str, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Publish a service on the dataset (:func:`sandbox.verification.services.publish`)."""
    posted = await read_form(request)
    values = {key: posted.get(key, "") for key in _blank()}
    try:
        fields = fields_of(values)
        with transaction(platform.sessions) as session:
            services.publish(
                session,
                viewer.actor,
                name,
                name=values["name"].strip(),
                fields=fields,
                answer=values["answer"],
                description=values["description"],
            )
    except FORM_ERRORS as error:
        context = _context(platform, viewer, name)
        context.update(values=values, problem=error.message, problem_for="publish")
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/provider/verification/{name}?done=published", status_code=303
    )


@router.post("/console/provider/verification/services/{service_id}/withdraw")
async def withdraw(
    request: Request, service_id: Id, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Withdraw a service with the reason (:func:`sandbox.verification.services.withdraw`)."""
    posted = await read_form(request)
    with platform.sessions() as session:
        dataset = services.get_service(session, service_id).dataset
    try:
        with transaction(platform.sessions) as session:
            services.withdraw(session, viewer.actor, service_id, posted.get("reason", ""))
    except FORM_ERRORS as error:
        context = _context(platform, viewer, dataset)
        context.update(problem=error.message, problem_for=f"withdraw-{service_id}")
        return render(request, TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(
        f"/console/provider/verification/{dataset}?done=withdrawn", status_code=303
    )

"""The public pages of the opening duties: the published opening plans with each entry's
progress (Xi'an art. 20-21; Lianyungang art. 11-12: the list is published on the platform),
the data products published with their sources and dates (Qingdao art. 20; Xi'an
art. 29), and the form anyone uses to report misuse or a security problem (Lianyungang
art. 38; Wuxi art. 17; a visitor leaves a contact). No sign-in needed; drafts and payloads
never appear here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import ViewerDep
from api.console.oversight_forms import form_id, read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.errors import InvalidRequest, NotFound
from sandbox.oversight import opening_plan, products, public_reports
from sandbox.store.db import transaction

router = console_router()

nav.add(nav.NavItem("nav.opening_plans", "/console/opening-plans", order=12, public=True))
nav.add(nav.NavItem("nav.data_products", "/console/data-products", order=14, public=True))
nav.add(nav.NavItem("nav.report", "/console/report", order=900, public=True))

FormDep = Annotated[dict[str, str], Depends(read_form)]
REPORT_FIELDS = ("kind", "dataset", "product_id", "description", "contact")


@router.get("/console/opening-plans")
def opening_plans_page(request: Request, platform: PlatformDep, viewer: ViewerDep) -> HTMLResponse:
    """Every published opening plan, newest year first, as a visitor reads it."""
    with platform.sessions() as session:
        plans = opening_plan.list_plans(session, None, platform.calendar, status="published")
    return render(request, "pages/opening_plans.html", viewer, {"plans": plans})


@router.get("/console/data-products")
def data_products_page(request: Request, platform: PlatformDep, viewer: ViewerDep) -> HTMLResponse:
    """Every published data product with its sources and dates (never its payload)."""
    with platform.sessions() as session:
        found = products.list_products(session)
    return render(request, "pages/data_products.html", viewer, {"products": found})


def _report_page(
    request: Request,
    viewer: ViewerDep,
    values: dict[str, str],
    *,
    error: str = "",
    filed: public_reports.PublicReport | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "error": error,
        "filed": filed,
        "kinds": list(public_reports.ReportKind),
        "signed_in": viewer.account is not None,
    }
    return render(request, "pages/report.html", viewer, context, status_code=status)


@router.get("/console/report")
def report_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The empty report form."""
    return _report_page(request, viewer, dict.fromkeys(REPORT_FIELDS, ""))


@router.post("/console/report")
def report_form(
    request: Request, platform: PlatformDep, viewer: ViewerDep, fields: FormDep
) -> HTMLResponse:
    """File the report (as the signed-in account, else as a visitor with a contact); a bad
    field is shown above the form (422, or 404 for a dataset or product that is not there)
    and nothing is filed.
    """
    values = {name: fields.get(name, "").strip() for name in REPORT_FIELDS}
    try:
        product = form_id(values["product_id"], "product_id") if values["product_id"] else None
        with transaction(platform.sessions) as session:
            filed = public_reports.submit(
                session,
                viewer.account,
                platform.calendar,
                kind=values["kind"],
                description=values["description"],
                dataset=values["dataset"] or None,
                product_id=product,
                contact=values["contact"],
            )
    except (InvalidRequest, NotFound) as error:
        status = 404 if isinstance(error, NotFound) else 422
        return _report_page(request, viewer, values, error=error.message, status=status)
    return _report_page(request, viewer, dict.fromkeys(REPORT_FIELDS, ""), filed=filed)

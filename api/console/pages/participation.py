"""The public pages of the opening duties: the published opening plans with each entry's
progress (Xi'an art. 20-21; Lianyungang art. 11-12: the list is published on the platform)
and the data products published with their sources and dates (Qingdao art. 20; Xi'an
art. 29). No sign-in needed; drafts and payloads never appear here.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import ViewerDep
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.oversight import opening_plan, products

router = console_router()

nav.add(nav.NavItem("nav.opening_plans", "/console/opening-plans", order=12, public=True))
nav.add(nav.NavItem("nav.data_products", "/console/data-products", order=14, public=True))


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

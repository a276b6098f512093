"""The public catalog: every entry, searched and filtered, no sign-in needed."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console import catalog_filters, nav
from api.console.auth import ViewerDep
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.catalog.model import OpenAttribute, UpdateFrequency
from sandbox.catalog.publication import visible_entry
from sandbox.catalog.queries import list_entries
from sandbox.clock import utc_now

router = console_router()

nav.add(nav.NavItem("nav.catalog", "/console/catalog", order=10, public=True))


@router.get("/console/catalog")
def catalog_page(request: Request, platform: PlatformDep, viewer: ViewerDep) -> HTMLResponse:
    """The catalog as ``GET /v1/datasets`` lists it, filtered by the query string; a filter
    that cannot be used is named next to its field (422) and the rest still apply.
    """
    with platform.sessions() as session:
        # a submission the authority has not passed is its provider's and oversight's only
        entries = [seen for e in list_entries(session) if (seen := visible_entry(viewer.actor, e))]
    providers = catalog_filters.providers(entries)
    query, problems = catalog_filters.parse_query(request.query_params, providers)
    shown = catalog_filters.apply(entries, query, utc_now())
    context = {
        "entries": shown,
        "query": query,
        "problems": {problem.name: problem for problem in problems},
        "attributes": list(OpenAttribute),
        "frequencies": list(UpdateFrequency),
        "staleness_choices": catalog_filters.STALENESS,
        "providers": providers,
        "raw": request.query_params,
        "max_query_chars": catalog_filters.MAX_QUERY_CHARS,
    }
    return render(
        request, "pages/catalog.html", viewer, context, status_code=422 if problems else 200
    )

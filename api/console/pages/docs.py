"""The OpenAPI page, served with the platform's own copy of Swagger UI.

FastAPI's default page loads Swagger UI from a public CDN, so on a network without
Internet access it is blank; this one loads the files of npm's ``swagger-ui-dist`` that
``scripts/install-deps.sh`` copied into ``console/dist`` (``/console/vendor/swagger-ui``).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import ViewerDep
from api.console.rendering import render
from api.console.routing import console_router

router = console_router()

DOCS_PATH = "/v1/docs"
OPENAPI_PATH = "/v1/openapi.json"

nav.add(nav.NavItem("nav.api_docs", DOCS_PATH, order=90, public=True))


@router.get(DOCS_PATH)
def api_docs(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """Swagger UI for ``/v1/openapi.json``, every file of it from this server."""
    return render(request, "pages/api_docs.html", viewer, {"openapi_url": OPENAPI_PATH})

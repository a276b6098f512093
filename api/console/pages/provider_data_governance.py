"""The provider's part in the catalog's governance, from its dataset page: proposing the
dataset's security grade and submitting a returned version again.

The same domain calls and roles as ``PUT /v1/datasets/{name}/grade``
(:func:`sandbox.catalog.grades.propose_grade`) and
``POST /v1/datasets/{name}/versions/{version}/resubmission``
(:func:`sandbox.datasets.publication_review.resubmit`): the owning provider only. A refused
form changes nothing and comes back on the dataset page beside the form it concerns.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from api.console.auth import Viewer
from api.console.oversight_forms import read_form
from api.console.pages.provider_data import ProviderViewer, dataset_context
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.errors import status_for
from api.types import Version
from sandbox.catalog import grades
from sandbox.datasets import publication_review
from sandbox.errors import Conflict, InvalidRequest
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()


def decide(
    request: Request,
    platform: Platform,
    viewer: Viewer,
    name: str,
    form: str,
    change: Callable[[Session], object],
    done: str,
) -> Response:
    """Run ``change`` in one transaction; a refusal re-renders the page beside ``form``."""
    try:
        with transaction(platform.sessions) as session:
            change(session)
    except (InvalidRequest, Conflict) as error:
        context = dataset_context(platform, viewer, name)
        context.update(problem=error.message, problem_for=form)
        return render(
            request,
            "pages/provider_data_dataset.html",
            viewer,
            context,
            status_code=status_for(error),
        )
    return RedirectResponse(f"/console/provider/datasets/{name}?done={done}", status_code=303)


@router.post("/console/provider/datasets/{name}/grade")
async def propose_grade(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Propose the dataset's grade; the stricter of the approved and the proposed grade
    holds until the authority decides.
    """
    fields = await read_form(request)
    reason = fields.get("reason", "")

    def change(session: Session) -> object:
        grade = grades.parse_grade(fields.get("grade", ""))
        return grades.propose_grade(session, viewer.actor, name, grade, reason=reason)

    return decide(request, platform, viewer, name, "grade", change, "grade")


@router.post("/console/provider/datasets/{name}/versions/{version}/resubmission")
async def resubmit(
    name: str, version: Version, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Submit a returned version again, with what was put right: a new review opens."""
    fields = await read_form(request)

    def change(session: Session) -> object:
        return publication_review.resubmit(
            session, platform.calendar, viewer.actor, name, version, note=fields.get("note", "")
        )

    return decide(request, platform, viewer, name, f"version-{version}", change, "resubmitted")

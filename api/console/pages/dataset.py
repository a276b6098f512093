"""A dataset's public page: its entry, dictionary, versions, quality report, preview, the
data products made from it and its users' ratings and comments, each shown only where the
API would show it to the viewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse

from api.console.auth import Viewer, ViewerDep
from api.console.pages.feedback_panel import FeedbackForm, panel
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.catalog.model import CatalogEntry, OpenAttribute
from sandbox.catalog.permissions import sees_details
from sandbox.datasets import reads
from sandbox.errors import SandboxError
from sandbox.oversight import products
from sandbox.oversight.model import DataProduct
from sandbox.platform import Platform

router = console_router()

PREVIEW_ROWS = 10


@dataclass
class Section:
    """A part of the page that may be unavailable on its own (a suspended dataset has no
    preview; a damaged version no quality report) without failing the page.
    """

    value: Any = None
    problem: str | None = None


@dataclass
class Preview:
    """The preview rows a page shows, and what kind they are (real, mock, DP sample)."""

    synthetic: bool
    columns: list[str]
    rows: list[dict[str, Any]]
    sample: dict[str, Any] | None = field(default=None)


@router.get("/console/datasets/{name}")
def dataset_page(
    name: str,
    request: Request,
    platform: PlatformDep,
    viewer: ViewerDep,
    comments_page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """One entry as ``GET /v1/datasets/{name}`` and its sub-resources show it, with its
    users' ratings and comments (``comments_page``: which page of approved comments).
    """
    done = request.query_params.get("done")
    return render_dataset(request, platform, viewer, name, page=comments_page, done=done)


def render_dataset(
    request: Request,
    platform: Platform,
    viewer: Viewer,
    name: str,
    *,
    page: int = 1,
    done: str | None = None,
    form: FeedbackForm | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The dataset page; a refused feedback form comes back in it with its problem."""
    entry = reads.view_entry(platform, viewer.actor, name)
    details = sees_details(viewer.actor, entry)
    context = {
        "entry": entry,
        "meta": entry.metadata,
        "details": details,
        "quality": _quality(platform, viewer, entry) if details else Section(),
        "preview": _preview(platform, viewer, entry),
        "products": _products(platform, name),
        "feedback": panel(platform, viewer, name, page=page, done=done, form=form),
    }
    return render(request, "pages/dataset.html", viewer, context, status_code=status_code)


def _quality(platform: Platform, viewer: Viewer, entry: CatalogEntry) -> Section:
    if entry.latest is None:
        return Section()
    try:
        version, report = reads.quality_report(platform, viewer.actor, entry.name, None)
    except SandboxError as error:
        return Section(problem=error.message)
    return Section(value={"version": version, "report": report})


def _preview(platform: Platform, viewer: Viewer, entry: CatalogEntry) -> Section:
    if entry.metadata.open_attribute is OpenAttribute.CLOSED or entry.latest is None:
        return Section()
    try:
        synthetic, table, sample = reads.preview_of(
            platform, viewer.actor, entry.name, PREVIEW_ROWS
        )
    except SandboxError as error:
        return Section(problem=error.message)
    rows: list[dict[str, Any]] = jsonable_encoder(table.to_pylist())
    return Section(value=Preview(synthetic, table.column_names, rows, sample))


def _products(platform: Platform, name: str) -> list[DataProduct]:
    with platform.sessions() as session:
        return products.list_products(session, dataset=name)

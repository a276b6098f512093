"""The provider's own datasets: the list of those their organisation provides, and one
dataset's page with its versions (dates, rows, the integrity state on record, the
authority's publication review), its security grade, the newest quality report and the
desensitisation record.

Only a provider of the owning organisation opens these pages: the ownership check is the
catalog's (:func:`sandbox.catalog.permissions.require_owner`, the one ``add_version`` and
``set_dataset_policy`` apply), so another provider's dataset is the audited 403 page. The
quality report is read through :func:`sandbox.datasets.reads.quality_report` (audited as
``GET /v1/datasets/{name}/quality`` is), the integrity check through
:func:`sandbox.datasets.integrity.check_dataset` (``GET /v1/datasets/{name}/integrity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Version
from sandbox.catalog import changes, grades
from sandbox.catalog.grades import Grade
from sandbox.catalog.model import CatalogEntry, OpenAttribute
from sandbox.catalog.permissions import owns, require_owner
from sandbox.catalog.queries import dataset_row, entry_of, list_entries
from sandbox.catalog.suspension import Suspension, is_suspended
from sandbox.datasets import integrity, publication_review, reads
from sandbox.datasets.integrity import DatasetIntegrity
from sandbox.errors import SandboxError
from sandbox.identity.model import Actor, Role
from sandbox.ledger.budgets import read_dataset_budget
from sandbox.ledger.model import Account
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import DatasetVersionRow

router = console_router()

ProviderViewer = Annotated[Viewer, require_console_roles(Role.PROVIDER)]
"""A provider's page: the roles of ``POST /v1/datasets`` and the dataset routes."""

nav.add(
    nav.NavItem(
        "nav.provider_datasets", "/console/provider/datasets", 30, frozenset({Role.PROVIDER})
    )
)


CHANGES_SHOWN = 10
"""The attribute-change requests a dataset page lists, newest first."""


@dataclass(frozen=True)
class OwnedDataset:
    """A row of the provider's list: the entry and whether it is suspended now."""

    entry: CatalogEntry
    suspension: Suspension | None


@dataclass(frozen=True)
class VersionState:
    """A version with the damage on record for it (``None``: none on record)."""

    number: int
    damage: str | None


def owned_entry(session: Session, actor: Actor, name: str, doing: str) -> CatalogEntry:
    """The entry of ``name`` if ``actor`` provides it, else the catalog's refusal."""
    row = dataset_row(session, name)
    require_owner(actor, row.provider_org_id, doing)
    return entry_of(session, row)


@router.get("/console/provider/datasets")
def datasets_page(request: Request, platform: PlatformDep, viewer: ProviderViewer) -> HTMLResponse:
    """The datasets the viewer's organisation provides, newest entry first."""
    with platform.sessions() as session:
        mine = [
            OwnedDataset(entry, is_suspended(session, entry.name))
            for entry in list_entries(session)
            if owns(viewer.actor, entry.provider_org_id)
        ]
    mine.sort(key=lambda owned: owned.entry.updated_at, reverse=True)
    return render(request, "pages/provider_data_list.html", viewer, {"datasets": mine})


def _version_states(session: Session, entry: CatalogEntry) -> dict[int, VersionState]:
    """Each version's damage on record (every version, published or not: its provider's)."""
    row = dataset_row(session, entry.name)
    stored = session.execute(
        select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == row.id)
    ).scalars()
    states = {}
    for version in stored:
        damage = integrity.served(session, entry.name, version).on_record
        states[version.version] = VersionState(version.version, damage.detail if damage else None)
    return states


@dataclass(frozen=True)
class Gauge:
    """One budget account of the dataset as its page shows it (exact texts, a meter)."""

    kind: str
    ref: str
    spent: str
    remaining: str
    limit: str
    used: float | None
    """Spent over limit in ``[0, 1]``; ``None`` for an unlimited account."""


def _gauge(account: Account) -> Gauge:
    limit = account.limit
    used = None if limit.infinite or not limit.loss else float(account.spent.loss / limit.loss)
    return Gauge(
        kind=str(account.kind),
        ref=account.ref,
        spent=account.spent.describe(account.accounting),
        remaining=account.remaining.describe(account.accounting),
        limit=limit.describe(account.accounting),
        used=None if used is None else min(1.0, used),
    )


@dataclass
class Quality:
    """The latest version's quality report, or why it cannot be shown."""

    version: int | None = None
    report: dict[str, Any] | None = None
    problem: str | None = None


def _quality(platform: Platform, actor: Actor, entry: CatalogEntry, version: int | None) -> Quality:
    """A version's report (the newest when ``version`` is None), read as
    ``GET /v1/datasets/{name}/quality?version=`` reads it (audited; not shown for a file
    found damaged, nor for a version the dataset does not have).
    """
    if not entry.versions:
        return Quality()
    wanted = version if version is not None else entry.versions[-1].version
    try:
        number, report = reads.quality_report(platform, actor, entry.name, wanted)
    except SandboxError as error:
        return Quality(version=wanted, problem=error.message)
    return Quality(number, report)


def dataset_context(
    platform: Platform,
    viewer: Viewer,
    name: str,
    checked: DatasetIntegrity | None = None,
    quality_of: int | None = None,
) -> dict[str, Any]:
    """Everything the provider's dataset page shows (ownership checked first)."""
    with transaction(platform.sessions) as session:  # the budget read is audited
        entry = owned_entry(session, viewer.actor, name, "manage this dataset")
        states = _version_states(session, entry)
        budget = [_gauge(a) for a in read_dataset_budget(session, viewer.actor, name)]
        suspension = is_suspended(session, name)
        grade = grades.read_grade(session, viewer.actor, name)
        requests = changes.list_changes(session, dataset=name)[:CHANGES_SHOWN]
        reviews = {
            v.version: publication_review.version_review(
                session, platform.calendar, viewer.actor, name, v.version
            )
            for v in entry.versions
        }
    return {
        "entry": entry,
        "meta": entry.metadata,
        "states": states,
        "suspension": suspension,
        "quality": _quality(platform, viewer.actor, entry, quality_of),
        "checked": checked,
        "grade": grade,
        "grades": [str(g) for g in Grade],
        "changes": requests,
        "budget": budget,
        "attributes": [str(a) for a in OpenAttribute if a is not entry.metadata.open_attribute],
        "reviews": reviews,
        "problem": None,
        "problem_for": None,
        "done": None,
    }


@router.get("/console/provider/datasets/{name}")
def dataset_page(
    name: str,
    request: Request,
    platform: PlatformDep,
    viewer: ProviderViewer,
    version: Version | None = None,
) -> HTMLResponse:
    """One of the provider's datasets: versions, integrity, quality (the newest version's,
    or ``version``'s), grade, desensitisation, attribute changes.
    """
    context = dataset_context(platform, viewer, name, quality_of=version)
    context["done"] = request.query_params.get("done")
    return render(request, "pages/provider_data_dataset.html", viewer, context)


@router.post("/console/provider/datasets/{name}/integrity")
async def check_integrity(
    name: str, request: Request, platform: PlatformDep, viewer: ProviderViewer
) -> Response:
    """Hash every version's file in full now (audited); the page shows what was found."""
    await read_form(request)
    checked = await run_in_threadpool(integrity.check_dataset, platform, viewer.actor, name)
    context = await run_in_threadpool(dataset_context, platform, viewer, name, checked)
    return render(request, "pages/provider_data_dataset.html", viewer, context)

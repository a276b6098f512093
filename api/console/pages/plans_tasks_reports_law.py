"""Changes of law at work (Chengdu art. 14): the authority records a change (its citation,
the day, the datasets or whole provider organisations it affects) and sees the catalog
tasks it opened with their 15-working-day deadlines; a provider of the dataset's
organisation (or the authority) closes a task by naming the catalog change it made, or
"no change" with the reason.

The same domain calls and roles as ``POST /v1/law-changes`` (the authority),
``GET /v1/law-changes``, ``GET /v1/law-change-tasks`` and
``POST /v1/law-change-tasks/{id}/close`` (:mod:`sandbox.oversight.law_changes`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.console.oversight_forms import form_id, read_form
from api.console.pages.plans_tasks_reports_common import (
    AuthorityViewer,
    StaffViewer,
    is_authority,
    posted_date,
)
from api.console.pages.provider_cases_common import (
    FORM_ERRORS,
    error_status,
    fields_named,
    own_org_name,
    posted_number,
)
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.types import Id
from sandbox.errors import NotFound
from sandbox.identity import service as identity
from sandbox.identity.model import OrganisationKind
from sandbox.oversight import law_changes
from sandbox.oversight.law_change_references import TaskResolution
from sandbox.oversight.law_changes import LawChangeKind, LawChangeTask, TaskStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

LIST_TEMPLATE = "pages/ptr_law_changes.html"
CHANGE_TEMPLATE = "pages/ptr_law_change.html"
TASK_TEMPLATE = "pages/ptr_task.html"
KINDS = tuple(LawChangeKind)
RESOLUTIONS = tuple(TaskResolution)
CHANGE_FIELDS = ("kind", "citation", "changed_on", "summary", "datasets", "organisations")
_NAMES = re.compile(r"[\s,，、;；]+")


def by_deadline(tasks: list[LawChangeTask]) -> list[LawChangeTask]:
    """Open tasks first, the soonest deadline first; then the closed ones, newest first."""
    waiting = [t for t in tasks if t.current_stage is not None]
    waiting.sort(key=lambda t: (t.current_stage.due_on if t.current_stage else t.id, t.id))
    closed = sorted((t for t in tasks if t.current_stage is None), key=lambda t: -t.id)
    return waiting + closed


TASK_FILTERS = ("open", "overdue", "closed")
"""The task list's filters: a status, or the open tasks past their day."""


def _list_context(
    platform: Platform, viewer: StaffViewer, shown: str | None = None
) -> dict[str, Any]:
    status = shown if shown in (TaskStatus.OPEN, TaskStatus.CLOSED) else None
    with platform.sessions() as session:
        changes = law_changes.list_changes(session, viewer.actor, platform.calendar)
        tasks = law_changes.list_tasks(
            session, viewer.actor, platform.calendar, status=status, overdue=shown == "overdue"
        )
        organisations = [
            o for o in identity.list_organisations(session) if o.kind is OrganisationKind.PROVIDER
        ]
    return {
        "changes": changes,
        "tasks": by_deadline(tasks),
        "can_record": is_authority(viewer),
        "kinds": KINDS,
        "organisations": organisations,
        "values": {"kind": "law_revision", "citation": "", "changed_on": "", "summary": ""},
        "chosen": {"datasets": "", "organisations": set()},
        "problem": None,
        "invalid": set(),
        "shown": shown,
        "filters": TASK_FILTERS,
        "tab": "law",
    }


@router.get("/console/law-changes")
def law_changes_page(request: Request, platform: PlatformDep, viewer: StaffViewer) -> HTMLResponse:
    """The catalog tasks the viewer sees (a provider: its organisation's; the authority:
    all), open ones first by deadline (``?tasks=open|overdue|closed`` keeps those); the
    recorded changes; the authority's record form.
    """
    shown = request.query_params.get("tasks") or None
    chosen = shown if shown in TASK_FILTERS else None
    return render(request, LIST_TEMPLATE, viewer, _list_context(platform, viewer, chosen))


async def _chosen_organisations(request: Request) -> list[str]:
    """Every ticked organisation (the one field posted more than once; read_form keeps the
    first value of each field, so the body, already read and checked, is parsed again).
    """
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body).get("organisations", [])


@router.post("/console/law-changes")
async def record_change(
    request: Request, platform: PlatformDep, viewer: AuthorityViewer
) -> Response:
    """Record a change of law: a task due in 15 working days opens for each affected
    dataset; a refusal (no dataset named, an unknown one, a day in the future) comes back
    beside the form and records nothing.
    """
    fields = await read_form(request)
    ticked = await _chosen_organisations(request)
    names = [n for n in _NAMES.split(fields.get("datasets", "")) if n]
    try:
        organisations = [form_id(v, "organisations") for v in ticked]
        with transaction(platform.sessions) as session:
            change = law_changes.record_change(
                session,
                viewer.actor,
                platform.calendar,
                kind=fields.get("kind", ""),
                citation=fields.get("citation", ""),
                changed_on=posted_date(fields.get("changed_on"), "changed_on"),
                summary=fields.get("summary", ""),
                datasets=names,
                organisations=organisations,
            )
    except FORM_ERRORS as error:
        context = _list_context(platform, viewer)
        context["values"] = {n: fields.get(n, "") for n in CHANGE_FIELDS[:4]}
        context["chosen"] = {
            "datasets": fields.get("datasets", ""),
            "organisations": set(ticked),
        }
        named = fields_named(error.message, CHANGE_FIELDS)
        if re.search(r"\bdataset\b|affected", error.message):
            named.add("datasets")
        context.update(problem=error.message, invalid=named or {"citation"})
        return render(request, LIST_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/law-changes/{change.id}?done=record", status_code=303)


@router.get("/console/law-changes/{change_id}")
def change_page(
    request: Request, change_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> HTMLResponse:
    """One recorded change with the tasks the viewer sees and their deadlines."""
    with platform.sessions() as session:
        change = law_changes.get_change(session, viewer.actor, platform.calendar, change_id)
    done = "record" if request.query_params.get("done") == "record" else None
    context = {"change": change, "tasks": by_deadline(list(change.tasks)), "done": done}
    context["tab"] = "law"
    return render(request, CHANGE_TEMPLATE, viewer, context)


def _task_context(platform: Platform, viewer: StaffViewer, task_id: int) -> dict[str, Any]:
    with platform.sessions() as session:
        found = law_changes.list_tasks(session, viewer.actor, platform.calendar)
        mine = own_org_name(session, viewer.actor)
    task = next((t for t in found if t.id == task_id), None)
    if task is None:
        raise NotFound(f"law-change task {task_id} does not exist")
    may_close = is_authority(viewer) or task.provider_org == mine
    return {
        "task": task,
        "stage": task.current_stage,
        "can_close": may_close and task.status is TaskStatus.OPEN,
        "resolutions": RESOLUTIONS,
        "values": {"resolution": "no_change", "reference": "", "reason": ""},
        "problem": None,
        "invalid": set(),
        "done": None,
        "tab": "law",
    }


@router.get("/console/law-change-tasks/{task_id}")
def task_page(
    request: Request, task_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> HTMLResponse:
    """One task: its change of law, dataset, deadline and stages, and while it is open the
    form that closes it (a provider of the dataset's organisation, or the authority).
    """
    context = _task_context(platform, viewer, task_id)
    context["done"] = "close" if request.query_params.get("done") == "close" else None
    return render(request, TASK_TEMPLATE, viewer, context)


@router.post("/console/law-change-tasks/{task_id}/close")
async def close_task(
    request: Request, task_id: Id, platform: PlatformDep, viewer: StaffViewer
) -> Response:
    """Close a task with the catalog change it led to (the domain checks that change
    happened to the dataset since the change of law) or ``no_change`` and its reason.
    """
    fields = await read_form(request)
    values = {n: fields.get(n, "") for n in ("resolution", "reference", "reason")}
    try:
        with transaction(platform.sessions) as session:
            law_changes.close_task(
                session,
                viewer.actor,
                platform.calendar,
                task_id,
                resolution=values["resolution"],
                reference=posted_number(values["reference"], "reference"),
                reason=values["reason"],
            )
    except FORM_ERRORS as error:
        context = _task_context(platform, viewer, task_id)
        named = fields_named(error.message, ("resolution", "reference", "reason"))
        if not named and re.search(r"\b(version|policy|attribute change)\b", error.message):
            named = {"reference"}
        context.update(values=values, problem=error.message, invalid=named or {"reason"})
        return render(request, TASK_TEMPLATE, viewer, context, status_code=error_status(error))
    return RedirectResponse(f"/console/law-change-tasks/{task_id}?done=close", status_code=303)

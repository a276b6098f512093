"""A researcher's jobs: the list, the new-job page (the model editor with CodeMirror, and
forms generated from each vetted model's parameter schema), submitting and the dry run on
mock data. The domain calls are those of ``api/routers/jobs.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import nav
from api.console.auth import SignedInDep, Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.param_forms import fields_of, values_of
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.schemas.dry_runs import DryRunPublic
from api.schemas.jobs import AlgorithmPublic, JobPublic, algorithm_public
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity.model import Role
from sandbox.jobs import dry_run as dry_runs
from sandbox.jobs import service
from sandbox.jobs.dispatcher import JobDispatcher
from sandbox.jobs.submission import JobRequest
from sandbox.platform import Platform
from sandbox.runtime.vetted import UnknownModel, VettedModels

router = console_router()
UserDep = Annotated[Viewer, require_console_roles(Role.USER)]
FormDep = Annotated[dict[str, str], Depends(read_form)]

nav.add(nav.NavItem("nav.jobs", "/console/jobs", order=40, roles=frozenset({Role.USER})))

STARTER_SOURCE = '''"""The number of rows of {dataset}, with DP noise."""


def run(ctx):
    """The number of rows, with DP noise (epsilon 0.5 of the grant's budget)."""
    rows = ctx.dataset("{dataset}")
    return {{"rows": rows.count(epsilon=0.5)}}
'''


def _models(request: Request) -> VettedModels:
    models: VettedModels = request.app.state.models
    return models


def _model(request: Request, name: str) -> AlgorithmPublic:
    try:
        return algorithm_public(_models(request).get(name))
    except UnknownModel as exc:
        raise NotFound(str(exc)) from None


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]


def _job_request(request: Request, fields: dict[str, str]) -> JobRequest:
    model = fields.get("model", "").strip() or None
    params: dict[str, Any] = {}
    source = None
    if model is not None:
        params = values_of(_model(request, model).parameters_schema, fields)
    else:
        source = fields.get("source", "")
    return JobRequest(
        datasets=_names(fields.get("datasets", "")),
        kind=fields.get("kind", "dp") or "dp",
        source=source,
        model=model,
        params=params,
        grant=fields.get("grant", "").strip() or None,
    )


def _new_page(
    request: Request,
    viewer: Viewer,
    fields: dict[str, str],
    *,
    error: str = "",
    dry: DryRunPublic | None = None,
    status: int = 200,
) -> HTMLResponse:
    chosen = fields.get("model", "")
    models = [
        (m, fields_of(m.parameters_schema, fields if m.name == chosen else None))
        for m in (algorithm_public(v) for v in _models(request))
    ]
    context = {
        "values": {
            "grant": fields.get("grant", ""),
            "datasets": fields.get("datasets", ""),
            "source": fields.get("source")
            or STARTER_SOURCE.format(dataset=(_names(fields.get("datasets", "")) or ["data"])[0]),
            "model": chosen,
        },
        "models": models,
        "error": error,
        "dry": dry,
    }
    return render(request, "pages/job_new.html", viewer, context, status_code=status)


@router.get("/console/jobs")
def jobs_page(request: Request, platform: PlatformDep, viewer: SignedInDep) -> HTMLResponse:
    """The jobs the account may see, newest first (``GET /v1/jobs``)."""
    with platform.sessions() as session:
        found = [JobPublic.model_validate(j) for j in service.list_jobs(session, viewer.actor)]
    return render(request, "pages/jobs.html", viewer, {"jobs": found})


@router.get("/console/jobs/new")
def new_job_page(
    request: Request, viewer: UserDep, grant: str = "", dataset: str = "", model: str = ""
) -> HTMLResponse:
    """The model editor and the vetted models' forms, for a grant and its datasets."""
    return _new_page(request, viewer, {"grant": grant, "datasets": dataset, "model": model})


def _run(request: Request, platform: Platform, viewer: Viewer, fields: dict[str, str]) -> Response:
    wanted = _job_request(request, fields)
    if fields.get("action") == "dry_run":
        run = dry_runs.dry_run(platform, viewer.actor, wanted, models=_models(request))
        return _new_page(request, viewer, fields, dry=DryRunPublic.model_validate(run))
    dispatcher: JobDispatcher = request.app.state.dispatcher
    job = service.submit(
        platform, viewer.actor, wanted, models=_models(request), notify=dispatcher.notify
    )
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


@router.post("/console/jobs/new")
def submit_job(
    request: Request, platform: PlatformDep, viewer: UserDep, fields: FormDep
) -> Response:
    """Submit the job (``POST /v1/jobs``) or dry-run it on mock data
    (``POST /v1/jobs/dry-run``: nothing charged or stored); a refused model or parameter is
    shown on the form again (422), nothing stored.
    """
    try:
        return _run(request, platform, viewer, fields)
    except InvalidRequest as error:
        return _new_page(request, viewer, fields, error=error.message, status=422)

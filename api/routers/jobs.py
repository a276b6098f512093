"""Jobs: submit an algorithm model under a grant, follow it, read its log, cancel it; try it
first on mock data (a dry run, or the mock tables for a run on your own machine); and the
vetted algorithm models a job may name.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.dry_runs import DryRunCreate, DryRunPublic, MockTablePublic
from api.schemas.jobs import AlgorithmPublic, JobCreate, JobLog, JobPublic, algorithm_public
from api.types import Id
from sandbox.datasets.mock import mock_download
from sandbox.errors import NotFound
from sandbox.identity.model import Actor, Role
from sandbox.jobs import dry_run as dry_runs
from sandbox.jobs import service
from sandbox.jobs.dispatcher import JobDispatcher
from sandbox.jobs.submission import JobRequest
from sandbox.review import logs as log_reviews
from sandbox.runtime.vetted import UnknownModel, VettedModels

router = APIRouter(tags=["jobs"])


def _vetted_models(request: Request) -> VettedModels:
    models: VettedModels = request.app.state.models
    return models


def _dispatcher(request: Request) -> JobDispatcher:
    dispatcher: JobDispatcher = request.app.state.dispatcher
    return dispatcher


@router.post("/jobs", response_model=JobPublic, status_code=201, responses=error_responses(404))
def submit(
    body: JobCreate,
    request: Request,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> JobPublic:
    """Submit a job under an active grant covering its datasets and kind. The model is
    checked (parameters, RestrictedPython) before anything is stored; then it is queued.
    """
    job = service.submit(
        platform,
        actor,
        JobRequest(
            datasets=body.datasets,
            kind=body.kind,
            source=body.source,
            model=body.model,
            params=body.params,
            grant=body.grant,
            profile=body.profile,
        ),
        models=_vetted_models(request),
        notify=_dispatcher(request).notify,
    )
    return JobPublic.model_validate(job)


@router.post("/jobs/dry-run", response_model=DryRunPublic, responses=error_responses(404, 409))
def dry_run(
    body: DryRunCreate,
    request: Request,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> DryRunPublic:
    """Run a model on its datasets' mock tables (generated from the data dictionaries) in
    the sandbox of a real job, and answer with everything at once: result, log, errors with
    their lines, what its DP calls would spend per dataset and what the release checks
    would decide. Nothing is charged, stored or reviewed; no real row is read. Asked for
    like a job, under an active grant covering its datasets and kind; audited as
    ``job.dry_run``. The run is synchronous, bounded by the policy's wall time; too many
    dry runs at once (yours, or the server's) are refused with ``409``.
    """
    run = dry_runs.dry_run(
        platform,
        actor,
        JobRequest(
            datasets=body.datasets,
            kind=body.kind,
            source=body.source,
            model=body.model,
            params=body.params,
            grant=body.grant,
            profile=body.profile,
        ),
        models=_vetted_models(request),
    )
    return DryRunPublic.model_validate(run)


@router.get("/datasets/{name}/mock", response_model=MockTablePublic, responses=error_responses(404))
def mock_table(
    name: str,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.USER)],
    grant: Annotated[str | None, Query(max_length=64)] = None,
) -> MockTablePublic:
    """The mock table a dry run of the dataset reads, for a run on your own machine
    (``sandbox run --mock``), with the effective policy under your grant and what the grant
    has left. Only for a holder of an active grant covering the dataset (everyone else has
    the synthetic preview); audited as ``dataset.mock``.
    """
    return MockTablePublic.model_validate(mock_download(platform, actor, name, grant=grant))


@router.get("/jobs", response_model=list[JobPublic])
def list_jobs(
    session: ReadSession,
    actor: ActorDep,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobPublic]:
    """The jobs you may see, newest first (yours; a provider's reviewers see the jobs run
    under their organisation's grants; oversight sees all).
    """
    return [
        JobPublic.model_validate(j)
        for j in service.list_jobs(session, actor, state=state, limit=limit)
    ]


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: Id, session: ReadSession, actor: ActorDep) -> JobPublic:
    """One job: its state, progress and, for a DP job, its errors."""
    return JobPublic.model_validate(service.get_job(session, actor, job_id))


@router.get("/jobs/{job_id}/log", response_model=JobLog)
def get_log(job_id: Id, session: ReadSession, actor: ActorDep) -> JobLog:
    """A job's log: ``entries`` tell the model's lines from the platform's (``source``);
    ``lines`` are the model's alone, as it wrote them. Both are empty while the log is held
    for review (``held``): it follows the result across the release boundary.
    """
    return JobLog.model_validate(service.read_log(session, actor, job_id))


@router.post(
    "/jobs/{job_id}/log/release-request", response_model=JobPublic, responses=error_responses(409)
)
def request_log_review(job_id: Id, session: WriteSession, actor: ActorDep) -> JobPublic:
    """Ask for your job's held log and errors to be reviewed (a job that failed, was
    rejected or cancelled, or waits in review): a reviewer of the granting organisation
    releases them to you, or refuses with a reason (``log_review``). Audited.
    """
    return JobPublic.model_validate(log_reviews.request_review(session, actor, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic, responses=error_responses(409))
def cancel(
    job_id: Id,
    request: Request,
    session: WriteSession,
    actor: ActorDep,
    after_commit: BackgroundTasks,
) -> JobPublic:
    """Cancel a job (its owner): at once if it has not started, within a second if it runs."""
    job = service.cancel(session, actor, job_id)
    after_commit.add_task(_dispatcher(request).notify)
    return JobPublic.model_validate(job)


@router.get("/algorithms", response_model=list[AlgorithmPublic])
def list_algorithms(request: Request, actor: ActorDep) -> list[AlgorithmPublic]:
    """The vetted algorithm models a job may name, with their parameters."""
    del actor
    return [algorithm_public(m) for m in _vetted_models(request)]


@router.get("/algorithms/{name}", response_model=AlgorithmPublic)
def get_algorithm(name: str, request: Request, actor: ActorDep) -> AlgorithmPublic:
    """One vetted model, with its source."""
    del actor
    try:
        return algorithm_public(_vetted_models(request).get(name), with_source=True)
    except UnknownModel as exc:
        raise NotFound(str(exc)) from None

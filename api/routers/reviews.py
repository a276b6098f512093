"""The review airlock: the queue, a result under review, decisions; and downloads of
released results.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import ActorDep, ReadSession, WriteSession
from api.errors import error_responses
from api.schemas.jobs import JobPublic
from api.schemas.reviews import DecisionIn, LogDecisionIn, ReviewPublic
from api.types import Id
from sandbox.review import downloads, service
from sandbox.review import figures as result_figures
from sandbox.review import logs as log_reviews

router = APIRouter(tags=["reviews"])


@router.get("/reviews", response_model=list[JobPublic])
def review_queue(session: ReadSession, actor: ActorDep) -> list[JobPublic]:
    """Results waiting for review: your organisation's (reviewers and providers), or all
    (oversight), oldest first.
    """
    return [JobPublic.model_validate(j) for j in service.queue(session, actor)]


@router.get("/reviews/logs", response_model=list[JobPublic])
def log_review_queue(session: ReadSession, actor: ActorDep) -> list[JobPublic]:
    """Held logs their authors asked to have reviewed: your organisation's (reviewers and
    providers), or all (oversight), oldest first. ``GET /reviews/{job_id}`` shows one with
    its log and errors.
    """
    return [JobPublic.model_validate(j) for j in log_reviews.queue(session, actor)]


@router.get("/reviews/{job_id}", response_model=ReviewPublic)
def read_review(job_id: Id, session: WriteSession, actor: ActorDep) -> ReviewPublic:
    """A result under review with everything a reviewer weighs (the read is audited)."""
    return ReviewPublic.model_validate(service.review_view(session, actor, job_id))


@router.post(
    "/reviews/{job_id}/decision", response_model=ReviewPublic, responses=error_responses(409)
)
def decide(job_id: Id, body: DecisionIn, session: WriteSession, actor: ActorDep) -> ReviewPublic:
    """Approve, reject (with a reason) or return for changes (with a reason); the result is
    released once the policy's number of distinct reviewers approved.
    """
    return ReviewPublic.model_validate(
        service.decide(session, actor, job_id, body.outcome, body.reason)
    )


@router.post(
    "/reviews/{job_id}/log-decision", response_model=ReviewPublic, responses=error_responses(409)
)
def decide_log(
    job_id: Id, body: LogDecisionIn, session: WriteSession, actor: ActorDep
) -> ReviewPublic:
    """Release a held log and errors to the job's author, or refuse (with a reason);
    frozen while one of the job's datasets or its grant is suspended. Audited.
    """
    return ReviewPublic.model_validate(
        log_reviews.decide(session, actor, job_id, body.outcome, body.reason)
    )


@router.get("/results/{job_id}", responses=error_responses(409))
def download(
    job_id: Id,
    session: WriteSession,
    actor: ActorDep,
    format: Literal["json", "csv", "parquet"] = "json",  # noqa: A002 - the query's name
    part: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """A released result (its owner; reviewers for results they review), as JSON, CSV or
    Parquet; ``part`` picks a table out of a result holding several. Audited.
    """
    content, media = downloads.download_result(session, actor, job_id, format, part)
    suffix = {"json": "json", "csv": "csv", "parquet": "parquet"}[format]
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="job-{job_id}-result.{suffix}"'},
    )


@router.get("/results/{job_id}/figures", responses=error_responses(409))
def list_figures(job_id: Id, session: ReadSession, actor: ActorDep) -> list[dict[str, Any]]:
    """The figures of a released result (its owner; reviewers for results they review):
    name, media type, size, and the path that downloads each.
    """
    return result_figures.list_figures(session, actor, job_id)


FIGURE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
"""The Content-Security-Policy of a figure: a browser that opens one (an SVG is a document)
runs no script, loads nothing and treats it as a sandboxed origin."""


@router.get("/results/{job_id}/figures/{name}", responses=error_responses(409))
def download_figure(
    job_id: Id, name: Annotated[str, Path(max_length=200)], session: WriteSession, actor: ActorDep
) -> Response:
    """One figure of a released result as a file (``image/png`` or ``image/svg+xml``),
    exactly as it was reviewed; served as an attachment, never sniffed, with a policy that
    forbids scripts. Audited.
    """
    figure = result_figures.download_figure(session, actor, job_id, name)
    return Response(
        figure.data,
        media_type=figure.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{figure.name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FIGURE_POLICY,
            "Cache-Control": "no-store",
        },
    )

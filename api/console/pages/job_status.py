"""One job's page: its state (refreshed while it runs), errors, and once released its
result as tables, a chart of its numeric columns (the vendored Chart.js), its figures and
the download links of ``GET /v1/results/{id}``. Another account's job is a 404, as in the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console.auth import SignedInDep
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.schemas.jobs import JobPublic
from api.types import Id
from sandbox.jobs import service
from sandbox.review import figures as result_figures
from sandbox.review.downloads import _rows as table_of

router = console_router()

REFRESH_SECONDS = 2
"""How often a job's page reloads itself while the job has not ended."""


@dataclass(frozen=True)
class ResultTable:
    """One tabular part of a released result, and which of its columns are numeric."""

    part: str | None
    columns: list[str]
    rows: list[list[Any]]
    chartable: bool


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _table(part: str | None, value: Any) -> ResultTable | None:
    found = table_of(value)
    if found is None and isinstance(value, dict) and value and all(map(_number, value.values())):
        found = (["", part or "value"], [[str(k), v] for k, v in value.items()])  # group: n
    if found is None:
        return None
    columns, rows = found
    chartable = len(columns) >= 2 and all(
        rows and _number(row[i]) for row in rows for i in range(1, len(columns))
    )
    return ResultTable(part, columns, rows, bool(rows) and chartable)


def result_tables(result: Any) -> tuple[list[ResultTable], dict[str, Any]]:
    """The tables of a result (whole, or each tabular top-level part) and its scalars."""
    whole = _table(None, result)
    if whole is not None:
        return [whole], {}
    tables: list[ResultTable] = []
    scalars: dict[str, Any] = {}
    if isinstance(result, dict):
        for name, value in result.items():
            table = _table(str(name), value)
            if table is not None:
                tables.append(table)
            elif not isinstance(value, dict | list):
                scalars[str(name)] = value
    return tables, scalars


@router.get("/console/jobs/{job_id}")
def job_page(
    job_id: Id, request: Request, platform: PlatformDep, viewer: SignedInDep
) -> HTMLResponse:
    """A job as ``GET /v1/jobs/{id}`` shows it, with its released result."""
    with platform.sessions() as session:
        job = JobPublic.model_validate(service.get_job(session, viewer.actor, job_id))
        figures = (
            result_figures.list_figures(session, viewer.actor, job_id)
            if job.state == "released"
            else []
        )
    tables, scalars = result_tables(job.result) if job.state == "released" else ([], {})
    context = {
        "job": job,
        "tables": tables,
        "scalars": scalars,
        "figures": figures,
        "refresh": REFRESH_SECONDS if not job.final else None,
    }
    return render(request, "pages/job.html", viewer, context)

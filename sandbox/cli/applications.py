"""``sandbox applications``: apply for conditional data, review and decide applications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli import deadlines
from sandbox.cli._output import cell, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Apply for conditional data; review and decide applications.", no_args_is_help=True
)

IdArgument = Annotated[int, typer.Argument(help="The application's id.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``, or a one-line error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read the {what} file {path}: {exc}")
    if not isinstance(data, dict):
        fail(f"the {what} file {path} must hold a JSON object")
    return data


def stage_line(stage: dict[str, Any] | None) -> str:
    """``form_review due 2026-12-02 (5 working days left)``, or empty."""
    if not stage:
        return ""
    return f"{stage['stage']} due {stage['due_on']} ({stage['time_left']})"


def print_stages(stages: list[dict[str, Any]]) -> None:
    """A table of an item's stages and deadlines."""
    table = Table(
        "stage", "assignee", "started", "due", "closed", "by", "outcome", "note", title="stages"
    )
    for s in stages:
        assignee = s["assignee_org"] or s["assignee_role"]
        closed = when(s["closed_at"]) if s["closed_at"] else cell(s["time_left"])
        table.add_row(
            cell(s["stage"]),
            cell(assignee),
            when(s["started_at"]),
            cell(s["due_on"]),
            closed,
            cell(s["closed_by"]),
            cell(s["outcome"]),
            cell(s["note"]),
        )
    out.print(table)


@app.command("list")
def list_applications(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The applications you may see, with the current deadline."""
    with remote(url, token) as client:
        found = client.list_applications(status)
    table = Table("id", "title", "applicant", "datasets", "status", "deadline")
    for a in found:
        table.add_row(
            cell(a["id"]),
            cell(a["title"]),
            cell(a["applicant"]),
            cell(", ".join(a["datasets"])),
            cell(a["status"]),
            cell(stage_line(a["current_stage"])),
        )
    out.print(table)


@app.command()
def show(
    application_id: IdArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One application with its stages and deadlines."""
    with remote(url, token) as client:
        found = client.get_application(application_id)
    if as_json:
        out.print_json(data=found)
        return
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "title",
        "applicant",
        "provider_org",
        "type",
        "datasets",
        "period_start",
        "period_end",
        "scenario",
        "results_form",
        "status",
        "return_reason",
        "refusal_reason",
        "legal_basis",
        "grant_id",
    ):
        value = found.get(key)
        grid.add_row(key, cell(", ".join(value) if isinstance(value, list) else value))
    out.print(grid)
    print_stages(found["stages"])


@app.command()
def submit(
    fields: Annotated[
        Path,
        typer.Argument(
            help="JSON file with title, reason, type, datasets, period_start, period_end, "
            "results_form, scenario, security_measures and commitment_signed.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Apply for conditional datasets; prints the new application's id."""
    body = read_json_file(fields, "application")
    with remote(url, token) as client:
        made = client.submit_application_fields(body)
    note(f"application {made['id']} submitted: {stage_line(made['current_stage'])}")
    typer.echo(made["id"])


@app.command("form-review")
def form_review(
    application_id: IdArgument,
    passed: Annotated[
        bool, typer.Option("--pass/--return", help="Pass it on, or return it with --reason.")
    ],
    reason: Annotated[str, typer.Option(help="Why it is returned.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The authority's form review."""
    with remote(url, token) as client:
        done = client.review_application_form(application_id, passed, reason)
    note(
        f"application {application_id} is {done['status']} "
        f"{stage_line(done['current_stage'])}".rstrip()
    )


@app.command()
def approve(
    application_id: IdArgument,
    budget: Annotated[str, typer.Option(help="The grant's privacy budget (epsilon).")],
    job_kind: Annotated[
        list[str] | None, typer.Option("--job-kind", help="dp and/or raw (repeat); dp if omitted.")
    ] = None,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", help="Approve only these datasets (repeat).")
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="Grant policy document (YAML or JSON), e.g. row_count rules.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    period_start: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    period_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve with a scope (the datasets' provider); prints the new grant's id."""
    document = policy.read_text(encoding="utf-8") if policy else None
    with remote(url, token) as client:
        done = client.approve_application(
            application_id,
            grant_budget=budget,
            datasets=dataset or None,
            job_kinds=job_kind or None,
            policy=document,
            period_start=period_start,
            period_end=period_end,
        )
    note(
        f"application {application_id} approved: grant {done['grant_id']} waits for the "
        "user to accept the agreement"
    )
    typer.echo(done["grant_id"])


@app.command()
def refuse(
    application_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why it is refused.")],
    legal_basis: Annotated[str, typer.Option(help="The legal basis of the refusal.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Refuse with the reason and its legal basis (the datasets' provider)."""
    with remote(url, token) as client:
        client.refuse_application(application_id, reason=reason, legal_basis=legal_basis)
    note(f"application {application_id} refused")


# The overdue list covers requests too; its home is ``sandbox deadlines overdue``.
app.command("overdue", hidden=True)(deadlines.overdue)

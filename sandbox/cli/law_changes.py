"""``sandbox law-changes``: record a change of law (the authority) and close the catalog
tasks it opens (15 working days).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import stage_line

app = typer.Typer(
    help="Changes of law and the catalog updates they call for.", no_args_is_help=True
)


def _tasks_table(tasks: list[dict[str, Any]]) -> None:
    table = Table("task", "change", "dataset", "organisation", "status", "resolution", "deadline")
    for t in tasks:
        table.add_row(
            cell(t["id"]),
            cell(t["law_change_id"]),
            cell(t["dataset"]),
            cell(t["provider_org"]),
            cell(t["status"]),
            cell(t["resolution"]),
            cell(stage_line(t["current_stage"])),
        )
    out.print(table)


@app.command("record")
def record(
    citation: Annotated[str, typer.Argument(help="The law and article, as cited.")],
    changed_on: Annotated[str, typer.Option(help="The day it changed (YYYY-MM-DD).")],
    dataset: Annotated[
        list[str] | None, typer.Option(help="An affected dataset; repeat for more.")
    ] = None,
    organisation: Annotated[
        list[int] | None, typer.Option(help="An affected organisation's id (all its datasets).")
    ] = None,
    kind: Annotated[str, typer.Option(help="law_revision or function_change.")] = "law_revision",
    summary: Annotated[str, typer.Option(help="What changed.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Record a change (the authority); prints its id and the tasks it opened."""
    try:
        day = date.fromisoformat(changed_on)
    except ValueError:
        raise typer.BadParameter(
            f"{changed_on!r} is not a date (YYYY-MM-DD)", param_hint="--changed-on"
        ) from None
    with remote(url, token) as client:
        made = client.record_law_change(
            citation,
            day,
            kind=kind,  # type: ignore[arg-type]
            summary=summary,
            datasets=dataset or [],
            organisations=organisation or [],
        )
    _tasks_table(made["tasks"])
    note(f"law change {made['id']} recorded: {len(made['tasks'])} tasks")
    typer.echo(made["id"])


@app.command("list")
def list_changes(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Every recorded change."""
    with remote(url, token) as client:
        found = client.list_law_changes()
    table = Table("id", "kind", "citation", "changed on", "tasks", "open")
    for c in found:
        table.add_row(
            cell(c["id"]),
            cell(c["kind"]),
            cell(c["citation"]),
            cell(c["changed_on"]),
            cell(len(c["tasks"])),
            cell(sum(t["status"] == "open" for t in c["tasks"])),
        )
    out.print(table)


@app.command("tasks")
def tasks(
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only the open ones past their day.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Your organisation's catalog tasks (oversight: all) with their deadlines."""
    with remote(url, token) as client:
        _tasks_table(client.list_law_change_tasks(status, dataset, overdue))


@app.command("close")
def close(
    task_id: Annotated[int, typer.Argument(help="The task's id.")],
    resolution: Annotated[
        str, typer.Option(help="attribute_change, policy_change, new_version or no_change.")
    ],
    reference: Annotated[
        int | None, typer.Option(help="The attribute change id, policy id or version.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (needed with no_change).")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Close a task with the catalog change it led to."""
    with remote(url, token) as client:
        done = client.close_law_change_task(
            task_id,
            resolution,  # type: ignore[arg-type]
            reference=reference,
            reason=reason,
        )
    note(f"task {task_id} closed: {done['resolution']}")

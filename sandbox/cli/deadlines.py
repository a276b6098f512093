"""``sandbox deadlines``: open stages of applications and requests past their deadline."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Applications and requests past their deadline (authority, oversight).",
    no_args_is_help=True,
)


@app.command()
def overdue(
    on: Annotated[str | None, typer.Option(help="As of this day (YYYY-MM-DD).")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Applications and requests past their deadline (authority, oversight)."""
    with remote(url, token) as client:
        found = client.overdue(on)
    table = Table(
        "item", "title", "stage", "assignee", "due", "late", title=f"overdue on {found['on']}"
    )
    for item in found["data"]:
        s = item["stage"]
        table.add_row(
            cell(f"{s['subject']} {s['subject_id']}"),
            cell(item["title"]),
            cell(s["stage"]),
            cell(s["assignee_org"] or s["assignee_role"]),
            cell(s["due_on"]),
            cell(s["time_left"]),
        )
    out.print(table)

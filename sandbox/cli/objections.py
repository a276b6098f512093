"""``sandbox objections``: object to errors or omissions; answer (provider)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import print_stages, stage_line

app = typer.Typer(help="Objections to errors or omissions in a dataset.", no_args_is_help=True)

IdArgument = Annotated[int, typer.Argument(help="The objection's id.")]


@app.command("list")
def list_objections(
    status: Annotated[str | None, typer.Option(help="open or answered.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only about this dataset.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The objections you may see, with the answer's deadline."""
    with remote(url, token) as client:
        found = client.list_objections(status, dataset)
    table = Table("id", "objector", "dataset", "kind", "status", "outcome", "deadline")
    for o in found:
        table.add_row(
            cell(o["id"]),
            cell(o["objector"]),
            cell(o["dataset"]),
            cell(o["kind"]),
            cell(o["status"]),
            cell(o["outcome"]),
            cell(stage_line(o["current_stage"])),
        )
    out.print(table)


@app.command()
def show(objection_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One objection with its answer stage."""
    with remote(url, token) as client:
        found = client.get_objection(objection_id)
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "objector",
        "dataset",
        "provider_org",
        "kind",
        "description",
        "version_at_filing",
        "status",
        "outcome",
        "answer",
        "corrected_version",
        "answered_by",
    ):
        grid.add_row(key, cell(found.get(key)))
    out.print(grid)
    print_stages(found["stages"])


@app.command("file")
def file_objection(
    dataset: Annotated[str, typer.Argument(help="The dataset objected to.")],
    kind: Annotated[
        str, typer.Option(help="error, omission, quality, open_attribute or illegality.")
    ],
    description: Annotated[str, typer.Option(help="What is wrong or missing.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Object to an error or omission; prints the objection's id."""
    with remote(url, token) as client:
        made = client.file_objection(dataset, kind, description)
    note(f"objection {made['id']} filed: {stage_line(made['current_stage'])}")
    typer.echo(made["id"])


@app.command()
def answer(
    objection_id: IdArgument,
    outcome: Annotated[str, typer.Option(help="corrected or rejected.")],
    text: Annotated[str, typer.Option("--answer", help="The answer to the objector.")],
    version: Annotated[
        int | None, typer.Option(help="The new version holding the correction.")
    ] = None,
    attribute_change: Annotated[
        int | None,
        typer.Option(help="The attribute change correcting an objection to the open attribute."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Answer an objection (the dataset's provider)."""
    with remote(url, token) as client:
        done = client.answer_objection(
            objection_id,
            outcome,  # type: ignore[arg-type]
            text,
            version,
            attribute_change,
        )
    note(f"objection {objection_id} answered: {done['outcome']}")

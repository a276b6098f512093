"""``sandbox suspensions``: suspend a dataset, resolve the suspension, trace its uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Suspend datasets at once, restore, reprocess or end them; trace every use of a dataset.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The dataset's name.")]


@app.command()
def suspend(
    name: NameArgument,
    reason: Annotated[str, typer.Option(help="Why (shown to everyone).")],
    complaint: Annotated[int | None, typer.Option(help="The complaint's id.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Suspend a dataset at once (its provider)."""
    with remote(url, token) as client:
        client.suspend_dataset(name, reason, complaint)
    note(f"dataset {name!r} is suspended")


@app.command()
def resolve(
    name: NameArgument,
    outcome: Annotated[str, typer.Option(help="restore, reprocess or end.")],
    note_text: Annotated[str, typer.Option("--note", help="A note.")] = "",
    data: Annotated[
        Path | None,
        typer.Option(help="To reprocess: the desensitised data file, stored as a new version."),
    ] = None,
    method: Annotated[str, typer.Option(help="To reprocess: the desensitisation method.")] = "",
    description: Annotated[str, typer.Option(help="To reprocess: what was done.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Resolve a dataset's suspension (its provider)."""
    with remote(url, token) as client:
        upload_id = client.upload(data)["upload_id"] if data else None
        done = client.resolve_suspension(
            name,
            outcome,  # type: ignore[arg-type]
            note_text,
            upload_id=upload_id,
            method=method,
            description=description,
        )
    note(
        f"dataset {name!r}: {done['resolution']}"
        + (" (still withdrawn)" if done["in_force"] else "")
    )


@app.command()
def history(name: NameArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """A dataset's suspensions."""
    with remote(url, token) as client:
        found = client.list_suspensions(name)
    table = Table("id", "since", "by", "reason", "in force", "resolution", "resolved", "version")
    for s in found:
        table.add_row(
            cell(s["id"]),
            when(s["suspended_at"]),
            cell(s["suspended_by"]),
            cell(s["reason"]),
            cell("yes" if s["in_force"] else "no"),
            cell(s["resolution"]),
            when(s["resolved_at"]),
            cell(s["new_version"]),
        )
    out.print(table)


@app.command()
def trace(
    name: NameArgument,
    version: Annotated[int | None, typer.Option(help="Only this version.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Every use of a dataset (version), in order: for a suspected leak."""
    with remote(url, token) as client:
        found = client.trace_dataset(name, version)
    if as_json:
        out.print_json(data=found)
        return
    table = Table("seq", "at", "kind", "actor", "role", "outcome", "version", "charge")
    for i in found["data"]:
        charge = i["charge"]
        table.add_row(
            cell(i["seq"]),
            when(i["at"]),
            cell(i["kind"]),
            cell(i["actor"]),
            cell(i["role"]),
            cell(i["outcome"]),
            cell(i["version"]),
            cell(f"{charge['grant']} {charge['loss']}" if charge else ""),
        )
    out.print(table)
    if found["truncated"]:
        note("the trace was cut; the earliest entries are shown")
    for g in found["grants"]:
        note(f"grant {g['ref']} held by {g['holder']}: {g['status']}")

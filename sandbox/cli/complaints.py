"""``sandbox complaints``: file complaints with evidence; answer them (provider)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import print_stages, stage_line

app = typer.Typer(
    help="Complaints of infringed privacy or trade secrets, with evidence.", no_args_is_help=True
)

IdArgument = Annotated[int, typer.Argument(help="The complaint's id.")]
Outcome = Annotated[str, typer.Option(help="restore, reprocess or end.")]


@app.command("list")
def list_complaints(
    status: Annotated[str | None, typer.Option(help="open or answered.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only about this dataset.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The complaints you may see, with the answer's deadline."""
    with remote(url, token) as client:
        found = client.list_complaints(status, dataset)
    table = Table(
        "id", "complainant", "dataset", "kind", "status", "outcome", "suspended", "deadline"
    )
    for c in found:
        table.add_row(
            cell(c["id"]),
            cell(c["complainant"]),
            cell(c["dataset"]),
            cell(c["kind"]),
            cell(c["status"]),
            cell(c["outcome"]),
            cell("yes" if c["dataset_suspended"] else ""),
            cell(stage_line(c["current_stage"])),
        )
    out.print(table)


@app.command()
def show(complaint_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One complaint with its evidence and answer stage."""
    with remote(url, token) as client:
        found = client.get_complaint(complaint_id)
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "complainant",
        "dataset",
        "provider_org",
        "kind",
        "description",
        "evidence_text",
        "status",
        "outcome",
        "answer",
        "new_version",
        "answered_by",
        "dataset_suspended",
    ):
        grid.add_row(key, cell(found.get(key)))
    out.print(grid)
    table = Table("evidence", "file", "bytes", "sha256", "uploaded", title="evidence")
    for e in found["evidence"]:
        table.add_row(
            cell(e["id"]),
            cell(e["filename"]),
            cell(e["byte_size"]),
            cell(e["sha256"][:16]),
            when(e["uploaded_at"]),
        )
    out.print(table)
    print_stages(found["stages"])


@app.command("file")
def file_complaint(
    dataset: Annotated[str, typer.Argument(help="The dataset complained about.")],
    kind: Annotated[str, typer.Option(help="privacy or trade_secret.")],
    description: Annotated[str, typer.Option(help="What was infringed, and how.")],
    evidence_text: Annotated[str, typer.Option(help="Evidence as text.")] = "",
    evidence: Annotated[
        list[Path] | None, typer.Option(help="An evidence file (at most 2 MiB); repeat for more.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """File a complaint, attaching evidence files; prints its id."""
    with remote(url, token) as client:
        made = client.file_complaint(dataset, kind, description, evidence_text)
        for path in evidence or []:
            client.add_complaint_evidence(made["id"], path)
    note(f"complaint {made['id']} filed: {stage_line(made['current_stage'])}")
    typer.echo(made["id"])


@app.command("evidence")
def get_evidence(
    complaint_id: IdArgument,
    evidence_id: Annotated[int, typer.Argument(help="The evidence file's id.")],
    dest: Annotated[Path, typer.Argument(help="Where to write it.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Save an evidence file."""
    with remote(url, token) as client:
        dest.write_bytes(client.complaint_evidence(complaint_id, evidence_id))
    note(f"evidence {evidence_id} written to {dest}")


@app.command()
def answer(
    complaint_id: IdArgument,
    outcome: Outcome,
    text: Annotated[str, typer.Option("--answer", help="The answer to the complainant.")],
    data: Annotated[
        Path | None,
        typer.Option(help="To reprocess: the desensitised data file, stored as a new version."),
    ] = None,
    method: Annotated[str, typer.Option(help="To reprocess: the desensitisation method.")] = "",
    description: Annotated[str, typer.Option(help="To reprocess: what was done.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Answer a complaint (the dataset's provider)."""
    with remote(url, token) as client:
        upload_id = client.upload(data)["upload_id"] if data else None
        done = client.answer_complaint(
            complaint_id,
            outcome,  # type: ignore[arg-type]
            text,
            upload_id=upload_id,
            method=method,
            description=description,
        )
    note(
        f"complaint {complaint_id} answered: {done['outcome']}"
        + (f" (new version {done['new_version']})" if done["new_version"] else "")
    )

"""``sandbox public-reports``: report misuse or a security problem (anyone; without a
token, with a contact) and answer reports (the provider, the authority).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._public import public_remote
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import print_stages, stage_line

app = typer.Typer(help="Public reports of misuse and of security problems.", no_args_is_help=True)

IdArgument = Annotated[int, typer.Argument(help="The report's id.")]


@app.command("file")
def file_report(
    kind: Annotated[str, typer.Argument(help="misuse or security.")],
    description: Annotated[str, typer.Option(help="What happened.")],
    dataset: Annotated[str | None, typer.Option(help="The dataset concerned.")] = None,
    product: Annotated[int | None, typer.Option(help="The data product concerned.")] = None,
    contact: Annotated[
        str, typer.Option(help="Your e-mail or phone (required without a token).")
    ] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """File a report (works without a token: then give --contact); prints its id."""
    with public_remote(url, token) as client:
        made = client.file_public_report(
            kind,  # type: ignore[arg-type]
            description,
            dataset=dataset,
            product_id=product,
            contact=contact,
        )
    note(f"report {made['id']} filed: {stage_line(made['current_stage'])}")
    typer.echo(made["id"])


@app.command("list")
def list_reports(
    status: Annotated[str | None, typer.Option(help="open or answered.")] = None,
    kind: Annotated[str | None, typer.Option(help="misuse or security.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The reports you see, with the answer's deadline."""
    with remote(url, token) as client:
        found = client.list_public_reports(status, kind)
    table = Table("id", "kind", "about", "routed to", "status", "outcome", "filed", "deadline")
    for r in found:
        about = r["dataset"] or (f"product {r['product_id']}" if r["product_id"] else "platform")
        table.add_row(
            cell(r["id"]),
            cell(r["kind"]),
            cell(about),
            cell(r["provider_org"] or "authority"),
            cell(r["status"]),
            cell(r["outcome"]),
            when(r["submitted_at"]),
            cell(stage_line(r["current_stage"])),
        )
    out.print(table)


@app.command()
def show(report_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One report with its answer stage."""
    with remote(url, token) as client:
        found = client.get_public_report(report_id)
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "kind",
        "dataset",
        "product_id",
        "provider_org",
        "description",
        "reporter",
        "contact",
        "status",
        "outcome",
        "answer",
        "answered_by",
        "complaint_id",
        "rectified_user_id",
    ):
        grid.add_row(key, cell(found.get(key)))
    out.print(grid)
    print_stages(found["stages"])


@app.command()
def answer(
    report_id: IdArgument,
    outcome: Annotated[str, typer.Option(help="unfounded, resolved, complaint or rectification.")],
    text: Annotated[str, typer.Option("--answer", help="The answer's text.")],
    complaint_kind: Annotated[
        str | None, typer.Option(help="With complaint: privacy or trade_secret.")
    ] = None,
    user: Annotated[int | None, typer.Option(help="With rectification: the user's id.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Answer a report (its provider, or the authority)."""
    with remote(url, token) as client:
        done = client.answer_public_report(
            report_id,
            outcome,  # type: ignore[arg-type]
            text,
            complaint_kind=complaint_kind,
            user_id=user,
        )
    extra = f", complaint {done['complaint_id']}" if done["complaint_id"] else ""
    note(f"report {report_id} answered: {done['outcome']}{extra}")

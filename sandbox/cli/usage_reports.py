"""``sandbox usage-reports``: usage and risk reports on grants, and the reports due."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Usage and risk reports on grants, and when each is due.", no_args_is_help=True
)


@app.command("file")
def file_report(
    grant_id: Annotated[int, typer.Argument(help="Your grant's id.")],
    kind: Annotated[str, typer.Option(help="usage or risk.")],
    use: Annotated[str | None, typer.Option(help="usage: how the data was used.")] = None,
    results: Annotated[str | None, typer.Option(help="usage: the results.")] = None,
    benefits: Annotated[str | None, typer.Option(help="usage: the benefits.")] = None,
    data_used: Annotated[
        str | None, typer.Option(help="risk: kinds and amounts of data used.")
    ] = None,
    processing: Annotated[str | None, typer.Option(help="risk: processing done.")] = None,
    risks: Annotated[str | None, typer.Option(help="risk: risks met.")] = None,
    measures: Annotated[str | None, typer.Option(help="risk: measures taken.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """File a report on your grant; prints its id."""
    fields = {
        k: v
        for k, v in {
            "use": use,
            "results": results,
            "benefits": benefits,
            "data_used": data_used,
            "processing": processing,
            "risks": risks,
            "measures": measures,
        }.items()
        if v is not None
    }
    with remote(url, token) as client:
        made = client.file_report(grant_id, kind, **fields)  # type: ignore[arg-type]
    note(f"{made['kind']} report {made['id']} filed on {made['grant_ref']}")
    typer.echo(made["id"])


@app.command("list")
def list_reports(
    grant_id: Annotated[int | None, typer.Option(help="Only this grant.")] = None,
    kind: Annotated[str | None, typer.Option(help="usage or risk.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Reports on the grants you may see."""
    with remote(url, token) as client:
        found = client.list_reports(grant_id, kind)
    table = Table("id", "grant", "kind", "by", "filed", "content")
    for r in found:
        table.add_row(
            cell(r["id"]),
            cell(r["grant_ref"]),
            cell(r["kind"]),
            cell(r["submitted_by"]),
            when(r["submitted_at"]),
            cell(r["content"]),
        )
    out.print(table)


@app.command()
def due(
    missing: Annotated[bool, typer.Option("--missing", help="Only missing reports.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """When each report is due; missing ones first."""
    with remote(url, token) as client:
        found = client.reports_due(missing)
    table = Table("grant", "holder", "kind", "every", "last", "due", "missing")
    for d in found["data"]:
        table.add_row(
            cell(d["grant_ref"]),
            cell(d["holder"]),
            cell(d["kind"]),
            cell(f"{d['interval_days']} days"),
            when(d["last_report_at"]),
            cell(d["due_on"]),
            cell(f"{d['days_overdue']} days late" if d["missing"] else ""),
        )
    out.print(table)

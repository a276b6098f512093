"""``sandbox reports``: usage and risk reports, the reports due, and enforcement."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(help="Usage and risk reports on grants; rectification and termination "
                       "(provider).", no_args_is_help=True)


@app.command("file")
def file_report(
    grant_id: Annotated[int, typer.Argument(help="Your grant's id.")],
    kind: Annotated[str, typer.Option(help="usage or risk.")],
    use: Annotated[str | None, typer.Option(help="usage: how the data was used.")] = None,
    results: Annotated[str | None, typer.Option(help="usage: the results.")] = None,
    benefits: Annotated[str | None, typer.Option(help="usage: the benefits.")] = None,
    data_used: Annotated[str | None, typer.Option(
        help="risk: kinds and amounts of data used.")] = None,
    processing: Annotated[str | None, typer.Option(help="risk: processing done.")] = None,
    risks: Annotated[str | None, typer.Option(help="risk: risks met.")] = None,
    measures: Annotated[str | None, typer.Option(help="risk: measures taken.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """File a report on your grant; prints its id."""
    fields = {k: v for k, v in {"use": use, "results": results, "benefits": benefits,
                                "data_used": data_used, "processing": processing,
                                "risks": risks, "measures": measures}.items() if v is not None}
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
        table.add_row(cell(r["id"]), cell(r["grant_ref"]), cell(r["kind"]),
                      cell(r["submitted_by"]), when(r["submitted_at"]), cell(r["content"]))
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
        table.add_row(cell(d["grant_ref"]), cell(d["holder"]), cell(d["kind"]),
                      cell(f"{d['interval_days']} days"), when(d["last_report_at"]),
                      cell(d["due_on"]),
                      cell(f"{d['days_overdue']} days late" if d["missing"] else ""))
    out.print(table)


def _enforce(step: str, user_id: int, reason: str, url: str, token: str | None) -> None:
    with remote(url, token) as client:
        action = (client.request_rectification if step == "rectification"
                  else client.terminate_user)
        done = action(user_id, reason)
    for g in done["grants"]:
        note(f"grant {g['ref']} is {g['status']}")


@app.command()
def rectify(
    user_id: Annotated[int, typer.Argument(help="The user's id.")],
    reason: Annotated[str, typer.Option(help="What the user must rectify.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Suspend a user's active grants on your data pending rectification (provider)."""
    _enforce("rectification", user_id, reason, url, token)


@app.command()
def terminate(
    user_id: Annotated[int, typer.Argument(help="The user's id.")],
    reason: Annotated[str, typer.Option(help="Why the service ends.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke a user's suspended grants on your data (provider)."""
    _enforce("termination", user_id, reason, url, token)

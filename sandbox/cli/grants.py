"""``sandbox grants``: read grants and their budget, accept their agreement, suspend,
resume, revoke.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli import budgets
from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Grants: their budget; accept the agreement; suspend, resume or revoke (provider).",
    no_args_is_help=True,
)

IdArgument = Annotated[int, typer.Argument(help="The grant's id.")]


@app.command("list")
def list_grants(
    status: Annotated[str | None, typer.Option(help="Only this status (as of now).")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The grants you may see."""
    with remote(url, token) as client:
        found = client.list_grants(status)
    table = Table("id", "ref", "holder", "datasets", "jobs", "period", "status")
    for g in found:
        table.add_row(
            cell(g["id"]),
            cell(g["ref"]),
            cell(g["holder"]),
            cell(", ".join(g["datasets"])),
            cell(", ".join(g["job_kinds"])),
            cell(f"{g['period_start']} to {g['period_end']}"),
            cell(g["status"]),
        )
    out.print(table)


@app.command()
def show(
    grant_id: IdArgument,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """One grant with its scope and status."""
    with remote(url, token) as client:
        found = client.get_grant(grant_id)
    if as_json:
        out.print_json(data=found)
        return
    grid = Table.grid(padding=(0, 2))
    for key in (
        "ref",
        "holder",
        "provider_org",
        "datasets",
        "job_kinds",
        "policy",
        "period_start",
        "period_end",
        "status",
        "status_reason",
        "approved_by",
        "agreement_version",
    ):
        value = found.get(key)
        grid.add_row(key, cell(", ".join(value) if isinstance(value, list) else value))
    grid.add_row("accepted_at", when(found.get("accepted_at")))
    out.print(grid)


app.command("budget")(budgets.grant_budget)  # GET /v1/grants/{id}/budget


@app.command()
def agreement(
    grant_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """Print the agreement you would accept for this grant."""
    with remote(url, token) as client:
        shown = client.grant_agreement(grant_id)
    note(f"agreement version {shown['version']} (sha256 {shown['sha256']})")
    typer.echo(shown["text"])


@app.command()
def accept(
    grant_id: IdArgument,
    version: Annotated[
        str,
        typer.Option(
            help="The version of the agreement you read (see `sandbox grants agreement`)."
        ),
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Accept the agreement: the grant becomes active (its holder)."""
    with remote(url, token) as client:
        done = client.accept_grant(grant_id, version=version)
    note(f"grant {done['ref']} is {done['status']} until the end of {done['period_end']}")


def _change(step: str, grant_id: int, reason: str, url: str, token: str | None) -> None:
    with remote(url, token) as client:
        action = {
            "suspend": client.suspend_grant,
            "resume": client.resume_grant,
            "revoke": client.revoke_grant,
        }[step]
        done = action(grant_id, reason)
    note(f"grant {done['ref']} is {done['status']}")


@app.command()
def suspend(
    grant_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why it is suspended.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Suspend an active grant (a provider of its organisation)."""
    _change("suspend", grant_id, reason, url, token)


@app.command()
def resume(
    grant_id: IdArgument,
    reason: Annotated[str, typer.Option(help="A note.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Resume a suspended grant (a provider of its organisation)."""
    _change("resume", grant_id, reason, url, token)


@app.command()
def revoke(
    grant_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why it is revoked.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke a grant for good (a provider of its organisation)."""
    _change("revoke", grant_id, reason, url, token)

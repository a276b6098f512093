"""``sandbox attribute-changes``: a provider asks to change a dataset's open attribute (filed
on the dataset, ``POST /v1/datasets/{name}/attribute-changes``); the authority reads and
decides the requests (``api/routers/attribute_changes.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Changes of a dataset's open attribute: request (provider), decide (authority).",
    no_args_is_help=True,
)


def _summary(change: dict[str, Any]) -> str:
    return (
        f"attribute change {change['id']} of {change['dataset']}: "
        f"{change['from_attribute']} -> {change['to_attribute']}, {change['status']}"
    )


@app.command()
def request(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    to: Annotated[
        str, typer.Option(help="The attribute asked for: unconditional, conditional or closed.")
    ],
    legal_basis: Annotated[str, typer.Option(help="The law or rule that allows it.")] = "",
    desensitisation: Annotated[
        int | None, typer.Option(help="The id of the desensitisation it rests on.")
    ] = None,
    consent: Annotated[str, typer.Option(help="A reference to the consent obtained.")] = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Ask the authority to change a dataset's open attribute (its provider)."""
    with remote(url, token) as client:
        made = client.request_attribute_change(
            dataset,
            to,
            legal_basis=legal_basis,
            desensitisation_id=desensitisation,
            consent_reference=consent,
            reason=reason,
        )
    note(_summary(made))


@app.command("list")
def list_changes(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Requests (the authority, auditors, admins; a provider sees its own)."""
    with remote(url, token) as client:
        found = client.list_attribute_changes(status, dataset)
    table = Table("id", "dataset", "from", "to", "status", "requested by", "at", "legal basis")
    for c in found:
        table.add_row(
            cell(c["id"]),
            cell(c["dataset"]),
            cell(c["from_attribute"]),
            cell(c["to_attribute"]),
            cell(c["status"]),
            cell(c["requested_by"]),
            when(c["requested_at"]),
            cell(c["legal_basis"]),
        )
    out.print(table)


@app.command()
def decide(
    change_id: Annotated[int, typer.Argument(help="The request's id.")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve it.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject it.")] = False,
    note_text: Annotated[str, typer.Option("--note", help="The decision's note.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve or reject a request (authority): exactly one of --approve and --reject."""
    if approve == reject:
        fail("say --approve or --reject")
    with remote(url, token) as client:
        done = client.decide_attribute_change(change_id, approve, note_text)
    note(_summary(done))

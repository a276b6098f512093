"""``sandbox demands``: requests for data not yet open."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import print_stages, stage_line

app = typer.Typer(
    help="Ask for data not yet open; review, answer and open requests.", no_args_is_help=True
)

IdArgument = Annotated[int, typer.Argument(help="The request's id.")]


@app.command("list")
def list_demands(
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The requests you may see, with the current deadline."""
    with remote(url, token) as client:
        found = client.list_demands(status)
    table = Table("id", "requester", "dataset", "provider", "status", "deadline")
    for d in found:
        table.add_row(
            cell(d["id"]),
            cell(d["requester"]),
            cell(d["dataset"]),
            cell(d["provider_org"]),
            cell(d["status"]),
            cell(stage_line(d["current_stage"])),
        )
    out.print(table)


@app.command()
def show(demand_id: IdArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One request with its stages and deadlines."""
    with remote(url, token) as client:
        found = client.get_demand(demand_id)
    grid = Table.grid(padding=(0, 2))
    for key in (
        "id",
        "requester",
        "description",
        "dataset",
        "provider_org",
        "status",
        "return_reason",
        "answer",
        "legal_basis",
        "opened_dataset",
    ):
        grid.add_row(key, cell(found.get(key)))
    out.print(grid)
    print_stages(found["stages"])


@app.command()
def submit(
    description: Annotated[str, typer.Argument(help="The data you ask for.")],
    dataset: Annotated[str, typer.Option(help="A dataset name, if you know one.")] = "",
    provider_org_id: Annotated[int | None, typer.Option(help="The provider, if known.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Ask for data not yet open; prints the request's id."""
    with remote(url, token) as client:
        made = client.submit_demand(description, dataset, provider_org_id)
    note(f"request {made['id']} filed: {stage_line(made['current_stage'])}")
    typer.echo(made["id"])


@app.command("form-review")
def form_review(
    demand_id: IdArgument,
    passed: Annotated[bool, typer.Option("--pass/--return", help="Pass on, or return.")],
    reason: Annotated[str, typer.Option(help="Why it is returned.")] = "",
    provider_org_id: Annotated[int | None, typer.Option(help="Who must answer.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The authority's form review of a request."""
    with remote(url, token) as client:
        done = client.review_demand_form(demand_id, passed, reason, provider_org_id)
    note(f"request {demand_id} is {done['status']}")


@app.command()
def answer(
    demand_id: IdArgument,
    agree: Annotated[bool, typer.Option("--agree/--refuse", help="Agree, or refuse.")],
    reason: Annotated[str, typer.Option(help="Why (required to refuse).")] = "",
    legal_basis: Annotated[str, typer.Option(help="The legal basis of a refusal.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The provider's answer to a request."""
    with remote(url, token) as client:
        done = client.answer_demand(demand_id, agree, reason, legal_basis)
    note(f"request {demand_id} is {done['status']} {stage_line(done['current_stage'])}")


@app.command()
def opened(
    demand_id: IdArgument,
    dataset: Annotated[str, typer.Argument(help="The catalog dataset that holds the data.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Record that the requested data is open (the provider)."""
    with remote(url, token) as client:
        client.mark_demand_opened(demand_id, dataset)
    note(f"request {demand_id} is opened as {dataset!r}")

"""``sandbox opening-plans``: the providers' open responsibility lists for each year
(draft, submit, publish) and their progress.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._public import public_remote
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Opening plans: each provider's datasets to open this year, with dates.",
    no_args_is_help=True,
)

PlanArgument = Annotated[int, typer.Argument(help="The plan's id.")]


def print_plan(plan: dict[str, Any]) -> None:
    """A plan's facts, then its entries with their progress."""
    grid = Table.grid(padding=(0, 2))
    for key in ("id", "organisation", "year", "status", "note", "published_by", "published_at"):
        grid.add_row(key, cell(plan.get(key)))
    out.print(grid)
    table = Table("entry", "dataset", "title", "attribute", "due", "state", "met on")
    for e in plan["entries"]:
        table.add_row(
            cell(e["id"]),
            cell(e["dataset"]),
            cell(e["title"]),
            cell(e["open_attribute"]),
            cell(e["due_on"]),
            cell(e["state"]),
            cell(e["met_on"]),
        )
    out.print(table)


def _plans_table(plans: list[dict[str, Any]]) -> None:
    table = Table("id", "organisation", "year", "status", "entries", "met", "overdue", "published")
    for p in plans:
        states = [e["state"] for e in p["entries"]]
        table.add_row(
            cell(p["id"]),
            cell(p["organisation"]),
            cell(p["year"]),
            cell(p["status"]),
            cell(len(states)),
            cell(sum(s in ("met", "met_late") for s in states)),
            cell(states.count("overdue")),
            when(p["published_at"]),
        )
    out.print(table)


@app.command("list")
def list_plans(
    year: Annotated[int | None, typer.Option(help="Only this year's plans.")] = None,
    organisation: Annotated[int | None, typer.Option(help="Only this organisation's.")] = None,
    status: Annotated[str | None, typer.Option(help="draft, submitted or published.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The plans you see, with their progress."""
    with remote(url, token) as client:
        _plans_table(client.list_plans(year, organisation, status))


@app.command("public")
def public(
    year: Annotated[int | None, typer.Option(help="Only this year's plans.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The published plans, as everyone sees them (no token needed)."""
    with public_remote(url, token) as client:
        _plans_table(client.public_plans(year))


@app.command()
def show(plan_id: PlanArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """One plan with each entry's progress."""
    with remote(url, token) as client:
        print_plan(client.get_plan(plan_id))


@app.command("add")
def add(
    organisation: Annotated[int, typer.Option(help="The provider organisation's id.")],
    dataset: Annotated[
        str, typer.Option(help="The dataset's name, as it is (or will be) registered.")
    ],
    title: Annotated[str, typer.Option(help="Its title.")],
    due: Annotated[str, typer.Option(help="The date by which it is open (YYYY-MM-DD).")],
    attribute: Annotated[str, typer.Option(help="unconditional or conditional.")] = "unconditional",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Add a dataset to an organisation's plan for the year of its date."""
    try:
        due_on = date.fromisoformat(due)
    except ValueError:
        raise typer.BadParameter(
            f"{due!r} is not a date (YYYY-MM-DD)", param_hint="--due"
        ) from None
    with remote(url, token) as client:
        plan = client.add_plan_entry(
            organisation,
            due_on.year,
            dataset,
            title,
            due_on,
            attribute,  # type: ignore[arg-type]
        )
    note(f"plan {plan['id']} ({plan['year']}): {len(plan['entries'])} entries")
    typer.echo(plan["id"])


@app.command("remove")
def remove(
    plan_id: PlanArgument,
    entry_id: Annotated[int, typer.Argument(help="The entry's id.")],
    reason: Annotated[str, typer.Option(help="Why (needed once the plan is published).")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Take an entry out of a plan."""
    with remote(url, token) as client:
        print_plan(client.remove_plan_entry(plan_id, entry_id, reason))


@app.command()
def submit(plan_id: PlanArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Submit your organisation's draft for the authority's review."""
    with remote(url, token) as client:
        plan = client.submit_plan(plan_id)
    note(f"plan {plan_id} is {plan['status']}")


@app.command()
def publish(plan_id: PlanArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Publish a plan (the authority)."""
    with remote(url, token) as client:
        plan = client.decide_plan(plan_id, "publish")
    note(f"plan {plan_id} is {plan['status']}")


@app.command("return")
def return_plan(
    plan_id: PlanArgument,
    note_text: Annotated[str, typer.Option("--note", help="What to change.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Return a submitted plan to draft with a note (the authority)."""
    with remote(url, token) as client:
        plan = client.decide_plan(plan_id, "return", note_text)
    note(f"plan {plan_id} is {plan['status']}")

"""Privacy budgets: ``sandbox grants budget GRANT`` (a grant's own, for its holder, its
provider and oversight) and ``sandbox budgets show DATASET`` (every account on a dataset,
for its provider and oversight), both read through the API.

Amounts are the API's exact decimals: epsilon under pure DP, rho under zCDP.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Privacy budgets: a dataset's accounts (provider, oversight).", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the raw JSON.")]


def _unit(accounting: str) -> str:
    return "rho" if accounting == "zcdp" else "epsilon"


def _amount(cost: dict[str, Any] | None) -> str:
    """``0.3`` or ``0.3 (delta 1E-7)``: the exact decimals the server sent."""
    if cost is None:
        return "-"
    delta = str(cost["delta"])
    return str(cost["loss"]) if delta in ("0", "0.0") else f"{cost['loss']} (delta {delta})"


def _print_spending(spending: dict[str, Any]) -> None:
    unit = _unit(spending["accounting"])
    lifetime = spending["lifetime_remaining"]
    out.print(cell(f"dataset {spending['dataset']} ({unit})"))
    grid = Table.grid(padding=(0, 2))
    grid.add_row("  limit", cell(_amount(spending["limit"])))
    grid.add_row("  spent", cell(_amount(spending["spent"])))
    grid.add_row("  remaining", cell(_amount(spending["remaining"])))
    grid.add_row(
        "  lifetime remaining",
        cell(
            _amount(lifetime)
            if lifetime is not None
            else "not shown to grant holders (the dataset's policy)"
        ),
    )
    out.print(grid)
    if not spending["charges"]:
        out.print("  no charges yet")
        return
    rows = [("job", "call", unit, "status", "charged at", "what")]
    rows += [
        (
            str(c["job_id"] or "-"),
            c["call"] or "-",
            _amount(c["cost"]),
            c["status"],
            when(c["charged_at"]).plain,
            c["purpose"],
        )
        for c in spending["charges"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:  # plain lines, never wrapped: the purpose stays whole and greppable
        line = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False))
        out.print(Text(f"  {line}  {row[-1]}"))


def grant_budget(
    grant_id: Annotated[int, typer.Argument(help="The grant's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """A grant's budget per dataset: spent, remaining, and each charge (job, call, when)."""
    with remote(url, token) as client:
        found = client.grant_budget(grant_id)
    if as_json:
        out.print_json(data=found)
        return
    out.print(
        cell(
            f"grant {found['grant']} (id {found['grant_id']}, holder "
            f"{found['holder']}, {found['status']})"
        )
    )
    if not found["datasets"]:
        note("no budget accounts yet: they open when the holder accepts the agreement")
    for spending in found["datasets"]:
        _print_spending(spending)


@app.command()
def show(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """A dataset's lifetime account and every grant's account on it (provider, oversight)."""
    with remote(url, token) as client:
        found = client.dataset_budget(dataset)
    if as_json:
        out.print_json(data=found)
        return
    table = Table("kind", "ref", "accounting", "limit", "spent", "remaining")
    for account in found["accounts"]:
        table.add_row(
            cell(account["kind"]),
            cell(account["ref"]),
            cell(account["accounting"]),
            cell(_amount(account["limit"])),
            cell(_amount(account["spent"])),
            cell(_amount(account["remaining"])),
        )
    out.print(table)

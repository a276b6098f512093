"""``sandbox stats``: the platform's published figures, as tables or raw JSON."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The platform's figures: datasets, applications, deadlines, complaints, budgets."""
    with remote(url, token) as client:
        found = client.stats()
    if as_json:
        out.print_json(data=found)
        return
    grid = Table.grid(padding=(0, 2))
    for key in (
        "datasets_by_attribute",
        "datasets_suspended",
        "datasets_withdrawn",
        "applications_by_status",
        "demands_by_status",
        "grants_by_status",
        "complaints",
        "objections",
        "reports_missing",
        "data_products",
    ):
        grid.add_row(key, cell(found[key]))
    out.print(grid)
    table = Table(
        "subject",
        "stage",
        "allowed",
        "closed",
        "met",
        "missed",
        "median",
        "worst",
        "open",
        "overdue",
        title="response times (working days)",
    )
    for d in found["deadlines"]:
        table.add_row(
            cell(d["subject"]),
            cell(d["stage"]),
            cell(d["working_days_allowed"]),
            cell(d["closed"]),
            cell(d["met"]),
            cell(d["missed"]),
            cell(d["median_working_days"]),
            cell(d["worst_working_days"]),
            cell(d["open"]),
            cell(d["open_overdue"]),
        )
    out.print(table)
    budgets = Table("dataset", "accounting", "spent", "limit", "grants", "charges", title="budgets")
    for b in found["budgets"]:
        budgets.add_row(
            cell(b["dataset"]),
            cell(b["accounting"]),
            cell(b["spent_loss"]),
            cell(b["limit_loss"]),
            cell(b["grant_accounts"]),
            cell(b["charges"]),
        )
    out.print(budgets)
    usage = Table(
        "dataset",
        "views",
        "applications",
        "jobs",
        "downloads",
        "ratings",
        "average",
        "verifications",
        "verified",
        title="usage per dataset",
    )
    for u in found.get("dataset_usage", []):
        usage.add_row(
            cell(u["dataset"]),
            cell(u["views"]),
            cell(u["applications"]),
            cell(u["jobs"]),
            cell(u["downloads"]),
            cell(u["ratings"]),
            cell(u["average_rating"]),
            cell(u.get("verification_calls")),
            cell(u.get("verified_records")),
        )
    out.print(usage)

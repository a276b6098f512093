"""The root ``sandbox`` command: ``serve``, ``whoami`` and the command groups."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli import (
    _aliases,
    applications,
    attachments,
    attribute_changes,
    audit,
    budgets,
    complaints,
    data_products,
    datasets,
    db,
    deadlines,
    demands,
    enforcement,
    feedback,
    governance,
    grants,
    jobs,
    law_changes,
    notifications,
    objections,
    opening_plans,
    organisations,
    policies,
    public_reports,
    results,
    reviews,
    run,
    stats,
    suspensions,
    tokens,
    usage_reports,
    users,
    verification,
)
from sandbox.cli._output import cell, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    name="sandbox",
    help="Privacy-preserving data sandbox: run the server, administer it, use its API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# One group per resource of the HTTP API, named as its router in ``api/routers/`` (``/v1/...``).
app.add_typer(applications.app, name="applications")
app.add_typer(attribute_changes.app, name="attribute-changes")
app.add_typer(audit.app, name="audit")
app.add_typer(budgets.app, name="budgets")
app.add_typer(complaints.app, name="complaints")
app.add_typer(data_products.app, name="data-products")
app.add_typer(datasets.app, name="datasets")
app.add_typer(db.app, name="db")
app.add_typer(feedback.app, name="feedback")
app.add_typer(governance.app, name="governance")
app.add_typer(deadlines.app, name="deadlines")
app.add_typer(demands.app, name="demands")
app.add_typer(enforcement.app, name="enforcement")
app.add_typer(grants.app, name="grants")
app.add_typer(jobs.app, name="jobs")
app.add_typer(law_changes.app, name="law-changes")
app.add_typer(notifications.app, name="notifications")
app.add_typer(objections.app, name="objections")
app.add_typer(opening_plans.app, name="opening-plans")
app.add_typer(organisations.app, name="organisations")
app.add_typer(policies.app, name="policies")
app.add_typer(public_reports.app, name="public-reports")
app.add_typer(results.app, name="results")
app.add_typer(reviews.app, name="reviews")
app.add_typer(suspensions.app, name="suspensions")
app.add_typer(tokens.app, name="tokens")
app.add_typer(usage_reports.app, name="usage-reports")
app.add_typer(users.app, name="users")
app.add_typer(verification.app, name="verify")
app.command("stats")(stats.stats)
# Proof files belong to an application: their commands join its group.
applications.app.command("attach")(attachments.attach)
applications.app.command("attachments")(attachments.attachments)
applications.app.command("attachment")(attachments.attachment)
app.command("run")(run.run)

# The old group names, hidden from the help, so that existing scripts keep working.
app.add_typer(_aliases.admin, name="admin", hidden=True)
app.add_typer(_aliases.reports, name="reports", hidden=True)
app.add_typer(data_products.app, name="products", hidden=True)


SERVER_KEEP_ALIVE = 65
"""Seconds ``serve`` keeps an idle connection (uvicorn's own default is 5). A client that reuses
a connection the server is closing at that moment gets a reset; the server must outlast the
clients' pool expiry (the sandbox client keeps idle connections 4 s, browsers and proxies up
to 60 s) so that it is the client that closes idle connections."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds an idle connection is kept open (longer than clients keep theirs).",
        ),
    ] = SERVER_KEEP_ALIVE,
) -> None:
    """Run the HTTP API under uvicorn, configured by the SANDBOX_* environment."""
    import uvicorn

    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        timeout_keep_alive=keep_alive,
    )


@app.command()
def whoami(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """The account your token belongs to."""
    with remote(url, token) as client:
        me = client.me()
    grid = Table.grid(padding=(0, 2))
    grid.add_row("username", cell(me["username"]))
    grid.add_row("role", cell(me["role"]))
    grid.add_row("organisation", cell(me["organisation_name"] or "-"))
    grid.add_row("display name", cell(me["display_name"]))
    for fact in me["eligibility"]:
        grid.add_row(cell(fact["fact"]), cell(f"{fact['value']} (set by {fact['set_by']})"))
    out.print(grid)

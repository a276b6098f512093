"""``sandbox data-products``: publish and read data products."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.cli.applications import read_json_file

app = typer.Typer(
    help="Data products made from opened data, with sources and dates.", no_args_is_help=True
)


@app.command()
def publish(
    fields_file: Annotated[
        Path, typer.Argument(help="A JSON file: title, description, sources, grant_id, payload.")
    ],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Publish a data product (a user); prints its id."""
    fields = read_json_file(fields_file, "data product")
    with remote(url, token) as client:
        made = client.publish_data_product(
            str(fields.get("title", "")),
            list(fields.get("sources", [])),
            description=str(fields.get("description", "")),
            grant_id=fields.get("grant_id"),
            payload=fields.get("payload"),
        )
    note(f"data product {made['id']} published")
    typer.echo(made["id"])


@app.command("list")
def list_products(
    dataset: Annotated[str | None, typer.Option(help="Only those made from it.")] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Published data products."""
    with remote(url, token) as client:
        found = client.list_data_products(dataset)
    table = Table("id", "title", "publisher", "sources", "published")
    for p in found:
        sources = ", ".join(f"{s['dataset']} v{s['version']}" for s in p["sources"])
        table.add_row(
            cell(p["id"]),
            cell(p["title"]),
            cell(p["publisher"]),
            cell(sources),
            when(p["published_at"]),
        )
    out.print(table)


@app.command()
def show(
    product_id: Annotated[int, typer.Argument(help="The product's id.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """One data product with its payload, as JSON."""
    with remote(url, token) as client:
        out.print_json(data=client.get_data_product(product_id))

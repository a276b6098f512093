"""``sandbox tokens``: manage your own API tokens on a remote server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(help="Create, list and revoke your API tokens.", no_args_is_help=True)


@app.command()
def create(
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
    name: Annotated[str, typer.Option(help="A label to tell tokens apart.")] = "default",
    days: Annotated[int, typer.Option(help="Lifetime in days (at most 366).")] = 90,
) -> None:
    """Issue a new token and print its secret, once, as the last line of stdout."""
    with remote(url, token) as client:
        created = client.create_token(name=name, days=days)
    info = created["info"]
    note(
        f"token {info['id']} ({info['name']!r}) expires {info['expires_at'][:10]}; "
        "its secret is shown only now:"
    )
    typer.echo(created["token"])


@app.command("list")
def list_tokens(url: UrlOption = DEFAULT_URL, token: TokenOption = None) -> None:
    """Your tokens' metadata (never their secrets)."""
    with remote(url, token) as client:
        found = client.list_tokens()
    table = Table("id", "name", "prefix", "created", "expires", "revoked")
    for t in found:
        table.add_row(
            cell(t["id"]),
            cell(t["name"]),
            cell(t["prefix"]),
            when(t["created_at"]),
            when(t["expires_at"]),
            when(t["revoked_at"]),
        )
    out.print(table)


@app.command()
def revoke(
    token_id: Annotated[int, typer.Argument(help="The id shown by `sandbox tokens list`.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Revoke a token at once."""
    with remote(url, token) as client:
        revoked = client.revoke_token(token_id)
    note(f"token {revoked['id']} ({revoked['name']!r}) is revoked")

"""``sandbox enforcement``: a provider's rectification and termination of a user's grants."""

from __future__ import annotations

from typing import Annotated

import typer

from sandbox.cli._output import note
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Rectification and termination of a user's grants on your data (provider).",
    no_args_is_help=True,
)


def _enforce(step: str, user_id: int, reason: str, url: str, token: str | None) -> None:
    with remote(url, token) as client:
        action = client.request_rectification if step == "rectification" else client.terminate_user
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

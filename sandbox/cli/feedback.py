"""``sandbox feedback``: rate and comment on datasets, and moderate the comments on your
organisation's datasets (a provider).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(help="Ratings and moderated comments on datasets.", no_args_is_help=True)


def _comments(title: str, comments: list[dict[str, Any]]) -> Table:
    table = Table("id", "author", "status", "submitted", "text", "reason", title=title)
    for c in comments:
        table.add_row(
            cell(c["id"]),
            cell(c["author"]),
            cell(c["status"]),
            when(c["submitted_at"]),
            cell(c["text"]),
            cell(c["reason"]),
        )
    return table


@app.command()
def rate(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    stars: Annotated[int, typer.Argument(help="1 to 5; rating again changes your rating.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Rate a dataset."""
    with remote(url, token) as client:
        done = client.rate_dataset(dataset, stars)
    note(f"{dataset} rated {done['stars']}")


@app.command()
def comment(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    text: Annotated[str, typer.Argument(help="Your comment (shown once approved).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Comment on a dataset; prints the comment's id."""
    with remote(url, token) as client:
        made = client.comment_on_dataset(dataset, text)
    note(f"comment {made['id']} waits for the provider's approval")
    typer.echo(made["id"])


@app.command()
def show(
    dataset: Annotated[str, typer.Argument(help="The dataset's name.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """A dataset's average rating, approved comments and your own."""
    with remote(url, token) as client:
        found = client.dataset_feedback(dataset)
    out.print(
        f"{found['dataset']}: average {cell(found['average_rating'])} from "
        f"{found['ratings']} ratings; yours {cell(found['my_rating'])}"
    )
    out.print(_comments("comments", found["comments"]))
    if found["my_comments"]:
        out.print(_comments("your comments", found["my_comments"]))


@app.command()
def queue(
    status: Annotated[str, typer.Option(help="pending, approved or hidden.")] = "pending",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """The comments on your organisation's datasets (a provider)."""
    with remote(url, token) as client:
        found = client.comment_moderation_queue(status)
    out.print(_comments(f"{status} comments", found))


@app.command()
def moderate(
    comment_id: Annotated[int, typer.Argument(help="The comment's id.")],
    outcome: Annotated[str, typer.Argument(help="approve or hide.")],
    reason: Annotated[str, typer.Option(help="Why (required to hide).")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Approve a comment, or hide it with a reason (a provider)."""
    with remote(url, token) as client:
        done = client.moderate_comment(comment_id, outcome, reason)
    note(f"comment {done['id']} {done['status']}")

"""``sandbox applications attach|attachments|attachment``: proof files of an application
(Qingdao art. 17), added to the ``applications`` group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._output import cell, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

ApplicationArgument = Annotated[int, typer.Argument(help="The application's id.")]


def attach(
    application_id: ApplicationArgument,
    files: Annotated[list[Path], typer.Argument(help="PDF, PNG, JPEG or text files (5 MiB each).")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Attach proof files to your application under review; prints each one's id."""
    with remote(url, token) as client:
        for path in files:
            made = client.attach_to_application(application_id, path)
            kind, digest = made["media_type"], made["sha256"][:16]
            note(f"{path.name}: attachment {made['id']} ({kind}, {digest})")
            typer.echo(made["id"])


def attachments(
    application_id: ApplicationArgument, url: UrlOption = DEFAULT_URL, token: TokenOption = None
) -> None:
    """An application's proof files."""
    with remote(url, token) as client:
        found = client.list_attachments(application_id)
    table = Table("id", "file", "type", "bytes", "sha256", "by", "uploaded")
    for a in found:
        table.add_row(
            cell(a["id"]),
            cell(a["filename"]),
            cell(a["media_type"]),
            cell(a["byte_size"]),
            cell(a["sha256"][:16]),
            cell(a["uploaded_by"]),
            when(a["uploaded_at"]),
        )
    out.print(table)


def attachment(
    application_id: ApplicationArgument,
    attachment_id: Annotated[int, typer.Argument(help="The attachment's id.")],
    dest: Annotated[Path, typer.Argument(help="Where to write it.")],
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Save a proof file (the read is audited)."""
    with remote(url, token) as client:
        dest.write_bytes(client.attachment(application_id, attachment_id))
    note(f"attachment {attachment_id} written to {dest}")

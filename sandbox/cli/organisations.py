"""``sandbox organisations``: bootstrap organisations directly on this host's database.

Like ``users create``, this runs as the local ``system`` operator so that an organisation can
exist before any account holds a token; the change is audited like an API call.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import note
from sandbox.identity.model import OrganisationKind

app = typer.Typer(help="Create organisations on this host's database.", no_args_is_help=True)


@app.command("create")
def create_org(
    name: Annotated[str, typer.Argument(help="The organisation's unique name.")],
    kind: Annotated[OrganisationKind, typer.Option(help="What kind of body it is.")],
) -> None:
    """Create an organisation."""
    from sandbox.identity import service
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    with local_platform() as platform, transaction(platform.sessions) as session:
        org = service.create_organisation(session, Actor.system(), name=name, kind=kind)
    note(f"created organisation {org.name!r} ({org.kind}, id {org.id})")

"""``sandbox users``: bootstrap accounts directly on this host's database.

``users create`` runs as the local ``system`` operator, which is how the first admin account
comes to exist before anyone holds a token. Every change is audited like an API call.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import fail, note
from sandbox.identity.model import Role

app = typer.Typer(help="Create accounts on this host's database.", no_args_is_help=True)


@app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '_', '.', '-'.")],
    role: Annotated[Role, typer.Option(help="The account's one role.")],
    org: Annotated[str | None, typer.Option(help="Name of the account's organisation.")] = None,
    display_name: Annotated[str, typer.Option(help="Full name shown to others.")] = "",
    days: Annotated[int, typer.Option(help="Lifetime of the first token in days.")] = 90,
) -> None:
    """Create an account and print its first API token, once, as the last line of stdout."""
    from sandbox.identity import service, tokens
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    system = Actor.system()
    with local_platform() as platform, transaction(platform.sessions) as session:
        organisation_id = None
        if org is not None:
            found = service.find_organisation(session, org)
            if found is None:
                fail(f"no organisation is named {org!r}; create it with `sandbox "
                     "organisations create` first")
            organisation_id = found.id
        user = service.create_user(session, system, username=username, role=role,
                                   display_name=display_name, organisation_id=organisation_id)
        issued = tokens.issue_token(session, system, user_id=user.id, name="initial",
                                    days=days)
    where = f", organisation {user.organisation_name!r}" if user.organisation_name else ""
    note(f"created user {user.username!r} ({user.role}{where}, id {user.id}); "
         f"its token expires {issued.info.expires_at:%Y-%m-%d} and is shown only now:")
    typer.echo(issued.secret)

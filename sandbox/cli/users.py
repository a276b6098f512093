"""``sandbox users``: bootstrap accounts directly on this host's database, and record a
user's eligibility through the API.

``users create`` runs as the local ``system`` operator, which is how the first admin account
comes to exist before anyone holds a token. ``users eligibility`` is the authority's (or an
admin's) call to ``POST /v1/users/{id}/eligibility``. Every change is audited like an API
call.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import cell, fail, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.identity.model import Role

app = typer.Typer(
    help="Create accounts on this host's database; record eligibility (authority).",
    no_args_is_help=True,
)


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
                fail(
                    f"no organisation is named {org!r}; create it with `sandbox "
                    "organisations create` first"
                )
            organisation_id = found.id
        user = service.create_user(
            session,
            system,
            username=username,
            role=role,
            display_name=display_name,
            organisation_id=organisation_id,
        )
        issued = tokens.issue_token(session, system, user_id=user.id, name="initial", days=days)
    where = f", organisation {user.organisation_name!r}" if user.organisation_name else ""
    note(
        f"created user {user.username!r} ({user.role}{where}, id {user.id}); "
        f"its token expires {issued.info.expires_at:%Y-%m-%d} and is shown only now:"
    )
    typer.echo(issued.secret)


@app.command()
def eligibility(
    user_id: Annotated[int, typer.Argument(help="The account's id.")],
    fact: Annotated[str, typer.Argument(help="The fact, e.g. real_name_verified.")],
    value: Annotated[str, typer.Argument(help="Its value, e.g. yes.")],
    note_text: Annotated[str, typer.Option("--note", help="Where the fact comes from.")] = "",
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Record an eligibility fact on an account (authority or admin); prints its facts."""
    with remote(url, token) as client:
        user = client.set_eligibility(user_id, fact, value, note_text)
    note(f"recorded {fact}={value} for {user['username']!r}")
    for known in user["eligibility"]:
        out.print(cell(f"{known['fact']}: {known['value']} (set by {known['set_by']})"))

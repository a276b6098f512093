"""``sandbox users``: bootstrap accounts directly on this host's database, and record a
user's eligibility through the API.

``users create`` runs as the local ``system`` operator, which is how the first admin account
comes to exist before anyone holds a token. ``users eligibility`` is the authority's (or an
admin's) call to ``POST /v1/users/{id}/eligibility``. Every change is audited like an API
call.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import cell, fail, note, out
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote
from sandbox.identity.model import Role

app = typer.Typer(
    help="Create accounts on this host's database; set passwords; record eligibility.",
    no_args_is_help=True,
)


@app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '_', '.', '-'.")],
    role: Annotated[Role, typer.Option(help="The account's one role.")],
    org: Annotated[str | None, typer.Option(help="Name of the account's organisation.")] = None,
    display_name: Annotated[str, typer.Option(help="Full name shown to others.")] = "",
    days: Annotated[int, typer.Option(help="Lifetime of the first token in days.")] = 90,
    with_password: Annotated[
        bool, typer.Option("--with-password", help="Prompt for an initial sign-in password.")
    ] = False,
) -> None:
    """Create an account and print its first API token, once, as the last line of stdout."""
    password = _new_password() if with_password else None
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
        if password is not None:
            from sandbox.config import Settings
            from sandbox.identity.passwords import PasswordPolicy, set_password_as_admin

            policy = PasswordPolicy(Settings().password_min_length)
            set_password_as_admin(
                session, system, policy, user.id, new_password=password, initial=True
            )
        issued = tokens.issue_token(session, system, user_id=user.id, name="initial", days=days)
    where = f", organisation {user.organisation_name!r}" if user.organisation_name else ""
    note(
        f"created user {user.username!r} ({user.role}{where}, id {user.id}); "
        f"its token expires {issued.info.expires_at:%Y-%m-%d} and is shown only now:"
    )
    typer.echo(issued.secret)


def _secret(prompt: str, *, confirm: bool = False) -> str:
    """A password typed without echo (twice when ``confirm``), or the next line of stdin
    when it is not a terminal (for scripts, one password a line).
    """
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            fail(f"no {prompt.lower()} on stdin")
        return line
    typed: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return typed


def _new_password() -> str:
    """The new password, typed twice."""
    return _secret("New password", confirm=True)


@app.command("set-password")
def set_password(
    user_id: Annotated[
        int | None,
        typer.Option("--user-id", help="Another account's id (admin); default: your own."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Set a sign-in password for the console: your own (the current one is asked once one
    is set), or any account's as an admin. Every session of the account ends.
    """
    with remote(url, token) as client:
        if user_id is None:
            current = None
            if client.me()["has_password"]:
                current = _secret("Current password")
            answer = client.change_password(_new_password(), current)
        else:
            answer = client.set_user_password(user_id, _new_password())
    whose = "your" if user_id is None else f"account {user_id}'s"
    note(f"{whose} password is set; {answer['sessions_ended']} sign-in session(s) ended")


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

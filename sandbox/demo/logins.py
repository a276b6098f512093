"""Console sign-ins for the demo's accounts.

The demo's accounts are created with API tokens only; the web console signs people in with
a password. Each account gets a random password the first time the demo runs, kept in
``var/demo/logins.env`` (mode 0600, beside ``tokens.env``) so that later runs print the same
ones instead of resetting them (a reset would end every console session the person had
open). Nothing here is a fixed, guessable password: a demo's var dir may be copied or
served on a shared host.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sandbox.identity.model import Actor, Role
from sandbox.identity.passwords import PasswordPolicy, set_password_as_admin, verify_password
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import UserRow

PASSWORD_BYTES = 12  # 16 URL-safe characters: above any minimum length the settings allow


@dataclass(frozen=True)
class DemoLogin:
    """One role's console login."""

    role: Role
    username: str
    password: str


def ensure_logins(
    platform: Platform, usernames: Mapping[Role, str], logins_file: Path
) -> list[DemoLogin]:
    """Give every demo account a console password once, and return them all.

    A password is (re)set only for an account that has none or whose password is not the
    one in ``logins_file`` (e.g. someone changed it in the console, or the file was lost):
    the file then always holds passwords that work.
    """
    kept = _read(logins_file)
    policy = PasswordPolicy(platform.settings.password_min_length)
    logins: list[DemoLogin] = []
    with transaction(platform.sessions) as session:
        for role, username in usernames.items():
            row = session.query(UserRow).filter_by(username=username).one()
            password = kept.get(username)
            if password is None or not _works(row, password):
                password = secrets.token_urlsafe(PASSWORD_BYTES)
                set_password_as_admin(
                    session, Actor.system(), policy, row.id, new_password=password, initial=True
                )
            logins.append(DemoLogin(role, username, password))
    _write(logins_file, logins)
    return logins


def _works(row: UserRow, password: str) -> bool:
    return row.password_hash is not None and verify_password(row.password_hash, password)


def _read(logins_file: Path) -> dict[str, str]:
    """``username=password`` lines of an earlier run (missing file: none)."""
    if not logins_file.exists():
        return {}
    pairs: dict[str, str] = {}
    for line in logins_file.read_text(encoding="utf-8").splitlines():
        name, sep, password = line.partition("=")
        if sep and name and not name.startswith("#"):
            pairs[name.strip()] = password.strip()
    return pairs


def _write(logins_file: Path, logins: list[DemoLogin]) -> None:
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600, exist_ok=True)
    logins_file.chmod(0o600)
    logins_file.write_text(
        "# The demo's console logins (username=password), one per role.\n"
        + "".join(f"{login.username}={login.password}\n" for login in logins),
        encoding="utf-8",
    )


def describe(logins: list[DemoLogin], console_url: str) -> str:
    """The lines the demo prints: where to sign in, and each role's login."""
    width = max(len(login.username) for login in logins)
    return f"sign in at {console_url}sign-in as any role:\n" + "".join(
        f"  {login.role.value:<10} {login.username:<{width}}  {login.password}\n"
        for login in logins
    )

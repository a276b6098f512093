"""Sign-in through the client and the CLI against a live server: ``users create
--with-password``, ``users set-password`` (own and as admin), and a client that signs in
with a password and works by its cookie and CSRF token alone.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sandbox.client import SandboxAPIError, SandboxClient
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server

FIRST = "first long passphrase"
SECOND = "second long passphrase"


def _cli(
    server: LiveServer, *args: str, stdin: str = "", token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(server.env, SANDBOX_URL=server.url, SANDBOX_VAR_DIR=str(server.var_dir))
    if token:
        env["SANDBOX_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_creates_with_a_password_and_sets_passwords(
    live_server: LiveServer, accounts: Accounts
) -> None:
    made = _cli(
        live_server,
        "users",
        "create",
        "carol",
        "--role",
        "user",
        "--with-password",
        stdin="short\n",
    )
    assert made.returncode != 0 and "at least 12 characters" in made.stderr
    made = _cli(
        live_server,
        "users",
        "create",
        "carol",
        "--role",
        "user",
        "--with-password",
        stdin=FIRST + "\n",
    )
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    with SandboxClient(live_server.url, None) as browser:
        assert browser.sign_in("carol", FIRST)["user"]["username"] == "carol"
        # Own password: the current one first, then the new one (one a line on stdin).
        changed = _cli(
            live_server, "users", "set-password", stdin=f"{FIRST}\n{SECOND}\n", token=token
        )
        assert changed.returncode == 0, changed.stderr
        assert "1 sign-in session(s) ended" in changed.stderr
        with pytest.raises(SandboxAPIError) as ended:
            browser.current_session()
        assert ended.value.status == 401
    wrong = _cli(live_server, "users", "set-password", stdin=f"{FIRST}\n{FIRST}x\n", token=token)
    assert wrong.returncode != 0 and "current password" in wrong.stderr
    with SandboxClient(live_server.url, accounts["admin"].token) as admin:
        carol = next(u for u in admin.list_users() if u["username"] == "carol")
    reset = _cli(
        live_server,
        "users",
        "set-password",
        "--user-id",
        str(carol["id"]),
        stdin=FIRST + "\n",
        token=accounts["admin"].token,
    )
    assert reset.returncode == 0, reset.stderr
    refused = _cli(
        live_server,
        "users",
        "set-password",
        "--user-id",
        str(carol["id"]),
        stdin=FIRST + "\n",
        token=accounts["user"].token,
    )
    assert refused.returncode != 0 and "admin" in refused.stderr
    with SandboxClient(live_server.url, None) as browser:
        assert browser.sign_in("carol", FIRST)["roles"] == ["user"]


def test_a_client_signed_in_by_password_works_by_cookie_and_csrf(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with SandboxClient(live_server.url, None) as visitor:
        answer = visitor.register_account(
            "dora", FIRST, display_name="Dora", email="dora@example.org"
        )
        assert answer["username"] == "dora"
        with pytest.raises(SandboxAPIError) as failed:
            visitor.sign_in("dora", "not the password")
        assert failed.value.code == "sign_in_failed"
        me = visitor.sign_in("dora", FIRST)
        assert me["authenticated_by"] == "session" and me["may_apply"] is False
        # An unsafe request: the client sends the CSRF token the sign-in gave it.
        made = visitor.create_token(name="from a session")
        assert made["token"].startswith("sbx_")
        visitor.change_password(SECOND, FIRST)
        assert visitor.current_session()["user"]["username"] == "dora"  # signed in again
        visitor.sign_out()
        with pytest.raises(SandboxAPIError) as out:
            visitor.current_session()
        assert out.value.status == 401
    with SandboxClient(live_server.url, made["token"]) as by_token:
        assert by_token.me()["username"] == "dora"

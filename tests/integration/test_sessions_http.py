"""Sign-in sessions over HTTP on a live server: cookie, CSRF, expiry, lockout, password
changes, self-registration and its eligibility, each with its audit entries.

The server runs with short lifetimes (idle, absolute, lockout) so that expiry is seen in
seconds; bearer tokens work beside the cookie throughout.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer, start_server, stop_server

pytestmark = pytest.mark.server

IDLE_SECONDS = 8
ABSOLUTE_SECONDS = 20
LOCKOUT_FAILURES = 3
LOCKOUT_SECONDS = 6
SESSION_ENV = {
    "SANDBOX_SESSION_IDLE_SECONDS": str(IDLE_SECONDS),
    "SANDBOX_SESSION_ABSOLUTE_SECONDS": str(ABSOLUTE_SECONDS),
    "SANDBOX_SIGN_IN_LOCKOUT_FAILURES": str(LOCKOUT_FAILURES),
    "SANDBOX_SIGN_IN_LOCKOUT_SECONDS": str(LOCKOUT_SECONDS),
}
PASSWORD = "a long enough passphrase"
_counter = itertools.count()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("sessions") / "var", SESSION_ENV)
    yield server
    stop_server(server)


def _browser(server: LiveServer) -> httpx.Client:
    """A client that keeps cookies, as a browser does, and has no bearer token."""
    return httpx.Client(base_url=server.url, timeout=120)


def _account(server: LiveServer, accounts: Accounts, role: str = "user") -> str:
    """A new account with a password, made by the admin; its login."""
    login = f"person{next(_counter)}"
    with server.client(accounts["admin"].token) as admin:
        ok(
            admin.post("/v1/users", json={"username": login, "role": role, "password": PASSWORD}),
            201,
        )
    return login


def _sign_in(browser: httpx.Client, login: str, password: str = PASSWORD) -> dict[str, Any]:
    body: dict[str, Any] = ok(
        browser.post("/v1/sessions", json={"username": login, "password": password}), 201
    )
    return body


def _audit(server: LiveServer, accounts: Accounts, action: str) -> list[dict[str, Any]]:
    with server.client(accounts["auditor"].token) as auditor:
        page = ok(auditor.get("/v1/audit", params={"action": action, "limit": 1000}))
    entries: list[dict[str, Any]] = page["data"]
    return entries


def test_sign_in_sets_an_http_only_cookie_and_says_who_is_signed_in(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    with _browser(live_server) as browser:
        response = browser.post("/v1/sessions", json={"username": login, "password": PASSWORD})
        body = ok(response, 201)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("sandbox_session=sbs_")
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http here; https requests get Secure
        assert response.headers["cache-control"] == "no-store"
        assert body["csrf_token"] and body["authenticated_by"] == "session"
        assert body["roles"] == ["user"] and body["display_name"] == login
        assert body["may_apply"] is False
        me = ok(browser.get("/v1/sessions/current"))
        assert me["user"]["username"] == login and me["csrf_token"] == body["csrf_token"]
        assert me["eligibility_missing"] == [
            "real-name verification is not recorded",
            "no credit standing is recorded",
        ]
        # The cookie is enough for every read of the API.
        assert ok(browser.get("/v1/users/me"))["username"] == login
    entries = _audit(live_server, accounts, "session.sign_in")
    assert any(e["actor"] == login and e["outcome"] == "ok" for e in entries)


def test_a_bearer_token_still_works_and_needs_no_csrf(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with live_server.client(accounts["user"].token) as client:
        me = ok(client.get("/v1/sessions/current"))
        assert me["authenticated_by"] == "token" and me["csrf_token"] is None
        ok(client.post("/v1/tokens", json={"name": "by token"}), 201)
        # A stale session cookie beside a valid token: the token decides.
        client.cookies.set("sandbox_session", "sbs_not-a-session")
        ok(client.post("/v1/tokens", json={"name": "by token, cookie too"}), 201)
    with live_server.client("sbx_wrong") as client:
        refused(client.get("/v1/users/me"), 401)


def test_unsafe_cookie_requests_need_the_csrf_token(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts, role="admin")
    victim = _account(live_server, accounts)
    with live_server.client(accounts["admin"].token) as admin:
        victim_id = next(u["id"] for u in ok(admin.get("/v1/users")) if u["username"] == victim)
    with _browser(live_server) as browser:
        csrf = _sign_in(browser, login)["csrf_token"]
        ok(browser.get("/v1/tokens"))  # reads need no token
        message = refused(browser.post("/v1/tokens", json={"name": "x"}), 403, "CSRF")
        assert "X-CSRF-Token" in message
        assert browser.post("/v1/tokens", json={"name": "x"}).json()["error"] == "csrf_failed"
        refused(
            browser.post("/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "0" * 64}),
            403,
            "CSRF",
        )
        ok(browser.post("/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}), 201)
        # A form's csrf_token field counts as the header does.
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        deactivate = f"/v1/users/{victim_id}/deactivate"
        refused(browser.post(deactivate, content=b"csrf_token=wrong", headers=form), 403, "CSRF")
        assert (
            ok(browser.post(deactivate, content=f"csrf_token={csrf}", headers=form))["active"]
            is False
        )
        # Sign-out is unsafe too.
        refused(browser.delete("/v1/sessions/current"), 403, "CSRF")
    refusals = _audit(live_server, accounts, "POST /v1/tokens")
    assert any(e["outcome"] == "denied" and e["actor"] == login for e in refusals)


def test_sign_out_ends_the_session_on_the_server(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    with _browser(live_server) as browser:
        csrf = _sign_in(browser, login)["csrf_token"]
        secret = browser.cookies["sandbox_session"]
        response = browser.delete("/v1/sessions/current", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 204, response.text
        assert 'sandbox_session=""' in response.headers["set-cookie"]
        assert "sandbox_session" not in browser.cookies
        refused(browser.get("/v1/sessions/current"), 401)
    with _browser(live_server) as replay:  # the old cookie, kept by someone: refused
        replay.cookies.set("sandbox_session", secret)
        assert replay.get("/v1/users/me").json()["error"] == "session_expired"
    entries = _audit(live_server, accounts, "session.sign_out")
    assert any(e["actor"] == login for e in entries)


def test_a_session_ends_when_idle_and_at_its_absolute_end(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    with _browser(live_server) as idle:
        _sign_in(idle, login)
        ok(idle.get("/v1/users/me"))
        time.sleep(IDLE_SECONDS + 2)
        refused(idle.get("/v1/users/me"), 401, "expired")
    with _browser(live_server) as busy:
        started = time.monotonic()
        expires_at = _sign_in(busy, login)["expires_at"]
        assert expires_at
        # Used every two seconds it never idles, yet ends at the absolute lifetime.
        while time.monotonic() - started < ABSOLUTE_SECONDS - 3:
            ok(busy.get("/v1/users/me"))
            time.sleep(2)
        time.sleep(max(0.0, ABSOLUTE_SECONDS + 1 - (time.monotonic() - started)))
        refused(busy.get("/v1/users/me"), 401, "expired")


def test_repeated_failures_lock_the_account_with_one_message_for_everything(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    with _browser(live_server) as browser:
        unknown = refused(
            browser.post("/v1/sessions", json={"username": "nobody-here", "password": "x"}), 401
        )
        wrong = [
            refused(browser.post("/v1/sessions", json={"username": login, "password": "no"}), 401)
            for _ in range(LOCKOUT_FAILURES)
        ]
        locked = refused(
            browser.post("/v1/sessions", json={"username": login, "password": PASSWORD}), 401
        )
        assert {unknown, *wrong, locked} == {unknown}  # the login's existence never shows
        assert "sign-in failed" in unknown
        assert "sandbox_session" not in browser.cookies
        time.sleep(LOCKOUT_SECONDS + 1)
        _sign_in(browser, login)
    entries = [e for e in _audit(live_server, accounts, "session.sign_in") if e["actor"] == login]
    reasons = [e["detail"].get("reason") for e in entries if e["outcome"] == "failed"]
    assert reasons == ["wrong_password"] * (LOCKOUT_FAILURES - 1) + [
        "wrong_password_locked",
        "locked",
    ]
    assert entries[-1]["outcome"] == "ok"
    unknown_entries = _audit(live_server, accounts, "session.sign_in")
    assert any(e["detail"].get("login") == "nobody-here" for e in unknown_entries)


def test_a_password_change_ends_every_session(live_server: LiveServer, accounts: Accounts) -> None:
    login = _account(live_server, accounts)
    new_password = "another long passphrase"
    with _browser(live_server) as first, _browser(live_server) as second:
        csrf = _sign_in(first, login)["csrf_token"]
        _sign_in(second, login)
        old_cookie = first.cookies["sandbox_session"]
        change = "/v1/users/me/password"
        headers = {"X-CSRF-Token": csrf}
        refused(
            first.put(
                change,
                json={"current_password": "wrong", "new_password": new_password},
                headers=headers,
            ),
            403,
            "current password",
        )
        refused(
            first.put(
                change,
                json={"current_password": PASSWORD, "new_password": "short"},
                headers=headers,
            ),
            422,
            "at least 12 characters",
        )
        refused(
            first.put(
                change,
                json={"current_password": PASSWORD, "new_password": login + "   "},
                headers=headers,
            ),
            422,
        )
        done = ok(
            first.put(
                change,
                json={"current_password": PASSWORD, "new_password": new_password},
                headers=headers,
            )
        )
        assert done["sessions_ended"] == 2 and done["csrf_token"] not in (None, csrf)
        # The browser that changed it is signed in again, with a new cookie; the other is out.
        assert first.cookies["sandbox_session"] != old_cookie
        assert ok(first.get("/v1/sessions/current"))["csrf_token"] == done["csrf_token"]
        refused(second.get("/v1/users/me"), 401)
    with _browser(live_server) as browser:
        refused(browser.post("/v1/sessions", json={"username": login, "password": PASSWORD}), 401)
        _sign_in(browser, login, new_password)
    entries = _audit(live_server, accounts, "user.password.change")
    assert any(e["actor"] == login and e["detail"] == {"sessions_ended": 2} for e in entries)


def test_an_admin_resets_a_password_and_a_token_account_sets_its_first(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    reset = "reset by the admin, long"
    with _browser(live_server) as browser, live_server.client(accounts["admin"].token) as admin:
        _sign_in(browser, login)
        user_id = ok(browser.get("/v1/users/me"))["id"]
        done = ok(admin.put(f"/v1/users/{user_id}/password", json={"new_password": reset}))
        assert done == {"sessions_ended": 1, "csrf_token": None}
        refused(browser.get("/v1/users/me"), 401)
        _sign_in(browser, login, reset)
        refused(admin.put(f"/v1/users/{user_id}/password", json={"new_password": "tiny"}), 422)
        refused(admin.put("/v1/users/999999/password", json={"new_password": reset}), 404)
    # The fixture's reviewer has only a token: it sets a first password without a current one.
    with live_server.client(accounts["reviewer"].token) as reviewer:
        assert ok(reviewer.get("/v1/users/me"))["has_password"] is False
        first = ok(reviewer.put("/v1/users/me/password", json={"new_password": PASSWORD}))
        assert first == {"sessions_ended": 0, "csrf_token": None}
        refused(
            reviewer.put("/v1/users/me/password", json={"new_password": PASSWORD + "!"}),
            403,
            "current password",
        )
    with _browser(live_server) as browser:
        assert _sign_in(browser, "reviewer")["roles"] == ["reviewer"]
    actions = {e["action"] for e in _audit(live_server, accounts, "user.password.reset")}
    assert actions == {"user.password.reset"}
    assert any(e["actor"] == "reviewer" for e in _audit(live_server, accounts, "user.password.set"))


def _application(dataset: str) -> dict[str, Any]:
    start = date.today()
    return {
        "title": "registered researcher",
        "reason": "a study",
        "type": "dataset",
        "datasets": [dataset],
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }


def test_a_registered_visitor_browses_and_applies_once_eligible(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with live_server.client(accounts["provider"].token) as provider:
        ok(register(provider, parquet_bytes(people_table()), metadata("s_cond")), 201)
    form = {
        "username": "visitor1",
        "password": PASSWORD,
        "display_name": "Visiting Researcher",
        "email": "visitor@example.org",
        "organisation": "Independent Lab",
    }
    with _browser(live_server) as browser:
        # Bad fields are named, before the login is looked at.
        refused(browser.post("/v1/accounts", json={**form, "password": "short"}), 422, "12")
        refused(browser.post("/v1/accounts", json={**form, "password": "visitor1"}), 422)
        refused(
            browser.post("/v1/accounts", json={**form, "email": "not-an-address"}), 422, "e-mail"
        )
        refused(browser.post("/v1/accounts", json={**form, "username": "Bad Name"}), 422, "login")
        made = ok(browser.post("/v1/accounts", json=form), 202)
        assert made["username"] == "visitor1" and "sign in" in made["message"]
        # A taken login answers exactly alike, and changes nothing.
        again = ok(
            browser.post("/v1/accounts", json={**form, "password": "a different long one"}), 202
        )
        assert again == made
        me = _sign_in(browser, "visitor1")
        csrf = me["csrf_token"]
        assert me["user"]["self_registered"] is True
        assert me["user"]["stated_organisation"] == "Independent Lab"
        assert me["user"]["organisation_id"] is None and me["roles"] == ["user"]
        assert me["may_apply"] is False
        # Browsing works; applying is refused with the conditions not yet met.
        assert any(d["name"] == "s_cond" for d in ok(browser.get("/v1/datasets"))["data"])
        apply = browser.post(
            "/v1/applications", json=_application("s_cond"), headers={"X-CSRF-Token": csrf}
        )
        message = refused(
            apply, 403, "real-name verification is not recorded", "no credit standing"
        )
        assert apply.json()["error"] == "not_eligible", message
        user_id = me["user"]["id"]
        with live_server.client(accounts["authority"].token) as authority:
            for fact, value in (("real_name_verified", "yes"), ("credit_standing", "good")):
                ok(
                    authority.post(
                        f"/v1/users/{user_id}/eligibility", json={"fact": fact, "value": value}
                    )
                )
        assert ok(browser.get("/v1/sessions/current"))["may_apply"] is True
        filed = ok(
            browser.post(
                "/v1/applications", json=_application("s_cond"), headers={"X-CSRF-Token": csrf}
            ),
            201,
        )
        assert filed["datasets"] == ["s_cond"]
    entries = _audit(live_server, accounts, "account.register")
    mine = [e for e in entries if e["detail"].get("username") == "visitor1"]
    assert [e["outcome"] for e in mine] == ["ok", "failed"]
    assert mine[1]["detail"]["reason"] == "login_taken"


def test_over_https_the_cookie_is_secure(live_server: LiveServer, accounts: Accounts) -> None:
    """Behind a TLS proxy on the same host (uvicorn trusts its X-Forwarded-Proto)."""
    login = _account(live_server, accounts)
    with _browser(live_server) as browser:
        response = browser.post(
            "/v1/sessions",
            json={"username": login, "password": PASSWORD},
            headers={"X-Forwarded-Proto": "https"},
        )
        ok(response, 201)
        assert "Secure" in response.headers["set-cookie"]


def test_console_pages_see_the_session_and_give_visitors_a_csrf_cookie(
    live_server: LiveServer, accounts: Accounts
) -> None:
    login = _account(live_server, accounts)
    with _browser(live_server) as visitor:
        first = visitor.get("/console/catalog")
        assert first.status_code == 200, first.text
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("sandbox_csrf=") and "HttpOnly" in cookie
        token = visitor.cookies["sandbox_csrf"]
        again = visitor.get("/console/catalog")
        assert "set-cookie" not in again.headers  # kept, not replaced
        assert token in visitor.get("/console/sign-in").text  # the form carries it
        assert visitor.get("/console/account").status_code == 401
    with _browser(live_server) as browser:
        csrf = _sign_in(browser, login)["csrf_token"]
        page = browser.get("/console/account")
        assert page.status_code == 200 and login in page.text
        assert csrf in browser.get("/console/sign-in").text  # forms carry the session's token
        ended = browser.delete("/v1/sessions/current", headers={"X-CSRF-Token": csrf})
        assert ended.status_code == 204
    with _browser(live_server) as stale:  # an ended session's cookie: a visitor again
        stale.cookies.set("sandbox_session", "sbs_ended")
        assert stale.get("/console/account").status_code == 401
        assert stale.get("/console/catalog").status_code == 200

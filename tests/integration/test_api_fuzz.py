"""API fuzz: schemathesis generates requests for every operation of the OpenAPI document, valid
and invalid, and each is sent as every role to the real server. None may fail on the server.

What holds for every answer:
- never a 5xx, and nothing logged as an unexpected error;
- an error answer is the one error body of ``api/errors.py`` (``error`` and ``message``);
- its status is one the OpenAPI document states for that operation.

The run is bounded (``EXAMPLES`` generated cases per operation and mode, each sent as every
role, about two minutes here); set ``SANDBOX_FUZZ_EXAMPLES`` for a deeper run. A fuzzed admin
may revoke its own token or deactivate an account the run acts as: the run gives them back.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.core.result import Ok

from sandbox.identity import service, tokens
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.store.db import transaction
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.openapi_inputs import DATASET
from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server

pytestmark = [pytest.mark.slow, pytest.mark.server]

EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "3"))
TRANSPORT_HEADERS = {"content-length"}
"""Header parameters the HTTP client owns: a fuzzed Content-Length only makes the server wait
for bytes that never come."""
TAKES_BACK_ACCESS = {"tokens-revoke_token", "users-deactivate"}


@dataclass
class Fuzz:
    server: LiveServer
    platform: Platform
    accounts: Accounts
    sessions: dict[str, requests.Session] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    """One sample answer and request per operation, status and problem."""
    roles_by_failure: dict[str, set[str]] = field(default_factory=dict)
    sent: int = 0

    def session(self, username: str) -> requests.Session:
        if username not in self.sessions:
            self.sessions[username] = requests.Session()
        self.sessions[username].headers["Authorization"] = f"Bearer {self.accounts[username].token}"
        return self.sessions[username]

    def restore_access(self) -> None:
        """Reactivate every account of the run and give a new token to any that lost its."""
        system = Actor.system()
        for account in self.accounts.by_name.values():
            with httpx.Client(base_url=self.server.url) as client:
                me = client.get(
                    "/v1/users/me", headers={"Authorization": f"Bearer {account.token}"}
                )
            if me.status_code == 200:
                continue
            with transaction(self.platform.sessions) as session:
                service.set_active(session, system, account.id, active=True)
                account.token = tokens.issue_token(session, system, user_id=account.id).secret
            self.session(account.username)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    server = start_server(tmp_path_factory.mktemp("fuzz") / "var")
    platform = server.open_platform()
    try:
        accounts = create_accounts(platform)
        with server.client(accounts["provider"].token) as provider:
            made = register(
                provider, parquet_bytes(people_table()), metadata(DATASET, "unconditional")
            )
            assert made.status_code == 201, made.text
        yield Fuzz(server, platform, accounts)
    finally:
        platform.close()
        stop_server(server)


def _document(server: LiveServer) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.url}/v1/openapi.json").json()
    for item in document["paths"].values():
        for operation in item.values():
            operation["parameters"] = [
                p
                for p in operation.get("parameters", [])
                if not (p["in"] == "header" and p["name"].lower() in TRANSPORT_HEADERS)
            ]
    return document


def _check(
    fuzz: Fuzz, case: Case[Any], username: str, response: requests.Response, documented: set[str]
) -> None:
    status = response.status_code
    problem = None
    if status >= 500:
        problem = "a server error"
    elif status >= 400 and not _is_error_body(response):
        problem = "an error without the error body"
    elif str(status) not in documented:
        problem = f"not in the document ({', '.join(sorted(documented))})"
    if problem is not None:
        key = f"{case.operation.label} -> {status}: {problem}"
        if key not in fuzz.failures:
            fuzz.failures[key] = f"{response.text[:200]}\n    {case.as_curl_command()[:600]}"
        fuzz.roles_by_failure.setdefault(key, set()).add(username)


def _is_error_body(response: requests.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and set(body) == {"error", "message"}


def _send_as_every_role(fuzz: Fuzz, case: Case[Any], documented: set[str]) -> None:
    for username in fuzz.accounts.by_name:
        kwargs = case.as_transport_kwargs(base_url=fuzz.server.url)
        headers = {
            k: v
            for k, v in (kwargs.pop("headers", None) or {}).items()
            if k.lower() != "authorization"
        }
        try:
            response = fuzz.session(username).request(**kwargs, headers=headers, timeout=60)
        except (
            requests.exceptions.InvalidHeader,
            requests.exceptions.InvalidURL,
            UnicodeError,
            ValueError,
        ):
            continue  # the client refused to send it: nothing reached the server
        fuzz.sent += 1
        _check(fuzz, case, username, response, documented)
        if (
            case.operation.definition.raw.get("operationId") in TAKES_BACK_ACCESS
            and response.status_code == 200
        ):
            fuzz.restore_access()


def _fuzz(fuzz: Fuzz, operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode) -> None:
    """Send ``EXAMPLES`` generated cases of ``operation`` as every role."""
    documented = set(operation.definition.raw.get("responses", {}))
    pinned = {"name": DATASET} if any(p.name == "name" for p in operation.path_parameters) else None
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=pinned if mode is GenerationMode.POSITIVE else None
    )

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case[Any]) -> None:
        _send_as_every_role(fuzz, case, documented)

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # nothing there to break


def test_no_operation_fails_on_the_server_for_any_role(fuzz: Fuzz) -> None:
    schema = schemathesis.openapi.from_dict(_document(fuzz.server))
    started = time.monotonic()
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results) > 80  # every operation of the document loads
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(fuzz, operation, mode)
    elapsed = time.monotonic() - started
    log = fuzz.server.log_path.read_text(errors="replace")
    report = [
        f"{key} (as {', '.join(sorted(fuzz.roles_by_failure[key]))})\n    {sample}"
        for key, sample in fuzz.failures.items()
    ]
    assert report == [], f"{len(report)} problems in {fuzz.sent} requests:\n" + "\n".join(report)
    assert "unexpected error" not in log, log[-3000:]
    assert fuzz.sent > len(operations) * len(fuzz.accounts.by_name), (fuzz.sent, elapsed)

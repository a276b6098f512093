"""Every integer the API accepts is bounded: out of range, negative or not a number is a 4xx.

An id past 2**63 overflowed SQLite and one past 2**31 PostgreSQL's 32-bit columns; either came
back as a 500. The sweep reads the app's own OpenAPI document, so a parameter added later is
swept too: every integer path and query parameter and every integer field of a JSON body, of
every operation, sent by every role (a role the endpoint refuses stops at the role check; the
one it admits reaches the handler), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.main import create_app
from api.types import INT32_MAX, INT64_MAX
from sandbox.config import Settings
from sandbox.platform import Platform
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.openapi_inputs import DATASET, Document, IntegerInput
from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server

OUT_OF_RANGE = (2**31, 2**63, 2**64)
"""Past a 32-bit column, past SQLite's (and a 64-bit column's) integers, past any 64 bits."""

DOMAIN_CHECKED = {
    ("post", "/v1/tokens", "days"): "a token's lifetime: the identity service allows 1 to 366",
    (
        "post",
        "/v1/applications/{application_id}/decision",
        "grant_budget",
    ): "a privacy budget (a number, a string or a document): the policies layer parses it "
    "and the ledger caps its units; it is stored in a JSON document, not a column",
    (
        "post",
        "/v1/verification-services/{service_id}/verify",
        "records.0.existing",
    ): "a record's value for a whole-number key column: bounded to int64 (the column's "
    "type), normalised and hashed by the verification service, never stored; negative "
    "values are valid keys",
}
"""Integers bounded by the service that reads them rather than by their type, with why."""

REPORTED = [
    ("delete", "/v1/tokens/{token_id}", "path", "token_id"),
    ("get", "/v1/datasets/{name}/quality", "query", "version"),
    ("get", "/v1/datasets/{name}/rows", "query", "version"),
    ("get", "/v1/datasets/{name}/download", "query", "version"),
    ("get", "/v1/users/{user_id}", "path", "user_id"),
    ("post", "/v1/users/{user_id}/eligibility", "path", "user_id"),
    ("post", "/v1/users/{user_id}/deactivate", "path", "user_id"),
    ("get", "/v1/tokens", "query", "user_id"),
    ("post", "/v1/tokens", "body", "user_id"),
    ("post", "/v1/users", "body", "organisation_id"),
    ("get", "/v1/audit", "query", "after_seq"),
]
"""The inputs an API fuzzer once answered with a 500: the sweep must find each of them."""


@pytest.fixture(scope="module")
def document() -> Document:
    return Document(create_app().openapi())


def test_the_sweep_finds_every_input_a_fuzzer_once_broke(document: Document) -> None:
    found = {(i.method, i.path, i.location, i.name) for i in document.integer_inputs()}
    assert [r for r in REPORTED if r not in found] == []


def test_every_integer_input_declares_its_bounds(document: Document) -> None:
    unbounded = []
    for target in document.integer_inputs():
        if (target.method, target.path, target.name) in DOMAIN_CHECKED:
            continue
        integers = [document.resolve(o) for o in target.schema.get("anyOf", [target.schema])]
        for schema in (s for s in integers if s.get("type") == "integer"):
            low, high = schema.get("minimum"), schema.get("maximum")
            limit = INT64_MAX if target.name == "after_seq" else INT32_MAX
            if low is None or low < 0 or high is None or high > limit:
                unbounded.append(f"{target}: minimum {low}, maximum {high}")
    assert unbounded == []


# ---- against the real server, on both stores ---------------------------------------------------


@dataclass
class Backend:
    server: LiveServer
    accounts: Accounts


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    var_dir = tmp_path_factory.mktemp(f"sweep-{request.param}") / "var"
    env: dict[str, str] = {}
    settings = Settings(var_dir=var_dir)
    if request.param == "postgres":
        postgres = request.getfixturevalue("postgres_server")
        url = postgres.create_database()
        env["SANDBOX_DATABASE_URL"] = url
        settings = Settings(var_dir=var_dir, database_url=url)
    server = start_server(var_dir, env)
    try:
        platform = Platform.open(settings)
        try:
            accounts = create_accounts(platform)
        finally:
            platform.close()
        with server.client(accounts["provider"].token) as provider:
            made = register(
                provider, parquet_bytes(people_table()), metadata(DATASET, "unconditional")
            )
            assert made.status_code == 201, made.text
        yield Backend(server, accounts)
    finally:
        stop_server(server)


def bad_values(document: Document, target: IntegerInput) -> list[int | str]:
    """Out of range (past the input's own maximum where it states one), negative, and not
    a number (unless the input also takes strings)."""
    options = target.schema.get("anyOf", [target.schema])
    highs = [document.resolve(o).get("maximum") for o in options]
    high = max((h for h in highs if h is not None), default=None)
    beyond = {*OUT_OF_RANGE} if high is None else {v for v in (*OUT_OF_RANGE, high + 1) if v > high}
    values: list[int | str] = sorted(beyond)
    values.append(-1)
    if not target.accepts_strings:
        values.append("x")
    return values


def _sweep(backend: Backend, document: Document, targets: list[IntegerInput]) -> list[str]:
    failures = []
    for account in backend.accounts.by_name.values():
        with backend.server.client(account.token) as client:
            for target in targets:
                for value in bad_values(document, target):
                    sent = document.request(target, value)
                    try:
                        response = client.request(
                            sent.method, sent.url, params=sent.params, json=sent.json
                        )
                    except httpx.TransportError as exc:  # a crash can drop the connection
                        failures.append(f"{account.username}: {target} = {value!r} -> {exc!r}")
                        continue
                    if not 400 <= response.status_code < 500:
                        failures.append(
                            f"{account.username}: {target} = {value!r} -> "
                            f"{response.status_code} {response.text[:200]}"
                        )
    return failures


@pytest.mark.server
def test_no_integer_input_answers_with_anything_but_a_4xx(
    backend: Backend, document: Document
) -> None:
    failures = _sweep(backend, document, document.integer_inputs())
    assert failures == [], "\n".join(failures[:40])
    # an unexpected error is logged even where a handler turned it into a 4xx
    log = Path(backend.server.log_path).read_text(errors="replace")
    assert "unexpected error" not in log, log[-3000:]

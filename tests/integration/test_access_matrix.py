"""Every endpoint against every role and against no token, with the expected allow or deny.

A case builds a fresh request (so side effects of one role's attempt never decide another
role's outcome) and names the roles that are allowed. An allowed call must succeed (2xx);
any other role gets 403 (or 404 where the object is hidden from it); no token gets 401.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Accounts, LiveServer
from tests.integration.datafiles import csv_bytes, metadata, parquet_bytes, people_table, register

pytestmark = pytest.mark.server

ROLES = ("admin", "provider", "other_provider", "user", "reviewer", "authority", "auditor")
EVERYONE = frozenset(ROLES)
OVERSIGHT = frozenset({"admin", "authority", "auditor"})
_counter = itertools.count()


@dataclass
class Context:
    server: LiveServer
    accounts: Accounts

    def as_role(self, role: str) -> httpx.Client:
        return self.server.client(self.accounts[role].token)

    def fresh_upload(self, role: str = "provider") -> str:
        with self.as_role(role) as provider:
            return str(provider.post("/v1/uploads", content=parquet_bytes(people_table())
                                     ).json()["upload_id"])

    def pending_change(self) -> int:
        with self.as_role("provider") as provider:
            pending = provider.get("/v1/attribute-changes?status=pending&dataset=m_open").json()
            if pending:
                return int(pending[0]["id"])
            created = provider.post("/v1/datasets/m_open/attribute-changes",
                                    json={"to_attribute": "conditional",
                                          "legal_basis": "matrix test basis"})
            assert created.status_code == 201, created.text
            return int(created.json()["id"])

    def victim_user(self) -> int:
        with self.as_role("admin") as admin:
            made = admin.post("/v1/users", json={"username": f"victim{next(_counter)}",
                                                 "role": "user"})
            return int(made.json()["user"]["id"])

    def victim_token(self) -> int:
        with self.as_role("admin") as admin:
            made = admin.post("/v1/tokens", json={"user_id": self.accounts["user"].id,
                                                  "name": f"victim{next(_counter)}"})
            return int(made.json()["info"]["id"])


Request = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Context, str], Request]
    allowed: frozenset[str]
    hidden_status: int = 403
    anonymous_allowed: bool = False
    overrides: dict[str, int] = field(default_factory=dict)
    """Roles whose refusal has another status than ``hidden_status``."""


def get(path: str) -> Callable[[Context, str], Request]:
    return lambda _ctx, _role: ("GET", path, {})


def post(path: str, body: dict[str, Any] | Callable[[Context], dict[str, Any]]
         ) -> Callable[[Context, str], Request]:
    def build(ctx: Context, _role: str) -> Request:
        payload = body(ctx) if callable(body) else body
        return "POST", path, {"json": payload}
    return build


def _own_token(ctx: Context, role: str) -> Request:
    with ctx.as_role(role) as client:
        made = client.post("/v1/tokens", json={"name": "to revoke"}).json()
    return "DELETE", f"/v1/tokens/{made['info']['id']}", {}


def _register(ctx: Context, role: str) -> Request:
    uploader = role if role in ("provider", "other_provider") else "provider"
    body = {**metadata(f"m_new{next(_counter)}"),
            "source": {"upload_id": ctx.fresh_upload(uploader)}}
    return "POST", "/v1/datasets", {"json": body}


def _add_version(ctx: Context, _role: str) -> Request:
    return "POST", "/v1/datasets/m_cond/versions", {
        "json": {"source": {"upload_id": ctx.fresh_upload()}}}


def _upload(_ctx: Context, _role: str) -> Request:
    return "POST", "/v1/uploads", {"content": csv_bytes(people_table(5))}


def _discard_upload(ctx: Context, _role: str) -> Request:
    return "DELETE", f"/v1/uploads/{ctx.fresh_upload()}", {}


def _decide(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/attribute-changes/{ctx.pending_change()}/decision", {
        "json": {"approve": False, "note": "matrix"}}


def _deactivate(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/users/{ctx.victim_user()}/deactivate", {}


def _eligibility(ctx: Context, _role: str) -> Request:
    return "POST", f"/v1/users/{ctx.accounts['user'].id}/eligibility", {
        "json": {"fact": "real_name_verified", "value": "yes"}}


def _other_user(ctx: Context, _role: str) -> Request:
    return "GET", f"/v1/users/{ctx.accounts['user'].id}", {}


def _others_token(ctx: Context, _role: str) -> Request:
    return "DELETE", f"/v1/tokens/{ctx.victim_token()}", {}


def _set_floor(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/policies/floor", {"json": {"document": {"contribution_bound": 3}}}


def _set_dataset_policy(_ctx: Context, _role: str) -> Request:
    return "PUT", "/v1/datasets/m_cond/policy", {"json": {"document": {"contribution_bound": 2}}}


CASES = (
    Case("health", get("/v1/health"), EVERYONE, anonymous_allowed=True),
    Case("create organisation",
         post("/v1/organisations", lambda _c: {"name": f"Org {next(_counter)}",
                                               "kind": "user"}),
         frozenset({"admin"})),
    Case("list organisations", get("/v1/organisations"), EVERYONE),
    Case("create user",
         post("/v1/users", lambda _c: {"username": f"made{next(_counter)}", "role": "user"}),
         frozenset({"admin"})),
    Case("list users", get("/v1/users"), OVERSIGHT),
    Case("me", get("/v1/users/me"), EVERYONE),
    Case("another user", _other_user, OVERSIGHT | {"user"}, hidden_status=404),
    Case("set eligibility", _eligibility, frozenset({"admin", "authority"})),
    Case("deactivate user", _deactivate, frozenset({"admin"})),
    Case("create own token", post("/v1/tokens", {"name": "mine"}), EVERYONE),
    Case("list own tokens", get("/v1/tokens"), EVERYONE),
    Case("revoke own token", _own_token, EVERYONE),
    Case("revoke another's token", _others_token, frozenset({"admin", "user"}),
         hidden_status=404),
    Case("upload", _upload, frozenset({"provider", "other_provider"})),
    Case("discard upload", _discard_upload, frozenset({"provider"}),
         overrides={"other_provider": 404}),
    Case("register dataset", _register, frozenset({"provider", "other_provider"})),
    Case("catalog", get("/v1/datasets"), EVERYONE),
    Case("entry", get("/v1/datasets/m_cond"), EVERYONE),
    Case("add version", _add_version, frozenset({"provider"}),
         overrides={"other_provider": 403}),
    Case("versions", get("/v1/datasets/m_cond/versions"), EVERYONE),
    Case("quality", get("/v1/datasets/m_cond/quality"), EVERYONE),
    Case("preview conditional", get("/v1/datasets/m_cond/preview"), EVERYONE),
    Case("rows of conditional", get("/v1/datasets/m_cond/rows"), frozenset()),
    Case("download conditional", get("/v1/datasets/m_cond/download"), frozenset()),
    Case("download conditional csv", get("/v1/datasets/m_cond/download?format=csv"),
         frozenset()),
    Case("rows of unconditional", get("/v1/datasets/m_open/rows"), EVERYONE),
    Case("download unconditional", get("/v1/datasets/m_open/download"), EVERYONE),
    Case("record desensitisation",
         post("/v1/datasets/m_cond/desensitisations", {"method": "masking"}),
         frozenset({"provider"})),
    Case("request attribute change",
         post("/v1/datasets/m_cond/attribute-changes",
              {"to_attribute": "unconditional", "reason": "matrix"}),
         frozenset({"provider"})),
    Case("list attribute changes", get("/v1/attribute-changes"),
         OVERSIGHT | {"provider", "other_provider"}),
    Case("decide attribute change", _decide, frozenset({"authority"})),
    Case("read floor", get("/v1/policies/floor"), EVERYONE),
    Case("set floor", _set_floor, frozenset({"authority"})),
    Case("read dataset policy", get("/v1/datasets/m_cond/policy"), EVERYONE),
    Case("set dataset policy", _set_dataset_policy, frozenset({"provider"})),
    Case("read budget", get("/v1/budgets/m_cond"),
         OVERSIGHT | {"provider"}),
    Case("audit read", get("/v1/audit"), frozenset({"admin", "auditor"})),
    Case("audit export", get("/v1/audit/export"), frozenset({"admin", "auditor"})),
    Case("audit verify", get("/v1/audit/verify"), frozenset({"admin", "auditor"})),
)


@pytest.fixture(scope="module")
def ctx(live_server: LiveServer, accounts: Accounts) -> Context:
    context = Context(live_server, accounts)
    with context.as_role("provider") as provider:
        for name, attribute, content in (("m_cond", "conditional", people_table()),
                                         ("m_open", "unconditional", people_table(20))):
            assert register(provider, parquet_bytes(content),
                            metadata(name, attribute)).status_code == 201
    return context


def _expected(case: Case, role: str | None) -> set[int] | None:
    """None means 'a 2xx'; otherwise the refusal statuses accepted."""
    if role is None:
        return None if case.anonymous_allowed else {401}
    if role in case.allowed:
        return None
    return {case.overrides.get(role, case.hidden_status)}


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "no-token"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_access(ctx: Context, case: Case, role: str | None) -> None:
    method, path, kwargs = case.build(ctx, role or "user")
    token = ctx.accounts[role].token if role else None
    with ctx.server.client(token) as client:
        response = client.request(method, path, **kwargs)
    expected = _expected(case, role)
    if expected is None:
        assert 200 <= response.status_code < 300, (case.name, role, response.text)
    else:
        assert response.status_code in expected, (case.name, role, response.text)
        assert response.json()["error"] in ("forbidden", "access_refused", "not_found",
                                            "unauthenticated")


def test_the_matrix_covers_every_route(live_server: LiveServer) -> None:
    """A new endpoint without a row here fails this test."""
    spec = httpx.get(f"{live_server.url}/v1/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    covered_paths = {
        "/v1/health", "/v1/organisations", "/v1/users", "/v1/users/me", "/v1/users/{user_id}",
        "/v1/users/{user_id}/eligibility", "/v1/users/{user_id}/deactivate", "/v1/tokens",
        "/v1/tokens/{token_id}", "/v1/uploads", "/v1/uploads/{upload_id}", "/v1/datasets",
        "/v1/datasets/{name}", "/v1/datasets/{name}/versions", "/v1/datasets/{name}/quality",
        "/v1/datasets/{name}/preview", "/v1/datasets/{name}/rows",
        "/v1/datasets/{name}/download", "/v1/datasets/{name}/desensitisations",
        "/v1/datasets/{name}/attribute-changes", "/v1/attribute-changes",
        "/v1/attribute-changes/{change_id}/decision", "/v1/audit", "/v1/audit/export",
        "/v1/audit/verify", "/v1/policies/floor", "/v1/datasets/{name}/policy",
        "/v1/budgets/{name}",
    }
    assert {p for _m, p in routes} == covered_paths
    assert len(routes) == 35 == len(CASES) - 4  # four cases probe a second variant of a route

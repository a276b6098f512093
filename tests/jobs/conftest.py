"""Job tests run the real pieces: a Ray head (``ray start --head``) that the live uvicorn
server joins through ``SANDBOX_RAY_ADDRESS``, the strongest isolation backend of the machine,
and the world of the access workflow (a conditional dataset, an active grant).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
import pytest

from sandbox.client import SandboxClient
from sandbox.config import DEFAULT_CALENDAR_PATH
from sandbox.workdays import load_calendar
from tests.integration.conftest import (
    LiveServer,
    create_accounts,
    start_server,
    stop_server,
)
from tests.integration.datafiles import metadata, parquet_bytes, people_table, register
from tests.ray_cluster import RAY_ENV

CALENDAR = load_calendar(DEFAULT_CALENDAR_PATH)


def today() -> date:
    return CALENDAR.local_date(datetime.now(UTC))


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class JobWorld:
    """A server with accounts, datasets and grants, ready for jobs."""

    server: LiveServer
    tokens: dict[str, str]
    ids: dict[str, int]
    grants: dict[str, str] = field(default_factory=dict)

    def client(self, who: str) -> httpx.Client:
        return self.server.client(self.tokens[who])

    def api(self, who: str) -> SandboxClient:
        return SandboxClient(self.server.url, self.tokens[who])


def grant(world: JobWorld, who: str, datasets: list[str], **scope: Any) -> dict[str, Any]:
    """Apply, pass, approve and accept: an active grant of ``who`` on ``datasets``."""
    body = {"title": "Job study", "reason": "r", "type": "dataset", "datasets": datasets,
            "period_start": today().isoformat(),
            "period_end": (today() + timedelta(days=60)).isoformat(),
            "results_form": "tables", "scenario": "s", "security_measures": "m",
            "commitment_signed": True}
    with world.client(who) as user:
        app_id = ok(user.post("/v1/applications", json=body), 201)["id"]
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    with world.client("provider") as provider:
        decision = {"outcome": "approve", "grant_budget": 5, **scope}
        grant_id = ok(provider.post(f"/v1/applications/{app_id}/decision",
                                    json=decision))["grant_id"]
    with world.client(who) as user:
        return dict(ok(user.post(f"/v1/grants/{grant_id}/accept",
                                 json={"agreement_version": "2026.1"})))


def build_world(server: LiveServer, datasets: dict[str, str],
                raw_policy_for: tuple[str, ...] = (),
                tables: dict[str, pa.Table] | None = None) -> JobWorld:
    """Accounts, ``datasets`` (name: open attribute) registered by ``provider`` (60 people,
    or the table given in ``tables``), eligible users; datasets in ``raw_policy_for`` get a
    policy allowing raw-access jobs.
    """
    platform = server.open_platform()
    try:
        accounts = create_accounts(platform)
    finally:
        platform.close()
    tokens = {name: accounts[name].token for name in accounts.by_name}
    ids = {name: accounts[name].id for name in accounts.by_name}
    with server.client(tokens["provider"]) as provider:
        for name, attribute in datasets.items():
            table = (tables or {}).get(name) or people_table(60)
            ok(register(provider, parquet_bytes(table), metadata(name, attribute)), 201)
            if name in raw_policy_for:
                ok(provider.put(f"/v1/datasets/{name}/policy",
                                json={"document": {"job_limits": {"raw_access_allowed": True}}}))
    with server.client(tokens["admin"]) as admin:
        made = ok(admin.post("/v1/users", json={"username": "user2", "role": "user"}), 201)
        tokens["user2"], ids["user2"] = made["token"], made["user"]["id"]
    with server.client(tokens["authority"]) as authority:
        for name in ("user", "user2"):
            for fact, value in (("real_name_verified", "yes"), ("credit_standing", "good")):
                ok(authority.post(f"/v1/users/{ids[name]}/eligibility",
                                  json={"fact": fact, "value": value}))
    return JobWorld(server, tokens, ids)


@pytest.fixture(scope="module")
def job_server(tmp_path_factory: pytest.TempPathFactory, ray_address: str
               ) -> Iterator[LiveServer]:
    """A live server joined to the session's Ray head."""
    server = start_server(tmp_path_factory.mktemp("jobs") / "var",
                          {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV})
    yield server
    stop_server(server)

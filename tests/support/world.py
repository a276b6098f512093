"""The world an API test starts from: accounts with their tokens, registered datasets,
eligible users and active grants, built over HTTP as the people who run the platform would.

One :class:`World` serves the access workflow, oversight and job tests; each module builds
the datasets it needs (names prefixed by the module, so worlds sharing a server never meet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa

from sandbox.client import SandboxClient
from sandbox.holiday_sources import build_calendar
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer, create_accounts

CALENDAR = build_calendar(None)

ELIGIBILITY = (("real_name_verified", "yes"), ("credit_standing", "good"))
"""The facts the authority records before a user may apply."""


def today() -> date:
    """Today in the platform's calendar (deadlines and grant periods are local dates)."""
    return CALENDAR.local_date(datetime.now(UTC))


@dataclass
class World:
    """A server with accounts (``tokens``, ``ids`` by name), organisations and grants."""

    server: LiveServer
    tokens: dict[str, str]
    ids: dict[str, int]
    orgs: dict[str, int] = field(default_factory=dict)
    grants: dict[str, str] = field(default_factory=dict)

    def client(self, who: str) -> httpx.Client:
        return self.server.client(self.tokens[who])

    def api(self, who: str) -> SandboxClient:
        return SandboxClient(self.server.url, self.tokens[who])


def world_of(server: LiveServer, accounts: Accounts) -> World:
    """The world of ``accounts`` (see :data:`tests.support.server.ACCOUNT_PLAN`)."""
    return World(
        server,
        {name: accounts[name].token for name in accounts.by_name},
        {name: accounts[name].id for name in accounts.by_name},
    )


def add_users(world: World, *names: str) -> None:
    """The administrator creates user accounts ``names``; their tokens join the world."""
    with world.client("admin") as admin:
        for name in names:
            made = ok(admin.post("/v1/users", json={"username": name, "role": "user"}), 201)
            world.tokens[name], world.ids[name] = made["token"], made["user"]["id"]


def make_eligible(world: World, *names: str) -> None:
    """The authority records the :data:`ELIGIBILITY` facts of users ``names``."""
    with world.client("authority") as authority:
        for name in names:
            for fact, value in ELIGIBILITY:
                ok(
                    authority.post(
                        f"/v1/users/{world.ids[name]}/eligibility",
                        json={"fact": fact, "value": value},
                    )
                )


def grant(
    world: World,
    who: str,
    datasets: Sequence[str],
    *,
    title: str = "Job study",
    grant_budget: float = 5,
    accept: bool = True,
    **scope: Any,
) -> dict[str, Any]:
    """Apply, pass, approve and (unless ``accept`` is false) accept: a grant of ``who`` on
    ``datasets`` approved by ``provider`` with ``grant_budget`` and ``scope``."""
    body = {
        "title": title,
        "reason": "r",
        "type": "dataset",
        "datasets": list(datasets),
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=60)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client(who) as user:
        app_id = ok(user.post("/v1/applications", json=body), 201)["id"]
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    with world.client("provider") as provider:
        decision = {"outcome": "approve", "grant_budget": grant_budget, **scope}
        grant_id = ok(provider.post(f"/v1/applications/{app_id}/decision", json=decision))[
            "grant_id"
        ]
    with world.client(who) as user:
        if not accept:
            return dict(ok(user.get(f"/v1/grants/{grant_id}")))
        return dict(
            ok(user.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}))
        )


def build_world(
    server: LiveServer,
    datasets: dict[str, str],
    raw_policy_for: tuple[str, ...] = (),
    tables: dict[str, pa.Table] | None = None,
) -> World:
    """Accounts, ``datasets`` (name: open attribute) registered by ``provider`` (60 people,
    or the table given in ``tables``), eligible users; datasets in ``raw_policy_for`` get a
    policy allowing raw-access jobs.
    """
    platform = server.open_platform()
    try:
        accounts = create_accounts(platform)
    finally:
        platform.close()
    world = world_of(server, accounts)
    with world.client("provider") as provider:
        for name, attribute in datasets.items():
            table = (tables or {}).get(name) or people_table(60)
            ok(register(provider, parquet_bytes(table), metadata(name, attribute)), 201)
            if name in raw_policy_for:
                ok(
                    provider.put(
                        f"/v1/datasets/{name}/policy",
                        json={"document": {"job_limits": {"raw_access_allowed": True}}},
                    )
                )
    add_users(world, "user2")
    make_eligible(world, "user", "user2")
    return world

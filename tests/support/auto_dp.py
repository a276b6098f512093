"""A live server whose DP jobs run in bubblewrap on their own Ray head, and a world with one
conditional dataset under ``auto_dp`` and a grant on it: what the DP model tests over HTTP
share (a DP result whose report passes the checks is released without review)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from sandbox.ledger import SqlLedger
from sandbox.policies.budget import PrivacyCost
from tests.support.http import ok
from tests.support.ray_cluster import RAY_ENV, start_ray_head, stop_ray_head
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

GRANT = "models"
"""The name the world gives the user's grant on the dataset."""


@contextmanager
def bwrap_server(
    ray_dir: Path, var_dir: Path, settings: Mapping[str, str] | None = None
) -> Iterator[LiveServer]:
    """A live server on its own Ray head (in ``ray_dir``), running jobs in bubblewrap (with
    more ``SANDBOX_*`` ``settings`` when given)."""
    head = start_ray_head(ray_dir)
    env = {"SANDBOX_RAY_ADDRESS": head.address, "SANDBOX_RUNTIME_BACKEND": "bwrap", **RAY_ENV}
    env.update(settings or {})
    live = start_server(var_dir, env)
    try:
        yield live
    finally:
        stop_server(live)
        stop_ray_head(head)


def auto_dp_world(server: LiveServer, dataset: str, table: pa.Table, budget: float = 5) -> World:
    """``dataset`` registered as conditional from ``table``, its review mode ``auto_dp``, and
    a grant of ``budget`` to the user (``world.grants[GRANT]``)."""
    made = build_world(server, {dataset: "conditional"}, tables={dataset: table})
    with made.client("provider") as provider:
        ok(
            provider.put(
                f"/v1/datasets/{dataset}/policy",
                json={"document": {"review": {"mode": "auto_dp"}}},
            )
        )
    made.grants[GRANT] = grant(made, "user", [dataset], grant_budget=budget)["ref"]
    return made


def remaining(world: World, dataset: str) -> PrivacyCost:
    """What the user's grant has left on ``dataset``, read from the server's own ledger."""
    platform = world.server.open_platform()
    try:
        return SqlLedger(platform.sessions).remaining(world.grants[GRANT], dataset)
    finally:
        platform.close()


def run_job(world: World, dataset: str, **submission: Any) -> dict[str, Any]:
    """Submit a job of the user on ``dataset`` and wait for its end (the client retries a
    poll whose kept-alive connection the server dropped)."""
    with world.api("user") as api:
        job = api.submit_job([dataset], **submission)
        return dict(api.wait_for_job(int(job["id"]), timeout=180))

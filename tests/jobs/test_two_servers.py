"""Two API processes of one platform on one PostgreSQL, for real: two live uvicorn servers
sharing the database and the ``var`` directory, joined to the session's Ray head.

A job runs on one of them (whichever dispatcher claimed it); that server is killed with
``SIGKILL`` mid-job. The other one keeps serving, leaves the job alone while the dead
process's lease is live, and once it expired fails the job with the reason that its process
stopped. The job was charged only for the DP calls it made before the kill, never after it
was failed. (The leases' logic in-process: ``tests/jobs/test_job_leases.py``.)
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sandbox.store.models import BudgetChargeRow, JobRow
from tests.support.postgres import PostgresServer
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = [pytest.mark.server, pytest.mark.postgres]

LEASE_SECONDS = 6
LEASE_ENV = {"SANDBOX_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "SANDBOX_JOB_HEARTBEAT_SECONDS": "1"}

COUNTS_FOREVER = '''"""A small count, then a while of work, again and again."""


def run(ctx):
    while True:
        ctx.dataset("pair_cond").count(epsilon=0.01)
        n = 0
        while n < 300000:
            n = n + 1
'''

QUICK = '''"""One count."""


def run(ctx):
    return ctx.dataset("pair_cond").count(epsilon=0.1)
'''


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer, ray_address: str
) -> Iterator[dict[str, LiveServer]]:
    """Servers ``a`` and ``b``: one platform (database, data, audit key) in two processes."""
    var_dir = tmp_path_factory.mktemp("two-servers") / "var"
    env = {
        "SANDBOX_DATABASE_URL": postgres_server.create_database(),
        "SANDBOX_RAY_ADDRESS": ray_address,
        **RAY_ENV,
        **LEASE_ENV,
    }
    started = {name: start_server(var_dir, env, log_name=f"{name}.log") for name in ("a", "b")}
    yield started
    for server in started.values():
        if server.process.poll() is None:
            stop_server(server)


@pytest.fixture(scope="module")
def world(servers: dict[str, LiveServer]) -> World:
    made = build_world(servers["a"], {"pair_cond": "conditional"})
    made.grants["dp"] = grant(made, "user", ["pair_cond"])["ref"]
    return made


def job_row(server: LiveServer, job_id: int) -> JobRow:
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            session.expunge(row)
            return row
    finally:
        platform.close()


def charges_of(server: LiveServer, job_id: int) -> list[BudgetChargeRow]:
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            rows = session.execute(
                select(BudgetChargeRow).where(BudgetChargeRow.job_id == job_id)
            ).scalars()
            return list(rows)
    finally:
        platform.close()


def owner_server(servers: dict[str, LiveServer], owner: str | None) -> str:
    """Which server's process holds ``owner``'s lease (``host:pid:tag``)."""
    assert owner is not None, "the running job has no lease owner"
    pid = int(owner.split(":")[-2])
    names = [name for name, server in servers.items() if server.process.pid == pid]
    assert names, f"lease owner {owner} is neither server ({servers})"
    return names[0]


def test_a_killed_servers_job_is_taken_over_by_the_other_and_never_charged_after(
    servers: dict[str, LiveServer], world: World
) -> None:
    with world.api("user") as api:
        job = api.submit_job(["pair_cond"], source=COUNTS_FOREVER)
        api.wait_for_job(
            job["id"],
            timeout=120,
            until=lambda j: j["state"] == "running" and j["progress"].get("dp_calls", 0) >= 2,
        )
    victim = owner_server(servers, job_row(servers["a"], job["id"]).lease_owner)
    survivor = "b" if victim == "a" else "a"
    os.kill(servers[victim].process.pid, signal.SIGKILL)
    servers[victim].process.wait(timeout=30)
    killed_at = time.monotonic()
    world.server = servers[survivor]

    # While the dead process's lease is live, the survivor leaves the job alone.
    with world.api("user") as api:
        early = api.get_job(job["id"])
    if time.monotonic() - killed_at < LEASE_SECONDS - 2:
        assert early["state"] == "running", early

    with world.api("user") as api:
        failed: dict[str, Any] = api.wait_for_job(
            job["id"], timeout=90, until=lambda j: j["state"] not in ("queued", "running")
        )
    waited = time.monotonic() - killed_at
    assert failed["state"] == "failed", failed
    assert failed["outcome"] == "interrupted"
    assert failed["state_reason"].startswith("the API process running the job stopped"), failed
    assert "start it again" in failed["state_reason"]
    assert waited < LEASE_SECONDS + 30, f"taken over only after {waited:.0f} s"

    # Charged at most for what it asked before the kill (a call charged as the process died
    # may have had no answer recorded), and never after it was failed.
    released = len(failed["releases"])
    charged = charges_of(world.server, job["id"])
    assert released >= 2 and released <= len(charged) <= released + 1, (released, charged)
    finished = job_row(world.server, job["id"]).finished_at
    assert finished is not None and all(c.created_at <= finished for c in charged)
    time.sleep(3)
    assert len(charges_of(world.server, job["id"])) == len(charged)

    # The survivor keeps running the platform: a new job runs there to its review.
    with world.api("user") as api:
        quick = api.submit_job(["pair_cond"], source=QUICK)
        done = api.wait_for_job(quick["id"], timeout=120)
    assert done["state"] == "pending_review", done
    assert owner_server(servers, job_row(world.server, quick["id"]).lease_owner) == survivor


def test_a_live_servers_jobs_survive_the_other_servers_start(
    servers: dict[str, LiveServer], world: World, tmp_path: Path
) -> None:
    """A process starting beside a live one touches none of its jobs (the old recovery
    failed them all)."""
    alive = next(name for name, s in servers.items() if s.process.poll() is None)
    world.server = servers[alive]
    with world.api("user") as api:
        job = api.submit_job(["pair_cond"], source=COUNTS_FOREVER)
        api.wait_for_job(job["id"], timeout=120, until=lambda j: j["state"] == "running")
    newcomer = start_server(servers[alive].var_dir, servers[alive].env, log_name="c.log")
    try:
        time.sleep(LEASE_SECONDS + 2)  # beyond a lease: the live one kept renewing its own
        with world.api("user") as api:
            still = api.get_job(job["id"])
            assert still["state"] == "running", still
            assert api.cancel_job(job["id"])["cancel_requested"] is True
            api.wait_for_job(job["id"], timeout=60, until=lambda j: j["state"] == "cancelled")
    finally:
        stop_server(newcomer)

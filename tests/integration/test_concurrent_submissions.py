"""Many jobs submitted at once on PostgreSQL: every submission is accepted, none deadlocks,
and a job quota takes exactly as many as it allows.

The job quota locks the submitter's and the grant's rows; under ``FOR UPDATE`` a job's own
insert (whose foreign keys take ``FOR KEY SHARE`` on the same rows) queued behind the next
waiting submitter, and a burst of submissions deadlocked into 500s. The lock is now ``FOR NO
KEY UPDATE`` (:func:`sandbox.jobs.quotas.check_job_quotas`). The quota is checked last in
a submission, after its job is inserted: the lock is held for the counts and the commit
only, and a submission waiting for it counts the jobs committed before it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.support.postgres import PostgresServer
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = [pytest.mark.server, pytest.mark.postgres]

SUBMISSIONS = 100
SUBMITTERS = 16
"""Clients submitting one job after another, as jobs already start running beside them."""
COUNT = '''"""One count."""


def run(ctx):
    return {"rows": ctx.dataset("burst_cond").count(epsilon=0.001)}
'''


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("burst") / "var",
        {
            "SANDBOX_DATABASE_URL": postgres_server.create_database(),
            "SANDBOX_RATE_LIMIT_USER_PER_SECOND": "100000",
            "SANDBOX_RATE_LIMIT_USER_BURST": "100000",
        },
    )
    yield live
    stop_server(live)


LOOP = '''"""Charges one count, then runs until it is cancelled."""


def run(ctx):
    ctx.dataset("burst_cond").count(epsilon=0.001)
    n = 0
    while True:
        n = n + 1
'''

CAPPED = 4
"""The ``active_jobs_per_grant`` of the capped grant."""


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    made = build_world(server, {"burst_cond": "conditional"})
    made.grants["dp"] = grant(made, "user", ["burst_cond"])["ref"]
    made.grants["capped"] = grant(
        made,
        "user",
        ["burst_cond"],
        title="Capped",
        policy={"job_limits": {"active_jobs_per_grant": CAPPED}},
    )["ref"]
    return made


async def _submit_at_once(
    world: World, source: str = COUNT, grant_name: str = "dp", submissions: int = SUBMISSIONS
) -> tuple[Counter[int], list[int]]:
    statuses: Counter[int] = Counter()
    ids: list[int] = []
    headers = {"Authorization": f"Bearer {world.tokens['user']}"}
    body = {"datasets": ["burst_cond"], "source": source, "grant": world.grants[grant_name]}
    limits = httpx.Limits(max_connections=SUBMITTERS)

    async def submitter(client: httpx.AsyncClient, count: int) -> None:
        for _ in range(count):
            response = await client.post("/v1/jobs", json=body)
            statuses[response.status_code] += 1
            if response.is_success:
                ids.append(int(response.json()["id"]))

    shares = [submissions // SUBMITTERS + (i < submissions % SUBMITTERS) for i in range(SUBMITTERS)]
    async with httpx.AsyncClient(
        base_url=world.server.url, headers=headers, timeout=300, limits=limits
    ) as client:
        await asyncio.gather(*(submitter(client, share) for share in shares))
    return statuses, ids


def test_a_burst_of_submissions_is_accepted_and_every_job_runs(world: World) -> None:
    with world.api("user") as api:  # Ray and its workers up: jobs run beside the burst
        for _ in range(3):
            job = api.submit_job(["burst_cond"], source=COUNT)
            api.wait_for_job(job["id"], timeout=300, until=lambda j: j["state"] == "pending_review")
    statuses, ids = asyncio.run(_submit_at_once(world))
    assert set(statuses) <= {200, 201, 202}, statuses
    assert len(ids) == SUBMISSIONS
    with world.api("user") as api:
        states = Counter(
            api.wait_for_job(job_id, timeout=300, until=lambda j: j["state"] == "pending_review")[
                "state"
            ]
            for job_id in ids
        )
    assert states == Counter({"pending_review": SUBMISSIONS}), states


def test_a_quota_takes_exactly_its_places_from_submissions_at_once(world: World) -> None:
    statuses, ids = asyncio.run(_submit_at_once(world, LOOP, "capped", submissions=SUBMITTERS))
    try:
        assert statuses == Counter({201: CAPPED, 429: SUBMITTERS - CAPPED}), statuses
        assert len(ids) == CAPPED
    finally:
        with world.api("user") as api:
            for job_id in ids:
                api.cancel_job(job_id)
            for job_id in ids:
                api.wait_for_job(job_id, timeout=300, until=lambda j: j["final"])

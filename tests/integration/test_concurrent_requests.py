"""Many concurrent requests on one SQLite server: every one is answered, none with a 500
(:mod:`api.concurrency`, the SQLite pool of :func:`sandbox.store.db.make_engine`).

Before the bound, 50 concurrent clients took every worker thread waiting for a database
connection while the requests holding the connections waited for a thread to finish: the
server stopped answering until the pool's wait ran out, then answered 500.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from api.concurrency import IN_FLIGHT, WORKER_THREADS, BoundedInFlight
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world

pytestmark = pytest.mark.server

CLIENTS = WORKER_THREADS + 36  # more at once than there are worker threads
ROUNDS = 3
DATASET = "conc_data"
READS = ("/v1/datasets", f"/v1/datasets/{DATASET}", "/v1/grants", "/v1/jobs?limit=5")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("concurrent") / "var",
        {  # the limits under test are the server's, not the per-user request rate
            "SANDBOX_RATE_LIMIT_USER_PER_SECOND": "100000",
            "SANDBOX_RATE_LIMIT_USER_BURST": "100000",
        },
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    return build_world(server, {DATASET: "conditional"})


async def _read_concurrently(world: World) -> Counter[int]:
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {world.tokens['user']}"}
    limits = httpx.Limits(max_connections=CLIENTS)

    async def one_client(index: int, client: httpx.AsyncClient) -> None:
        for round_ in range(ROUNDS):
            response = await client.get(READS[(index + round_) % len(READS)])
            statuses[response.status_code] += 1

    async with httpx.AsyncClient(
        base_url=world.server.url, headers=headers, timeout=600, limits=limits
    ) as client:
        await asyncio.gather(*(one_client(i, client) for i in range(CLIENTS)))
    return statuses


def test_more_concurrent_requests_than_worker_threads_are_all_answered(world: World) -> None:
    statuses = asyncio.run(_read_concurrently(world))
    assert statuses == Counter({200: CLIENTS * ROUNDS}), statuses
    with world.client("user") as client:  # and the server still answers at once after
        assert client.get("/v1/health").status_code == 200


def test_at_most_the_bound_runs_inside_the_app_and_liveness_skips_the_queue() -> None:
    inside = 0
    most = 0
    release = asyncio.Event()

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        if scope["path"] != "/v1/health":
            await release.wait()
        inside -= 1

    bounded = BoundedInFlight(app)  # type: ignore[arg-type]

    async def main() -> None:
        waiting = [
            asyncio.create_task(bounded({"type": "http", "path": "/v1/datasets"}, None, None))  # type: ignore[arg-type]
            for _ in range(IN_FLIGHT + 20)
        ]
        await asyncio.sleep(0.05)
        assert inside == IN_FLIGHT  # the other 20 wait outside, holding nothing
        await asyncio.wait_for(
            bounded({"type": "http", "path": "/v1/health"}, None, None),  # type: ignore[arg-type]
            timeout=5,
        )
        release.set()
        await asyncio.gather(*waiting)

    asyncio.run(main())
    assert most == IN_FLIGHT + 1  # the bound, and the liveness probe beside it
    assert inside == 0


def test_a_bound_as_large_as_the_thread_pool_is_refused() -> None:
    with pytest.raises(ValueError, match="below the 64 threads"):
        BoundedInFlight(lambda *_: None, limit=WORKER_THREADS)  # type: ignore[arg-type]

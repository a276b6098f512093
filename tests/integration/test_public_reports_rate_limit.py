"""A visitor's reports draw from the address rate limit of every credential-less request:
past the burst a report is a 429 with ``Retry-After`` and nothing is filed, while a
signed-in account (its own bucket) still reports.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.http import ok
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world

pytestmark = pytest.mark.server

ADDRESS_BURST = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("report-rates") / "var",
        {
            "SANDBOX_RATE_LIMIT_ADDRESS_PER_SECOND": "0.01",
            "SANDBOX_RATE_LIMIT_ADDRESS_BURST": str(ADDRESS_BURST),
        },
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    return build_world(server, {"rl_reported": "unconditional"})


def test_visitor_reports_past_the_burst_are_refused_and_filed_nowhere(world: World) -> None:
    body = {
        "kind": "misuse",
        "dataset": "rl_reported",
        "description": "scraped and resold",
        "contact": "visitor@example.org",
    }
    answers = []
    with world.server.client(None) as visitor:
        for _ in range(ADDRESS_BURST + 3):
            answers.append(visitor.post("/v1/public-reports", json=body))
    statuses = [a.status_code for a in answers]
    filed = [a.json()["id"] for a in answers if a.status_code == 201]
    assert 1 <= len(filed) <= ADDRESS_BURST, statuses
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled and statuses[-1] == 429, statuses
    assert throttled[0].json()["error"] == "rate_limited"
    assert float(throttled[0].headers["Retry-After"]) > 0
    with world.client("authority") as authority:
        listed = ok(authority.get("/v1/public-reports"))
    assert sorted(r["id"] for r in listed) == sorted(filed)
    with world.client("user") as user:
        mine = ok(user.post("/v1/public-reports", json={**body, "contact": ""}), 201)
    assert mine["reporter"] == "user"

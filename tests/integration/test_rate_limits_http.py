"""Request rates and job quotas over HTTP (:mod:`api.rate_limits`, :mod:`sandbox.jobs.quotas`).

The server runs with small rates so a burst is quick to use up, and with a Ray address
where nothing listens, so every submitted job stays queued: unfinished jobs pile up exactly
as a quota counts them, without any compute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.http import ok
from tests.support.server import LiveServer, free_port, start_server, stop_server
from tests.support.world import World, add_users, build_world, grant, make_eligible

pytestmark = pytest.mark.server

USER_RATE, USER_BURST = 5, 60
ADDRESS_RATE, ADDRESS_BURST = 2, 8
QUOTA_DATA, OPEN_DATA = "rl_quota", "rl_open"
MODEL = '"""Counts rows."""\n\n\ndef run(ctx):\n    return 1\n'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("rates") / "var",
        {
            "SANDBOX_RAY_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing there: jobs stay queued
            "SANDBOX_RATE_LIMIT_USER_PER_SECOND": str(USER_RATE),
            "SANDBOX_RATE_LIMIT_USER_BURST": str(USER_BURST),
            "SANDBOX_RATE_LIMIT_ADDRESS_PER_SECOND": str(ADDRESS_RATE),
            "SANDBOX_RATE_LIMIT_ADDRESS_BURST": str(ADDRESS_BURST),
        },
    )
    yield live
    stop_server(live)


def _patient(response_of: Any) -> Any:
    """Call ``response_of()`` until it is not a 429, waiting what ``Retry-After`` says (the
    world is built at the rates under test too)."""
    for _ in range(30):
        response = response_of()
        if response.status_code != 429 or response.json()["error"] != "rate_limited":
            return response
        time.sleep(float(response.headers["Retry-After"]))
    raise AssertionError("still throttled after 30 waits")


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    made = build_world(server, {QUOTA_DATA: "conditional", OPEN_DATA: "conditional"})
    with made.client("provider") as provider:
        # The dataset tightens the floor's per-user quota to 3 for jobs reading it.
        ok(
            provider.put(
                f"/v1/datasets/{QUOTA_DATA}/policy",
                json={"document": {"job_limits": {"active_jobs_per_user": 3}}},
            )
        )
    made.grants["tight"] = grant(
        made,
        "user",
        [QUOTA_DATA],
        title="Tight",
        policy={"job_limits": {"active_jobs_per_grant": 2}},
    )["ref"]
    made.grants["second"] = grant(made, "user", [QUOTA_DATA], title="Second")["ref"]
    made.grants["open"] = grant(made, "user", [OPEN_DATA], title="Open")["ref"]
    add_users(made, "user3")
    make_eligible(made, "user3")
    made.grants["other"] = grant(made, "user3", [QUOTA_DATA], title="Other")["ref"]
    time.sleep(USER_BURST / USER_RATE)  # every bucket full again
    return made


def _submit(world: World, who: str, grant_name: str, dataset: str) -> httpx.Response:
    body = {"datasets": [dataset], "source": MODEL, "grant": world.grants[grant_name]}
    with world.client(who) as client:
        response: httpx.Response = client.post("/v1/jobs", json=body)
        return response


def _jobs(world: World, who: str) -> list[dict[str, Any]]:
    with world.client(who) as client:
        return list(ok(client.get("/v1/jobs")))


def _budget(world: World, grant_name: str) -> dict[str, Any]:
    with world.client("user") as client:
        grants = ok(client.get("/v1/grants"))
        grant_id = next(g["id"] for g in grants if g["ref"] == world.grants[grant_name])
        return dict(ok(client.get(f"/v1/grants/{grant_id}/budget")))


def test_a_user_past_the_burst_gets_429_with_retry_after_then_recovers(world: World) -> None:
    time.sleep(USER_BURST / USER_RATE)
    with world.client("user2") as client, world.client("admin") as other:
        statuses = []
        for _ in range(USER_BURST + 20):
            response = client.get("/v1/users/me")
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        assert len(statuses) > USER_BURST - 5  # the burst itself was served
        body = response.json()
        assert body["error"] == "rate_limited"
        assert body["limit"] == "rate_limit_user"
        assert "rate_limit_user" in body["message"]
        retry_after = int(response.headers["Retry-After"])
        assert retry_after >= 1 and body["retry_after_seconds"] == retry_after
        # Another user's bucket is their own.
        ok(other.get("/v1/users/me"))
        # Health and readiness are never limited.
        assert client.get("/v1/health").status_code == 200
        time.sleep(retry_after)
        ok(client.get("/v1/users/me"))


def test_requests_without_credentials_are_limited_by_address(world: World) -> None:
    time.sleep(ADDRESS_BURST / ADDRESS_RATE)
    with httpx.Client(base_url=world.server.url, timeout=30) as anonymous:
        statuses = [anonymous.get("/v1/openapi.json").status_code for _ in range(ADDRESS_BURST + 4)]
        assert statuses[:ADDRESS_BURST] == [200] * ADDRESS_BURST, statuses
        last = anonymous.get("/v1/openapi.json")
        assert last.status_code == 429
        assert last.json()["limit"] == "rate_limit_address"
        assert int(last.headers["Retry-After"]) >= 1
        # Guessed tokens draw from the same bucket: they are not a way round the limit. Each
        # guess differs, so a bucket per token would never refuse one; the bucket refills at
        # ADDRESS_RATE a second, so on a slow machine a guess or two may reach the 401.
        guesses = []
        for attempt in range(ADDRESS_BURST):
            guessed = anonymous.get(
                "/v1/users/me", headers={"Authorization": f"Bearer sbx_guess{attempt}"}
            )
            guesses.append(guessed.status_code)
            if guessed.status_code == 429:
                break
        assert guesses[-1] == 429, guesses
        assert guessed.json()["limit"] == "rate_limit_address"
        assert anonymous.get("/v1/ready").status_code in (200, 503)  # answered, not throttled
        time.sleep(int(last.headers["Retry-After"]))
        assert anonymous.get("/v1/openapi.json").status_code == 200
    # Signed-in users from the same address keep their own buckets.
    with world.client("user2") as client:
        ok(client.get("/v1/users/me"))


def test_job_quotas_per_grant_and_per_user_refuse_with_nothing_stored(world: World) -> None:
    budget_before = _budget(world, "tight")
    for _ in range(2):
        ok(_patient(lambda: _submit(world, "user", "tight", QUOTA_DATA)), 201)
    jobs_before = _jobs(world, "user")
    refused = _patient(lambda: _submit(world, "user", "tight", QUOTA_DATA))
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "quota_exceeded"
    assert refused.json()["limit"] == "job_limits.active_jobs_per_grant"
    assert "active_jobs_per_grant = 2" in refused.json()["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert _jobs(world, "user") == jobs_before  # nothing stored, nothing queued
    assert _budget(world, "tight") == budget_before  # nothing charged
    # The per-user quota of the dataset: 3 unfinished jobs of this user on any grant.
    ok(_patient(lambda: _submit(world, "user", "second", QUOTA_DATA)), 201)
    over_user = _patient(lambda: _submit(world, "user", "second", QUOTA_DATA))
    assert over_user.status_code == 429
    assert over_user.json()["limit"] == "job_limits.active_jobs_per_user"
    # A dataset whose policy does not tighten it keeps the floor's quota.
    ok(_patient(lambda: _submit(world, "user", "open", OPEN_DATA)), 201)
    # Another user's jobs are theirs: the same dataset takes user3's job.
    ok(_patient(lambda: _submit(world, "user3", "other", QUOTA_DATA)), 201)
    # Finished (cancelled) jobs free their places: the user has 4 unfinished jobs, 2 of
    # them on the tight grant; one of those and the open one go.
    mine = _jobs(world, "user")
    tight = [j for j in mine if j["grant"] == world.grants["tight"]][0]
    opened = [j for j in mine if j["grant"] == world.grants["open"]][0]
    with world.client("user") as client:
        for job in (tight, opened):
            ok(client.post(f"/v1/jobs/{job['id']}/cancel"))
    ok(_patient(lambda: _submit(world, "user", "tight", QUOTA_DATA)), 201)


def test_a_dataset_policy_cannot_loosen_the_floor_quota(world: World) -> None:
    with world.client("authority") as authority:
        ok(
            _patient(
                lambda: authority.put(
                    "/v1/policies/floor",
                    json={"document": {"job_limits": {"active_jobs_per_user": 50}}},
                )
            )
        )
    with world.client("provider") as provider:
        refused = provider.put(
            f"/v1/datasets/{OPEN_DATA}/policy",
            json={"document": {"job_limits": {"active_jobs_per_user": 100}}},
        )
        assert refused.status_code == 422, refused.text
        assert "job_limits.active_jobs_per_user" in refused.json()["message"]
        ok(
            provider.put(
                f"/v1/datasets/{OPEN_DATA}/policy",
                json={"document": {"job_limits": {"active_jobs_per_user": 20}}},
            )
        )
        effective = ok(provider.get(f"/v1/datasets/{OPEN_DATA}/policy"))["effective"]
    assert effective["job_limits"]["active_jobs_per_user"] == 20
    assert effective["job_limits"]["active_jobs_per_grant"] == 100


def test_console_pages_of_a_signed_in_user_draw_from_the_user_bucket(world: World) -> None:
    password = "a long enough passphrase"
    with world.client("admin") as admin:
        body = {"username": "rl_browser", "role": "user", "password": password}
        ok(_patient(lambda: admin.post("/v1/users", json=body)), 201)
    with httpx.Client(base_url=world.server.url, timeout=60) as browser:
        credentials = {"username": "rl_browser", "password": password}
        ok(_patient(lambda: browser.post("/v1/sessions", json=credentials)), 201)
        statuses = []
        for _ in range(USER_BURST + 20):
            page = browser.get("/console/account")
            statuses.append(page.status_code)
            if page.status_code == 429:
                break
        assert statuses[-1] == 429, statuses
        assert len(statuses) > USER_BURST - 5
        assert int(page.headers["Retry-After"]) >= 1
        assert "text/html" in page.headers["content-type"]
        # The API with the same session shares the bucket.
        assert browser.get("/v1/sessions/current").status_code == 429
        time.sleep(int(page.headers["Retry-After"]))
        assert browser.get("/console/account").status_code == 200

"""What a model wrote crosses the release boundary with its result, not before.

Under manual review a DP job's log and error text used to reach its author at once (its
noisy answers, e.g. "mean income is ..."), while the result itself correctly waited. These
tests drive the real server, Ray and a sandbox backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

LOGGING_MODEL = '''"""Mean income, said in the log."""


def run(ctx):
    people = ctx.dataset("rb_manual")
    mean = people.mean("income", lower=0, upper=100000, epsilon=0.2)
    ctx.log(f"mean income is {mean:.2f}")
    return {"mean": mean}
'''

FAILING_MODEL = '''"""Divides by zero after one release."""


def run(ctx):
    people = ctx.dataset("rb_manual")
    total = people.count(epsilon=0.1)
    return {"ratio": total / 0}
'''
FAILING_LINE = 7

AUTO_MODEL = LOGGING_MODEL.replace("rb_manual", "rb_auto")


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {"rb_manual": "conditional", "rb_auto": "conditional"})
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/rb_auto/policy", json={"document": {"review": {"mode": "auto_dp"}}}
            )
        )
    made.grants["manual"] = grant(made, "user", ["rb_manual"])["ref"]
    made.grants["auto"] = grant(made, "user", ["rb_auto"])["ref"]
    return made


def run_job(world: World, dataset: str, source: str) -> dict[str, Any]:
    with world.api("user") as api:
        job = api.submit_job([dataset], source=source)
        return api.wait_for_job(int(job["id"]), timeout=120)


def log_of(world: World, who: str, job_id: int) -> dict[str, Any]:
    with world.client(who) as client:
        return ok(client.get(f"/v1/jobs/{job_id}/log"))


def test_a_dp_log_under_manual_review_waits_for_the_release(world: World) -> None:
    job = run_job(world, "rb_manual", LOGGING_MODEL)
    assert job["state"] == "pending_review", job
    assert job["held"] and job["errors"] == [] and job["result"] is None
    assert log_of(world, "user", job["id"]) == {
        "job_id": job["id"],
        "entries": [],
        "lines": [],
        "held": True,
    }
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 404
    seen = log_of(world, "reviewer", job["id"])  # the reviewer judges the log too
    assert not seen["held"] and seen["lines"][0].startswith("mean income is ")
    with world.client("reviewer") as reviewer:
        ok(reviewer.post(f"/v1/reviews/{job['id']}/decision", json={"outcome": "approve"}))
    released = log_of(world, "user", job["id"])
    assert not released["held"] and released["lines"] == seen["lines"]


def test_a_dp_log_under_automatic_release_is_shown_at_once(world: World) -> None:
    job = run_job(world, "rb_auto", AUTO_MODEL)
    assert job["state"] == "released", job
    assert log_of(world, "user", job["id"])["lines"][0].startswith("mean income is ")


def test_a_failed_job_shows_its_author_the_platforms_facts_only(world: World) -> None:
    job = run_job(world, "rb_manual", FAILING_MODEL)
    assert job["state"] == "failed" and job["outcome"] == "model_error", job
    assert job["state_reason"] == "the model raised an error"
    assert job["held"] and job["errors"] == []
    assert job["progress"]["failure"] == {"exception": "ZeroDivisionError", "line": FAILING_LINE}
    with world.client("reviewer") as reviewer:
        staff = ok(reviewer.get(f"/v1/jobs/{job['id']}"))
    assert "division by zero" in staff["errors"][0]


@pytest.mark.parametrize("who", ["admin", "auditor", "authority"])
def test_oversight_reads_a_pending_review_without_its_content(world: World, who: str) -> None:
    job = run_job(world, "rb_manual", LOGGING_MODEL)
    assert job["state"] == "pending_review", job
    with world.client(who) as client:
        view = ok(client.get(f"/v1/reviews/{job['id']}"))
        seen = ok(client.get(f"/v1/jobs/{job['id']}/log"))
    assert view["content_withheld"] and view["result"] is None and view["release"] is None
    assert view["job"]["held"] and seen["held"] and seen["lines"] == []
    assert view["check_report"] and view["required_approvals"] == 1  # the metadata stays
    with world.client("reviewer") as reviewer:
        own = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    assert not own["content_withheld"] and own["result"] is not None


def test_a_released_result_is_not_downloadable_while_its_grant_is_suspended(world: World) -> None:
    job = run_job(world, "rb_auto", AUTO_MODEL)
    assert job["state"] == "released", job
    with world.client("provider") as provider:
        grants = ok(provider.get("/v1/grants"))
        grant_id = next(g["id"] for g in grants if g["ref"] == world.grants["auto"])
        ok(provider.post(f"/v1/grants/{grant_id}/suspend", json={"reason": "inquiry"}))
    try:
        with world.client("user") as user:
            refused = user.get(f"/v1/results/{job['id']}")
        assert refused.status_code == 409, refused.text
        assert "suspended" in refused.json()["message"]
    finally:
        with world.client("provider") as provider:
            ok(provider.post(f"/v1/grants/{grant_id}/resume", json={"reason": "closed"}))
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 200

"""A held log and error text reach their author once a reviewer released them.

A failed job never reaches the result's review, so its author would only ever learn the
platform's facts (the built-in exception type and its line). These tests drive the real
server, Ray and a sandbox backend: the owner asks, a reviewer of the granting organisation
releases (or refuses), and every step is audited.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

FAILING_RAW_MODEL = '''"""Logs a raw value, then divides by zero."""


def run(ctx):
    table = ctx.table("lr_raw")
    ctx.log("rows seen: " + str(table.num_rows))
    return {"ratio": table.num_rows / 0}
'''
FAILING_LINE = 7

PASSING_RAW_MODEL = '''"""Logs a raw value and returns a count."""


def run(ctx):
    table = ctx.table("lr_raw")
    ctx.log("rows seen: " + str(table.num_rows))
    return {"rows": table.num_rows}
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {"lr_raw": "conditional"}, raw_policy_for=("lr_raw",))
    made.grants["raw"] = grant(made, "user", ["lr_raw"], job_kinds=["dp", "raw"])["ref"]
    return made


def failed_job(world: World) -> dict[str, Any]:
    with world.api("user") as api:
        job = api.submit_job(["lr_raw"], source=FAILING_RAW_MODEL, kind="raw")
        done = api.wait_for_job(int(job["id"]), timeout=120)
    assert done["state"] == "failed" and done["outcome"] == "model_error", done
    assert done["held"] and done["errors"] == [] and done["log_review"] is None
    assert done["progress"]["failure"] == {"exception": "ZeroDivisionError", "line": FAILING_LINE}
    return done


def audited(world: World, action: str, job_id: int) -> bool:
    with world.client("auditor") as auditor:
        events = ok(auditor.get("/v1/audit", params={"action": action}))
    return any(str(e.get("object_id")) == str(job_id) for e in events["data"])


def test_the_owner_asks_and_a_reviewer_releases_the_log_and_errors(world: World) -> None:
    job = failed_job(world)
    with world.api("user") as api:
        asked = api.request_log_review(job["id"])
        assert asked["log_review"] == "requested" and asked["held"]
        assert api.job_log(job["id"])["lines"] == []
    with world.api("reviewer") as reviewer:
        assert job["id"] in [j["id"] for j in reviewer.log_review_queue()]
        view = reviewer.get_review(job["id"])
        assert view["can_decide_log"] and not view["can_decide"]
        assert "division by zero" in view["job"]["errors"][0]
        decided = reviewer.decide_log(job["id"], "release")
        assert decided["job"]["log_review"] == "released" and not decided["can_decide_log"]
        assert job["id"] not in [j["id"] for j in reviewer.log_review_queue()]
    with world.api("user") as api:
        seen = api.get_job(job["id"])
        log = api.job_log(job["id"])
    assert not seen["held"] and seen["log_review"] == "released"
    assert "division by zero" in seen["errors"][0]
    assert f"Line {FAILING_LINE}" in seen["errors"][0]
    assert not log["held"] and log["lines"] == ["rows seen: 60"]
    assert seen["result"] is None  # the result keeps its own release
    assert audited(world, "job.log_review_requested", job["id"])
    assert audited(world, "job.log_released", job["id"])


def test_a_refused_log_stays_held_and_says_why(world: World) -> None:
    job = failed_job(world)
    with world.api("user") as api:
        api.request_log_review(job["id"])
    with world.client("reviewer") as reviewer:
        unreasoned = reviewer.post(
            f"/v1/reviews/{job['id']}/log-decision", json={"outcome": "refuse"}
        )
        assert unreasoned.status_code == 422, unreasoned.text
        ok(
            reviewer.post(
                f"/v1/reviews/{job['id']}/log-decision",
                json={"outcome": "refuse", "reason": "the log names a person"},
            )
        )
        again = reviewer.post(f"/v1/reviews/{job['id']}/log-decision", json={"outcome": "release"})
        assert again.status_code == 409, again.text
    with world.api("user") as api:
        seen = api.get_job(job["id"])
        log = api.job_log(job["id"])
    assert seen["held"] and seen["errors"] == [] and log["lines"] == []
    assert seen["log_review"] == "refused"
    assert seen["log_review_reason"] == "the log names a person"
    with world.client("user") as user:  # asked once: a refusal is final
        assert user.post(f"/v1/jobs/{job['id']}/log/release-request").status_code == 409
    assert audited(world, "job.log_refused", job["id"])


def test_only_the_owner_asks_and_the_owner_never_decides(world: World) -> None:
    job = failed_job(world)
    with world.client("user2") as other:
        hidden = other.post(f"/v1/jobs/{job['id']}/log/release-request")
        assert hidden.status_code == 404, hidden.text
    with world.client("reviewer") as reviewer:
        staff = reviewer.post(f"/v1/jobs/{job['id']}/log/release-request")
        assert staff.status_code == 403, staff.text
        early = reviewer.post(f"/v1/reviews/{job['id']}/log-decision", json={"outcome": "release"})
        assert early.status_code == 409, early.text  # nobody asked yet
    with world.client("user") as user:
        ok(user.post(f"/v1/jobs/{job['id']}/log/release-request"))
        own = user.post(f"/v1/reviews/{job['id']}/log-decision", json={"outcome": "release"})
        assert own.status_code in (403, 404), own.text
        assert user.get("/v1/reviews/logs").status_code == 403
    with world.api("user") as api:
        assert api.get_job(job["id"])["held"]
    with world.api("reviewer") as reviewer:  # leave the queue clean for the other tests
        reviewer.decide_log(job["id"], "refuse", "test over")


def test_a_suspended_dataset_freezes_the_decision(world: World) -> None:
    job = failed_job(world)
    with world.api("user") as api:
        api.request_log_review(job["id"])
    with world.client("provider") as provider:
        ok(
            provider.post(
                "/v1/datasets/lr_raw/suspend", json={"reason": "complaint under investigation"}
            ),
            201,
        )
    try:
        with world.client("reviewer") as reviewer:
            frozen = reviewer.post(
                f"/v1/reviews/{job['id']}/log-decision", json={"outcome": "release"}
            )
        assert frozen.status_code == 409 and "suspended" in frozen.json()["message"], frozen.text
        with world.api("user") as api:
            assert api.get_job(job["id"])["held"]
    finally:
        with world.client("provider") as provider:
            ok(provider.post("/v1/datasets/lr_raw/suspension/resolve", json={"outcome": "restore"}))
    with world.api("reviewer") as reviewer:
        assert reviewer.decide_log(job["id"], "release")["job"]["log_review"] == "released"
    with world.api("user") as api:
        assert not api.get_job(job["id"])["held"]


def sandbox(world: World, who: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_asks_lists_and_decides(world: World) -> None:
    first, second = failed_job(world), failed_job(world)
    for job in (first, second):
        asked = sandbox(world, "user", "jobs", "request-log-review", str(job["id"]))
        assert asked.returncode == 0 and "requested" in asked.stdout + asked.stderr, asked
    listed = sandbox(world, "reviewer", "reviews", "logs")
    assert listed.returncode == 0 and str(first["id"]) in listed.stdout, listed
    shown = sandbox(world, "reviewer", "reviews", "show", str(first["id"]))
    assert shown.returncode == 0 and "division by zero" in shown.stdout, shown
    released = sandbox(world, "reviewer", "reviews", "release-log", str(first["id"]))
    assert released.returncode == 0, released
    refused = sandbox(
        world, "reviewer", "reviews", "refuse-log", str(second["id"]), "--reason", "names a person"
    )
    assert refused.returncode == 0, refused
    log = sandbox(world, "user", "jobs", "log", str(first["id"]))
    assert log.returncode == 0 and "rows seen: 60" in log.stdout, log
    held = sandbox(world, "user", "jobs", "show", str(second["id"]))
    assert "refused: names a person" in held.stdout and "division" not in held.stdout, held


def test_a_log_asked_for_in_review_crosses_with_the_released_result(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["lr_raw"], source=PASSING_RAW_MODEL, kind="raw")
        done = api.wait_for_job(int(job["id"]), timeout=120)
        assert done["state"] == "pending_review" and done["held"], done
        assert api.request_log_review(job["id"])["log_review"] == "requested"
    with world.api("reviewer") as reviewer:
        assert job["id"] in [j["id"] for j in reviewer.log_review_queue()]
        reviewer.decide_review(job["id"], "approve")
        assert job["id"] not in [j["id"] for j in reviewer.log_review_queue()]
    with world.api("user") as api:
        seen = api.get_job(job["id"])
        assert seen["state"] == "released" and seen["log_review"] == "released"
        assert api.job_log(job["id"])["lines"] == ["rows seen: 60"]

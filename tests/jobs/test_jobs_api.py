"""Jobs over the real HTTP server, on a real Ray cluster, in the strongest sandbox here:
submit, run, DP calls through the broker and the ledger, refusals, cancel, suspension,
raw-access jobs held for review, and the canary that never comes back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.client import SandboxAPIError
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

DP_MODEL = '''"""Counts and mean income by district."""

PARAMS = {"upper": {"type": "number", "default": 200000, "minimum": 1}}


def run(ctx):
    people = ctx.dataset("jobs_cond")
    total = people.count(epsilon=0.2)
    by_district = people.group_by("district").mean(
        "income", lower=0, upper=ctx.params["upper"], epsilon=0.3)
    ctx.log(f"about {total:.0f} rows")
    return {"total": total, "by_district": by_district}
'''

FOREVER = '''"""Never ends."""


def run(ctx):
    ctx.log("starting")
    n = 0
    while True:
        n = n + 1
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server,
        {"jobs_cond": "conditional", "jobs_raw": "conditional", "jobs_susp": "conditional"},
        raw_policy_for=("jobs_raw",),
    )
    made.grants["dp"] = grant(made, "user", ["jobs_cond", "jobs_susp"])["ref"]
    made.grants["raw"] = grant(made, "user", ["jobs_raw"], job_kinds=["dp", "raw"])["ref"]
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def wait(
    world: World, job_id: int, who: str = "user", timeout: float = 60, until: str | None = None
) -> dict[str, Any]:
    with world.api(who) as api:
        if until is None:
            return api.wait_for_job(job_id, timeout=timeout)
        return api.wait_for_job(job_id, timeout=timeout, until=lambda j: j["state"] == until)


def job_count(platform: Platform) -> int:
    with platform.sessions() as session:
        return len(session.query(JobRow).all())


def test_a_dp_job_runs_through_the_broker_and_waits_for_review(
    world: World, platform: Platform
) -> None:
    ledger = SqlLedger(platform.sessions)
    before = ledger.remaining(world.grants["dp"], "jobs_cond")
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=DP_MODEL, params={"upper": 100000})
    assert job["state"] == "queued" and job["backend"] and job["params"] == {"upper": 100000}
    done = wait(world, job["id"])
    assert done["state"] == "pending_review", done
    assert done["outcome"] == "ok" and done["result"] is None  # nothing before review
    assert done["progress"]["dp_calls"] == 2
    assert [r["operation"] for r in done["releases"]] == ["count", "mean"]
    after = ledger.remaining(world.grants["dp"], "jobs_cond")
    assert after < before
    with world.api("user") as api:
        log = api.job_log(job["id"])
    assert log["held"] and log["lines"] == []  # what the model logged waits for the review
    with platform.sessions() as session:
        row = session.get(JobRow, job["id"])
        assert row is not None and set(row.result) == {"total", "by_district"}
        entries = audit.list_entries(
            session, AuditQuery(object_type="job", object_id=str(job["id"]))
        )
    assert [e.action for e in entries] == [
        "job.submit",
        "job.queued",
        "job.running",
        "job.checking",
        "job.pending_review",
    ]
    assert all(e.detail.get("datasets", {}).get("jobs_cond") == 1 for e in entries)


def test_a_vetted_model_runs_by_name(world: World) -> None:
    with world.api("user") as api:
        names = [m["name"] for m in api.list_algorithms()]
        assert "mean_by_group" in names
        job = api.submit_job(
            ["jobs_cond"],
            model="mean_by_group",
            params={
                "dataset": "jobs_cond",
                "group": "district",
                "column": "age",
                "lower": 0,
                "upper": 110,
                "epsilon": 0.2,
            },
        )
    done = wait(world, job["id"])
    assert done["state"] == "pending_review" and done["model"] == "mean_by_group", done


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (
            {
                "datasets": ["jobs_cond"],
                "source": "def run(ctx):\n    return open('/etc/passwd')\n",
            },
            422,
            "Line 2",
        ),
        ({"datasets": ["jobs_cond"], "source": DP_MODEL, "params": {"upper": "x"}}, 422, "upper"),
        ({"datasets": ["jobs_cond"], "source": DP_MODEL, "params": {"nope": 1}}, 422, "nope"),
        ({"datasets": ["jobs_cond"], "source": DP_MODEL, "model": "count_rows"}, 422, "not both"),
        ({"datasets": ["jobs_cond"]}, 422, "source"),
        ({"datasets": ["jobs_cond"], "model": "no_such_model"}, 422, "no_such_model"),
        ({"datasets": ["nope"], "source": DP_MODEL}, 403, "nope"),
        ({"datasets": ["jobs_cond"], "source": DP_MODEL, "kind": "raw"}, 403, "raw"),
        ({"datasets": ["jobs_cond"], "source": DP_MODEL, "kind": "weird"}, 422, "kind"),
        ({"datasets": [], "source": DP_MODEL}, 422, "datasets"),
        ({"datasets": ["jobs_cond", "jobs_cond"], "source": DP_MODEL}, 422, "twice"),
        (
            {"datasets": ["jobs_cond"], "source": "import os\n\ndef run(ctx):\n    return 1\n"},
            422,
            "os",
        ),
    ],
)
def test_bad_submissions_are_refused_naming_the_problem_and_store_nothing(
    world: World, platform: Platform, body: dict[str, Any], status: int, needle: str
) -> None:
    before = job_count(platform)
    with world.client("user") as user:
        response = user.post("/v1/jobs", json=body)
    assert response.status_code == status, response.text
    assert needle in response.json()["message"], response.json()
    assert job_count(platform) == before


def test_only_users_with_a_grant_submit(world: World) -> None:
    for who, status in (("provider", 403), ("user2", 403), ("admin", 403)):
        with world.client(who) as client:
            response = client.post("/v1/jobs", json={"datasets": ["jobs_cond"], "source": DP_MODEL})
        assert response.status_code == status, (who, response.text)


def test_a_failing_model_fails_with_its_own_error_line(world: World) -> None:
    source = '"""Fails."""\n\ndef run(ctx):\n    x = 1\n    return x / 0\n'
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=source)
    done = wait(world, job["id"])
    assert done["state"] == "failed" and done["outcome"] == "model_error"
    assert done["state_reason"] == "the model raised an error"
    # Under manual review the error text is held; its author sees the platform's facts.
    assert done["errors"] == [] and done["held"]
    assert done["progress"]["failure"] == {"exception": "ZeroDivisionError", "line": 5}
    with world.api("reviewer") as api:
        assert api.get_job(int(job["id"]))["errors"] == [
            "Line 5: ZeroDivisionError: division by zero"
        ]


def test_a_budget_refusal_reaches_the_model_as_a_clear_error(world: World) -> None:
    source = (
        '"""Too greedy."""\n\ndef run(ctx):\n'
        '    return ctx.dataset("jobs_cond").count(epsilon=50)\n'
    )
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=source)
    done = wait(world, job["id"])
    assert done["state"] == "failed" and done["progress"]["dp_calls"] == 0
    assert done["progress"]["failure"]["exception"] == "DPError"
    assert done["progress"]["refusals"] == [{"call": "count", "reason": "budget"}]
    with world.api("reviewer") as api:
        errors = api.get_job(int(job["id"]))["errors"]
    assert "DPError" in errors[0] and "epsilon" in errors[0].lower()


def test_a_job_past_its_time_limit_is_stopped_and_reported(
    world: World, platform: Platform
) -> None:
    with world.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/jobs_susp/policy",
                json={"document": {"job_limits": {"wall_seconds": 2, "cpu_seconds": 2}}},
            )
        )
    with world.api("user") as api:
        job = api.submit_job(["jobs_susp"], source=FOREVER)
    done = wait(world, job["id"])
    assert done["state"] == "failed" and done["outcome"] == "timed_out", done
    assert "time limit" in done["state_reason"]


def test_cancel_stops_a_running_job_within_a_second(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=FOREVER)
        wait(world, job["id"], until="running")
        asked = time.monotonic()
        api.cancel_job(job["id"])
        done = wait(world, job["id"])
        took = time.monotonic() - asked
    assert done["state"] == "cancelled" and done["state_reason"] == "cancelled by its owner"
    assert took < 3, took
    with world.api("user") as api, pytest.raises(SandboxAPIError) as refused:
        api.cancel_job(job["id"])
    assert refused.value.status == 409


def test_others_cannot_see_or_cancel_a_job(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=FOREVER)
    try:
        with world.client("user2") as other:
            assert other.get(f"/v1/jobs/{job['id']}").status_code == 404
            assert other.post(f"/v1/jobs/{job['id']}/cancel").status_code == 404
            assert all(j["id"] != job["id"] for j in other.get("/v1/jobs").json())
        with world.client("other_provider") as stranger:
            assert stranger.get(f"/v1/jobs/{job['id']}").status_code == 404
        with world.client("reviewer") as reviewer:  # the granting organisation's reviewer
            assert reviewer.get(f"/v1/jobs/{job['id']}").status_code == 200
            assert reviewer.post(f"/v1/jobs/{job['id']}/cancel").status_code == 403
    finally:
        with world.api("user") as api:
            api.cancel_job(job["id"])
        wait(world, job["id"])


def test_a_suspension_stops_running_jobs_and_refuses_new_ones(world: World) -> None:
    with world.api("user") as api:
        running = api.submit_job(["jobs_susp"], source=FOREVER)
        wait(world, running["id"], until="running")
    with world.client("provider") as provider:
        ok(
            provider.post(
                "/v1/datasets/jobs_susp/suspend", json={"reason": "complaint under investigation"}
            ),
            201,
        )
    try:
        done = wait(world, running["id"])
        assert done["state"] == "cancelled" and "suspended" in done["state_reason"], done
        with world.client("user") as user:
            refused = user.post("/v1/jobs", json={"datasets": ["jobs_susp"], "source": FOREVER})
        assert refused.status_code == 403 and "suspended" in refused.json()["message"]
    finally:
        with world.client("provider") as provider:
            ok(
                provider.post(
                    "/v1/datasets/jobs_susp/suspension/resolve", json={"outcome": "restore"}
                )
            )


RAW_MODEL = '''"""Reads raw rows and tries to hand them back."""


def run(ctx):
    table = ctx.table("jobs_raw")
    ids = table.column("pid")
    ctx.log("first id: " + ids[0])
    return {"rows": table.num_rows}
'''


def test_a_raw_job_reads_rows_inside_the_sandbox_and_everything_is_held(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["jobs_raw"], source=RAW_MODEL, kind="raw")
        done = wait(world, job["id"])
        log = api.job_log(job["id"])
        listed = api.list_jobs()
    assert done["state"] == "pending_review" and done["held"], done
    assert (
        done["result"] is None
        and done["errors"] == []
        and log == {"job_id": job["id"], "entries": [], "lines": [], "held": True}
    )
    for payload in (done, log, listed):
        assert SECRET_MARKER not in str(payload)
    with world.client("reviewer") as reviewer:  # the provider's reviewer sees what is held
        seen = reviewer.get(f"/v1/jobs/{job['id']}/log").json()
    assert seen["lines"][0].startswith("first id: " + SECRET_MARKER)


def test_a_dp_job_has_no_raw_access(world: World) -> None:
    source = '"""Tries raw access."""\n\ndef run(ctx):\n    return ctx.table("jobs_cond").rows()\n'
    with world.api("user") as api:
        job = api.submit_job(["jobs_cond"], source=source)
    done = wait(world, job["id"])
    assert done["state"] == "failed" and done["progress"]["failure"] == {
        "exception": "PermissionError",
        "line": 4,
    }
    with world.api("reviewer") as api:
        assert "no raw access" in api.get_job(int(job["id"]))["errors"][0]
    assert SECRET_MARKER not in str(done)

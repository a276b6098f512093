"""What the outside fault runs found, over the real HTTP server, Ray and the strongest sandbox:
an argument the channel cannot carry is the model's own catchable error and charges nothing,
and a model's log lines reach every view as the model's, however they imitate the platform.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.jobs.runner import sandbox_instance
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.runtime.backends import DockerBackend, default_registry
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

UNSENDABLE_MODEL = '''"""Asks for counts with arguments the channel cannot carry; catches each."""


def run(ctx):
    people = ctx.dataset("rf_auto")
    caught = []
    for value in (float("nan"), 10 ** 400, {1, 2}, "x" * (12 * 1024 * 1024)):
        try:
            people.count(epsilon=value)
        except DPArgumentError as exc:
            caught.append(str(exc))
    for line in caught:
        ctx.log(line)
    return {"refused": len(caught)}
'''

IMITATIONS = ["[platform] log truncated", "\x1b[2J", "a\x00b", "\u202eevil\u202c"]

LOGGING_MODEL = f'''"""Logs lines that imitate the platform, and too much."""


def run(ctx):
    for line in {IMITATIONS!r}:
        ctx.log(line)
    ctx.log("y" * (2 * 1024 * 1024))
    return {{"logged": 4}}
'''


FOREVER = '''"""Never ends."""


def run(ctx):
    n = 0
    while True:
        n = n + 1
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {"rf_auto": "conditional"})
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/rf_auto/policy", json={"document": {"review": {"mode": "auto_dp"}}}
            )
        )
    made.grants["auto"] = grant(made, "user", ["rf_auto"])["ref"]
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def run_job(world: World, source: str) -> dict[str, Any]:
    with world.api("user") as api:
        job = api.submit_job(["rf_auto"], source=source)
        return api.wait_for_job(int(job["id"]), timeout=120)


def test_unsendable_arguments_are_caught_by_the_model_and_charge_nothing(
    world: World, platform: Platform
) -> None:
    ledger = SqlLedger(platform.sessions)
    before = ledger.remaining(world.grants["auto"], "rf_auto")
    job = run_job(world, UNSENDABLE_MODEL)
    assert job["outcome"] == "ok", job  # not "crashed": the job went on
    assert job["releases"] == [] and job["progress"].get("dp_calls", 0) == 0
    assert ledger.remaining(world.grants["auto"], "rf_auto") == before
    with world.client("user") as user:
        log = ok(user.get(f"/v1/jobs/{job['id']}/log"))
    assert len(log["lines"]) == 4
    assert all(line.startswith("count(): argument 'epsilon' ") for line in log["lines"])
    assert "too large" in log["lines"][3] and "xxx" not in log["lines"][3]


def test_a_models_imitations_reach_every_view_as_the_models(world: World) -> None:
    job = run_job(world, LOGGING_MODEL)
    assert job["outcome"] == "ok", job
    assert job["progress"]["log_truncated"] is True
    with world.client("user") as user:
        log = ok(user.get(f"/v1/jobs/{job['id']}/log"))
    assert not log["held"]
    assert log["lines"] == IMITATIONS  # verbatim, the NUL byte too
    assert log["entries"][:-1] == [{"source": "model", "text": line} for line in IMITATIONS]
    assert log["entries"][-1]["source"] == "platform"
    assert log["entries"][-1]["text"].startswith("log truncated: ")
    shown = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "jobs", "log", str(job["id"])],
        env={
            **world.server.env,
            "SANDBOX_URL": world.server.url,
            "SANDBOX_TOKEN": world.tokens["user"],
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.splitlines() == [
        "model    | [platform] log truncated",
        "model    | \\x1b[2J",
        "model    | a\\x00b",
        "model    | \\u202eevil\\u202c",
        "platform | " + log["entries"][-1]["text"],
    ]


def test_a_running_jobs_container_carries_its_platform_and_job(
    world: World, docker_engine: str
) -> None:
    """What lets the platform find a container its killed runner left
    (``tests/jobs/test_orphaned_sandboxes.py``): labelled with the platform instance, and
    with the job (a container started ahead of demand is named for its job when taken)."""
    docker = default_registry().get("docker")
    assert isinstance(docker, DockerBackend)
    instance = sandbox_instance(world.server.settings)
    with world.api("user") as api:
        for _ in range(2):  # the second may run in a container started ahead of demand
            job = api.submit_job(["rf_auto"], source=FOREVER)
            try:
                api.wait_for_job(job["id"], timeout=60, until=lambda j: j["state"] == "running")
                deadline, found = time.monotonic() + 30, list[str]()
                while not found and time.monotonic() < deadline:
                    found = [
                        s.name
                        for s in docker.owned_sandboxes(instance)
                        if s.job_id == job["id"] and not s.waiting
                    ]
                    time.sleep(0.2)
                assert len(found) == 1 and found[0].startswith("sandbox-run-"), found
            finally:
                api.cancel_job(job["id"])
                api.wait_for_job(job["id"], timeout=60)

"""The job lifecycle when things go wrong: a platform restart resumes or fails every
unfinished job (none lost, none charged twice), a Ray worker that dies leaves its job failed
and not ``running``; the leak trace lists jobs; the CLI follows a job live.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sandbox.identity.model import Actor, Role
from sandbox.jobs.submission import JobRequest, submit_job
from sandbox.runtime.backends import default_registry
from sandbox.runtime.vetted import VettedModels
from sandbox.store import transaction
from sandbox.store.models import BudgetChargeRow, JobRow
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]

COUNT_THEN_LOOP = '''"""Charges one count, then never ends."""


def run(ctx):
    ctx.dataset("life_cond").count(epsilon=0.1)
    n = 0
    while True:
        n = n + 1
'''

QUICK = '''"""One count."""


def run(ctx):
    return ctx.dataset("life_cond").count(epsilon=0.1)
'''


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lifecycle") / "var"


@pytest.fixture(scope="module")
def server(var_dir: Path, ray_address: str) -> Iterator[list[LiveServer]]:
    """The current server in a one-item list, so a test can restart it."""
    holder = [start_server(var_dir, {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV})]
    yield holder
    stop_server(holder[0])


@pytest.fixture(scope="module")
def world(server: list[LiveServer]) -> World:
    made = build_world(server[0], {"life_cond": "conditional"})
    made.grants["dp"] = grant(made, "user", ["life_cond"])["ref"]
    return made


def wait_state(world: World, job_id: int, states: set[str], timeout: float = 60) -> dict[str, Any]:
    with world.api("user") as api:
        return api.wait_for_job(job_id, timeout=timeout, until=lambda j: j["state"] in states)


def charges(world: World) -> int:
    platform = world.server.open_platform()
    try:
        with platform.sessions() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(BudgetChargeRow)
                    .where(BudgetChargeRow.grant_ref == world.grants["dp"])
                ).scalar_one()
            )
    finally:
        platform.close()


def ray_task_pids(ray_address: str, title: str = "ray::execute_job") -> list[int]:
    """Processes whose title says they run a job task (Ray renames its workers), started by
    the raylet of the cluster at ``ray_address`` (its temp dir is named after its port):
    another test's server running beside this one under xdist has job workers too, and
    killing those failed that test's jobs.
    """
    cluster = f"/ray-tests-{ray_address.rsplit(':', 1)[1]}/"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            parent_cmdline = Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if cmdline.startswith(title.encode()) and cluster.encode() in parent_cmdline:
            found.append(int(entry.name))
    return found


def charged_and_looping(world: World, job_id: int) -> None:
    """Wait until the job made its DP call and loops."""
    with world.api("user") as api:
        api.wait_for_job(
            job_id,
            timeout=60,
            until=lambda j: j["state"] == "running" and j["progress"]["dp_calls"] >= 1,
        )


def test_a_dead_worker_leaves_its_job_failed_and_charged_once(
    world: World, ray_address: str
) -> None:
    with world.api("user") as api:
        job = api.submit_job(["life_cond"], source=COUNT_THEN_LOOP)
    charged_and_looping(world, job["id"])
    spent = charges(world)
    pids = ray_task_pids(ray_address)
    assert pids, "no Ray worker runs the job"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    done = wait_state(world, job["id"], {"failed", "cancelled"})
    assert done["state"] == "failed" and "worker" in done["state_reason"], done
    assert charges(world) == spent  # the count stays charged once; nothing ran again


def test_a_restart_fails_running_jobs_and_resumes_submitted_ones(
    world: World, server: list[LiveServer], var_dir: Path, ray_address: str
) -> None:
    with world.api("user") as api:
        running = api.submit_job(["life_cond"], source=COUNT_THEN_LOOP)
    charged_and_looping(world, running["id"])
    spent = charges(world)
    # A job stored but never queued: as if the server died between the two transactions.
    platform = world.server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            user = Actor(world.ids["user"], "user", Role.USER)
            stranded = submit_job(
                session,
                user,
                JobRequest(datasets=["life_cond"], source=QUICK),
                models=VettedModels(),
                registry=default_registry(),
            ).id
    finally:
        platform.close()
    stop_server(server[0])
    server[0] = start_server(var_dir, {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV})
    world.server = server[0]
    failed = wait_state(world, running["id"], {"failed"})
    assert "restarted" in failed["state_reason"] and failed["outcome"] == "interrupted"
    resumed = wait_state(world, stranded, {"pending_review", "failed"})
    assert resumed["state"] == "pending_review", resumed
    assert charges(world) == spent + 1  # the resumed job's one count; none charged twice
    platform = world.server.open_platform()
    try:
        with platform.sessions() as session:
            unfinished = session.execute(
                select(func.count())
                .select_from(JobRow)
                .where(JobRow.state.in_(["submitted", "queued", "running", "checking"]))
            ).scalar_one()
    finally:
        platform.close()
    assert unfinished == 0


def test_the_leak_trace_lists_every_job_on_the_version(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["life_cond"], source=QUICK)
        api.wait_for_job(job["id"])
    with world.client("provider") as provider:
        trace = provider.get("/v1/datasets/life_cond/trace?version=1").json()
    job_items = [
        i
        for i in trace["data"]
        if i["kind"] == "job" and i["detail"].get("datasets") == {"life_cond": 1}
    ]
    actions = [i["action"] for i in job_items]
    assert {"job.submit", "job.running", "job.pending_review"} <= set(actions)
    assert all(i["version"] == 1 for i in job_items)
    with world.client("provider") as provider:
        other = provider.get("/v1/datasets/life_cond/trace?version=2")
    assert other.status_code in (404, 422) or not [
        i for i in other.json()["data"] if i["kind"] == "job"
    ]


def test_the_cli_submits_follows_and_shows_a_job(world: World, tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(QUICK.replace('"""One count."""', '"""One count."""\n\n# cli'))
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens["user"])

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    submitted = cli("jobs", "submit", "life_cond", "--source", str(model))
    assert "pending_review" in submitted.stdout and "submitted" in submitted.stderr
    assert "dp calls: 1" in submitted.stderr  # the live line's last state
    listed = cli("jobs", "list")
    assert "life_cond" in listed.stdout
    job_id = listed.stdout.split("\n")[3].split("│")[1].strip()
    shown = cli("jobs", "show", job_id, "--json")
    assert '"state": "pending_review"' in shown.stdout
    assert "count_rows" in cli("jobs", "algorithms").stdout
    bad = cli(
        "jobs", "submit", "life_cond", "--model", "count_rows", "-p", "epsilon=abc", check=False
    )
    assert bad.returncode == 1 and "error:" in bad.stderr and "Traceback" not in bad.stderr

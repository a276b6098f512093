"""The platform on a real two-node Ray cluster (:mod:`tests.support.ray_nodes`: a head
without CPUs, a worker node, token authentication): the private local default never joins
a cluster the environment points at; with the address configured, job tasks and the engine's
partial-aggregate tasks run on the cluster's worker node; a killed worker node fails its job
with a clear reason; a killed head leaves the API answering, ``/v1/ready`` naming compute,
jobs queued with the reason, and compute resumes once the head is back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.ray_nodes import WORKER_RESOURCE, RayNodes
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

REPO = Path(__file__).resolve().parents[2]

QUICK = '''"""One count."""


def run(ctx):
    return ctx.dataset("cl_cond").count(epsilon=0.1)
'''

COUNT_THEN_LOOP = '''"""Charges one count, then never ends."""


def run(ctx):
    ctx.dataset("cl_cond").count(epsilon=0.1)
    n = 0
    while True:
        n = n + 1
'''

RAN = {"succeeded", "pending_review"}
"""States of a job that ran to its end (a DP result may wait for its review)."""

PROBE = """
import json, sys
from pathlib import Path
import ray
from sandbox.config import Settings
from sandbox.engine.compute import RayTaskPool
from sandbox.engine.ray_session import ensure_ray

def node():
    return ray.get_runtime_context().get_node_id()

settings = Settings.model_validate_json(sys.argv[1])
ensure_ray(settings, num_cpus=1)
pool = RayTaskPool(settings)
seen = sorted(set(pool.map(node, [()] * 8)))
print(json.dumps({
    "gcs": ray.get_runtime_context().gcs_address,
    "driver_node": ray.get_runtime_context().get_node_id(),
    "task_nodes": seen,
    "nodes": [
        {"id": n["NodeID"], "worker": "WORKER_RESOURCE" in n["Resources"]}
        for n in ray.nodes() if n["Alive"]
    ],
}))
""".replace("WORKER_RESOURCE", WORKER_RESOURCE)


def probe(settings: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Connect as the platform does, in a fresh process, and report where tasks ran."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, json.dumps(settings)],
        capture_output=True,
        timeout=300,
        check=False,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def without_ray_auth(nodes: RayNodes) -> dict[str, str]:
    """The cluster's environment minus Ray's token variables: settings must suffice."""
    return {k: v for k, v in nodes.env().items() if not k.startswith("RAY_AUTH")}


def test_the_private_local_default_does_not_join_the_cluster_ray_address_names(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    env = {**ray_nodes.env(), "RAY_ADDRESS": ray_nodes.address}
    seen = probe({"var_dir": str(tmp_path / "var")}, env)
    assert not seen["gcs"].endswith(f":{ray_nodes.port}")
    assert not any(node["worker"] for node in seen["nodes"]), seen
    assert seen["task_nodes"] == [seen["driver_node"]]


def test_with_the_address_engine_tasks_run_on_the_worker_node(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    settings = {
        "var_dir": str(tmp_path / "var"),
        "ray_address": ray_nodes.address,
        "ray_auth_token": ray_nodes.token,
    }
    seen = probe(settings, without_ray_auth(ray_nodes))
    workers = {node["id"] for node in seen["nodes"] if node["worker"]}
    assert seen["gcs"].endswith(f":{ray_nodes.port}")
    assert workers and set(seen["task_nodes"]) == workers, seen


def test_without_the_token_the_join_fails_and_readiness_says_so(
    ray_nodes: RayNodes, tmp_path: Path
) -> None:
    env = {**without_ray_auth(ray_nodes), "SANDBOX_RAY_ADDRESS": ray_nodes.address}
    server = start_server(tmp_path / "var", env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            answer = httpx.get(f"{server.url}/v1/ready", timeout=30)
            if answer.status_code == 503:
                break
            time.sleep(1)
        assert answer.status_code == 503 and answer.json()["not_ready"] == ["compute"]
        assert ray_nodes.address not in answer.text and ray_nodes.token not in answer.text
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def server(ray_nodes: RayNodes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {
        **without_ray_auth(ray_nodes),
        "SANDBOX_RAY_ADDRESS": ray_nodes.address,
        "SANDBOX_RAY_AUTH_TOKEN": ray_nodes.token,
        "SANDBOX_RUNTIME_BACKEND": "subprocess",
    }
    live = start_server(tmp_path_factory.mktemp("cluster") / "var", env)
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    made = build_world(server, {"cl_cond": "conditional"})
    made.grants["dp"] = grant(made, "user", ["cl_cond"])["ref"]
    return made


def ready(server: LiveServer) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/ready", timeout=30)


def wait_job(world: World, job_id: int, until: Any, timeout: float = 180) -> dict[str, Any]:
    with world.api("user") as api:
        job: dict[str, Any] = api.wait_for_job(job_id, timeout=timeout, until=until)
        return job


def test_jobs_run_on_the_cluster_and_readiness_is_200(world: World) -> None:
    answer = ready(world.server)
    assert answer.status_code == 200, answer.text
    assert answer.json()["parts"]["compute"] == "ready"
    with world.api("user") as api:
        job = api.submit_job(["cl_cond"], source=QUICK)
    done = wait_job(world, job["id"], lambda j: j["state"] in RAN | {"failed"})
    assert done["state"] in RAN, done  # the head has no CPU: it ran on the worker node


def test_a_killed_worker_node_leaves_its_job_failed_with_a_clear_reason(
    world: World, ray_nodes: RayNodes
) -> None:
    with world.api("user") as api:
        job = api.submit_job(["cl_cond"], source=COUNT_THEN_LOOP)
    wait_job(world, job["id"], lambda j: j["state"] == "running" and j["progress"]["dp_calls"] >= 1)
    ray_nodes.kill_worker()
    try:
        done = wait_job(world, job["id"], lambda j: j["state"] in {"failed", "cancelled"})
    finally:
        ray_nodes.start_worker()
    assert done["state"] == "failed", done
    assert done["state_reason"] in {
        "the compute node running the job was lost; start it again",
        "the worker running the job stopped; start it again",
    }, done


@pytest.mark.slow
def test_without_the_head_the_api_answers_jobs_wait_and_compute_resumes(
    world: World, ray_nodes: RayNodes
) -> None:
    ray_nodes.kill_worker()
    ray_nodes.kill_head()
    try:
        deadline = time.monotonic() + 60
        while ready(world.server).status_code != 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        answer = ready(world.server)
        assert answer.status_code == 503 and answer.json()["not_ready"] == ["compute"]
        with world.api("user") as api:
            job = api.submit_job(["cl_cond"], source=QUICK)
        waiting = wait_job(world, job["id"], lambda j: j["state_reason"] == "compute unavailable")
        assert waiting["state"] == "queued"
        # Past the minute after which a Ray driver that lost its cluster kills its process.
        time.sleep(75)
        catalog = httpx.get(
            f"{world.server.url}/v1/datasets",
            headers={"Authorization": f"Bearer {world.tokens['user']}"},
            timeout=30,
        )
        assert catalog.status_code == 200, catalog.text
        assert world.server.process.poll() is None
        with world.api("user") as api:
            assert api.get_job(job["id"])["state"] == "queued"
    finally:
        ray_nodes.start_head()
        ray_nodes.start_worker()
    done = wait_job(world, job["id"], lambda j: j["state"] in RAN | {"failed"}, timeout=300)
    assert done["state"] in RAN, done
    assert ready(world.server).status_code == 200
    log = world.server.log_path.read_text(errors="replace")
    assert log.count("compute: the Ray cluster was lost") == 1, log[-3000:]

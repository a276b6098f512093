"""Operations over the real server, its Ray head and sandbox: ``/metrics`` counts what
happened (a DP job's charges and sandbox, a refused charge, a failed request), a request id
travels from the header into the job and every log line about it (the server's and the Ray
worker's), the log is JSON, metric labels hold no user's or dataset's values, and
``/metrics`` refuses callers from elsewhere unless they hold the operator's token.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.datafiles import SECRET_MARKER
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

METRICS_TOKEN = "obs-operator-" + uuid.uuid4().hex

DP_MODEL = '''"""Counts and mean income by district."""


def run(ctx):
    people = ctx.dataset("obs_cond")
    total = people.count(epsilon=0.2)
    by_district = people.group_by("district").mean("income", lower=0, upper=100000, epsilon=0.3)
    ctx.log("counted")
    return {"total": total, "by_district": by_district}
'''

OVERSPENDING_MODEL = '''"""Two counts where the grant pays for one."""


def run(ctx):
    people = ctx.dataset("obs_tight")
    first = people.count(epsilon=0.2)
    second = people.count(epsilon=0.2)
    return {"first": first, "second": second}
'''

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def obs_server(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[LiveServer]:
    """A job server (the session's Ray head) with an operator's metrics token and JSON logs."""
    server = start_server(
        tmp_path_factory.mktemp("obs") / "var",
        {
            "SANDBOX_RAY_ADDRESS": ray_address,
            **RAY_ENV,
            "SANDBOX_METRICS_TOKEN": METRICS_TOKEN,
            "SANDBOX_LOG_FORMAT": "json",
        },
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def world(obs_server: LiveServer) -> World:
    made = build_world(obs_server, {"obs_cond": "conditional", "obs_tight": "conditional"})
    made.grants["dp"] = grant(made, "user", ["obs_cond"])["ref"]
    made.grants["tight"] = grant(made, "user", ["obs_tight"], grant_budget=0.3)["ref"]
    return made


def scrape(server: LiveServer) -> tuple[Samples, str]:
    response = httpx.get(f"{server.url}/metrics", timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, response.text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_once_replayed(
    server: LiveServer, before: Samples, name: str, expected: float, **labels: str
) -> tuple[Samples, str]:
    """The metrics once ``name`` has moved by ``expected`` since ``before`` (or at the timeout).

    A job's events are counted in its Ray task and replayed by the server's dispatcher when
    it reaps the finished task, a poll after the job's final state is committed: a client
    that sees the state at once can scrape before the replay (as Prometheus, every 15 s, can).
    """
    deadline = time.monotonic() + 60
    while True:
        samples, text = scrape(server)
        moved = value(samples, name, **labels) - value(before, name, **labels)
        if moved >= expected or time.monotonic() > deadline:
            return samples, text
        time.sleep(0.2)


def submit(world: World, source: str, datasets: list[str], request_id: str) -> httpx.Response:
    with world.client("user") as user:
        return user.post(
            "/v1/jobs",
            json={"datasets": datasets, "source": source, "kind": "dp"},
            headers={"X-Request-ID": request_id},
        )


def wait(world: World, job_id: int, timeout: float = 180) -> dict[str, Any]:
    with world.api("user") as api:
        return dict(api.wait_for_job(job_id, timeout=timeout))


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The log's JSON lines (a Ray core line written by C++ is not one of the platform's)."""
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def worker_log_dir(ray_address: str) -> Path:
    """Where the session's Ray head (``--temp-dir=/tmp/ray-tests-<port>``) keeps worker logs."""
    port = ray_address.rsplit(":", 1)[1]
    return Path(f"/tmp/ray-tests-{port}/session_latest/logs")


def test_a_dp_job_and_a_failed_request_move_the_counters(world: World) -> None:
    server = world.server
    before, _ = scrape(server)
    with world.client("user") as user:
        assert user.get("/v1/jobs/987654").status_code == 404
    submitted = submit(world, DP_MODEL, ["obs_cond"], f"obs-dp-{uuid.uuid4().hex}")
    assert submitted.status_code == 201, submitted.text
    done = wait(world, submitted.json()["id"])
    assert done["state"] == "pending_review", done
    after, text = scrape_once_replayed(
        server, before, "sandbox_dp_charges_total", 2, accounting="pure"
    )

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sandbox_dp_charges_total", accounting="pure") == 2  # count and mean
    assert moved("sandbox_dp_loss_charged_total", accounting="pure") == pytest.approx(0.5)
    backend = done["backend"]
    assert moved("sandbox_sandbox_starts_total", backend=backend) == 1
    assert moved("sandbox_sandbox_run_seconds_count", backend=backend) == 1
    route = {"method": "GET", "route": "/v1/jobs/{job_id}"}
    assert moved("sandbox_http_request_duration_seconds_count", **route, status="4xx") >= 1
    posted = {"method": "POST", "route": "/v1/jobs", "status": "2xx"}
    assert moved("sandbox_http_request_duration_seconds_count", **posted) == 1
    assert value(after, "sandbox_jobs", state="pending_review") >= 1
    assert value(after, "sandbox_job_queue_depth") >= 0
    for part in ("database", "storage", "compute", "sandbox"):
        assert value(after, "sandbox_ready", part=part) == 1, text
    assert value(after, "sandbox_ready_all") == 1


def test_a_refused_charge_is_counted_and_the_failed_job_timed(world: World) -> None:
    before, _ = scrape(world.server)
    submitted = submit(world, OVERSPENDING_MODEL, ["obs_tight"], f"obs-tight-{uuid.uuid4().hex}")
    assert submitted.status_code == 201, submitted.text
    done = wait(world, submitted.json()["id"])
    assert done["state"] == "failed" and done["outcome"] == "model_error", done
    after, _ = scrape_once_replayed(
        world.server, before, "sandbox_ledger_refusals_total", 1, budget="grant"
    )

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sandbox_ledger_refusals_total", budget="grant") == 1
    assert moved("sandbox_dp_charges_total", accounting="pure") == 1  # the first count only
    assert moved("sandbox_job_duration_seconds_count", kind="dp", state="failed") == 1
    assert moved("sandbox_sandbox_failures_total", backend=done["backend"], reason="crashed") == 0


def test_a_request_id_travels_into_the_job_and_its_log_lines(
    world: World, ray_address: str
) -> None:
    request_id = f"obs-trace-{uuid.uuid4().hex}"
    submitted = submit(world, DP_MODEL, ["obs_cond"], request_id)
    assert submitted.status_code == 201, submitted.text
    assert submitted.headers["X-Request-ID"] == request_id
    job_id = submitted.json()["id"]
    assert submitted.json()["request_id"] == request_id
    wait(world, job_id)
    with world.client("user") as user:
        assert user.get(f"/v1/jobs/{job_id}").json()["request_id"] == request_id

    lines = [line for line in json_lines(world.server.log_path) if line.get("request_id")]
    mine = [line for line in lines if line["request_id"] == request_id]
    request_line = [line for line in mine if line["logger"] == "sandbox.http"]
    assert request_line and request_line[0]["route"] == "/v1/jobs", mine
    assert request_line[0]["status"] == 201 and request_line[0]["method"] == "POST"
    dispatched = [line for line in mine if line.get("job_id") == job_id]
    assert any("dispatched to Ray" in line["message"] for line in dispatched), mine

    worker_lines = []
    for path in worker_log_dir(ray_address).glob("worker-*"):
        for line in path.read_text(errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                worker_lines.append(json.loads(line))
    assert worker_lines, "no Ray worker line carries the request id"
    assert all(line["job_id"] == job_id for line in worker_lines)
    assert any("its run starts" in line["message"] for line in worker_lines)


def test_request_ids_over_http(obs_server: LiveServer) -> None:
    given = httpx.get(f"{obs_server.url}/v1/health", headers={"X-Request-ID": "abc.DEF:1-2_3"})
    assert given.headers["X-Request-ID"] == "abc.DEF:1-2_3"
    for forged in ('x" injected', "a" * 65, "", "line\tbreak"):
        answered = httpx.get(f"{obs_server.url}/v1/health", headers={"X-Request-ID": forged})
        made = answered.headers["X-Request-ID"]
        assert made != forged and len(made) == 32 and made.isalnum()
    fresh = {httpx.get(f"{obs_server.url}/v1/health").headers["X-Request-ID"] for _ in range(3)}
    assert len(fresh) == 3  # one per request
    failed = httpx.get(f"{obs_server.url}/v1/no-such-thing", headers={"X-Request-ID": "nf-1"})
    assert failed.status_code == 404 and failed.headers["X-Request-ID"] == "nf-1"


def test_the_log_is_json_and_holds_no_data(world: World, ray_address: str) -> None:
    text = world.server.log_path.read_text(errors="replace")
    lines = json_lines(world.server.log_path)
    assert len(lines) > 10
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
        assert line["time"].endswith("Z")
    platform_lines = [line for line in text.splitlines() if '"logger": "sandbox' in line]
    assert platform_lines and all(line.startswith("{") for line in platform_lines)
    assert SECRET_MARKER not in text
    for path in worker_log_dir(ray_address).glob("worker-*"):
        assert SECRET_MARKER not in path.read_text(errors="replace")


def test_metric_labels_hold_platform_vocabulary_only(world: World) -> None:
    submitted = submit(world, DP_MODEL, ["obs_cond"], f"obs-labels-{uuid.uuid4().hex}")
    job_id = submitted.json()["id"]
    wait(world, job_id)
    with world.client("user") as user:
        user.get("/v1/datasets/obs_cond")
        user.get(f"/v1/jobs/{job_id}")
    samples, text = scrape(world.server)
    labels: dict[str, set[str]] = {}
    for _name, pairs in samples:
        for key, label in pairs:
            labels.setdefault(key, set()).add(label)
    assert set(labels) <= {
        "method",
        "route",
        "status",
        "kind",
        "state",
        "backend",
        "reason",
        "accounting",
        "budget",
        "part",
        "le",
        "generation",
    }, labels
    forbidden = [
        "obs_cond", "obs_tight", world.grants["dp"], world.grants["tight"], "North", "South",
        "East", SECRET_MARKER, f"/v1/jobs/{job_id}", "/v1/datasets/obs_cond",
    ]  # fmt: skip
    for word in forbidden:
        assert word not in text, word
    for route in labels["route"]:
        assert route == "unmatched" or route.startswith("/"), route
        assert not any(part.isdigit() for part in route.split("/")), route
    assert labels["status"] <= {"1xx", "2xx", "3xx", "4xx", "5xx"}


def test_metrics_refuse_callers_from_elsewhere_without_the_operator_token(
    world: World,
) -> None:
    url = f"{world.server.url}/metrics"
    # uvicorn takes the forwarded address from a loopback proxy: the caller is elsewhere
    elsewhere = {"X-Forwarded-For": "203.0.113.7"}
    refused = httpx.get(url, headers=elsewhere)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert "SANDBOX_METRICS_TOKEN" in refused.json()["message"]
    as_user = httpx.get(
        url, headers={**elsewhere, "Authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert as_user.status_code == 403  # a platform account's token is not the operator's
    wrong = httpx.get(url, headers={**elsewhere, "Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    operator = httpx.get(url, headers={**elsewhere, "Authorization": f"Bearer {METRICS_TOKEN}"})
    assert operator.status_code == 200 and "sandbox_jobs" in operator.text
    assert httpx.get(url).status_code == 200  # this host, no proxy: allowed

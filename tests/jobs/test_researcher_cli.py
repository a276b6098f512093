"""A researcher's loop on a real job, through the client and the CLI: each DP call of the job
is one charge naming the job and the call, read back over HTTP and printed by ``sandbox
grants budget``; once reviewed, ``sandbox results download`` saves the released result for
its owner alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

TWO_CALLS = '''"""A count and a mean."""


def run(ctx):
    people = ctx.dataset("rcli_cond")
    total = people.count(epsilon=0.1)
    by_district = people.group_by("district").mean("income", lower=0, upper=100000,
                                                   epsilon=0.2)
    return {"total": total, "by_district": by_district}
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {"rcli_cond": "conditional"})
    made.ids["grant"] = grant(made, "user", ["rcli_cond"], grant_budget=1)["id"]
    return made


@pytest.fixture(scope="module")
def job(world: World) -> dict[str, Any]:
    with world.api("user") as api:
        submitted = api.submit_job(["rcli_cond"], source=TWO_CALLS)
        done = api.wait_for_job(submitted["id"], timeout=180)
    assert done["state"] == "pending_review", done
    return dict(done)


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


def test_each_call_of_a_job_is_a_charge_naming_the_job(world: World, job: dict[str, Any]) -> None:
    with world.api("user") as api:
        budget = api.grant_budget(world.ids["grant"])
    [spending] = budget["datasets"]
    assert [(c["job_id"], c["call"], c["cost"]["loss"]) for c in spending["charges"]] == [
        (job["id"], "count", "0.1"),
        (job["id"], "mean", "0.2"),
    ]
    assert spending["charges"][1]["purpose"].startswith("mean of income by district on rcli_cond")
    assert (spending["spent"]["loss"], spending["remaining"]["loss"]) == ("0.3", "0.7")
    assert spending["lifetime_remaining"] is None

    shown = sandbox(world, "user", "grants", "budget", str(world.ids["grant"]))
    assert shown.returncode == 0, shown.stderr
    lines = [line.split()[:4] for line in shown.stdout.splitlines()]
    assert [str(job["id"]), "count", "0.1", "released"] in lines
    assert [str(job["id"]), "mean", "0.2", "released"] in lines


def test_results_download_saves_the_released_result(
    world: World, job: dict[str, Any], tmp_path: Path
) -> None:
    dest = tmp_path / "result.json"
    early = sandbox(world, "user", "results", "download", str(job["id"]), str(dest))
    assert early.returncode == 1 and early.stderr.startswith("error: ")
    with world.api("reviewer") as reviewer:
        reviewer.decide_review(int(job["id"]), "approve")
    done = sandbox(world, "user", "results", "download", str(job["id"]), str(dest))
    assert done.returncode == 0, done.stderr
    assert f"bytes to {dest}" in done.stderr
    assert set(json.loads(dest.read_text(encoding="utf-8"))) >= {"total", "by_district"}
    as_csv = tmp_path / "by_district.csv"
    table = sandbox(
        world,
        "user",
        "results",
        "download",
        str(job["id"]),
        str(as_csv),
        "--format",
        "csv",
        "--part",
        "by_district",
    )
    assert table.returncode == 0, table.stderr
    assert as_csv.read_text(encoding="utf-8").splitlines()[0].startswith("district")
    other = sandbox(
        world, "user2", "results", "download", str(job["id"]), str(tmp_path / "not_mine.json")
    )
    assert other.returncode == 1 and not (tmp_path / "not_mine.json").exists()

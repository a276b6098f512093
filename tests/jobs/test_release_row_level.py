"""Row-level output and zero cells over HTTP, on real raw-access job results.

The outside attack run returned fifty rows of microdata without their identifier column and
got a non-blocking flag; here every such result is rejected at once (its reason names the
rule, never a value) and never reaches its user. A verified table whose cells each rest on
one person is row-level too, even when the platform redacts its counts. A verified table's
zero cells reach the reviewer as ``zeros`` lines named by their key labels.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server


def raw_model(body: str) -> str:
    return f'"""A raw-access model."""\n\n\ndef run(ctx):\n{body}'


def zeros_table() -> pa.Table:
    """60 people: everyone in North is 30; South and East are half 30, half 60."""
    base = people_table(60)
    ages = [30 if i % 3 == 0 or (i // 3) % 2 == 0 else 60 for i in range(60)]
    return base.set_column(2, "age", pa.array(ages, type=pa.int64()))


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server,
        {"rl_raw": "conditional", "rl_redact": "conditional", "rl_zero": "conditional"},
        raw_policy_for=("rl_raw", "rl_redact", "rl_zero"),
        tables={"rl_zero": zeros_table()},
    )
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/rl_redact/policy",
                json={
                    "document": {
                        "job_limits": {"raw_access_allowed": True},
                        "row_count": {"redact_at_or_below": 2},
                    }
                },
            )
        )
    made.grants["raw"] = grant(
        made, "user", ["rl_raw", "rl_redact", "rl_zero"], job_kinds=["dp", "raw"]
    )["ref"]
    return made


def run_job(world: World, dataset: str, source: str) -> dict[str, Any]:
    with world.api("user") as api:
        job = api.submit_job([dataset], source=source, kind="raw", params={})
        return api.wait_for_job(int(job["id"]), timeout=120)


ROW_LEVEL = {
    "microdata without identifiers": (
        "rl_raw",
        raw_model(
            '    return [{"district": row["district"], "age": row["age"]}\n'
            '            for row in ctx.table("rl_raw").rows()]\n'
        ),
    ),
    "a column of values": (
        "rl_raw",
        raw_model('    return {"ages": ctx.table("rl_raw").column("age")}\n'),
    ),
    "a redacted table of single people": (
        "rl_redact",
        raw_model('    return {"by_age": ctx.crosstab("rl_redact", rows=["age"])}\n'),
    ),
}


@pytest.mark.parametrize("case", sorted(ROW_LEVEL))
def test_row_level_output_is_rejected_and_never_reaches_its_user(world: World, case: str) -> None:
    dataset, source = ROW_LEVEL[case]
    job = run_job(world, dataset, source)
    assert job["state"] == "rejected", job
    reason = job["state_reason"]
    assert reason.startswith("blocked by the output checks") and "row_level" in reason
    assert job["result"] is None and SECRET_MARKER not in json.dumps(job)
    assert "North" not in reason and "30" not in reason
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 404
    with world.client("reviewer") as reviewer:
        assert job["id"] not in [j["id"] for j in ok(reviewer.get("/v1/reviews"))]


def test_a_small_summary_still_goes_to_a_human(world: World) -> None:
    job = run_job(
        world,
        "rl_raw",
        raw_model(
            '    table = ctx.table("rl_raw")\n'
            '    return {"rows": table.num_rows, "columns": len(table.column_names)}\n'
        ),
    )
    assert job["state"] == "pending_review", job
    with world.client("reviewer") as reviewer:
        view = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    flagged = [line for line in view["check_report"]["lines"] if not line["passed"]]
    assert {line["rule"] for line in flagged} == {"unverifiable"}


def test_zero_cells_of_a_verified_table_are_flagged_for_the_reviewer(world: World) -> None:
    job = run_job(
        world,
        "rl_zero",
        raw_model('    return {"t": ctx.crosstab("rl_zero", rows=["district"], cols=["age"])}\n'),
    )
    assert job["state"] == "pending_review", job
    with world.client("reviewer") as reviewer:
        view = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    report = view["check_report"]
    flagged = [line for line in report["lines"] if not line["passed"]]
    assert [
        (line["rule"], line["where"], line["statistic"], line["blocking"]) for line in flagged
    ] == [("zeros", "t[district=North, age=60]", 0, False)]
    assert not report["blocked"] and not report["auto_releasable"]
    assert view["release"]["t"]["rows"]  # the table itself is released as computed
    assert SECRET_MARKER not in json.dumps(report)

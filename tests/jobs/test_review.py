"""The release boundary over HTTP: output checks on real job results, the review airlock
(one or two reviewers, reject, return, auto-release of DP results, suspension freezes),
downloads by the owner only, data products from released results; a result blocked by each
rule never reaches its user.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.platform import Platform
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]

DP_PARAMS_SOURCE = '''"""Mean income by district."""

PARAMS = {"dataset": {"type": "string"}}


def run(ctx):
    people = ctx.dataset(ctx.params["dataset"])
    return {"by_district": people.group_by("district").mean(
        "income", lower=0, upper=100000, epsilon=0.2)}
'''


def raw_model(body: str) -> str:
    return f'"""A raw-access model."""\n\n\ndef run(ctx):\n{body}'


def dominated_table() -> pa.Table:
    """People whose incomes in North are dominated by one person."""
    base = people_table(60)
    incomes = [900_000.0 if i == 0 else 10.0 for i in range(60)]
    return base.set_column(3, "income", pa.array(incomes))


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server,
        {
            "rv_dp": "conditional",
            "rv_two": "conditional",
            "rv_auto": "conditional",
            "rv_frozen": "conditional",
            "rv_raw": "conditional",
            "rv_dom": "conditional",
        },
        raw_policy_for=("rv_raw", "rv_dom"),
        tables={"rv_dom": dominated_table()},
    )
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/rv_two/policy", json={"document": {"review": {"reviewers": 2}}}
            )
        )
        ok(
            provider.put(
                "/v1/datasets/rv_auto/policy", json={"document": {"review": {"mode": "auto_dp"}}}
            )
        )
    made.grants["dp"] = grant(made, "user", ["rv_dp", "rv_two", "rv_auto", "rv_frozen"])["ref"]
    made.grants["raw"] = grant(made, "user", ["rv_raw", "rv_dom"], job_kinds=["dp", "raw"])["ref"]
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def run_job(
    world: World, dataset: str, source: str, kind: str = "dp", params: dict[str, Any] | None = None
) -> dict[str, Any]:
    with world.api("user") as api:
        job = api.submit_job([dataset], source=source, kind=kind, params=params or {})
        return api.wait_for_job(int(job["id"]), timeout=120)


def dp_job(world: World, dataset: str) -> dict[str, Any]:
    return run_job(world, dataset, DP_PARAMS_SOURCE, params={"dataset": dataset})


def decide(
    world: World, who: str, job_id: int, outcome: str, reason: str = ""
) -> tuple[int, dict[str, Any]]:
    with world.client(who) as client:
        response = client.post(
            f"/v1/reviews/{job_id}/decision", json={"outcome": outcome, "reason": reason}
        )
    return response.status_code, response.json()


def test_a_dp_result_is_reviewed_released_and_downloaded_by_its_owner_only(
    world: World, platform: Platform
) -> None:
    job = dp_job(world, "rv_dp")
    assert job["state"] == "pending_review" and job["result"] is None
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 404  # not yet released
    with world.client("reviewer") as reviewer:
        queue = ok(reviewer.get("/v1/reviews"))
        assert job["id"] in [j["id"] for j in queue]
        view = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    assert view["source"] == DP_PARAMS_SOURCE and view["job"]["params"] == {"dataset": "rv_dp"}
    assert view["can_decide"] and view["required_approvals"] == 1
    rules = {line["rule"] for line in view["check_report"]["lines"]}
    assert "dp" in rules and "max_bytes" in rules
    assert view["job"]["releases"][0]["operation"] == "mean"  # the budget spent
    status, _ = decide(world, "reviewer", job["id"], "approve")
    assert status == 200
    with world.client("user") as user:
        released = ok(user.get(f"/v1/jobs/{job['id']}"))
        assert released["state"] == "released" and released["result"]["by_district"]
        as_json = user.get(f"/v1/results/{job['id']}")
        as_csv = user.get(f"/v1/results/{job['id']}?format=csv&part=by_district")
        as_parquet = user.get(f"/v1/results/{job['id']}?format=parquet&part=by_district")
        whole_csv = user.get(f"/v1/results/{job['id']}?format=csv")
    assert as_json.status_code == 200 and json.loads(as_json.content) == released["result"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["district"] for r in rows} <= {"North", "South", "East"} and rows
    assert pq.read_table(io.BytesIO(as_parquet.content)).num_rows == len(rows)
    assert whole_csv.status_code == 422 and "by_district" in whole_csv.json()["message"]
    for who in ("user2", "other_provider", "auditor"):
        with world.client(who) as other:
            assert other.get(f"/v1/results/{job['id']}").status_code == 404, who
    with platform.sessions() as session:
        downloads = audit.list_entries(
            session, AuditQuery(action="result.download", object_id=str(job["id"]))
        )
    assert len(downloads) == 3 and {e.detail["format"] for e in downloads} == {
        "json",
        "csv",
        "parquet",
    }


def test_two_reviewers_must_approve_and_nobody_decides_twice(world: World) -> None:
    job = dp_job(world, "rv_two")
    status, view = decide(world, "reviewer", job["id"], "approve")
    assert status == 200 and view["job"]["state"] == "pending_review"
    assert view["job"]["state_reason"] == "approved by 1 of 2 reviewers"
    status, again = decide(world, "reviewer", job["id"], "approve")
    assert status == 409 and "already decided" in again["message"]
    for who in ("user", "other_provider", "auditor"):
        status, refused = decide(world, who, job["id"], "approve")
        assert status in (403, 404), (who, refused)
    status, view = decide(world, "provider", job["id"], "approve")
    assert status == 200 and view["job"]["state"] == "released"
    assert [d["reviewer"] for d in view["decisions"]] == ["reviewer", "provider"]


def test_reject_and_return_need_a_reason_and_end_the_job(world: World) -> None:
    rejected, returned = dp_job(world, "rv_dp"), dp_job(world, "rv_dp")
    status, body = decide(world, "reviewer", rejected["id"], "reject")
    assert status == 422 and "reason" in body["message"]
    status, view = decide(world, "reviewer", rejected["id"], "reject", "too fine a grouping")
    assert status == 200 and view["job"]["state"] == "rejected"
    assert view["job"]["state_reason"] == "rejected: too fine a grouping"
    status, view = decide(world, "reviewer", returned["id"], "return", "bound income at 50k")
    assert view["job"]["state_reason"] == "returned for changes: bound income at 50k"
    with world.client("user") as user:
        assert user.get(f"/v1/results/{rejected['id']}").status_code == 404
        assert ok(user.get(f"/v1/jobs/{rejected['id']}"))["result"] is None
    with world.client("reviewer") as reviewer:  # reviewers keep access to what they judged
        assert reviewer.get(f"/v1/results/{rejected['id']}").status_code == 200


def test_a_dp_result_is_released_automatically_where_the_policy_says_so(
    world: World, platform: Platform
) -> None:
    job = dp_job(world, "rv_auto")
    assert job["state"] == "released", job
    assert "automatically" in job["state_reason"]
    with platform.sessions() as session:
        made = audit.list_entries(
            session, AuditQuery(action="release.made", object_id=str(job["id"]))
        )
    assert made and made[0].detail["auto"] is True
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 200


def test_a_suspension_freezes_reviews_and_releases(world: World) -> None:
    pending, released = dp_job(world, "rv_frozen"), dp_job(world, "rv_frozen")
    assert decide(world, "reviewer", released["id"], "approve")[0] == 200
    with world.client("provider") as provider:
        ok(provider.post("/v1/datasets/rv_frozen/suspend", json={"reason": "complaint"}), 201)
    try:
        status, body = decide(world, "reviewer", pending["id"], "approve")
        assert status == 409 and "frozen" in body["message"]
        with world.client("user") as user:
            frozen = user.get(f"/v1/results/{released['id']}")
        assert frozen.status_code == 409 and "frozen" in frozen.json()["message"]
        with world.client("reviewer") as reviewer:
            assert ok(reviewer.get(f"/v1/reviews/{pending['id']}"))["frozen"]
    finally:
        with world.client("provider") as provider:
            ok(
                provider.post(
                    "/v1/datasets/rv_frozen/suspension/resolve", json={"outcome": "restore"}
                )
            )
    assert decide(world, "reviewer", pending["id"], "approve")[0] == 200


def test_a_verified_raw_table_passes_to_review_with_its_cells_checked(world: World) -> None:
    job = run_job(
        world,
        "rv_raw",
        raw_model('    return {"by_district": ctx.crosstab("rv_raw", rows=["district"])}\n'),
        kind="raw",
    )
    assert job["state"] == "pending_review", job
    with world.client("reviewer") as reviewer:
        view = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    lines = view["check_report"]["lines"]
    assert all(line["passed"] for line in lines), lines
    assert any(line["rule"] == "min_count" for line in lines)
    assert view["release"]["by_district"]["rows"]
    assert SECRET_MARKER not in json.dumps(view["check_report"])


def test_an_unverifiable_raw_value_is_flagged_for_a_human(world: World) -> None:
    job = run_job(
        world,
        "rv_raw",
        raw_model('    return {"rows": ctx.table("rv_raw").num_rows}\n'),
        kind="raw",
    )
    assert job["state"] == "pending_review", job
    with world.client("reviewer") as reviewer:
        view = ok(reviewer.get(f"/v1/reviews/{job['id']}"))
    flagged = [line for line in view["check_report"]["lines"] if not line["passed"]]
    assert [line["rule"] for line in flagged] == ["unverifiable"]
    assert not flagged[0]["blocking"]


BLOCKED = {
    "min_count": raw_model('    return ctx.crosstab("rv_raw", rows=["age"])\n'),
    "row_level": raw_model('    return {"ids": ctx.table("rv_raw").column("pid")[:3]}\n'),
    "min_dof": raw_model(
        '    return ctx.regression("rv_raw", y="income", x=["age"],\n'
        '                          where=[["age", "<", 25]])\n'
    ),
    "dominance_nk": raw_model(
        '    return ctx.crosstab("rv_dom", rows=["district"],\n'
        '                        value="income", agg="sum")\n'
    ),
}


@pytest.mark.parametrize("rule", sorted(BLOCKED))
def test_a_result_blocked_by_a_rule_never_reaches_its_user(world: World, rule: str) -> None:
    dataset = "rv_dom" if rule.startswith("dominance") else "rv_raw"
    job = run_job(world, dataset, BLOCKED[rule], kind="raw")
    assert job["state"] == "rejected", job
    assert (
        job["state_reason"].startswith("blocked by the output checks")
        and rule in job["state_reason"]
    )
    assert job["result"] is None and SECRET_MARKER not in json.dumps(job)
    with world.client("user") as user:
        assert user.get(f"/v1/results/{job['id']}").status_code == 404
        assert SECRET_MARKER not in user.get(f"/v1/jobs/{job['id']}/log").text
    with world.client("reviewer") as reviewer:
        assert job["id"] not in [j["id"] for j in ok(reviewer.get("/v1/reviews"))]


def test_a_released_result_becomes_a_data_product(world: World) -> None:
    job = dp_job(world, "rv_dp")
    decide(world, "reviewer", job["id"], "approve")
    with world.client("user") as user:
        product = ok(
            user.post(
                "/v1/data-products", json={"title": "Income by district", "job_id": job["id"]}
            ),
            201,
        )
        refused = user.post(
            "/v1/data-products", json={"title": "x", "job_id": job["id"], "payload": {"made": "up"}}
        )
    released = dp_job(world, "rv_dp")  # pending: not publishable
    with world.client("user") as user:
        pending = user.post("/v1/data-products", json={"title": "x", "job_id": released["id"]})
    assert product["job_id"] == job["id"] and product["sources"][0]["dataset"] == "rv_dp"
    assert product["payload"] is not None and refused.status_code == 422
    assert pending.status_code == 404


def test_the_cli_reviews_and_downloads(world: World, tmp_path: Path) -> None:
    job = dp_job(world, "rv_dp")

    def cli(who: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
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

    assert str(job["id"]) in cli("reviewer", "reviews", "queue").stdout
    shown = cli("reviewer", "reviews", "show", str(job["id"]), "--source")
    assert "output checks" in shown.stdout and "def run(ctx)" in shown.stdout
    early = cli(
        "user", "reviews", "download", str(job["id"]), str(tmp_path / "x.json"), check=False
    )
    assert early.returncode == 1 and "error:" in early.stderr
    cli("reviewer", "reviews", "approve", str(job["id"]))
    target = tmp_path / "result.csv"
    cli(
        "user",
        "reviews",
        "download",
        str(job["id"]),
        str(target),
        "--format",
        "csv",
        "--part",
        "by_district",
    )
    assert target.read_text().startswith("district,")
    other = dp_job(world, "rv_dp")
    refused = cli(
        "reviewer",
        "reviews",
        "reject",
        str(other["id"]),
        "--reason",
        "no reason to group this finely",
    )
    assert "rejected" in refused.stderr

"""Dry runs over the real HTTP server, in the strongest sandbox here: a model runs on its
datasets' mock tables and its author sees everything at once, while the grant's budget, the
ledger, the jobs and the audit trail of data reads stay as they were.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import audit
from sandbox.audit import AuditEntry, AuditQuery
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.jobs.local_run import LocalMock, run_locally
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.policies import PrivacyCost
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

DP_MODEL = '''"""Counts and mean income by district."""

PARAMS = {"upper": {"type": "number", "default": 200000, "minimum": 1}}


def run(ctx):
    people = ctx.dataset("dr_cond")
    total = people.count(epsilon=0.2)
    by_district = people.group_by("district").mean(
        "income", lower=0, upper=ctx.params["upper"], epsilon=0.3)
    ctx.log(f"about {total:.0f} rows")
    return {"total": total, "by_district": by_district}
'''

FAILING = '"""Fails."""\n\ndef run(ctx):\n    x = ctx.params.get("x", 1)\n    return x / 0\n'

RAW_MODEL = '''"""Hands back raw identifiers: a real job of it would be rejected."""


def run(ctx):
    table = ctx.table("dr_raw")
    ids = table.column("pid")
    ctx.log("first id: " + ids[0])
    return {"rows": table.num_rows, "ids": ids}
'''

DATA_READS = (
    "dataset.read",
    "dataset.query",
    "dataset.download",
    "budget.charge",
    "budget.release",
)
"""Audit actions of a read of a version or a charge to the ledger: a dry run makes none."""


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server,
        {"dr_cond": "conditional", "dr_raw": "conditional", "dr_other": "conditional"},
        raw_policy_for=("dr_raw",),
    )
    with made.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/dr_raw/policy",
                json={
                    "document": {
                        "job_limits": {
                            "raw_access_allowed": True,
                            "runtime_profiles": ["restricted", "scientific"],
                        }
                    }
                },
            )
        )
    made.grants["dp"] = grant(made, "user", ["dr_cond"], grant_budget=3)["ref"]
    made.grants["raw"] = grant(made, "user", ["dr_raw"], job_kinds=["dp", "raw"])["ref"]
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def dry_run(
    world: World, body: dict[str, Any], who: str = "user", status: int = 200
) -> dict[str, Any]:
    with world.client(who) as client:
        response = client.post("/v1/jobs/dry-run", json=body)
    assert response.status_code == status, response.text
    return dict(response.json())


def entries_after(platform: Platform, seq: int) -> list[AuditEntry]:
    with platform.sessions() as session:
        return audit.list_entries(session, AuditQuery(after_seq=seq, limit=1000))


def last_seq(platform: Platform) -> int:
    with platform.sessions() as session:
        found = audit.list_entries(session, AuditQuery(limit=100_000))
    return found[-1].seq if found else 0


def job_count(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.query(JobRow).count()


def test_a_dp_dry_run_shows_everything_and_charges_nothing(
    world: World, platform: Platform
) -> None:
    ledger = SqlLedger(platform.sessions)
    before = ledger.balance(world.grants["dp"], "dr_cond")
    charges = len(ledger.charges(grant=world.grants["dp"]))
    jobs, seq = job_count(platform), last_seq(platform)

    run = dry_run(world, {"datasets": ["dr_cond"], "source": DP_MODEL, "params": {"upper": 100000}})

    assert run["outcome"] == "ok" and run["reason"] == "" and run["errors"] == [], run
    assert run["charged"] is False and run["kind"] == "dp" and run["backend"]
    assert run["grant"] == world.grants["dp"] and run["datasets"] == {"dr_cond": 1}
    assert run["mock"]["dr_cond"]["rows"] == 1000
    # The whole result and log come back at once (a job's wait for review).
    assert set(run["result"]) == {"total", "by_district"}
    assert {row["district"] for row in run["result"]["by_district"]} <= {"North", "South", "East"}
    assert run["log"] and run["log"][0].startswith("about ")
    assert [r["operation"] for r in run["releases"]] == ["count", "mean"]
    assert run["refusals"] == []
    # The mock has 1000 rows: the noisy count is near it, not near the real 60.
    assert 800 < run["result"]["total"] < 1200
    spend = run["spend"]["dr_cond"]
    assert spend["text"] == "epsilon 0.5" and spend["calls"] == 2
    assert spend["loss"] == pytest.approx(0.5) and spend["accounting"] == "pure"
    assert spend["grant_remaining"].startswith("epsilon 2.5")  # of the 3 granted
    checks = run["checks"]
    assert checks["passed"] is True and checks["would_be"] == "pending_review"
    assert any(line["rule"] for line in checks["report"]["lines"])
    assert set(checks["released"]) == {"total", "by_district"}

    assert ledger.balance(world.grants["dp"], "dr_cond") == before
    assert len(ledger.charges(grant=world.grants["dp"])) == charges
    assert job_count(platform) == jobs
    made = entries_after(platform, seq)
    assert [e.action for e in made] == ["job.dry_run"]
    entry = made[0]
    assert entry.object_type == "dry_run" and entry.object_id == run["id"]
    assert entry.detail["charged"] is False and entry.detail["outcome"] == "ok"
    assert entry.detail["would_spend"] == {"dr_cond": "epsilon 0.5"}
    assert not [e for e in made if e.action in DATA_READS]
    assert SECRET_MARKER not in str(run)


def test_a_failing_models_dry_run_shows_its_error_text_and_line(world: World) -> None:
    run = dry_run(world, {"datasets": ["dr_cond"], "source": FAILING})
    assert run["outcome"] == "model_error" and run["checks"] is None
    assert run["reason"] == "the model raised an error"
    assert run["errors"] == ["Line 5: ZeroDivisionError: division by zero"]
    assert run["failure"] == {"exception": "ZeroDivisionError", "line": 5}


def test_a_model_that_does_not_compile_is_a_dry_runs_outcome(world: World) -> None:
    source = '"""Bad."""\n\ndef run(ctx):\n    return open("/etc/passwd")\n'
    run = dry_run(world, {"datasets": ["dr_cond"], "source": source})
    assert run["outcome"] == "compile_error" and run["result"] is None
    assert any("Line 4" in error for error in run["errors"]), run["errors"]


def test_a_call_the_grant_cannot_pay_is_refused_as_in_a_job(
    world: World, platform: Platform
) -> None:
    source = (
        '"""Too greedy."""\n\ndef run(ctx):\n    people = ctx.dataset("dr_cond")\n'
        "    return [people.count(epsilon=0.9) for _ in range(4)]\n"
    )
    ledger = SqlLedger(platform.sessions)
    before = ledger.balance(world.grants["dp"], "dr_cond")
    run = dry_run(world, {"datasets": ["dr_cond"], "source": source})
    assert run["outcome"] == "model_error", run
    assert run["refusals"] == [{"call": "count", "reason": "budget"}]
    # The fourth call: the grant of 3 has 0.3 left after three (in the dry run only).
    assert run["errors"][0].startswith("Line 5: DPError: the grant budget cannot pay"), run
    assert "epsilon 0.3" in run["errors"][0]
    assert run["spend"]["dr_cond"]["calls"] == 3
    assert run["spend"]["dr_cond"]["text"] == "epsilon 2.7"
    assert ledger.balance(world.grants["dp"], "dr_cond") == before


def test_a_raw_dry_run_reads_the_mock_table_not_the_registered_rows(
    world: World, platform: Platform
) -> None:
    seq = last_seq(platform)
    run = dry_run(world, {"datasets": ["dr_raw"], "source": RAW_MODEL, "kind": "raw"})
    assert run["outcome"] == "ok", run
    assert run["result"]["rows"] == 1000 and len(run["result"]["ids"]) == 1000
    with platform.sessions() as session:
        path = version_row(session, dataset_row(session, "dr_raw"), None).storage_path
    with platform.store.filesystem.open_input_file(path) as handle:
        real_ids = set(pq.read_table(handle).column("pid").to_pylist())
    assert len(real_ids) == 60 and not real_ids & set(run["result"]["ids"])
    assert all(pid.startswith("SYN-") for pid in run["result"]["ids"])
    assert run["log"] == ["first id: " + run["result"]["ids"][0]]
    assert SECRET_MARKER not in str(run)
    # Row-level identifiers in the result: a real job of this model would be rejected.
    assert run["checks"]["passed"] is False and run["checks"]["would_be"] == "rejected"
    made = entries_after(platform, seq)
    assert [e.action for e in made] == ["job.dry_run"]
    assert made[0].detail["kind"] == "raw"


def test_the_mock_is_the_same_run_after_run(world: World) -> None:
    source = '"""First rows."""\n\ndef run(ctx):\n    return ctx.table("dr_raw").rows(3)\n'
    first = dry_run(world, {"datasets": ["dr_raw"], "source": source, "kind": "raw"})
    again = dry_run(world, {"datasets": ["dr_raw"], "source": source, "kind": "raw"})
    assert first["result"] == again["result"] and len(first["result"]) == 3
    assert first["mock"] == again["mock"] == {"dr_raw": {"rows": 1000, "seed": "dr_raw/mock"}}


@pytest.mark.parametrize(
    ("who", "body", "status", "needle"),
    [
        ("user", {"datasets": ["dr_other"], "source": DP_MODEL}, 403, "dr_other"),
        ("user", {"datasets": ["dr_cond", "dr_other"], "source": DP_MODEL}, 403, "dr_other"),
        ("user", {"datasets": ["dr_cond"], "source": DP_MODEL, "kind": "raw"}, 403, "raw"),
        ("user2", {"datasets": ["dr_cond"], "source": DP_MODEL}, 403, "dr_cond"),
        ("provider", {"datasets": ["dr_cond"], "source": DP_MODEL}, 403, ""),
        ("user", {"datasets": ["dr_cond"], "source": DP_MODEL, "params": {"nope": 1}}, 422, "nope"),
    ],
)
def test_a_dry_run_needs_what_a_job_needs(
    world: World, platform: Platform, who: str, body: dict[str, Any], status: int, needle: str
) -> None:
    seq = last_seq(platform)
    refused = dry_run(world, body, who=who, status=status)
    assert needle in refused["message"], refused
    assert not [e for e in entries_after(platform, seq) if e.action == "job.dry_run"]


def test_the_client_dry_runs_a_model_file_and_a_vetted_model(world: World, tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(DP_MODEL, encoding="utf-8")
    with world.api("user") as api:
        from_file = api.dry_run(model, ["dr_cond"], {"upper": 100000})
        vetted = api.dry_run(
            "mean_by_group",
            ["dr_cond"],
            {
                "dataset": "dr_cond",
                "group": "district",
                "column": "age",
                "lower": 0,
                "upper": 110,
                "epsilon": 0.2,
            },
            vetted=True,
        )
    assert from_file["outcome"] == "ok" and from_file["params"] == {"upper": 100000}
    assert from_file["spend"]["dr_cond"]["text"] == "epsilon 0.5"
    assert vetted["outcome"] == "ok" and vetted["model"] == "mean_by_group", vetted
    assert vetted["spend"]["dr_cond"]["text"] == "epsilon 0.2"


def cli(world: World, *args: str, who: str = "user") -> subprocess.CompletedProcess[str]:
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_shows_a_dry_run_at_once(world: World, tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(DP_MODEL, encoding="utf-8")
    shown = cli(world, "jobs", "dry-run", str(model), "--dataset", "dr_cond", "-p", "upper=100000")
    assert shown.returncode == 0, shown.stderr
    assert "would spend" in shown.stdout and "dr_cond: epsilon 0.5 in 2 calls" in shown.stdout
    assert "a job would be pending_review" in shown.stdout
    assert "model    | about " in shown.stdout and '"by_district"' in shown.stdout
    failing = tmp_path / "failing.py"
    failing.write_text(FAILING, encoding="utf-8")
    failed = cli(world, "jobs", "dry-run", str(failing), "-d", "dr_cond")
    assert failed.returncode == 1
    assert "Line 5: ZeroDivisionError: division by zero" in failed.stdout
    as_json = cli(world, "jobs", "dry-run", str(model), "-d", "dr_cond", "--json")
    assert json.loads(as_json.stdout)["charged"] is False


def mock_of(world: World, name: str, who: str = "user") -> pa.Table:
    with world.api(who) as api:
        data = api.mock_table(name)
    return pq.read_table(io.BytesIO(base64.b64decode(data["parquet_base64"])))


def test_a_grant_holder_downloads_the_mock_a_dry_run_reads(
    world: World, platform: Platform
) -> None:
    seq = last_seq(platform)
    with world.api("user") as api:
        data = api.mock_table("dr_raw")
    assert data["rows"] == 1000 and data["grant"] == world.grants["raw"]
    assert set(data["job_kinds"]) == {"dp", "raw"} and data["seed"] == "dr_raw/mock"
    assert data["policy"]["job_limits"]["raw_access_allowed"] is True
    assert data["grant_remaining_units"] and data["grant_remaining_units"][0] > 0
    table = mock_of(world, "dr_raw")
    first = dry_run(
        world,
        {
            "datasets": ["dr_raw"],
            "kind": "raw",
            "source": (
                '"""First rows."""\n\ndef run(ctx):\n    return ctx.table("dr_raw").rows(3)\n'
            ),
        },
    )
    assert table.num_rows == 1000 and table.slice(0, 3).to_pylist() == first["result"]
    assert SECRET_MARKER not in str(data)
    made = entries_after(platform, seq)
    assert [e.action for e in made if e.action == "dataset.mock"] == ["dataset.mock"] * 2
    assert not [e for e in made if e.action in DATA_READS]


@pytest.mark.parametrize(
    ("who", "name", "status"),
    [
        ("user", "dr_other", 403),
        ("user2", "dr_cond", 403),
        ("provider", "dr_cond", 403),
        ("user", "nope", 404),
    ],
)
def test_the_mock_goes_only_to_a_grant_holder(
    world: World, who: str, name: str, status: int
) -> None:
    with world.client(who) as client:
        response = client.get(f"/v1/datasets/{name}/mock")
    assert response.status_code == status, response.text


def test_a_local_run_on_the_downloaded_mock_matches_the_servers_dry_run(
    world: World, platform: Platform
) -> None:
    with world.api("user") as api:
        mocks = [LocalMock.from_json(api.mock_table("dr_cond"))]
    ledger = SqlLedger(platform.sessions)
    before = ledger.balance(world.grants["dp"], "dr_cond")
    here = run_locally(mocks, DP_MODEL, {"upper": 100000})
    there = dry_run(
        world, {"datasets": ["dr_cond"], "source": DP_MODEL, "params": {"upper": 100000}}
    )
    assert here.outcome == "ok" and here.id == "local" and here.charged is False
    assert here.spend == there["spend"] and here.mock == there["mock"]
    assert [r["operation"] for r in here.releases] == ["count", "mean"]
    assert set(here.result) == set(there["result"]) == {"total", "by_district"}
    assert here.checks is not None and here.checks.would_be == "pending_review"
    failed = run_locally(mocks, FAILING)
    assert failed.errors == ["Line 5: ZeroDivisionError: division by zero"]
    assert ledger.balance(world.grants["dp"], "dr_cond") == before


def test_sandbox_run_mock_fetches_keeps_and_runs_offline(world: World, tmp_path: Path) -> None:
    model = tmp_path / "raw.py"
    model.write_text(RAW_MODEL, encoding="utf-8")
    kept = tmp_path / "mocks"
    shown = cli(
        world,
        "run",
        "--mock",
        str(model),
        "-d",
        "dr_raw",
        "--kind",
        "raw",
        "--mock-dir",
        str(kept),
        "--json",
    )
    assert shown.returncode == 0, shown.stderr
    online = json.loads(shown.stdout)
    assert online["outcome"] == "ok" and online["result"]["rows"] == 1000
    assert all(pid.startswith("SYN-") for pid in online["result"]["ids"])
    assert online["checks"]["would_be"] == "rejected"
    assert (kept / "dr_raw.json").is_file()
    env = dict(world.server.env, SANDBOX_URL="http://127.0.0.1:9", SANDBOX_TOKEN="")
    offline = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox.cli",
            "run",
            "--mock",
            str(model),
            "-d",
            "dr_raw",
            "--kind",
            "raw",
            "--mock-dir",
            str(kept),
            "--offline",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert offline.returncode == 0, offline.stderr
    assert "a job would be rejected" in offline.stdout
    assert "first id: " + online["result"]["ids"][0] in offline.stdout
    missing = cli(
        world, "run", "--mock", str(model), "-d", "dr_cond", "--offline", "--mock-dir", str(kept)
    )
    assert missing.returncode == 1 and "no mock table" in missing.stderr
    without_mock = cli(world, "run", str(model), "-d", "dr_raw")
    assert without_mock.returncode == 1 and "--mock" in without_mock.stderr


SCIENTIFIC_RAW = '''"""pandas on the mock table, in a class."""

import pandas as pd


class Summary:
    def __init__(self, frame):
        self.frame = frame

    def rows(self):
        return int(len(self.frame))


def run(ctx):
    frame = ctx.table("dr_raw").to_pandas()
    assert isinstance(frame, pd.DataFrame)
    ctx.log("columns: " + ",".join(frame.columns))
    return {"rows": Summary(frame).rows(), "first": str(frame["pid"].iloc[0])}
'''


def test_a_dry_run_runs_in_the_scientific_profile_where_the_policy_allows_it(world: World) -> None:
    run = dry_run(
        world,
        {"datasets": ["dr_raw"], "source": SCIENTIFIC_RAW, "kind": "raw", "profile": "scientific"},
    )
    assert run["outcome"] == "ok" and run["profile"] == "scientific", run
    assert run["result"]["rows"] == 1000 and run["result"]["first"].startswith("SYN-")
    assert run["log"] == ["columns: pid,district,age,income"]
    # What does not parse is refused before anything runs, naming the line, as a job is.
    broken = dry_run(
        world,
        {
            "datasets": ["dr_raw"],
            "kind": "raw",
            "profile": "scientific",
            "source": '"""Broken."""\n\ndef run(ctx):\n    return (\n',
        },
        status=422,
    )
    assert "line 4" in broken["message"], broken
    refused = dry_run(
        world, {"datasets": ["dr_cond"], "source": DP_MODEL, "profile": "scientific"}, status=422
    )
    assert "scientific" in refused["message"]
    with world.api("user") as api:
        mocks = [LocalMock.from_json(api.mock_table("dr_raw"))]
    here = run_locally(mocks, SCIENTIFIC_RAW, kind="raw", profile="scientific")
    assert here.outcome == "ok" and here.result == run["result"], here
    with pytest.raises(InvalidRequest, match="scientific"):
        run_locally(
            [LocalMock.from_json(api_mock(world, "dr_cond"))], DP_MODEL, profile="scientific"
        )


def api_mock(world: World, name: str) -> dict[str, Any]:
    with world.api("user") as api:
        return api.mock_table(name)


SCIENTIFIC_DP = '''"""DP answers gathered into a pandas frame, in a class: ordinary Python."""

import numpy as np
import pandas as pd


class Tally:
    def __init__(self):
        self.counts = {}

    def add(self, name, value):
        self.counts.setdefault(name, 0.0)
        self.counts[name] += value


def run(ctx):
    people = ctx.dataset("dr_raw")
    tally = Tally()
    tally.add("rows", people.count(epsilon=0.2))
    by_district = pd.DataFrame(people.group_by("district").count(epsilon=0.2))
    ctx.log(f"pandas {pd.__version__.split('.')[0]}, {len(by_district)} districts")
    return {"rows": tally.counts["rows"], "districts": sorted(by_district["district"]),
            "total": float(np.sum(by_district["count"]))}
'''


def test_a_dp_dry_run_of_a_scientific_model_runs_where_its_job_would(
    world: World, platform: Platform
) -> None:
    """A DP model that imports pandas, in the scientific profile: the dry run runs it in
    that profile and the backend a job of the same request runs in, on the mock, and charges
    nothing; the same model in the restricted profile does not even compile."""
    ledger = SqlLedger(platform.sessions)
    before = ledger.balance(world.grants["raw"], "dr_raw")
    body = {"datasets": ["dr_raw"], "source": SCIENTIFIC_DP, "profile": "scientific"}

    run = dry_run(world, body)

    assert run["outcome"] == "ok" and run["errors"] == [], run
    assert run["profile"] == "scientific" and run["kind"] == "dp" and run["charged"] is False
    assert run["log"][0].startswith("pandas ") and run["log"][0].endswith(" districts")
    assert 800 < run["result"]["rows"] < 1200  # the 1000-row mock, not the registered rows
    assert set(run["result"]["districts"]) <= {"North", "South", "East"}
    assert [r["operation"] for r in run["releases"]] == ["count", "count"]
    assert run["spend"]["dr_raw"]["text"] == "epsilon 0.4"
    assert ledger.balance(world.grants["raw"], "dr_raw") == before

    restricted = dry_run(world, {**body, "profile": "restricted"})
    assert restricted["outcome"] == "compile_error" and restricted["profile"] == "restricted"
    assert any("pandas" in e or "numpy" in e for e in restricted["errors"]), restricted

    with world.client("user") as client:
        job = ok(client.post("/v1/jobs", json=body), 201)
    with world.api("user") as api:
        done = api.wait_for_job(int(job["id"]), timeout=240)
    assert done["outcome"] == "ok" and done["profile"] == "scientific", done
    assert done["backend"] == run["backend"]


LIFETIME_MODEL = '''"""Asks for more than the dataset's lifetime budget has left."""


def run(ctx):
    return ctx.dataset("dr_other").count(epsilon=0.5)
'''


def test_a_refusal_by_the_lifetime_budget_tells_what_remains_only_where_the_policy_shows_it(
    world: World, platform: Platform
) -> None:
    """Another holder's grant spent all but 0.25 of the lifetime budget: a job asking 0.5 is
    refused, saying the lifetime budget cannot pay, and what remains of it only once the
    dataset's policy shows the lifetime budget to users; nothing is charged either way."""
    ledger = SqlLedger(platform.sessions)
    mine = grant(world, "user", ["dr_other"], grant_budget=2)["ref"]
    lifetime = ledger.account("dr_other")
    # Other grants (one account here, opened in the ledger) spent all but 0.25 of it.
    ledger.open_grant_account("elsewhere", "dr_other", lifetime.remaining, lifetime.accounting)
    spend = PrivacyCost.of(lifetime.remaining.loss - Fraction(1, 4))
    ledger.spend("elsewhere", "dr_other", spend, "elsewhere", platform_actor_of(world, "user2"))
    spent = ledger.account("dr_other").spent

    def refusal() -> str:
        with world.client("user") as client:
            job = ok(
                client.post("/v1/jobs", json={"datasets": ["dr_other"], "source": LIFETIME_MODEL}),
                201,
            )
        with world.api("user") as api:
            done = api.wait_for_job(int(job["id"]), timeout=240)
        assert done["outcome"] == "model_error", done
        assert done["progress"]["refusals"] == [{"call": "count", "reason": "budget"}]
        with platform.sessions() as session:
            row = session.get(JobRow, int(job["id"]))
            assert row is not None and row.grant_ref == mine
            return str(row.errors[0])

    withheld = refusal()
    assert "the dataset lifetime budget cannot pay for this release" in withheld, withheld
    assert "epsilon 0.25" not in withheld and "not shown" in withheld, withheld
    with world.client("provider") as provider:
        ok(
            provider.put(
                "/v1/datasets/dr_other/policy",
                json={"document": {"show_lifetime_to_users": True}},
            )
        )
    shown = refusal()
    assert "epsilon 0.25" in shown and "remains" in shown, shown
    assert ledger.account("dr_other").spent == spent


def platform_actor_of(world: World, who: str) -> Actor:
    """The account ``who`` as an actor of the ledger's charges."""
    return Actor(world.ids[who], who, Role.USER)

"""Joins in a real DP job over HTTP: two conditional datasets of one grant joined on the
person, then a public lookup table, grouped by the lookup's column.

The model (restricted profile, strongest sandbox, Ray) joins health visits with benefit
records on ``pid`` (truncated to one row per person on each side) and the unconditional
clinics table on ``clinic``; every release charges both datasets' lifetime budgets and the
grant's account on each, together. A join on a column that is not the privacy unit is the
model's error and charges nothing; the vetted ``join_grouped_sum`` is listed and runs.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pyarrow as pa
import pytest

from sandbox.ledger import SqlLedger
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, register
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

VISITS: list[dict[str, Any]] = [
    {"name": "pid", "type": "string", "classification": "identifier"},
    {"name": "clinic", "type": "string", "classification": "quasi_identifier"},
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["North", "South", "East"],
    },
    {"name": "age", "type": "int64", "classification": "quasi_identifier"},
]
BENEFITS: list[dict[str, Any]] = [
    {"name": "pid", "type": "string", "classification": "identifier"},
    {
        "name": "kind",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["pension", "housing"],
    },
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["North", "South", "East"],
    },
    {"name": "amount", "type": "float64", "classification": "sensitive"},
]
CLINICS: list[dict[str, Any]] = [
    {"name": "clinic", "type": "string", "classification": "public"},
    {"name": "area", "type": "string", "classification": "public"},
]
PERSONS = 900

JOIN_MODEL = '''"""Benefit amounts per clinic area of the people who visited a clinic."""


def run(ctx):
    visits = ctx.dataset("jn_visits")
    both = visits.join(ctx.dataset("jn_benefits"), on="pid", truncate=1)
    placed = both.join_public("jn_clinics", on="clinic")
    by_area = placed.group_by("area").sum("amount", lower=0, upper=1000, epsilon=0.4)
    kinds = both.group_by("kind", "district_right").count(epsilon=0.2)
    try:
        visits.join(ctx.dataset("jn_benefits"), on="district").count(epsilon=0.1)
        refused = None
    except DPError as exc:
        refused = str(exc)
    return {"by_area": by_area, "kinds": kinds, "refused": refused}
'''


def visits_table() -> pa.Table:
    return pa.table(
        {
            "pid": [f"{SECRET_MARKER}{p:05d}" for p in range(PERSONS) for _ in range(2)],
            "clinic": [("c1", "c2", "c3")[(p + v) % 3] for p in range(PERSONS) for v in range(2)],
            "district": [
                ("North", "South", "East")[p % 3] for p in range(PERSONS) for _ in range(2)
            ],
            "age": [20 + p % 60 for p in range(PERSONS) for _ in range(2)],
        }
    )


def benefits_table() -> pa.Table:
    return pa.table(
        {
            "pid": [f"{SECRET_MARKER}{p:05d}" for p in range(0, PERSONS, 2)],
            "kind": [("pension", "housing")[p % 2] for p in range(0, PERSONS // 2)],
            "district": [("North", "South", "East")[p % 3] for p in range(0, PERSONS, 2)],
            "amount": [100.0 + p % 500 for p in range(0, PERSONS, 2)],
        }
    )


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {})
    with made.client("provider") as provider:
        for name, table, dictionary, attribute, unit in (
            ("jn_visits", visits_table(), VISITS, "conditional", "pid"),
            ("jn_benefits", benefits_table(), BENEFITS, "conditional", "pid"),
            (
                "jn_clinics",
                pa.table({"clinic": ["c1", "c2", "c3"], "area": ["Harbour", "Harbour", "Hill"]}),
                CLINICS,
                "unconditional",
                None,
            ),
        ):
            ok(
                register(
                    provider,
                    parquet_bytes(table),
                    metadata(name, attribute, dictionary=dictionary, privacy_unit=unit),
                ),
                201,
            )
    made.grants["join"] = grant(made, "user", ["jn_visits", "jn_benefits"])["ref"]
    return made


def test_a_job_joins_two_granted_datasets_and_a_lookup_and_charges_both(world: World) -> None:
    ref = world.grants["join"]
    platform = world.server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        before = {
            name: (ledger.account(name).spent.loss, ledger.account(name, ref).spent.loss)
            for name in ("jn_visits", "jn_benefits")
        }
        with world.api("user") as api:
            job = api.submit_job(["jn_visits", "jn_benefits"], source=JOIN_MODEL)
            done = api.wait_for_job(job["id"], timeout=180)
        assert done["state"] == "pending_review", done
        assert done["progress"]["refusals"] == [{"call": "count", "reason": "refused"}]
        by_area, kinds = done["releases"]
        assert by_area["keys"] == ["area"] and not by_area["partition_selection"]
        assert [j["kind"] for j in by_area["joins"]] == ["private", "public"]
        assert by_area["joins"][0]["dataset"] == "jn_benefits"
        assert [s["rows_per_unit"] for s in by_area["transformations"]] == [1, 1, 1, 1]
        assert len(by_area["charge_ids"]) == 2 and len(kinds["charge_ids"]) == 2

        # Both lifetime budgets and the grant's account on each paid 0.4 + 0.2, exactly.
        paid = Fraction(6, 10)
        for name in ("jn_visits", "jn_benefits"):
            lifetime, granted = before[name]
            assert ledger.account(name).spent.loss == lifetime + paid
            assert ledger.account(name, ref).spent.loss == granted + paid
        charges = ledger.charges(grant=ref)
        assert sorted(c.dataset for c in charges) == [
            "jn_benefits",
            "jn_benefits",
            "jn_visits",
            "jn_visits",
        ]
        assert {c.job for c in charges} == {job["id"]}

        with platform.sessions() as session:
            row = session.get(JobRow, job["id"])
            assert row is not None
            result = row.result
        areas = {r["area"]: r["sum"] for r in result["by_area"]}
        assert set(areas) <= {"Harbour", "Hill"}
        # 450 persons with a benefit row, amounts 100..599: about 157,000 in all.
        assert 100_000 < sum(areas.values()) < 220_000
        assert {r["kind"] for r in result["kinds"]} <= {"pension", "housing"}
        assert {r["district_right"] for r in result["kinds"]} <= {"North", "South", "East"}
        assert result["refused"].startswith(
            "join(): column 'district' is not the privacy unit of 'jn_visits'"
        )
        assert SECRET_MARKER not in str(result) and SECRET_MARKER not in str(done)
    finally:
        platform.close()


def test_the_vetted_join_model_is_listed_and_runs(world: World) -> None:
    with world.api("user") as api:
        listed = {m["name"]: m for m in api.list_algorithms()}
        assert "join_grouped_sum" in listed
        assert "lookup_on" in str(listed["join_grouped_sum"])
        job = api.submit_job(
            ["jn_visits", "jn_benefits"],
            model="join_grouped_sum",
            params={
                "dataset": "jn_visits",
                "other": "jn_benefits",
                "on": "pid",
                "truncate": 1,
                "lookup": "jn_clinics",
                "lookup_on": "clinic",
                "groups": ["area"],
                "column": "amount",
                "lower": 0,
                "upper": 1000,
                "epsilon": 0.3,
            },
        )
        done = api.wait_for_job(job["id"], timeout=180)
    assert done["state"] == "pending_review", done
    (release,) = done["releases"]
    assert release["operation"] == "sum" and release["keys"] == ["area"]
    assert len(release["charge_ids"]) == 2


def test_a_dry_run_joins_the_mocks_and_the_public_lookup_and_charges_nothing(
    world: World,
) -> None:
    """The same join model dry-run: the two granted datasets' mocks joined on the person,
    the public lookup read as the catalog's own (public) table, each call answered as in
    the job and charged to nobody."""
    ref = world.grants["join"]
    platform = world.server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        before = [ledger.account(n).spent.loss for n in ("jn_visits", "jn_benefits")]
        with world.client("user") as client:
            response = client.post(
                "/v1/jobs/dry-run",
                json={"datasets": ["jn_visits", "jn_benefits"], "source": JOIN_MODEL},
            )
        run = ok(response)
        assert run["outcome"] == "ok", (run["errors"], run["refusals"])
        assert run["refusals"] == [{"call": "count", "reason": "refused"}], run
        by_area = run["releases"][0]
        assert [j["kind"] for j in by_area["joins"]] == ["private", "public"]
        assert by_area["joins"][1]["table"] == "jn_clinics"
        assert {r["area"] for r in run["result"]["by_area"]} <= {"Harbour", "Hill"}
        assert run["result"]["refused"].startswith("join(): column 'district'")
        assert run["spend"]["jn_visits"]["calls"] == 2
        after = [ledger.account(n).spent.loss for n in ("jn_visits", "jn_benefits")]
        assert after == before and ledger.charges(grant=ref, dataset="jn_clinics") == []
        assert SECRET_MARKER not in str(run)
    finally:
        platform.close()

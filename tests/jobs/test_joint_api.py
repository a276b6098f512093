"""A real DP job over HTTP whose model uses the joint and the new aggregates: ``agg`` per
group and ungrouped, ``count_distinct`` of the privacy unit and ``median``; each is one
release, charged exactly its epsilon, and a bad ``agg`` is the model's error, charging
nothing.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from sandbox.ledger import SqlLedger
from sandbox.policies.budget import PrivacyCost
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

JOINT_MODEL = '''"""Income statistics by district, released jointly."""


def run(ctx):
    people = ctx.dataset("joint_cond")
    by_district = people.group_by("district").agg(
        ["count", "sum", "mean"], column="income", lower=0, upper=1000000, epsilon=0.3)
    ages = people.agg(["count", "mean", "variance"], column="age", lower=0, upper=110,
                      epsilon=0.2)
    persons = people.count_distinct("pid", epsilon=0.1)
    median = people.median("age", lower=0, upper=110, epsilon=0.1)
    try:
        people.agg(["count", "median"], column="age", lower=0, upper=110, epsilon=0.1)
        refused = None
    except DPError as exc:
        refused = str(exc)
    ctx.log(f"{len(by_district)} districts")
    return {"by_district": by_district, "ages": ages, "persons": persons,
            "median": median, "refused": refused}
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server, {"joint_cond": "conditional"}, tables={"joint_cond": people_table(900)}
    )
    made.grants["joint"] = grant(made, "user", ["joint_cond"])["ref"]
    return made


def test_a_model_releases_joint_statistics_each_charged_once(world: World) -> None:
    ref = world.grants["joint"]
    platform = world.server.open_platform()
    try:
        with world.api("user") as api:
            job = api.submit_job(["joint_cond"], source=JOINT_MODEL)
            done = api.wait_for_job(job["id"], timeout=120)
        assert done["state"] == "pending_review", done
        assert done["progress"]["dp_calls"] == 4
        assert done["progress"]["refusals"] == [{"call": "agg", "reason": "refused"}]
        releases = done["releases"]
        assert [r["operation"] for r in releases] == ["agg", "agg", "count_distinct", "median"]
        assert releases[0]["statistics"] == ["count", "sum", "mean"]
        assert [m["part"] for m in releases[0]["mechanisms"]] == ["sides"]
        assert [m["part"] for m in releases[1]["mechanisms"]] == ["sides", "squares"]
        ledger = SqlLedger(platform.sessions)
        charges = ledger.charges(grant=ref)
        assert [c.cost for c in charges] == [
            PrivacyCost(Fraction(3, 10)),
            PrivacyCost(Fraction(2, 10)),
            PrivacyCost(Fraction(1, 10)),
            PrivacyCost(Fraction(1, 10)),
        ]
        with platform.sessions() as session:
            row = session.get(JobRow, job["id"])
            assert row is not None
            result = row.result
        rows = result["by_district"]
        assert sorted(r["district"] for r in rows) == ["East", "North", "South"]
        assert all(set(r) == {"district", "count", "sum", "mean"} for r in rows)
        assert all(0 <= r["mean"] <= 1_000_000 for r in rows)
        assert set(result["ages"]) == {"count", "mean", "variance"}
        assert 20 <= result["ages"]["mean"] <= 80
        assert abs(result["persons"] - 900) < 200
        assert 0 <= result["median"] <= 110
        assert result["refused"].startswith("agg(): each statistic must be one of")
        assert SECRET_MARKER not in str(result) and SECRET_MARKER not in str(done)
    finally:
        platform.close()

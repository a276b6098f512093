"""Filters, a derived key and a two-key grouping in a real DP job over HTTP.

The model (restricted profile, strongest sandbox, Ray) asks for counts of people aged 30 and
over per district and age band; the broker turns the request into the engine's shape, the
release report lists each transformation with its stability, the reviewer approves and the
owner downloads the table. A filter on the identifier is refused and charges nothing, and
the vetted ``crosstab`` and ``filtered_group_statistics`` models are listed and run.
"""

from __future__ import annotations

import pytest

from sandbox.ledger import SqlLedger
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

BANDS = ("[0, 40)", "[40, 60)", "[60, 120]")

SHAPED_MODEL = '''"""People aged 30 and over per district and age band."""


def run(ctx):
    col = ctx.col
    people = ctx.dataset("shape_cond")
    older = people.where(col("age") >= 30, ["income", "not_null"])
    banded = older.bin("age", [0, 40, 60, 120], name="band")
    table = banded.group_by("district", "band").count(epsilon=0.5)
    ctx.log(f"{len(table)} groups released")
    return {"by_district_band": table}
'''

IDENTIFIER_FILTER = '''"""A filter on the privacy unit."""


def run(ctx):
    return ctx.dataset("shape_cond").where(["pid", "==", "x"]).count(epsilon=0.5)
'''


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(
        job_server, {"shape_cond": "conditional"}, tables={"shape_cond": people_table(900)}
    )
    made.grants["shape"] = grant(made, "user", ["shape_cond"])["ref"]
    return made


def test_a_job_with_where_bin_and_two_keys_is_released_as_a_table(world: World) -> None:
    with world.api("user") as api:
        job = api.submit_job(["shape_cond"], source=SHAPED_MODEL)
        done = api.wait_for_job(job["id"], timeout=120)
    assert done["state"] == "pending_review", done
    (release,) = done["releases"]
    assert release["operation"] == "count" and release["keys"] == ["district", "band"]
    assert not release["partition_selection"]
    assert [s["step"] for s in release["transformations"]] == [
        "bound contributions by pid",
        "derive band (bin of age)",
        "where",
    ]
    bound = release["contribution_bound"]
    assert all(s["rows_per_unit"] == bound for s in release["transformations"])
    assert release["transformations"][2]["detail"] == {
        "and": [["age", ">=", 30], ["income", "not_null"]]
    }
    assert release["row_count"]["groups_in"] == 9  # 3 districts x 3 bands, all public

    with world.client("reviewer") as reviewer:
        decided = reviewer.post(
            f"/v1/reviews/{job['id']}/decision", json={"outcome": "approve", "reason": ""}
        )
    assert decided.status_code == 200, decided.text
    with world.client("user") as user:
        released = ok(user.get(f"/v1/jobs/{job['id']}"))
    assert released["state"] == "released"
    rows = released["result"]["by_district_band"]
    assert rows and {r["band"] for r in rows} <= set(BANDS)
    assert {r["district"] for r in rows} <= {"North", "South", "East"}
    # 900 people, one row each, ages 20..79 evenly: about 750 are 30 or over.
    assert 600 < sum(r["count"] for r in rows) < 900
    assert SECRET_MARKER not in str(released)


def test_a_filter_on_the_identifier_is_refused_and_charges_nothing(world: World) -> None:
    platform = world.server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        before = ledger.remaining(world.grants["shape"], "shape_cond")
        with world.api("user") as api:
            job = api.submit_job(["shape_cond"], source=IDENTIFIER_FILTER)
            done = api.wait_for_job(job["id"], timeout=120)
        assert done["state"] == "failed", done
        assert done["progress"]["refusals"] == [{"call": "count", "reason": "refused"}]
        assert done["progress"]["failure"]["exception"] == "DPError"
        assert ledger.remaining(world.grants["shape"], "shape_cond") == before
        with world.api("reviewer") as api:
            errors = api.get_job(int(job["id"]))["errors"]
        assert any("column 'pid' is an identifier" in e for e in errors), errors
        assert SECRET_MARKER not in str(errors)
    finally:
        platform.close()


def test_the_vetted_crosstab_and_filtered_statistics_are_listed_and_run(world: World) -> None:
    with world.api("user") as api:
        listed = {m["name"]: m for m in api.list_algorithms()}
        assert {"crosstab", "filtered_group_statistics"} <= set(listed)
        assert "cols_bins" in str(listed["crosstab"])
        crosstab = api.submit_job(
            ["shape_cond"],
            model="crosstab",
            params={
                "dataset": "shape_cond",
                "rows": "district",
                "cols": "age",
                "cols_bins": [0, 40, 60, 120],
                "epsilon": 0.3,
            },
        )
        statistics = api.submit_job(
            ["shape_cond"],
            model="filtered_group_statistics",
            params={
                "dataset": "shape_cond",
                "groups": ["district"],
                "column": "income",
                "lower": 0,
                "upper": 1_000_000,
                "filter_column": "age",
                "filter_min": 65,
                "epsilon": 0.4,
            },
        )
        crossed = api.wait_for_job(crosstab["id"], timeout=120)
        filtered = api.wait_for_job(statistics["id"], timeout=120)
    assert crossed["state"] == "pending_review", crossed
    assert crossed["releases"][0]["keys"] == ["district", "age_bin"]
    assert filtered["state"] == "pending_review", filtered
    assert [r["operation"] for r in filtered["releases"]] == ["count", "mean"]
    assert all(r["transformations"][-1]["step"] == "where" for r in filtered["releases"])

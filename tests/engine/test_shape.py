"""Filters, derived columns and several group keys, end to end on registered datasets.

Exactness: at an epsilon of :data:`EXACT` the noise of a count is below one unit with
probability ``1 - 1e-1000`` (discrete Laplace of scale ``bound / EXACT``), so counts are
compared for equality with pandas on the contribution-bounded rows (each unit's first
``bound`` rows in file order); sums and means within a small multiple of their noise scale.
Every refusal charges nothing and quotes no data value.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.parsing import parse_metadata
from sandbox.datasets import registry
from sandbox.engine import InvalidQuery, QueryEngine
from sandbox.engine.compute import LocalTaskPool, RayTaskPool
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.partials import (
    KeySpec,
    PartialPlan,
    ValueSpec,
    dense_eligible,
    dense_partial,
    general_partial,
    partial_of_table,
)
from sandbox.engine.plan import Query, partial_plan_of, plan_query
from sandbox.engine.report import Operation, Part
from sandbox.engine.shape import Shape, apply_shape
from sandbox.errors import Conflict
from sandbox.ledger import InMemoryLedger
from sandbox.policies.rowcount import OutputTooLarge
from tests.engine.conftest import CENSUS_DICTIONARY, SECRET, Census, census_table
from tests.support.factories import GRANT, make_policy, new_ledger, pass_review

EXACT = 5000
"""An epsilon at which counts come out exact (see the module docstring)."""
BOUND = 2

VISITS_DICTIONARY: list[dict[str, Any]] = [
    {"name": "pid", "type": "string", "classification": "identifier"},
    {
        "name": "clinic",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["A", "B", "C"],
    },
    {"name": "ward", "type": "string", "classification": "quasi_identifier"},
    {"name": "visit_date", "type": "date", "classification": "quasi_identifier"},
    {"name": "admitted", "type": "timestamp", "classification": "quasi_identifier"},
    {"name": "age", "type": "int64", "classification": "quasi_identifier"},
    {"name": "cost", "type": "float64", "classification": "sensitive"},
]


def visits_table(persons: int = 700, seed: int = 3) -> pa.Table:
    """Persons with 1 to 4 visits between 2020 and 2024; some null dates, ages and costs."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for person in range(persons):
        age = rng.randrange(0, 100)
        for visit in range(1 + person % 4):
            day = date(2020, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
            rows.append(
                {
                    "pid": f"{SECRET}{person:05d}",
                    "clinic": rng.choice("ABC"),
                    "ward": rng.choice(["w1", "w2", "w3", f"{SECRET}-ward-{person}"]),
                    "visit_date": None if (person + visit) % 41 == 0 else day,
                    "admitted": datetime(
                        day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC
                    ),
                    "age": None if person % 37 == 5 else age,
                    "cost": None if visit == 3 else round(rng.uniform(0, 900), 2),
                }
            )
    schema = DataDictionary.from_list(VISITS_DICTIONARY).arrow_schema()
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.fixture(scope="module")
def visits(census: Census) -> Iterator[pa.Table]:
    """Dataset ``visits`` registered beside ``census`` (dates, timestamps, declared clinics)."""
    data = visits_table()
    var = Path(census.platform.settings.var_dir)
    pq.write_table(data, var / "import" / "visits.parquet")
    metadata = parse_metadata(
        {
            "name": "visits",
            "title": "Visits",
            "description": "test visits",
            "open_attribute": "conditional",
            "open_conditions": "research",
            "update_frequency": "monthly",
            "contact": "data@health.example",
            "privacy_unit": "pid",
            "dictionary": VISITS_DICTIONARY,
        }
    )
    try:
        registry.register_dataset(
            census.platform,
            census.provider,
            metadata,
            registry.DataSource(path=str(var / "import" / "visits.parquet")),
        )
        pass_review(census.platform, metadata.name)
    except Conflict:
        # The census is the session's; when this module's tests are not run one after
        # another (xdist groups), pytest sets this fixture up again: same table, same name.
        pass
    yield data


def engine_for(
    census: Census, ledger: InMemoryLedger, *, bound: int = BOUND, pool: Any = None, **policy: Any
) -> QueryEngine:
    return QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=bound, cap="100000", **policy),
        actor=census.user,
        pool=pool or LocalTaskPool(),
    )


def rich_ledger(dataset: str) -> InMemoryLedger:
    return new_ledger(grant_budget="1000000", lifetime="1000000", dataset=dataset)


def bounded_frame(table: pa.Table, bound: int = BOUND) -> pd.DataFrame:
    """Each unit's first ``bound`` rows, in file order (what contribution bounding keeps)."""
    frame = table.to_pandas()
    return frame[frame.groupby("pid").cumcount() < bound]


def counts_of(release: Any, *keys: str) -> dict[tuple[Any, ...], int]:
    return {tuple(row[k] for k in keys): row["count"] for row in release.rows()}


def truth_counts(frame: pd.DataFrame, *keys: str) -> dict[tuple[Any, ...], int]:
    sizes = frame.groupby(list(keys), observed=True, dropna=True).size()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in sizes.items() if v}


# --- filters ---------------------------------------------------------------------------------


def test_a_filtered_grouped_count_sum_and_mean_equal_pandas(census: Census) -> None:
    ledger = rich_ledger("census")
    old = (
        engine_for(census, ledger)
        .dataset("census")
        .where(["age", ">=", 50], ["district", "in", ["North", "East"]])
    )
    frame = bounded_frame(census.table)
    kept = frame[(frame.age >= 50) & frame.district.isin(["North", "East"])]

    counts = old.group_by("district").count(epsilon=EXACT)
    assert counts_of(counts, "district") == truth_counts(kept, "district")
    # South and West are declared groups too: released (count 0) and then suppressed by
    # min_count like any small group, never refused.
    assert counts.report.row_count.groups_in == 4 and counts.report.suppressed == 2

    means = old.group_by("district").mean("income", lower=0, upper=100_000, epsilon=EXACT)
    truth = kept.dropna(subset=["income"]).groupby("district").income.mean()
    for row in means.rows():
        assert row["mean"] == pytest.approx(truth[row["district"]], abs=5)
    total = old.sum("age", lower=0, upper=100, epsilon=EXACT)
    assert float(total) == pytest.approx(kept.age.sum(), abs=5)


def test_filtered_quantiles_and_numeric_histograms_take_the_general_path(census: Census) -> None:
    ledger = rich_ledger("census")
    north = engine_for(census, ledger).dataset("census").where(["district", "==", "North"])
    frame = bounded_frame(census.table)
    ages = frame[frame.district == "North"].age
    median = north.quantile("age", 0.5, lower=0, upper=100, epsilon=EXACT)
    # The exponential mechanism scores ranks, not values: even at a large epsilon it may pick
    # a neighbour of the exact median when few rows lie between them. Check the rank.
    below, at_most = float((ages < float(median)).mean()), float((ages <= float(median)).mean())
    assert below <= 0.5 + 0.1 and at_most >= 0.5 - 0.1, (float(median), ages.median())
    histogram = north.histogram("age", bins=[0, 40, 60, 100], epsilon=EXACT)
    got = {(r["bin_lower"], r["bin_upper"]): r["count"] for r in histogram.rows()}
    assert got == {
        (0.0, 40.0): int((ages < 40).sum()),
        (40.0, 60.0): int(((ages >= 40) & (ages < 60)).sum()),
        (60.0, 100.0): int((ages >= 60).sum()),
    }
    by_occupation = north.group_by("occupation").count(epsilon=EXACT, delta=1e-6)
    truth = truth_counts(frame[frame.district == "North"], "occupation")
    assert counts_of(by_occupation, "occupation") == {
        k: v for k, v in truth.items() if SECRET not in k[0]
    }


def test_filters_follow_sql_null_semantics(census: Census) -> None:
    ledger = rich_ledger("census")
    data = engine_for(census, ledger).dataset("census")
    frame = bounded_frame(census.table)
    income = frame.income
    cases = [
        (["income", "!=", 5.0], income.notna()),  # != keeps no null
        ({"not": ["income", ">", 50_000.0]}, income <= 50_000),  # not(unknown) is unknown
        (["income", "is_null"], income.isna()),
        (["income", "not_null"], income.notna()),
        (["income", "between", [20_000, 30_000]], income.between(20_000, 30_000)),
        ({"or": [["employed", "==", False], ["age", "<", 30]]}, ~frame.employed | (frame.age < 30)),
        ({"not": ["district", "in", ["North"]]}, frame.district != "North"),
    ]
    for condition, expected in cases:
        release = data.where(condition).count(epsilon=EXACT)
        assert release.value == int(expected.sum()), condition


def test_an_empty_filtered_set_gets_a_noisy_answer_like_any_other(census: Census) -> None:
    ledger = rich_ledger("census")
    data = engine_for(census, ledger).dataset("census")
    nobody = data.where(["age", ">", 1000])
    release = nobody.count(epsilon=1)
    assert release.report.row_count.groups_in == 1  # computed, charged, then the rules
    assert ledger.charges()[-1].id == release.report.charge_id
    grouped = nobody.group_by("district").mean("income", lower=0, upper=10, epsilon=1)
    assert grouped.report.row_count.groups_in == 4
    assert [c.status.value for c in ledger.charges()] == ["released", "released"]


def test_the_memo_keys_on_the_filter_and_the_derived_columns(census: Census) -> None:
    ledger = rich_ledger("census")
    engine = engine_for(census, ledger)
    data = engine.dataset("census")
    old, young = data.where(["age", ">=", 50]), data.where(["age", "<", 50])
    first = old.group_by("district").count(epsilon=EXACT)
    second = young.group_by("district").count(epsilon=EXACT)
    assert engine._memo.misses == 2 and engine._memo.hits == 0
    assert counts_of(first, "district") != counts_of(second, "district")
    again = data.where(["age", ">=", 50]).group_by("district").count(epsilon=EXACT)
    assert engine._memo.hits == 1 and counts_of(again, "district") == counts_of(first, "district")
    unfiltered = data.group_by("district").count(epsilon=EXACT)
    banded = data.bin("age", [0, 50, 200], name="district_band").group_by("district")
    banded.count(epsilon=EXACT)  # an unused derived column is no part of the aggregate
    assert engine._memo.hits == 2
    assert counts_of(unfiltered, "district") != counts_of(first, "district")


# --- derived columns ------------------------------------------------------------------------


def test_a_two_key_grouping_with_a_binned_key_equals_pandas(
    census: Census, visits: pa.Table
) -> None:
    ledger = rich_ledger("visits")
    data = engine_for(census, ledger).dataset("visits").bin("age", [0, 18, 65, 100])
    release = data.group_by(["clinic", "age_bin"]).count(epsilon=EXACT)
    frame = bounded_frame(visits)
    frame["age_bin"] = pd.cut(
        frame.age, [0, 18, 65, 100], right=False, labels=["[0, 18)", "[18, 65)", "[65, 100]"]
    )
    assert counts_of(release, "clinic", "age_bin") == truth_counts(frame, "clinic", "age_bin")
    assert not release.report.partition_selection
    assert release.report.row_count.groups_in == 9  # 3 clinics x 3 bins, all public
    assert release.report.keys == ("clinic", "age_bin")
    table = release.value
    assert isinstance(table, pa.Table) and table.schema.field("age_bin").type == pa.string()


def test_date_parts_and_coarser_categories_equal_pandas(census: Census, visits: pa.Table) -> None:
    ledger = rich_ledger("visits")
    data = engine_for(census, ledger).dataset("visits")
    frame = bounded_frame(visits)
    dates = pd.to_datetime(frame.visit_date)

    months = data.date_part("visit_date", "month").group_by("visit_date_month")
    truth = dates.dt.month.dropna().astype(int).value_counts().to_dict()
    assert {
        k[0]: v for k, v in counts_of(months.count(epsilon=EXACT), "visit_date_month").items()
    } == truth

    weekdays = data.date_part("admitted", "weekday", name="day").group_by("day")
    iso = pd.to_datetime(frame.admitted).dt.day_of_week + 1  # ISO: Monday 1 .. Sunday 7
    assert {
        k[0]: v for k, v in counts_of(weekdays.count(epsilon=EXACT), "day").items()
    } == iso.value_counts().to_dict()

    years = (
        data.date_part("visit_date", "year", years=[2021, 2023])
        .group_by("visit_date_year")
        .count(epsilon=EXACT)
    )
    in_range = dates.dt.year[(dates.dt.year >= 2021) & (dates.dt.year <= 2023)]
    assert {k[0]: v for k, v in counts_of(years, "visit_date_year").items()} == in_range.astype(
        int
    ).value_counts().to_dict()
    assert years.value.schema.field("visit_date_year").type == pa.int64()  # type: ignore[union-attr]

    halves = data.map("clinic", {"A": "north", "B": "north"}, default="rest", name="half").where(
        ["visit_date", ">=", "2022-07-01"]
    )
    got = counts_of(halves.group_by("half").count(epsilon=EXACT), "half")
    late = frame[frame.visit_date >= date(2022, 7, 1)]
    assert got == {
        ("north",): int(late.clinic.isin(["A", "B"]).sum()),
        ("rest",): int((late.clinic == "C").sum()),
    }


def test_a_filter_may_name_a_derived_column_and_timestamps(
    census: Census, visits: pa.Table
) -> None:
    ledger = rich_ledger("visits")
    data = engine_for(census, ledger).dataset("visits")
    frame = bounded_frame(visits)
    old = data.bin("age", [0, 65, 100], labels=["younger", "older"], name="band").where(
        ["band", "==", "older"], ["admitted", "<", "2021-01-01T00:00:00+00:00"]
    )
    expected = frame[
        (frame.age >= 65) & (pd.to_datetime(frame.admitted) < pd.Timestamp("2021-01-01", tz="UTC"))
    ]
    assert old.count(epsilon=EXACT).value == len(expected)


def test_multi_key_grouping_mixes_public_and_selected_keys(census: Census) -> None:
    ledger = rich_ledger("census")
    data = engine_for(census, ledger, bound=3).dataset("census")
    frame = bounded_frame(census.table, 3)
    release = data.group_by(["district", "occupation"]).count(epsilon=EXACT, delta=1e-6)
    assert release.report.partition_selection
    got = counts_of(release, "district", "occupation")
    truth = truth_counts(frame, "district", "occupation")
    # Every released group is exact; only the single-person occupations (at most 3 rows,
    # below the selection threshold) are left out, and no value of theirs shows.
    assert got == {k: v for k, v in truth.items() if k in got}
    assert {k for k in truth if k not in got} == {k for k in truth if SECRET in k[1]}

    banded = data.bin("age", [0, 40, 200], name="band").group_by(["band", "occupation"])
    mixed = banded.count(epsilon=EXACT, delta=1e-6)
    frame["band"] = pd.cut(frame.age, [0, 40, 200], right=False, labels=["[0, 40)", "[40, 200]"])
    truth = truth_counts(frame, "band", "occupation")
    got = counts_of(mixed, "band", "occupation")
    assert got and got == {k: v for k, v in truth.items() if k in got}


def test_the_cross_product_of_public_keys_is_capped_by_max_output_cells(
    census: Census, visits: pa.Table
) -> None:
    ledger = rich_ledger("visits")
    data = engine_for(census, ledger, max_cells=1000).dataset("visits")
    shaped = data.bin("age", list(range(0, 101, 2))).date_part("visit_date", "month")
    grouped = shaped.group_by(["clinic", "age_bin", "visit_date_month"])  # 3 x 50 x 12
    with pytest.raises(OutputTooLarge, match=r"1800 cells.*row_count\.max_output_cells"):
        grouped.count(epsilon=1)
    with pytest.raises(OutputTooLarge, match=r"3600 cells"):
        grouped.mean("cost", lower=0, upper=1000, epsilon=1)
    assert ledger.charges() == []
    assert (
        shaped.group_by(["clinic", "visit_date_month"]).count(epsilon=1).report.row_count.groups_in
        == 36
    )


# --- refusals -------------------------------------------------------------------------------


REFUSALS: list[tuple[str, Any, str]] = [
    ("where", [["pid", "==", "x"]], "column 'pid' is an identifier"),
    ("where", [["nope", ">", 1]], "no column 'nope'"),
    ("where", [lambda row: True], "never a function"),
    ("where", [["age", "~=", 1]], "unknown operator"),
    ("where", [["age", ">=", "65"]], "column 'age' is numeric"),
    ("where", [["age", ">=", True]], "column 'age' is numeric"),
    ("where", [["age", ">=", float("nan")]], "finite number"),
    ("where", [["district", "==", f"{SECRET}-district"]], "public categories"),
    ("where", [["district", "<", "North"]], "numbers, dates and timestamps only"),
    ("where", [["age", "between", [5, 1]]], "lower <= upper"),
    ("where", [["age", "in", []]], "list of 1 to"),
    ("where", [{"and": [], "or": []}], "exactly one key"),
    ("where", [{"xor": [["age", ">", 1]]}], 'must be "and", "or" or "not"'),
    (
        "where",
        [
            {
                "not": {
                    "not": {
                        "not": {"not": {"not": {"not": {"not": {"not": {"not": ["age", ">", 1]}}}}}}
                    }
                }
            }
        ],
        "nest at most",
    ),
    ("where", [["age", ">", 1]] * 65, "at most 64 conditions"),
    ("where", [], "at least one condition"),
    ("where", [("age", "is_null", 1)], "takes no value"),
    ("where", [["employed", "==", 1]], "compare it with True or False"),
    ("derive", {"kind": "bin", "column": "pid", "edges": [0, 1]}, "is an identifier"),
    ("derive", {"kind": "bin", "column": "district", "edges": [0, 1]}, "takes int64 or "),
    ("derive", {"kind": "bin", "column": "age", "edges": [5, 1]}, "strictly increasing"),
    ("derive", {"kind": "bin", "column": "age", "edges": 4}, "list of public bin edges"),
    (
        "derive",
        {"kind": "bin", "column": "age", "edges": [0, 1], "name": "district"},
        "exists already",
    ),
    (
        "derive",
        {"kind": "bin", "column": "age", "edges": [0, 1], "name": "count"},
        "clashes with an output column",
    ),
    (
        "derive",
        {"kind": "bin", "column": "age", "edges": [0, 1], "labels": ["a", "b"]},
        "name each of the 1 bins",
    ),
    (
        "derive",
        {"kind": "map", "column": "district", "mapping": {f"{SECRET}x": "y"}},
        "every mapped category must be one of them",
    ),
    (
        "derive",
        {"kind": "map", "column": "district", "mapping": [["North", "N"]]},
        "mapping must be a dict",
    ),
    ("derive", {"kind": "date_part", "column": "age", "part": "year"}, "takes date or "),
    ("derive", {"kind": "sql", "column": "age"}, "kind must be one of"),
    ("derive", {"kind": "bin", "column": "age", "edges": [0, 1], "code": "x"}, "unknown field"),
    ("group_by", ["district", "nope"], "no column 'nope'"),
    ("group_by", ["income"], "classified sensitive"),
    ("group_by", ["district", "district"], "named twice"),
]


@pytest.mark.parametrize(
    ("method", "argument", "message"),
    REFUSALS,
    ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(REFUSALS)],
)
def test_bad_shapes_are_refused_before_anything_is_read_or_charged(
    census: Census, method: str, argument: Any, message: str
) -> None:
    ledger = rich_ledger("census")
    data = engine_for(census, ledger).dataset("census")
    with pytest.raises(InvalidQuery) as info:
        if method == "where":
            data.where(*argument).count(epsilon=1)
        elif method == "derive":
            data.derive(argument).count(epsilon=1)
        else:
            data.group_by(argument).count(epsilon=1)
    assert message in str(info.value)
    assert SECRET not in str(info.value)
    assert ledger.charges() == []


def test_date_parts_need_a_public_year_range(census: Census, visits: pa.Table) -> None:
    data = engine_for(census, rich_ledger("visits")).dataset("visits")
    for years, message in (
        (None, "needs the public range"),
        ([2024, 2020], "first <= last"),
        ([1, 5000], "at most 1000 years"),
        ([2020.0, 2021], "integers"),
    ):
        with pytest.raises(InvalidQuery, match=message):
            data.date_part("visit_date", "year", years=years)
    with pytest.raises(InvalidQuery, match="year part only"):
        data.date_part("visit_date", "month", years=[2020, 2021])
    with pytest.raises(InvalidQuery, match="must be one of: year"):
        data.date_part("visit_date", "hour")
    with pytest.raises(InvalidQuery, match="ISO date"):
        data.where(["visit_date", ">", "yesterday"])


# --- stability, accounted -------------------------------------------------------------------


def test_the_report_shows_each_transformation_and_its_stability(census: Census) -> None:
    data = engine_for(census, rich_ledger("census"), bound=3).dataset("census")
    release = (
        data.bin("age", [0, 65, 200])
        .where(["age_bin", "==", "[65, 200]"])
        .group_by("district")
        .count(epsilon=1)
    )
    steps = release.report.to_dict()["transformations"]
    assert [s["step"] for s in steps] == [
        "bound contributions by pid",
        "derive age_bin (bin of age)",
        "where",
    ]
    assert [s["rows_per_unit"] for s in steps] == [3, 3, 3]
    assert steps[1]["justified_by"] == "OpenDP make_find_bin stability map"
    assert steps[2]["justified_by"] == "OpenDP make_subset_by stability map"
    assert steps[2]["detail"] == ["age_bin", "==", "[65, 200]"]
    assert release.report.mechanisms[0].mechanism == "discrete Laplace"


def test_measurements_are_calibrated_at_the_distance_the_stability_maps_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transformation that were 2-stable would double every sensitivity: the plan asks
    the maps instead of assuming the contribution bound."""
    import sandbox.engine.stability as stability

    dictionary = DataDictionary.from_list(CENSUS_DICTIONARY)
    shape = Shape().filtered([["age", ">=", 65]], dictionary)
    keys = shape.key_columns(dictionary, "district")
    query = Query(
        Operation.MEAN,
        keys,
        Fraction(1),
        None,
        value=dictionary.by_name["income"],
        lower=0.0,
        upper=100.0,
        shape=shape,
    )
    policy = make_policy(bound=3)
    plan = plan_query(query, policy, 3, "pid")
    assert plan.row_distance == 3 and plan.parts[Part.COUNT].d_in == 3

    monkeypatch.setattr(
        stability, "filter_stability", lambda distance: (2 * distance, "a 2-stable filter")
    )
    doubled = plan_query(query, policy, 3, "pid")
    assert doubled.row_distance == 6 and doubled.parts[Part.COUNT].d_in == 6
    assert doubled.parts[Part.SUM].d_in == 2 * plan.parts[Part.SUM].d_in
    assert doubled.parts[Part.COUNT].scale == pytest.approx(2 * plan.parts[Part.COUNT].scale)
    unfiltered = plan_query(replace(query, shape=Shape()), policy, 3, "pid")
    assert [s.step for s in unfiltered.steps] == ["bound contributions by pid"]


# --- the scan: both aggregation paths, Ray ----------------------------------------------------


def test_the_dense_and_general_paths_agree_on_filtered_derived_keys() -> None:
    dictionary = DataDictionary.from_list(CENSUS_DICTIONARY)
    table = census_table(600)
    shape = (
        Shape()
        .derive({"kind": "bin", "column": "age", "edges": [0, 30, 60, 90]}, dictionary)
        .derive(
            {
                "kind": "map",
                "column": "district",
                "mapping": {"North": "N", "South": "S"},
                "name": "half",
            },
            dictionary,
        )
        .filtered([{"or": [["employed", "==", True], ["income", "is_null"]]}], dictionary)
    )
    keys = shape.key_columns(dictionary, ["half", "age_bin"])
    query = Query(
        Operation.MEAN,
        keys,
        Fraction(1),
        None,
        value=dictionary.by_name["income"],
        lower=0.0,
        upper=100_000.0,
        shape=shape,
    )
    plan = partial_plan_of(plan_query(query, make_policy(), 3, "pid"))
    assert dense_eligible(plan)
    shaped, keep = apply_shape(table, plan.derived, plan.where)
    assert keep is not None
    with_keep = shaped.append_column("#keep", keep)
    dense = dense_partial(with_keep, plan)
    general = general_partial(
        with_keep.set_column(
            with_keep.schema.get_field_index("age_bin"),
            "age_bin",
            with_keep["age_bin"].cast(pa.string()),
        ).set_column(
            with_keep.schema.get_field_index("half"), "half", with_keep["half"].cast(pa.string())
        ),
        plan,
    )
    assert dense == general == partial_of_table(table, plan)
    frame = table.to_pandas()
    kept = frame[frame.employed | frame.income.isna()].copy()
    kept["half"] = kept.district.map({"North": "N", "South": "S"})
    kept["age_bin"] = pd.cut(
        kept.age, [0, 30, 60, 90], right=False, labels=["[0, 30)", "[30, 60)", "[60, 90]"]
    )
    assert {k: s.rows for k, s in dense.items()} == truth_counts(kept, "half", "age_bin")
    assert sum(s.values for s in dense.values()) == int(
        kept.dropna(subset=["half"]).income.notna().sum()
    )


def test_filtered_plans_without_keys_route_dropped_rows_to_no_group() -> None:
    table = census_table(200)
    dictionary = DataDictionary.from_list(CENSUS_DICTIONARY)
    shape = Shape().filtered([["age", "<", 0]], dictionary)  # matches nothing
    plan = PartialPlan(
        value=ValueSpec("income", Grid.centred(0.0, 1.0), moments=1), where=shape.where
    )
    assert partial_of_table(table, plan) == {}
    keyed = PartialPlan(keys=(KeySpec("district", ("North", "South")),), where=shape.where)
    assert partial_of_table(table, keyed) == {}


@pytest.mark.usefixtures("ray_session")
def test_shaped_queries_run_in_ray_tasks_as_in_process(census: Census, visits: pa.Table) -> None:
    ledger = rich_ledger("visits")
    ray_engine = engine_for(census, ledger, pool=RayTaskPool(num_cpus=2))
    local_engine = engine_for(census, rich_ledger("visits"))

    def ask(engine: QueryEngine) -> dict[tuple[Any, ...], int]:
        data = (
            engine.dataset("visits")
            .bin("age", [0, 50, 100])
            .date_part("visit_date", "quarter")
            .where(["cost", ">=", 100.0], ["ward", "!=", "w2"])
        )
        return counts_of(
            data.group_by(["age_bin", "visit_date_quarter", "clinic"]).count(epsilon=EXACT),
            "age_bin",
            "visit_date_quarter",
            "clinic",
        )

    assert ask(ray_engine) == ask(local_engine)


@pytest.mark.parametrize("edges", [[0.0, 18.0, 65.0, 120.0], [float(e) for e in range(0, 121, 4)]])
def test_bins_are_right_open_but_the_last_one_and_leave_out_what_is_outside(
    edges: list[float],
) -> None:
    from sandbox.engine.derived import FEW_EDGES, Binned

    assert (len(edges) <= FEW_EDGES) == (len(edges) == 4)  # both ways of finding bins
    values = [-1.0, 0.0, 4.0, 17.999, 18.0, 64.0, 65.0, 119.5, 120.0, 120.5, None, math.nan]
    labels = tuple(f"b{i}" for i in range(len(edges) - 1))
    binned = Binned("band", "x", tuple(edges), labels).evaluate(
        pa.chunked_array([pa.array(values, pa.float64())])
    )
    got = binned.to_pylist()
    cut = pd.cut(pd.Series(values, dtype="float64"), edges, right=False, labels=labels)
    expected = [None if v != v else v for v in cut.astype(object)]
    expected[values.index(120.0)] = labels[-1]  # the last bin is closed
    assert got == expected

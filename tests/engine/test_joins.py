"""Joins, end to end on registered datasets: a private join of two granted datasets on their
privacy unit, public lookup joins, and their refusals.

Exactness as in :mod:`tests.engine.test_shape`: at an epsilon of :data:`EXACT` counts are
exact, so they are compared for equality with pandas on the truncated join (each side's
first ``k`` rows per person in file order, merged on the person); sums within a small
multiple of their noise scale. Every refusal charges nothing and quotes no data value.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
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
from sandbox.engine.joined import apply_join
from sandbox.errors import Conflict, PermissionDenied
from sandbox.ledger import InMemoryLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from tests.engine.conftest import SECRET, Census
from tests.support.factories import GRANT, charge_events, make_policy, pass_review

EXACT = 5000
VISITS: list[dict[str, Any]] = [
    {"name": "person_id", "type": "string", "classification": "identifier"},
    {"name": "clinic_id", "type": "string", "classification": "quasi_identifier"},
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["N", "S"],
    },
    {"name": "age", "type": "int64", "classification": "quasi_identifier"},
    {"name": "cost", "type": "float64", "classification": "sensitive"},
]
BENEFITS: list[dict[str, Any]] = [
    {"name": "person_id", "type": "string", "classification": "identifier"},
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["N", "S"],
    },
    {
        "name": "kind",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["pension", "housing"],
    },
    {"name": "amount", "type": "float64", "classification": "sensitive"},
]
CLINICS: list[dict[str, Any]] = [
    {"name": "clinic_id", "type": "string", "classification": "public"},
    {"name": "clinic_district", "type": "string", "classification": "public"},
    {"name": "beds", "type": "int64", "classification": "public"},
]
CLINIC_ROWS = [
    ("c1", "Harbour", 10),
    ("c2", "Harbour", 25),
    ("c3", "Hill", 40),
    ("c4", "Old Town", 5),
]
"""Visits also name c9, which no clinic row has (dropped by an inner join)."""


def visits_table(seed: int = 21) -> pa.Table:
    rng = random.Random(seed)
    rows = [
        {
            "person_id": f"{SECRET}{p:04d}",
            "clinic_id": rng.choice(["c1", "c2", "c3", "c4", "c9"]),
            "district": "NS"[p % 2],
            "age": 20 + p % 60,
            "cost": None if (p + v) % 29 == 0 else round(rng.uniform(0, 500), 2),
        }
        for p in range(400)
        for v in range(1 + p % 5)
    ]
    return pa.Table.from_pylist(rows, schema=DataDictionary.from_list(VISITS).arrow_schema())


def benefits_table(seed: int = 22) -> pa.Table:
    rng = random.Random(seed)
    rows = [
        {
            "person_id": f"{SECRET}{p:04d}",
            "district": "NS"[(p // 3) % 2],
            "kind": rng.choice(["pension", "housing"]),
            "amount": round(rng.uniform(0, 900), 2),
        }
        for p in range(150, 550)
        for _ in range(1 + p % 4)
    ]
    return pa.Table.from_pylist(rows, schema=DataDictionary.from_list(BENEFITS).arrow_schema())


def clinics_table(rows: list[tuple[str, str, int]] = CLINIC_ROWS) -> pa.Table:
    return pa.Table.from_pylist(
        [dict(zip(("clinic_id", "clinic_district", "beds"), row, strict=True)) for row in rows],
        schema=DataDictionary.from_list(CLINICS).arrow_schema(),
    )


@dataclass
class Joinable:
    census: Census
    visits: pa.Table
    benefits: pa.Table
    clinics: pa.Table


def _register(
    census: Census,
    name: str,
    table: pa.Table,
    dictionary: list[dict[str, Any]],
    attribute: str = "conditional",
    unit: str | None = "person_id",
) -> None:
    var = Path(census.platform.settings.var_dir)
    path = var / "import" / f"{name}.parquet"
    pq.write_table(table, path)
    metadata = parse_metadata(
        {
            "name": name,
            "title": name,
            "description": "join test rows",
            "open_attribute": attribute,
            "open_conditions": "research",
            "update_frequency": "monthly",
            "contact": "data@city.example",
            "privacy_unit": unit,
            "dictionary": dictionary,
        }
    )
    try:
        registry.register_dataset(
            census.platform, census.provider, metadata, registry.DataSource(path=str(path))
        )
    except Conflict:
        # The census is the session's; when a module's tests are not run one after another
        # (xdist groups), pytest sets the module's fixture up again: same rows, same name.
        return
    pass_review(census.platform, metadata.name)


@pytest.fixture(scope="module")
def joinable(census: Census) -> Iterator[Joinable]:
    """``jvisits`` and ``jbenefits`` (conditional, unit ``person_id``), the unconditional
    lookup tables ``jclinics`` (one row per clinic) and ``jclinics2`` (two per clinic), and
    ``jcond_clinics`` (the same rows, conditional)."""
    made = Joinable(census, visits_table(), benefits_table(), clinics_table())
    _register(census, "jvisits", made.visits, VISITS)
    _register(census, "jbenefits", made.benefits, BENEFITS)
    _register(census, "jclinics", made.clinics, CLINICS, "unconditional", None)
    doubled = clinics_table([row for row in CLINIC_ROWS for _ in range(2)])
    _register(census, "jclinics2", doubled, CLINICS, "unconditional", None)
    _register(census, "jcond_clinics", made.clinics, CLINICS, "conditional", None)
    yield made


def ledger_for(*datasets: str, lifetime: str = "1000000") -> InMemoryLedger:
    ledger = InMemoryLedger()
    for name in datasets:
        ledger.open_dataset_account(name, PrivacyCost.of(lifetime, "0.5"), Accounting.PURE)
        ledger.open_grant_account(GRANT, name, PrivacyCost.of("1000000", "0.1"), Accounting.PURE)
    return ledger


def engine_for(
    joinable: Joinable,
    ledger: InMemoryLedger,
    *,
    bounds: tuple[int, int] = (3, 2),
    covered: tuple[str, ...] = ("jvisits", "jbenefits"),
    pool: Any = None,
    rows_per_bucket: int = 1_500_000,
) -> QueryEngine:
    policies = {
        name: make_policy(bound=bound, cap="100000")
        for name, bound in zip(("jvisits", "jbenefits"), bounds, strict=True)
        if name in covered
    }
    return QueryEngine(
        joinable.census.platform,
        ledger,
        grant=GRANT,
        policy=policies,
        actor=joinable.census.user,
        pool=pool or LocalTaskPool(),
        rows_per_bucket=rows_per_bucket,
    )


def truncated(table: pa.Table, k: int) -> pd.DataFrame:
    frame = table.to_pandas()
    frame["#pos"] = range(len(frame))
    return frame[frame.groupby("person_id").cumcount() < k]


def joined_frame(joinable: Joinable, k: tuple[int, int], bound: int | None = None) -> pd.DataFrame:
    """pandas' join of the truncated sides (overlapping names suffixed), bounded if asked."""
    joined = truncated(joinable.visits, k[0]).merge(
        truncated(joinable.benefits, k[1]), on="person_id", suffixes=("_left", "_right")
    )
    if bound is not None:
        joined = joined.sort_values(["#pos_left", "#pos_right"], kind="stable")
        joined = joined[joined.groupby("person_id").cumcount() < bound]
    return joined


def counts_of(release: Any, *keys: str) -> dict[tuple[Any, ...], int]:
    return {tuple(row[k] for k in keys): row["count"] for row in release.rows()}


def truth_counts(frame: pd.DataFrame, *keys: str) -> dict[tuple[Any, ...], int]:
    sizes = frame.groupby(list(keys), observed=True).size()
    return {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in sizes.items() if v}


# --- private joins ---------------------------------------------------------------------------


def test_a_private_join_equals_pandas_on_the_truncated_join(joinable: Joinable) -> None:
    ledger = ledger_for("jvisits", "jbenefits")
    engine = engine_for(joinable, ledger)
    both = engine.dataset("jvisits").join(
        engine.dataset("jbenefits"), on="person_id", truncate=[2, 2]
    )
    truth = joined_frame(joinable, (2, 2))
    assert "district_left" in both.info.dictionary.by_name
    assert "district_right" in both.info.dictionary.by_name

    counts = both.group_by(["district_left", "kind"]).count(epsilon=EXACT)
    assert counts_of(counts, "district_left", "kind") == truth_counts(
        truth, "district_left", "kind"
    )
    assert not counts.report.partition_selection
    total = both.sum("amount", lower=0, upper=1000, epsilon=EXACT)
    assert float(total) == pytest.approx(truth.amount.sum(), abs=5)
    older = both.where(["age", ">=", 50]).count(epsilon=EXACT)
    assert older.value == int((truth.age >= 50).sum())

    report = counts.report
    assert report.contribution_bound == 4 and report.privacy_unit == "person_id"
    assert [s.step for s in report.transformations] == [
        "truncate jvisits to 2 rows per person_id",
        "truncate jbenefits to 2 rows per person_id",
        "join jvisits and jbenefits on person_id",
    ]
    assert [s.rows_per_unit for s in report.transformations] == [2, 2, 4]
    assert report.joins[0]["dataset"] == "jbenefits" and report.joins[0]["truncate"] == [2, 2]
    as_dict = report.to_dict()
    assert as_dict["joins"] == [dict(j) for j in report.joins]
    assert len(report.charge_ids) == 2 and report.charge_id == report.charge_ids[0]

    # Both datasets' lifetime budgets and the grant's account on each pay every release.
    spent = Fraction(EXACT) * 3
    for name in ("jvisits", "jbenefits"):
        assert ledger.account(name).spent.loss == spent
        assert ledger.account(name, GRANT).spent.loss == spent
    charges = ledger.charges()
    assert [c.dataset for c in charges[:2]] == ["jvisits", "jbenefits"]
    assert all(c.status.value == "released" for c in charges)
    assert "jvisits v1 joined with jbenefits v1 on person_id" in charges[0].purpose
    assert SECRET not in str(as_dict)


def test_the_default_truncation_is_each_policys_bound_and_bound_limits_the_joined_rows(
    joinable: Joinable,
) -> None:
    ledger = ledger_for("jvisits", "jbenefits")
    engine = engine_for(joinable, ledger, bounds=(3, 2))
    visits, benefits = engine.dataset("jvisits"), engine.dataset("jbenefits")
    default = visits.join(benefits, on="person_id")
    assert default.contribution_bound == 6
    assert default.count(epsilon=EXACT).value == len(joined_frame(joinable, (3, 2)))
    bounded = visits.join(benefits, on="person_id", bound=4)
    assert bounded.contribution_bound == 4
    release = bounded.group_by("kind").count(epsilon=EXACT)
    assert counts_of(release, "kind") == truth_counts(joined_frame(joinable, (3, 2), 4), "kind")
    assert release.report.transformations[-1].step == "bound joined rows by person_id"
    # A bound above k_left * k_right changes nothing.
    assert visits.join(benefits, on="person_id", bound=50).contribution_bound == 6


def test_a_private_join_in_many_buckets_and_on_ray_gives_the_same_rows(
    joinable: Joinable, ray_session: None
) -> None:
    truth = joined_frame(joinable, (2, 1))
    wanted = truth_counts(truth, "district_right")
    for pool, rows in ((LocalTaskPool(), 300), (RayTaskPool(num_cpus=2), 500)):
        engine = engine_for(
            joinable, ledger_for("jvisits", "jbenefits"), pool=pool, rows_per_bucket=rows
        )
        both = engine.dataset("jvisits").join(
            engine.dataset("jbenefits"), on="person_id", truncate=[2, 1], bound=1
        )
        assert both.bounded().directory is not None
        release = both.group_by("district_right").count(epsilon=EXACT)
        bounded = joined_frame(joinable, (2, 1), 1)
        assert counts_of(release, "district_right") == truth_counts(bounded, "district_right")
    assert sum(wanted.values()) == len(truth)


# --- public joins ----------------------------------------------------------------------------


def test_a_public_join_gives_public_keys_and_equals_pandas(joinable: Joinable) -> None:
    ledger = ledger_for("jvisits")
    engine = engine_for(joinable, ledger, covered=("jvisits",))
    placed = engine.dataset("jvisits").join_public("jclinics", on="clinic_id")
    spec = placed.info.dictionary.by_name["clinic_district"]
    assert spec.categories == ("Harbour", "Hill", "Old Town")  # read from the public table
    visits = truncated(joinable.visits, 3).merge(joinable.clinics.to_pandas(), on="clinic_id")

    release = placed.group_by("clinic_district").count(epsilon=EXACT)
    assert counts_of(release, "clinic_district") == truth_counts(visits, "clinic_district")
    assert not release.report.partition_selection  # public categories, no selection
    assert release.report.contribution_bound == 3  # one clinic row per key: 1-stable
    assert release.report.transformations[-1].step == "join_public jclinics on clinic_id (inner)"
    beds = placed.sum("beds", lower=0, upper=50, epsilon=EXACT)
    assert float(beds) == pytest.approx(visits.beds.sum(), abs=5)
    assert ledger.account("jvisits").spent.loss == 2 * EXACT
    assert len(ledger.charges()) == 2 and release.report.charge_ids == ()

    kept = engine.dataset("jvisits").join_public("jclinics", on="clinic_id", how="left")
    assert kept.count(epsilon=EXACT).value == len(truncated(joinable.visits, 3))


def test_duplicate_keys_in_the_public_table_multiply_the_bound(joinable: Joinable) -> None:
    engine = engine_for(joinable, ledger_for("jvisits"), covered=("jvisits",))
    doubled = engine.dataset("jvisits").join_public("jclinics2", on="clinic_id")
    release = doubled.count(epsilon=EXACT)
    merged = truncated(joinable.visits, 3).merge(joinable.clinics.to_pandas(), on="clinic_id")
    assert release.value == 2 * len(merged)
    assert release.report.contribution_bound == 6
    assert release.report.joins[0]["rows_per_key"] == 2
    sides = release.report.mechanisms[0]
    single = (
        engine.dataset("jvisits")
        .join_public("jclinics", on="clinic_id")
        .count(epsilon=EXACT)
        .report.mechanisms[0]
    )
    assert sides.scale == pytest.approx(2 * single.scale)


def test_a_private_join_then_a_public_join_groups_by_the_lookup(joinable: Joinable) -> None:
    ledger = ledger_for("jvisits", "jbenefits")
    engine = engine_for(joinable, ledger)
    both = engine.dataset("jvisits").join(engine.dataset("jbenefits"), on="person_id", truncate=1)
    placed = both.join_public("jclinics", on="clinic_id")
    truth = joined_frame(joinable, (1, 1)).merge(joinable.clinics.to_pandas(), on="clinic_id")
    release = placed.group_by("clinic_district").sum("amount", lower=0, upper=1000, epsilon=EXACT)
    sums = truth.groupby("clinic_district").amount.sum()
    for row in release.rows():
        assert row["sum"] == pytest.approx(sums[row["clinic_district"]], abs=5)
    assert [j["kind"] for j in release.report.joins] == ["private", "public"]
    assert len(release.report.charge_ids) == 2


# --- refusals --------------------------------------------------------------------------------


REFUSALS = [
    (
        "join",
        {"on": "district"},
        "join(): column 'district' is not the privacy unit of "
        "'jvisits' (its privacy unit is 'person_id')",
    ),
    ("join", {"on": "nope"}, "join(): dataset 'jvisits' has no column 'nope'"),
    ("join", {}, "join(): needs on="),
    (
        "join",
        {"on": "person_id", "truncate": 3},
        "join(): truncate for 'jbenefits' may be at most its policy's contribution bound (2)",
    ),
    ("join", {"on": "person_id", "truncate": [1, 2, 3]}, "truncate must be a number"),
    ("join", {"on": "person_id", "truncate": 0}, "at least 1"),
    ("join", {"on": "person_id", "bound": 1.5}, "join(): bound must be a whole number"),
    (
        "public",
        {"table": "jbenefits", "on": "person_id"},
        "join_public(): dataset 'jbenefits' is conditional: only an unconditional dataset",
    ),
    ("public", {"table": "jcond_clinics", "on": "clinic_id"}, "is conditional"),
    (
        "public",
        {"table": "jclinics", "on": "nope"},
        "join_public(): dataset 'jvisits' has no column 'nope'",
    ),
    (
        "public",
        {"table": "jclinics", "on": "district"},
        "join_public(): dataset 'jclinics' has no column 'district'",
    ),
    (
        "public",
        {"table": "jclinics", "on": "clinic_id", "how": "outer"},
        "how must be 'inner' or 'left'",
    ),
    ("public", {"table": "census", "on": "district"}, "dataset 'census' is conditional"),
]


@pytest.mark.parametrize(("kind", "arguments", "message"), REFUSALS)
def test_bad_joins_are_refused_before_anything_is_read_or_charged(
    joinable: Joinable, kind: str, arguments: dict[str, Any], message: str
) -> None:
    ledger = ledger_for("jvisits", "jbenefits")
    engine = engine_for(joinable, ledger)
    visits = engine.dataset("jvisits")
    with pytest.raises(InvalidQuery) as info:
        if kind == "join":
            visits.join(engine.dataset("jbenefits"), **arguments).count(epsilon=1)
        else:
            table = arguments.pop("table")
            visits.join_public(table, **arguments).count(epsilon=1)
    assert message in str(info.value)
    assert SECRET not in str(info.value)
    assert ledger.charges() == [] and charge_events(ledger) == []


def test_joins_of_shaped_handles_and_unknown_joined_columns_are_refused(joinable: Joinable) -> None:
    ledger = ledger_for("jvisits", "jbenefits")
    engine = engine_for(joinable, ledger)
    visits, benefits = engine.dataset("jvisits"), engine.dataset("jbenefits")
    cases = [
        (
            lambda: visits.where(["age", ">", 30]).join(benefits, on="person_id"),
            "join(): join before where, bin, map or date_part",
        ),
        (
            lambda: visits.join(benefits.bin("amount", [0, 500, 1000]), on="person_id"),
            "join(): join before where",
        ),
        (lambda: visits.join(visits, on="person_id"), "cannot be joined with itself"),
        (
            lambda: visits.join("jbenefits", on="person_id"),
            "join(): the other side must be a dataset handle",
        ),
        (
            lambda: visits.join(benefits, on="person_id").join(benefits, on="person_id"),
            "join(): a query joins two granted datasets at most once",
        ),
        (
            lambda: visits.join(benefits, on="person_id").group_by("district"),
            "the dataset has no column 'district'",
        ),
        (
            lambda: visits.join(benefits, on="person_id").sum("nope", lower=0, upper=1, epsilon=1),
            "the dataset has no column 'nope'",
        ),
        (
            lambda: visits.join(benefits, on="person_id").group_by("person_id"),
            "column 'person_id' is classified identifier",
        ),
        (
            lambda: (
                visits.join_public("jclinics", on="clinic_id").group_by("beds").count(epsilon=1)
            ),
            "partition selection needs delta",
        ),
    ]
    for run, message in cases:
        with pytest.raises(InvalidQuery) as info:
            run()
        assert message in str(info.value), message
        assert SECRET not in str(info.value)
    assert ledger.charges() == []


def test_a_dataset_outside_the_grant_is_refused(joinable: Joinable) -> None:
    ledger = ledger_for("jvisits")
    engine = engine_for(joinable, ledger, covered=("jvisits",))
    visits = engine.dataset("jvisits")
    with pytest.raises(PermissionDenied, match="this grant does not cover dataset 'jbenefits'"):
        apply_join(
            visits, {"kind": "private", "dataset": "jbenefits", "on": "person_id"}, engine.dataset
        )
    with pytest.raises(InvalidQuery, match=r"join\(\): unknown argument\(s\) \['key'\]"):
        apply_join(visits, {"kind": "private", "dataset": "jbenefits", "key": "x"}, engine.dataset)
    with pytest.raises(InvalidQuery, match="kind is 'private' or 'public'"):
        apply_join(visits, {"kind": "cross"}, engine.dataset)
    assert ledger.charges() == []


def test_a_joint_charge_is_all_or_nothing(joinable: Joinable) -> None:
    """When one dataset's lifetime budget cannot pay, neither dataset pays."""
    ledger = InMemoryLedger()
    for name, lifetime in (("jvisits", "10"), ("jbenefits", "0.5")):
        ledger.open_dataset_account(name, PrivacyCost.of(lifetime, "0.5"), Accounting.PURE)
        ledger.open_grant_account(GRANT, name, PrivacyCost.of("10", "0.1"), Accounting.PURE)
    engine = engine_for(joinable, ledger)
    both = engine.dataset("jvisits").join(engine.dataset("jbenefits"), on="person_id")
    both.count(epsilon=Fraction(1, 2))
    with pytest.raises(BudgetExhausted) as info:
        both.count(epsilon=Fraction(1, 10))
    assert "dataset 'jbenefits'" in str(info.value)
    assert ledger.account("jvisits").spent.loss == Fraction(1, 2)
    assert ledger.account("jbenefits").spent.loss == Fraction(1, 2)
    with pytest.raises(BudgetExhausted):  # the joint spend itself refuses as a whole
        ledger.spend_jointly(
            GRANT, ["jvisits", "jbenefits"], PrivacyCost.of("0.1"), "p", joinable.census.user
        )
    assert ledger.account("jvisits").spent.loss == Fraction(1, 2)
    assert len(ledger.charges()) == 2

"""Joint ``agg`` releases, ``count_distinct`` and ``min``/``max``/``median`` on the engine.

Noise-free checks replace the draw of every OpenDP measurement by the exact input
(:func:`noise_free`), so each release must equal the exact statistic the separate
calls compute from the same partial aggregates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pytest

from sandbox.engine import InvalidQuery, QueryEngine
from sandbox.engine.compute import LocalTaskPool, RayTaskPool
from sandbox.engine.measurements import Calibrated
from sandbox.engine.plan import Query, plan_query
from sandbox.engine.report import Operation, Part
from sandbox.ledger import InMemoryLedger
from sandbox.policies.budget import Accounting, PrivacyCost
from tests.engine.conftest import COMMON_OCCUPATIONS, SECRET, Census
from tests.support.factories import GRANT, make_policy, new_ledger

BOUND = 3
INCOME = {"column": "income", "lower": 0, "upper": 100_000}


def engine_for(
    census: Census, ledger: InMemoryLedger, *, ray: bool = False, **policy: Any
) -> QueryEngine:
    pool = RayTaskPool(num_cpus=2) if ray else LocalTaskPool()
    return QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=BOUND, **policy),
        actor=census.user,
        pool=pool,
    )


class Selections:
    """What the patched selector saw: the score vectors of every quantile release."""

    def __init__(self) -> None:
        self.scores: list[list[int]] = []


@pytest.fixture
def noise_free(monkeypatch: pytest.MonkeyPatch) -> Iterator[Selections]:
    """Every measurement releases its exact input; a quantile picks the first best score."""
    seen = Selections()

    def exact(self: Calibrated, value: Any) -> Any:
        if self.mechanism.startswith("report noisy min"):
            scores = [int(v) for v in value]
            seen.scores.append(scores)
            return scores.index(min(scores))
        return dict(value) if isinstance(value, dict) else list(value)

    monkeypatch.setattr(Calibrated, "__call__", exact)
    yield seen


def bounded_rows(census: Census) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    kept = []
    for row in census.table.to_pylist():
        seen[row["pid"]] = seen.get(row["pid"], 0) + 1
        if seen[row["pid"]] <= BOUND:
            kept.append(row)
    return kept


def by_key(release: Any, key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in release.rows()}


# --- agg ----------------------------------------------------------------------------------


def test_agg_equals_the_separate_releases_without_noise(
    census: Census, noise_free: Selections
) -> None:
    data = engine_for(census, new_ledger()).dataset("census")
    grouped = data.group_by("district")
    joint = by_key(
        grouped.agg(["count", "sum", "mean", "variance"], **INCOME, epsilon=1), "district"
    )
    sums = by_key(grouped.sum("income", lower=0, upper=100_000, epsilon=1), "district")
    means = by_key(grouped.mean("income", lower=0, upper=100_000, epsilon=1), "district")
    variances = by_key(grouped.variance("income", lower=0, upper=100_000, epsilon=1), "district")
    assert set(joint) == {"North", "South", "East"}  # West is empty: count 0, suppressed
    truth = bounded_rows(census)
    for district, row in joint.items():
        incomes = [
            r["income"] for r in truth if r["district"] == district and r["income"] is not None
        ]
        assert row["count"] == means[district]["count"] == len(incomes)
        assert row["sum"] == pytest.approx(sums[district]["sum"], rel=1e-12)
        assert row["mean"] == pytest.approx(means[district]["mean"], rel=1e-12)
        assert row["variance"] == pytest.approx(variances[district]["variance"], rel=1e-9)
        assert row["sum"] == pytest.approx(sum(incomes), rel=1e-9)
        assert row["mean"] == pytest.approx(sum(incomes) / len(incomes), rel=1e-9)
    assert list(next(iter(joint.values()))) == ["district", "count", "sum", "mean", "variance"]

    whole = data.agg(["mean", "count"], **INCOME, epsilon=1)
    assert isinstance(whole.value, dict) and list(whole.value) == ["count", "mean"]
    incomes = [r["income"] for r in truth if r["income"] is not None]
    assert whole.value["count"] == len(incomes)
    assert whole.value["mean"] == pytest.approx(sum(incomes) / len(incomes), rel=1e-9)
    rows = data.agg(["count"], epsilon=1)
    assert rows.value == {"count": len(truth)}


def test_agg_is_charged_its_epsilon_once(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger).dataset("census")
    release = data.group_by("district").agg(["count", "sum", "mean"], **INCOME, epsilon=0.3)
    assert len(ledger.charges()) == 1
    assert release.report.cost == PrivacyCost.of("0.3")
    assert ledger.charges()[0].cost == release.report.charged
    assert [m.part for m in release.report.mechanisms] == [Part.SIDES]
    assert all(m.loss is not None and m.loss <= m.cost for m in release.report.mechanisms)
    stored = release.report.to_dict()
    assert stored["operation"] == "agg" and stored["statistics"] == ["count", "sum", "mean"]
    assert stored["column"] == "income"

    with_variance = data.agg(["variance"], **INCOME, epsilon=0.4)
    assert [m.part for m in with_variance.report.mechanisms] == [Part.SIDES, Part.SQUARES]
    assert with_variance.report.cost == PrivacyCost.of("0.4")
    counted = data.agg(["count"], epsilon=0.1)
    assert [m.part for m in counted.report.mechanisms] == [Part.COUNT]
    selected = data.group_by("occupation").agg(["count", "mean"], **INCOME, epsilon=1, delta=1e-6)
    assert [m.part for m in selected.report.mechanisms] == [Part.COUNT, Part.SIDES]
    assert selected.report.partition_selection
    assert {r["occupation"] for r in selected.rows()} <= set(COMMON_OCCUPATIONS)
    assert selected.report.cost == PrivacyCost(Fraction(1), selected.report.cost.delta)
    assert 0 < selected.report.cost.delta <= Fraction(1, 10**6)
    assert len(ledger.charges()) == 4
    # 0.3 + 0.4 + 0.1 + 1 = 1.8 exactly: decimal charges add up as written.
    assert sum((c.cost.loss for c in ledger.charges()), Fraction(0)) == Fraction(18, 10)


def test_agg_under_zcdp_charges_rho(census: Census) -> None:
    ledger = new_ledger(accounting=Accounting.ZCDP)
    data = engine_for(census, ledger, accounting=Accounting.ZCDP).dataset("census")
    release = data.agg(["count", "mean"], **INCOME, epsilon=1)
    assert release.report.cost == PrivacyCost(Fraction(1, 2))
    assert release.report.mechanisms[0].mechanism == "discrete Gaussian"


def test_agg_with_noise_is_close_to_the_truth(census: Census) -> None:
    data = engine_for(census, new_ledger(), ray=True).dataset("census")
    truth = bounded_rows(census)
    incomes = [r["income"] for r in truth if r["income"] is not None]
    release = data.agg(["count", "sum", "mean", "variance"], **INCOME, epsilon=2)
    assert isinstance(release.value, dict)
    # Laplace scales: count 1.5, sum 150,000 (Bound 3 x range / eps 2).
    assert abs(release.value["count"] - len(incomes)) < 40
    assert abs(release.value["sum"] - sum(incomes)) / sum(incomes) < 0.01
    assert abs(release.value["mean"] - sum(incomes) / len(incomes)) < 1_000
    mean = sum(incomes) / len(incomes)
    variance = sum((x - mean) ** 2 for x in incomes) / len(incomes)
    assert abs(release.value["variance"] - variance) / variance < 0.2


@pytest.mark.parametrize(
    ("call", "rule"),
    [
        (lambda h: h.agg("mean", **INCOME, epsilon=1), "must be a list"),
        (lambda h: h.agg([], **INCOME, epsilon=1), "at least one statistic"),
        (lambda h: h.agg(["mean", SECRET], **INCOME, epsilon=1), "must be one of"),
        (lambda h: h.agg(["mean", "mean"], **INCOME, epsilon=1), "named once"),
        (lambda h: h.agg(["sum"], lower=0, upper=1, epsilon=1), "need column="),
        (lambda h: h.agg(["sum"], column="income", epsilon=1), "explicit lower= and upper="),
        (lambda h: h.agg(["mean"], column="income", lower=5, upper=5, epsilon=1), "below upper"),
        (lambda h: h.agg(["count"], lower=0, upper=5, epsilon=1), "apply to sum, mean"),
        (
            lambda h: h.agg(["mean"], column="occupation", lower=0, upper=5, epsilon=1),
            "not numeric",
        ),
        (lambda h: h.agg(["mean"], column="pid", lower=0, upper=5, epsilon=1), "identifier"),
        (lambda h: h.agg(["mean"], column="nosuch", lower=0, upper=5, epsilon=1), "no column"),
        (lambda h: h.agg(["mean"], **INCOME), "needs epsilon"),
        (lambda h: h.agg(["mean"], **INCOME, epsilon=-1), "epsilon"),
    ],
)
def test_agg_refusals_name_the_call_and_the_rule_and_charge_nothing(
    census: Census, call: Any, rule: str
) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger).dataset("census")
    with pytest.raises(InvalidQuery) as refused:
        call(data)
    message = refused.value.message
    assert message.startswith("agg(): ") and rule in message
    assert SECRET not in message
    assert ledger.charges() == []


# --- count_distinct -----------------------------------------------------------------------


def test_count_distinct_counts_distinct_values_without_noise(
    census: Census, noise_free: Selections
) -> None:
    data = engine_for(census, new_ledger(), ray=True).dataset("census")
    truth = bounded_rows(census)
    occupations = data.group_by("district").count_distinct("occupation", epsilon=1)
    rows = by_key(occupations, "district")
    for district, row in rows.items():
        assert row["count_distinct"] == len(
            {r["occupation"] for r in truth if r["district"] == district}
        )
    assert list(next(iter(rows.values()))) == ["district", "count_distinct"]
    persons = data.count_distinct("pid", epsilon=1)
    assert persons.value == len({r["pid"] for r in census.table.to_pylist()})
    incomes = data.count_distinct("income", epsilon=1)  # nulls are no value
    assert incomes.value == len({r["income"] for r in truth if r["income"] is not None})
    report = persons.report.to_dict()
    assert report["operation"] == "count_distinct" and report["column"] == "pid"


def test_count_distinct_sensitivity_follows_the_bound(census: Census) -> None:
    data = engine_for(census, new_ledger()).dataset("census")
    info = data.info.dictionary.by_name

    def d_in(accounting: Accounting, column: str, keys: tuple[str, ...], of_unit: bool) -> int:
        query = Query(
            Operation.COUNT_DISTINCT,
            tuple(info[k] for k in keys),
            Fraction(1),
            None,
            distinct=info[column],
            distinct_of_unit=of_unit,
        )
        plan = plan_query(query, make_policy(accounting, bound=BOUND), BOUND, "pid")
        sensitivity: int = plan.parts[Part.COUNT].d_in
        return sensitivity

    assert d_in(Accounting.PURE, "occupation", ("district",), False) == BOUND
    assert d_in(Accounting.PURE, "pid", (), True) == 1  # a person is one distinct unit
    assert d_in(Accounting.PURE, "pid", ("district",), True) == 3  # min(3 rows, 4 groups)
    assert d_in(Accounting.PURE, "pid", ("employed",), True) == 2  # min(3 rows, 2 groups)
    assert d_in(Accounting.ZCDP, "pid", ("district",), True) == 2  # ceil(sqrt(3))


@pytest.mark.parametrize(
    ("call", "rule"),
    [
        (lambda h: h.count_distinct("nosuch", epsilon=1), "no column"),
        (lambda h: h.count_distinct(3, epsilon=1), "must be a column name"),
        (lambda h: h.count_distinct("occupation"), "needs epsilon"),
        (lambda h: h.group_by("district").count_distinct("district", epsilon=1), "group key"),
        (lambda h: h.group_by("occupation").count_distinct("age", epsilon=1), "delta"),
    ],
)
def test_count_distinct_refusals(census: Census, call: Any, rule: str) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger).dataset("census")
    with pytest.raises(InvalidQuery) as refused:
        call(data)
    assert rule in refused.value.message and SECRET not in refused.value.message
    assert ledger.charges() == []


# --- min, max, median -----------------------------------------------------------------------


def test_min_max_median_are_the_0_1_and_half_quantiles(
    census: Census, noise_free: Selections
) -> None:
    data = engine_for(census, new_ledger()).dataset("census")
    ages = sorted(r["age"] for r in bounded_rows(census))
    candidates = list(range(0, 101))  # an int64 column over [0, 100]: every integer

    def best(scores: list[int]) -> list[int]:
        return [c for c, s in zip(candidates, scores, strict=True) if s == min(scores)]

    low = data.min("age", lower=0, upper=100, epsilon=1)
    assert best(noise_free.scores[-1]) == list(range(0, ages[0] + 1))
    assert 0 <= float(low) <= ages[0]
    high = data.max("age", lower=0, upper=100, epsilon=1)
    assert best(noise_free.scores[-1]) == list(range(ages[-1], 101))
    assert ages[-1] <= float(high) <= 100
    middle = data.median("age", lower=0, upper=100, epsilon=1)
    tied = best(noise_free.scores[-1])
    assert ages[(len(ages) - 1) // 2] in tied or ages[len(ages) // 2] in tied
    assert float(middle) in tied
    same = data.quantile("age", 0.5, lower=0, upper=100, epsilon=1)
    assert float(same) == float(middle)
    assert [r.report.operation for r in (low, high, middle)] == [
        Operation.MIN,
        Operation.MAX,
        Operation.MEDIAN,
    ]
    grouped = data.group_by("district").median("age", lower=0, upper=100, epsilon=1)
    assert all("median" in row for row in grouped.rows())


def test_min_max_median_with_noise_and_refusals(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, ray=True).dataset("census")
    ages = sorted(r["age"] for r in bounded_rows(census))
    median = data.median("age", lower=0, upper=100, epsilon=2)
    assert abs(float(median) - ages[len(ages) // 2]) <= 3
    assert median.report.cost == PrivacyCost.of(2)
    assert [m.part for m in median.report.mechanisms] == [Part.COUNT, Part.SELECT]
    for call, rule in [
        (lambda: data.min("occupation", lower=0, upper=1, epsilon=1), "not numeric"),
        (lambda: data.max("age", epsilon=1), "explicit lower= and upper="),
        (lambda: data.median("age", lower=5, upper=1, epsilon=1), "lower must not be above"),
    ]:
        with pytest.raises(InvalidQuery) as refused:
            call()
        assert rule in refused.value.message
    assert len(ledger.charges()) == 1


def test_new_output_names_cannot_be_group_keys() -> None:
    from sandbox.engine.validation import RESERVED_OUTPUT_NAMES

    assert {"min", "max", "median", "count_distinct"} <= RESERVED_OUTPUT_NAMES


def test_a_joint_release_reads_the_data_once(census: Census) -> None:
    engine = engine_for(census, new_ledger())
    data = engine.dataset("census")
    data.group_by("district").mean("income", lower=0, upper=100_000, epsilon=1)
    before = engine._memo.hits
    release = data.group_by("district").agg(["count", "sum", "mean"], **INCOME, epsilon=1)
    assert engine._memo.hits == before + 1  # the mean's pass serves the joint release
    assert isinstance(release.value, pa.Table)
    assert not any(math.isnan(v) for v in release.value["mean"].to_pylist())


def test_agg_and_count_distinct_follow_the_filter_and_derived_keys(
    census: Census, noise_free: Selections
) -> None:
    data = engine_for(census, new_ledger()).dataset("census")
    truth = [r for r in bounded_rows(census) if r["age"] >= 40]
    older = data.where(["age", ">=", 40])
    distinct = by_key(
        older.group_by("district").count_distinct("occupation", epsilon=1), "district"
    )
    for district, row in distinct.items():
        assert row["count_distinct"] == len(
            {r["occupation"] for r in truth if r["district"] == district}
        )
    banded = older.bin("age", [40, 60, 100], name="band", labels=["40-59", "60+"])
    joint = banded.group_by(["district", "band"]).agg(["count", "mean"], **INCOME, epsilon=1)
    for row in joint.rows():
        low = 40 if row["band"] == "40-59" else 60
        high = 60 if row["band"] == "40-59" else 101
        incomes = [
            r["income"]
            for r in truth
            if r["district"] == row["district"]
            and low <= r["age"] < high
            and r["income"] is not None
        ]
        assert row["count"] == len(incomes)
        assert row["mean"] == pytest.approx(sum(incomes) / len(incomes), rel=1e-9)
    steps = [step.step for step in joint.report.transformations]
    assert steps[0].startswith("bound contributions") and "where" in steps

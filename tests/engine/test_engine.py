"""The engine end to end on a registered dataset, with Ray (2 CPUs, started once)."""

from __future__ import annotations

import collections
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sandbox.disclosure.rules.dp import ReleaseSummary
from sandbox.engine import QueryEngine, Release
from sandbox.engine.compute import LocalTaskPool, RayTaskPool
from sandbox.engine.partials import compute_partials
from sandbox.ledger import ChargeStatus, InMemoryLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from tests.engine.conftest import COMMON_OCCUPATIONS, Census
from tests.support.factories import GRANT, charge_events, make_policy, new_ledger

pytestmark = pytest.mark.usefixtures("ray_session")


def engine_for(
    census: Census, ledger: InMemoryLedger, rows_per_bucket: int = 1_500_000, **policy: object
) -> QueryEngine:
    return QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(**policy),  # type: ignore[arg-type]
        actor=census.user,
        pool=RayTaskPool(num_cpus=2),
        rows_per_bucket=rows_per_bucket,
    )


def bounded_truth(census: Census, bound: int) -> list[dict[str, Any]]:
    seen: collections.Counter[str] = collections.Counter()
    kept = []
    for row in census.table.to_pylist():
        seen[row["pid"]] += 1
        if seen[row["pid"]] <= bound:
            kept.append(row)
    return kept


def assert_charged_and_released(ledger: InMemoryLedger, release: Release) -> None:
    charge = ledger.charges()[-1]
    assert charge.status is ChargeStatus.RELEASED and charge.id == release.report.charge_id
    assert charge.cost == release.report.charged
    # The ledger rounds the exact cost up to its units (1e-12), never down.
    assert Fraction(0) <= charge.cost.loss - release.report.cost.loss < Fraction(1, 10**12)
    assert release.report.cost == sum(
        (m.cost for m in release.report.mechanisms), PrivacyCost.zero()
    )


def test_scalar_aggregates_are_close_to_the_bounded_truth(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=2).dataset("census")
    truth = bounded_truth(census, 2)
    incomes = [r["income"] for r in truth if r["income"] is not None]

    count = data.count(epsilon=1)
    assert_charged_and_released(ledger, count)
    assert abs(float(count) - len(truth)) < 60  # scale 2: beyond 60 has probability < 1e-12
    assert f"{count:.0f}" == str(count.value)
    assert count.report.cost == PrivacyCost.of(count.report.mechanisms[0].cost.loss)
    assert count.report.mechanisms[0].mechanism == "discrete Laplace"

    mean = data.mean("income", lower=0, upper=100_000, epsilon=2)
    assert abs(float(mean) - sum(incomes) / len(incomes)) < 2_000
    assert_charged_and_released(ledger, mean)

    total = data.sum("income", lower=0, upper=100_000, epsilon=2)
    assert abs(float(total) - sum(incomes)) / sum(incomes) < 0.02

    variance = data.variance("age", lower=0, upper=100, epsilon=2)
    ages = [r["age"] for r in truth]
    true_mean = sum(ages) / len(ages)
    true_variance = sum((a - true_mean) ** 2 for a in ages) / len(ages)
    assert abs(float(variance) - true_variance) / true_variance < 0.1

    median = data.quantile("age", 0.5, lower=0, upper=100, epsilon=2)
    assert abs(float(median) - sorted(ages)[len(ages) // 2]) <= 3
    assert len(ledger.charges()) == 5
    assert all(c.status is ChargeStatus.RELEASED for c in ledger.charges())
    assert charge_events(ledger) == ["budget.charge:ok", "budget.release:ok"] * 5


def test_a_release_report_is_plain_json_the_output_checks_read_back(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=3).dataset("census")
    release = data.group_by("district").mean("income", lower=0, upper=100_000, epsilon=2)
    stored = json.loads(json.dumps(release.report.to_dict()))
    assert stored["operation"] == "mean" and stored["accounting"] == "pure"
    assert [m["part"] for m in stored["mechanisms"]] == ["count", "sum"]
    summary = ReleaseSummary.from_dict(stored)
    assert (summary.dataset, summary.operation) == ("census", "mean")
    assert summary.charged == release.report.charged.describe(release.report.accounting)
    assert summary.suppressed == release.report.suppressed
    assert [m.part for m in summary.mechanisms] == ["count", "sum"]


def test_grouped_declared_keys_include_empty_public_groups(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=3).dataset("census")
    by_district = data.group_by("district").mean("income", lower=0, upper=100_000, epsilon=2)
    rows = {r["district"]: r for r in by_district.rows()}
    # Declared keys, no budget spent on them: West (no rows) is a group too; its noisy
    # count is pure noise, so min_count (1) may suppress it.
    assert by_district.report.row_count.groups_in == 4
    assert set(rows) | {"West"} == {"North", "South", "East", "West"}
    assert by_district.report.suppressed == (0 if "West" in rows else 1)
    assert 40_000 < rows["North"]["mean"] < 60_000
    assert not by_district.report.partition_selection
    assert [m.part for m in by_district.report.mechanisms] == ["count", "sum"]

    employed = data.histogram("employed", epsilon=1)
    assert {r["employed"] for r in employed.rows()} == {False, True}

    ages = data.histogram("age", lower=0, upper=100, bins=4, epsilon=1)
    assert [(r["bin_lower"], r["bin_upper"]) for r in ages.rows()] == [
        (0.0, 25.0),
        (25.0, 50.0),
        (50.0, 75.0),
        (75.0, 100.0),
    ]
    grouped_hist = data.group_by(["district", "employed"]).count(epsilon=1)
    assert grouped_hist.report.row_count.groups_in == 8
    assert isinstance(grouped_hist.value, pa.Table)
    assert grouped_hist.value.num_rows >= 6


def test_partition_selection_releases_only_selected_keys(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=3).dataset("census")
    for _ in range(3):
        release = data.group_by("occupation").count(epsilon=1, delta=1e-6)
        released = {r["occupation"] for r in release.rows()}
        assert released == set(COMMON_OCCUPATIONS)  # the single-person ones never appear
        assert release.report.partition_selection
        mechanism = release.report.mechanisms[0]
        assert mechanism.threshold is not None and mechanism.threshold > 3
        assert Fraction(0) < release.report.cost.delta <= Fraction(1, 10**6)
    by_job = data.group_by(["occupation", "district"]).quantile(
        "income", 0.5, lower=0, upper=100_000, epsilon=2, delta=1e-6
    )
    assert {r["occupation"] for r in by_job.rows()} <= set(COMMON_OCCUPATIONS)
    assert all(10_000 <= r["quantile"] <= 90_000 for r in by_job.rows())


def test_row_count_rules_suppress_and_round(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=3, threshold=50, rounding=10).dataset("census")
    release = data.group_by("district").count(epsilon=1)
    assert release.report.suppressed == 1  # West: noisy count of an empty group
    assert {r["district"] for r in release.rows()} == {"North", "South", "East"}
    assert all(r["count"] % 10 == 0 for r in release.rows())
    assert release.report.row_count.threshold == 50


def test_sum_with_equal_bounds_is_noisy(census: Census) -> None:
    ledger = new_ledger()
    data = engine_for(census, ledger, bound=1).dataset("census")
    values = {data.sum("income", lower=5, upper=5, epsilon=1).value for _ in range(4)}
    assert len(values) > 1


def test_zcdp_accounting_charges_rho(census: Census) -> None:
    ledger = new_ledger(accounting=Accounting.ZCDP)
    data = engine_for(census, ledger, accounting=Accounting.ZCDP, bound=2).dataset("census")
    release = data.group_by("district").sum("income", lower=0, upper=100_000, epsilon=1)
    assert release.report.accounting is Accounting.ZCDP
    assert {m.mechanism for m in release.report.mechanisms} == {"discrete Gaussian"}
    assert release.report.cost.loss <= Fraction(1, 2)  # rho = epsilon**2 / 2
    assert_charged_and_released(ledger, release)


def test_budget_and_cap_refusals_charge_nothing(census: Census) -> None:
    small = new_ledger(grant_budget="0.5")
    data = engine_for(census, small).dataset("census")
    data.count(epsilon=0.4)
    with pytest.raises(BudgetExhausted, match="grant"):
        data.count(epsilon=0.4)
    [charge] = small.charges()
    assert small.account("census", GRANT).spent == charge.cost
    # Refused by the ledger's check before any bounding or spending.
    assert charge_events(small) == ["budget.charge:ok", "budget.release:ok"]

    ledger = new_ledger()
    capped = engine_for(census, ledger, cap="0.5").dataset("census")
    with pytest.raises(BudgetExhausted, match="per-query cap"):
        capped.count(epsilon=1)
    assert charge_events(ledger) == [] and ledger.charges() == []


def test_a_float_epsilon_is_charged_as_the_decimal_written(census: Census) -> None:
    # A model's epsilon=0.1 reaches the engine as the float 0.1: the charge is exactly 1/10,
    # the map's loss at most that, and a grant of 0.3 pays exactly three such counts.
    ledger = new_ledger(grant_budget="0.3")
    data = engine_for(census, ledger, bound=2).dataset("census")
    for _ in range(3):
        release = data.count(epsilon=0.1)
        assert release.report.cost == release.report.charged == PrivacyCost(Fraction(1, 10))
        assert ledger.charges()[-1].cost == PrivacyCost(Fraction(1, 10))
        [mechanism] = release.report.mechanisms
        assert mechanism.loss is not None
        assert Fraction(99_999, 10**6) < mechanism.loss.loss <= Fraction(1, 10)
    assert ledger.remaining(GRANT, "census").loss == 0
    with pytest.raises(BudgetExhausted) as refused:
        data.count(epsilon=0.1)
    assert refused.value.message == (
        "the grant budget cannot pay for this release: it asks "
        "for epsilon 0.1 and epsilon 0, delta 0.1 remains"
    )


def test_shares_rho_and_delta_are_charged_exactly_and_cover_every_map(census: Census) -> None:
    ledger = new_ledger(accounting=Accounting.ZCDP)
    zcdp = engine_for(census, ledger, accounting=Accounting.ZCDP, bound=2).dataset("census")
    variance = zcdp.variance("age", lower=0, upper=100, epsilon=0.3)  # three shares of 1/3
    assert variance.report.charged == PrivacyCost(Fraction(45, 1000))  # rho = 0.3**2 / 2
    for mechanism in variance.report.mechanisms:
        assert mechanism.cost == PrivacyCost(Fraction(15, 1000))
        assert mechanism.loss is not None and mechanism.loss <= mechanism.cost
    pure = new_ledger()
    data = engine_for(census, pure, bound=3).dataset("census")
    selected = data.group_by("occupation").count(epsilon=0.1, delta=1e-6)
    assert selected.report.charged == PrivacyCost(Fraction(1, 10), Fraction(1, 10**6))
    [mechanism] = selected.report.mechanisms
    assert mechanism.loss is not None and mechanism.loss <= mechanism.cost


def test_bounded_copy_is_kept_per_version_unit_and_bound(census: Census) -> None:
    ledger = new_ledger()
    # Small buckets: the hash-partition step runs in Ray tasks too.
    data = engine_for(census, ledger, bound=4, rows_per_bucket=1_500).dataset("census")
    count = data.count(epsilon=2)
    assert abs(float(count) - len(bounded_truth(census, 4))) < 40
    assert len(data.bounded().fragments) == math.ceil(census.table.num_rows / 1_500)
    root = Path(census.platform.store.root) / "_bounded"
    directories = sorted(p.name for p in root.glob("*/*"))
    assert "pid-4" in directories
    # Each kept copy honours its bound.
    kept = pa.concat_tables(
        pq.read_table(path) for path in Path(data.bounded().directory or "").glob("*.parquet")
    )
    assert max(pc.value_counts(kept["pid"]).field("counts").to_pylist()) <= 4


def test_the_charge_comes_before_the_computation_and_a_crash_wastes_it(census: Census) -> None:
    ledger = new_ledger()
    seen: list[str] = []

    class Watching(LocalTaskPool):
        def map(self, fn, calls):
            if fn is compute_partials:
                seen.append(charge_events(ledger)[-1])
                raise OSError("worker lost")
            return super().map(fn, calls)

    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=Watching(),
    )
    with pytest.raises(OSError):
        engine.dataset("census").count(epsilon=1)
    assert seen == ["budget.charge:ok"]  # spent before anything was aggregated
    [charge] = ledger.charges()
    assert charge.status is ChargeStatus.CHARGED  # never released: wasted, not refunded
    assert engine.releases == []


def test_count_sum_and_mean_on_the_same_bounds_read_the_data_once_more(census: Census) -> None:
    ledger = new_ledger()
    passes: list[object] = []

    class Counting(LocalTaskPool):
        def map(self, fn, calls):
            if fn is compute_partials:
                passes.append(calls[0][2])
            return super().map(fn, calls)

    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=Counting(),
    )
    grouped = engine.dataset("census").group_by("district")
    grouped.sum("income", lower=0, upper=100_000, epsilon=0.5)
    grouped.count(epsilon=0.5)
    grouped.mean("income", lower=0, upper=100_000, epsilon=0.5)
    grouped.count(epsilon=0.5)
    assert len(passes) == 1  # one pass over the data; three releases derived from it
    grouped.mean("income", lower=0, upper=90_000, epsilon=0.5)  # other bounds: a new pass
    assert len(passes) == 2
    # Every release is still charged and noised on its own.
    assert len(ledger.charges()) == 5 and len(engine.releases) == 5
    assert all(c.status is ChargeStatus.RELEASED for c in ledger.charges())
    # A new engine keeps no exact aggregate of another one.
    other = QueryEngine(
        census.platform,
        new_ledger(),
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=Counting(),
    )
    other.dataset("census").group_by("district").count(epsilon=0.5)
    assert len(passes) == 3


def test_a_suspension_refuses_queries_and_freezes_a_release_in_flight(census: Census) -> None:
    from sandbox.errors import AccessRefused
    from sandbox.oversight.model import Resolution
    from sandbox.oversight.suspensions import resolve, suspend
    from sandbox.store.db import transaction

    ledger = new_ledger()

    def set_suspended(on: bool) -> None:
        with transaction(census.platform.sessions) as session:
            if on:
                suspend(session, census.provider, "census", reason="complaint under review")
            else:
                resolve(session, census.provider, "census", resolution=Resolution.RESTORED)

    class SuspendWhileComputing(LocalTaskPool):
        def map(self, fn, calls):
            result = super().map(fn, calls)
            if fn is compute_partials:
                set_suspended(True)
            return result

    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=SuspendWhileComputing(),
    )
    handle = engine.dataset("census")
    try:
        with pytest.raises(AccessRefused, match="suspended"):
            handle.count(epsilon=1)
        [charge] = ledger.charges()
        assert charge.status is ChargeStatus.CHARGED  # spent, never released
        with pytest.raises(AccessRefused, match="suspended"):
            engine.dataset("census")
        with pytest.raises(AccessRefused, match="suspended"):
            handle.count(epsilon=1)
        assert len(ledger.charges()) == 1  # the refusal came before any charge
    finally:
        set_suspended(False)
    assert engine.dataset("census").count(epsilon=1).value is not None


def test_each_charge_names_the_job_and_the_call(census: Census) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=RayTaskPool(num_cpus=2),
        job=7,
    )
    data = engine.dataset("census")
    data.count(epsilon=0.1)
    data.group_by("district").mean("income", lower=0, upper=100_000, epsilon=0.2)
    assert [(c.job, c.call) for c in ledger.charges()] == [(7, "count"), (7, "mean")]
    assert ledger.charges()[1].purpose.startswith("mean of income by district on census")
    outside = engine_for(census, ledger, bound=2).dataset("census")
    outside.count(epsilon=0.1)
    assert (ledger.charges()[-1].job, ledger.charges()[-1].call) == (None, "count")

"""DP models through the engine: columns checked, charged like an aggregate, fitted on the
bounded rows after the shape, released with a report the output checks read as DP."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from sandbox.disclosure.checks import check_result
from sandbox.disclosure.inputs import input_values
from sandbox.disclosure.rules.dp import ReleaseSummary
from sandbox.engine import QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.models import linear, registry
from sandbox.engine.models.family import Family
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.models.pipeline import per_row_epsilon
from sandbox.engine.report import Operation
from sandbox.errors import InvalidRequest
from sandbox.ledger import ChargeStatus, InMemoryLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.policies.model import RowCountRules
from tests.engine.conftest import SECRET, Census
from tests.support.factories import GRANT, charge_events, make_policy, new_ledger

BOUNDS = {"income": [0, 100_000], "age": [18, 80]}


def engine_for(census: Census, ledger: InMemoryLedger, **policy: Any) -> QueryEngine:
    return QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(**policy),
        actor=census.user,
        pool=LocalTaskPool(),
    )


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[ModelInput, float]]]:
    """The linear family's fitter, recording what the engine hands it."""
    seen: list[tuple[ModelInput, float]] = []
    real = registry.FAMILIES["linear_regression"]

    def fit(data: ModelInput, epsilon: float, **params: Any) -> ModelFit:
        seen.append((data, epsilon))
        return real.fit(data, epsilon, **params)

    monkeypatch.setitem(
        registry.FAMILIES,
        "linear_regression",
        Family(real.operation, fit, real.validate, real.target, drop_first=True),
    )
    yield seen


def test_linear_regression_is_charged_once_released_and_reported(census: Census) -> None:
    ledger = new_ledger()
    engine = engine_for(census, ledger, bound=2, unit="pid")
    release = engine.dataset("census").linear_regression(
        "income", ["age", "district"], bounds=BOUNDS, epsilon=1
    )
    values = release.value
    assert isinstance(values, dict)
    assert values["features"] == ["age", "district=South", "district=East", "district=West"]
    assert set(values["coefficients"]) == set(values["features"])
    assert 0.0 <= values["r_squared"] <= 1.0
    json.dumps(values, allow_nan=False)
    charge = ledger.charges()[-1]
    assert charge.status is ChargeStatus.RELEASED and charge.id == release.report.charge_id
    assert charge.cost == PrivacyCost(Fraction(1), Fraction(0))
    assert charge_events(ledger) == ["budget.charge:ok", "budget.release:ok"]
    report = release.report.to_dict()
    assert report["operation"] == "linear_regression"
    assert report["model"]["rows_per_unit"] == 2 and report["model"]["row_epsilon"] == 0.5
    assert report["model"]["bounds"]["age"] == [18, 80]
    assert report["model"]["library"].startswith("diffprivlib 0.6")
    assert report["mechanisms"][0]["part"] == "model"
    summary = ReleaseSummary.from_dict(json.loads(json.dumps(report)))
    assert summary.operation == "linear_regression" and summary.charged == "epsilon 1"


def test_a_model_release_passes_the_dp_checks_and_is_auto_releasable(census: Census) -> None:
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    release = engine.dataset("census").logistic_regression(
        "employed", ["age", "income"], bounds=BOUNDS, epsilon=1
    )
    result = {"model": release.value}
    _, report = check_result(
        result,
        verified={},
        rules=RowCountRules(min_count=10, rounding=1, suppression_threshold=10),
        max_bytes=100_000,
        input_values=input_values(None, (), ()),
        earlier=(),
        kind="dp",
        dp_releases=[release.report.to_dict()],
    )
    assert not report.blocked and report.auto_releasable
    assert isinstance(release.value, dict) and release.value["classes"] == ["False", "True"]


def test_zcdp_charges_rho_of_the_epsilon(census: Census) -> None:
    ledger = new_ledger(accounting=Accounting.ZCDP)
    engine = engine_for(census, ledger, accounting=Accounting.ZCDP, bound=2, unit="pid")
    release = engine.dataset("census").linear_regression(
        "income", ["age"], bounds=BOUNDS, epsilon=0.5
    )
    assert release.report.cost == PrivacyCost(Fraction(1, 8), Fraction(0))
    assert ledger.charges()[-1].cost.loss == Fraction(1, 8)


def test_the_fitter_gets_bounded_filtered_clipped_rows_at_the_per_row_epsilon(
    census: Census, spy: list[tuple[ModelInput, float]]
) -> None:
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    handle = engine.dataset("census").where(["age", ">=", 40])
    handle.linear_regression(
        "income", ["age"], bounds={"income": [20_000, 50_000], "age": [50, 60]}, epsilon=1
    )
    data, epsilon = spy[-1]
    assert epsilon == 0.5 and data.rows_per_unit == 2
    seen: collections.Counter[str] = collections.Counter()
    expected = 0
    for row in census.table.to_pylist():
        seen[row["pid"]] += 1
        if seen[row["pid"]] <= 2 and row["age"] >= 40 and row["income"] is not None:
            expected += 1
    assert data.rows == expected
    assert data.features.min() >= 50 and data.features.max() <= 60
    assert data.target is not None and 20_000 <= data.target.min() <= data.target.max() <= 50_000


def test_derived_columns_are_one_hot_features(
    census: Census, spy: list[tuple[ModelInput, float]]
) -> None:
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    handle = engine.dataset("census").bin("age", [18, 40, 60, 80], name="band")
    release = handle.linear_regression("income", ["band"], bounds=BOUNDS, epsilon=1)
    data, _ = spy[-1]
    assert data.feature_names == ("band=[40, 60)", "band=[60, 80]")
    assert set(np.unique(data.features)) <= {0.0, 1.0}
    assert isinstance(release.value, dict) and len(release.value["coefficients"]) == 2


@pytest.mark.parametrize(
    ("call", "kwargs", "words"),
    [
        ("linear_regression", {"y": "income", "x": ["nope"]}, "no column 'nope'"),
        ("linear_regression", {"y": "income", "x": ["pid"]}, "'pid' is an identifier"),
        ("linear_regression", {"y": "income", "x": ["occupation"]}, "'occupation' is string"),
        ("linear_regression", {"y": "district", "x": ["age"]}, "must be a numeric column"),
        ("linear_regression", {"y": "income", "x": ["age"], "bounds": {}}, "needs public bounds"),
        (
            "linear_regression",
            {"y": "income", "x": ["age"], "bounds": {**BOUNDS, "employed": [0, 1]}},
            "bounds names 'employed', which is not a numeric column",
        ),
        (
            "linear_regression",
            {"y": "income", "x": ["age"], "bounds": {"income": [5, 1], "age": [0, 1]}},
            "needs lower below upper",
        ),
        ("linear_regression", {"y": "income", "x": ["age"], "epsilon": None}, "needs epsilon"),
        ("linear_regression", {"y": "income", "x": ["age"], "alpha": 1}, "unknown parameter"),
        ("linear_regression", {"y": "income", "x": []}, "x needs at least one column"),
        ("linear_regression", {"y": "income", "x": ["income"]}, "cannot also be a feature"),
        ("logistic_regression", {"y": "district", "x": ["age"]}, "give positive="),
        (
            "logistic_regression",
            {"y": "district", "x": ["age"], "positive": SECRET},
            "positive must be one of",
        ),
        ("logistic_regression", {"y": "income", "x": ["age"]}, "must be categorical"),
        ("logistic_regression", {"y": "employed", "x": ["age"], "C": -1}, "C must be"),
        ("logistic_regression", {"y": "employed", "x": ["age"], "max_iter": 2.5}, "max_iter"),
    ],
)
def test_bad_model_calls_are_refused_naming_the_rule_and_charge_nothing(
    census: Census, call: str, kwargs: dict[str, Any], words: str
) -> None:
    ledger = new_ledger()
    engine = engine_for(census, ledger, bound=2, unit="pid")
    arguments: dict[str, Any] = {"bounds": BOUNDS, "epsilon": 1, **kwargs}
    with pytest.raises(InvalidRequest) as caught:
        getattr(engine.dataset("census"), call)(**arguments)
    assert words in caught.value.message and caught.value.message.startswith(f"{call}(")
    assert SECRET not in caught.value.message
    assert ledger.charges() == []


def test_over_the_cap_or_the_budget_refuses_before_anything_is_read(census: Census) -> None:
    ledger = new_ledger(grant_budget="1.5")
    engine = engine_for(census, ledger, bound=2, unit="pid", cap="1")
    handle = engine.dataset("census")
    with pytest.raises(BudgetExhausted) as capped:
        handle.linear_regression("income", ["age"], bounds=BOUNDS, epsilon=1.5)
    assert capped.value.budget == "per-query cap"
    handle.linear_regression("income", ["age"], bounds=BOUNDS, epsilon=1)
    with pytest.raises(BudgetExhausted):
        handle.logistic_regression("employed", ["age"], bounds=BOUNDS, epsilon=1)
    assert [c.cost.loss for c in ledger.charges()] == [Fraction(1)]


def test_families_not_installed_are_refused_by_name(
    census: Census, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(registry.FAMILIES, "pca", raising=False)
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    with pytest.raises(InvalidRequest, match=r"pca\(\): this model family is not available"):
        engine.dataset("census").pca(["age"], n_components=1, bounds=BOUNDS, epsilon=1)


def test_the_per_row_epsilon_never_rounds_up() -> None:
    for epsilon, rows in [(Fraction(1, 10), 3), (Fraction(1), 7), (Fraction(2, 3), 1)]:
        value = per_row_epsilon(epsilon, rows)
        assert Fraction(value) <= epsilon / rows
        assert abs(Fraction(value) - epsilon / rows) < Fraction(1, 10**15)


def test_the_registry_holds_the_regressions() -> None:
    assert registry.FAMILIES["linear_regression"] is linear.FAMILY
    assert registry.FAMILIES["logistic_regression"].operation is Operation.LOGISTIC_REGRESSION


@pytest.mark.parametrize(
    "call", ["linear_regression", "logistic_regression", "kmeans", "pca", "naive_bayes"]
)
def test_a_model_after_group_by_is_refused_by_name(census: Census, call: str) -> None:
    ledger = new_ledger()
    grouped = engine_for(census, ledger, bound=2, unit="pid").dataset("census").group_by("district")
    with pytest.raises(InvalidRequest, match=rf"{call}\(\): a model is fitted on rows"):
        getattr(grouped, call)("income", ["age"], epsilon=1)
    assert ledger.charges() == []


def test_a_lifetime_refusal_reads_as_an_aggregate_s_does(census: Census) -> None:
    """The model is charged through the engine's own charging: the same refusal (what
    remains of the lifetime budget withheld unless the policy shows it), nothing charged."""
    ledger = new_ledger(lifetime="1")
    handle = engine_for(census, ledger, bound=2, unit="pid").dataset("census")
    with pytest.raises(BudgetExhausted) as aggregate:
        handle.count(epsilon=1.5)
    with pytest.raises(BudgetExhausted) as model:
        handle.linear_regression("income", ["age"], bounds=BOUNDS, epsilon=1.5)
    assert model.value.message == aggregate.value.message
    assert ledger.charges() == []

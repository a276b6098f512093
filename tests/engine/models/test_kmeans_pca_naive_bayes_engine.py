"""k-means, PCA and naive Bayes through the engine's DP handle: charged once, released with a
report the output checks read as DP, bad calls refused by name with nothing charged."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest

from sandbox.disclosure.checks import check_result
from sandbox.disclosure.inputs import input_values
from sandbox.engine.report import Release
from sandbox.errors import InvalidRequest
from sandbox.ledger import ChargeStatus
from sandbox.policies.budget import PrivacyCost
from sandbox.policies.model import RowCountRules
from tests.engine.conftest import SECRET, Census
from tests.engine.models.release_audit import leak_warnings_are_errors  # noqa: F401
from tests.engine.models.test_pipeline import engine_for
from tests.support.factories import new_ledger

BOUNDS = {"income": [0, 100_000], "age": [18, 80]}


def dp_checked(release: Release) -> Any:
    _, report = check_result(
        {"model": release.value},
        verified={},
        rules=RowCountRules(min_count=10, rounding=1, suppression_threshold=10),
        max_bytes=100_000,
        input_values=input_values(None, (), ()),
        earlier=(),
        kind="dp",
        dp_releases=[release.report.to_dict()],
    )
    return report


def test_kmeans_is_charged_once_and_released_as_dp(census: Census) -> None:
    ledger = new_ledger()
    engine = engine_for(census, ledger, bound=2, unit="pid")
    release = engine.dataset("census").kmeans(["age", "income"], k=3, bounds=BOUNDS, epsilon=1)
    values = release.value
    assert isinstance(values, dict)
    assert values["features"] == ["age", "income"]
    assert len(values["centroids"]) == 3 and len(values["cluster_sizes"]) == 3
    for age, income in values["centroids"]:
        assert 18 <= age <= 80 and 0 <= income <= 100_000
    json.dumps(values, allow_nan=False)
    charge = ledger.charges()[-1]
    assert charge.status is ChargeStatus.RELEASED
    assert charge.cost == PrivacyCost(Fraction(1), Fraction(0))
    report = release.report.to_dict()
    assert report["operation"] == "kmeans"
    assert report["model"]["row_epsilon"] == 0.5 and report["model"]["k"] == 3
    assert report["model"]["bounds"]["age"] == [18, 80]
    assert report["model"]["library"].startswith("diffprivlib 0.6")
    checked = dp_checked(release)
    assert not checked.blocked and checked.auto_releasable


def test_pca_one_hot_encodes_a_categorical_column(census: Census) -> None:
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    release = engine.dataset("census").pca(
        ["age", "income", "district"], n_components=2, bounds=BOUNDS, epsilon=1
    )
    values = release.value
    assert isinstance(values, dict)
    assert values["features"] == [
        "age",
        "income",
        "district=North",
        "district=South",
        "district=East",
        "district=West",
    ]
    assert len(values["components"]) == 2 and all(len(c) == 6 for c in values["components"])
    assert len(values["explained_variance_ratio"]) == 2
    assert release.report.to_dict()["operation"] == "pca"
    assert not dp_checked(release).blocked


def test_naive_bayes_of_a_declared_categorical_target(census: Census) -> None:
    engine = engine_for(census, new_ledger(), bound=2, unit="pid")
    release = engine.dataset("census").naive_bayes(
        "district", ["age", "income"], bounds=BOUNDS, epsilon=1
    )
    values = release.value
    assert isinstance(values, dict)
    assert values["classes"] == ["North", "South", "East", "West"]
    assert len(values["means"]) == 4 and len(values["class_priors"]) == 4
    assert sum(values["class_priors"]) == pytest.approx(1.0)
    assert release.report.to_dict()["operation"] == "naive_bayes"
    checked = dp_checked(release)
    assert not checked.blocked and checked.auto_releasable


@pytest.mark.parametrize(
    ("call", "kwargs", "words"),
    [
        ("kmeans", {"columns": ["age"]}, "k=<number of clusters"),
        ("kmeans", {"columns": ["age"], "k": 1}, "k must be"),
        ("kmeans", {"columns": ["age"], "k": 3, "iterations": 0}, "iterations"),
        ("kmeans", {"columns": ["age"], "k": 3, "n_init": 4}, "unknown parameter 'n_init'"),
        ("kmeans", {"columns": ["diagnosis"], "k": 3}, "diagnosis"),
        ("pca", {"columns": ["age", "income"], "n_components": 0}, "n_components"),
        ("pca", {"columns": ["age", "income"], "mean_share": 1.0}, "mean_share"),
        ("naive_bayes", {"y": "district", "x": ["age", "employed"]}, "numeric features only"),
        ("naive_bayes", {"y": "district", "x": ["age"], "priors": [0.5]}, "unknown parameter"),
    ],
)
def test_bad_calls_are_refused_by_name_and_charge_nothing(
    census: Census, call: str, kwargs: dict[str, Any], words: str
) -> None:
    ledger = new_ledger()
    engine = engine_for(census, ledger, bound=2, unit="pid")
    with pytest.raises(InvalidRequest) as caught:
        getattr(engine.dataset("census"), call)(bounds=BOUNDS, epsilon=1, **kwargs)
    assert words in caught.value.message and caught.value.message.startswith(f"{call}(")
    assert SECRET not in caught.value.message
    assert ledger.charges() == []

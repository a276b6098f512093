"""DP PCA fitter: accuracy against scikit-learn's PCA, released shape, typed refusals."""

from __future__ import annotations

import json

import numpy
import pytest
from sklearn.decomposition import PCA  # type: ignore[import-untyped]

from sandbox.engine.models import pca
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.validation import InvalidQuery
from tests.engine.models.release_audit import leak_warnings_are_errors  # noqa: F401

BOUNDS = ((-5.0, 15.0),) * 3


def elongated(rows: int = 30_000, seed: int = 1) -> ModelInput:
    """Rows spread 3, 1 and 0.3 along three random orthogonal axes around (5, 5, 5)."""
    rng = numpy.random.default_rng(seed)
    axes = numpy.linalg.qr(rng.normal(size=(3, 3)))[0]
    spread = rng.normal(0.0, 1.0, (rows, 3)) * numpy.array([3.0, 1.0, 0.3])
    return ModelInput(
        features=numpy.clip(spread @ axes.T + 5.0, -5.0, 15.0),
        feature_names=("a", "b", "c"),
        feature_bounds=BOUNDS,
        rows_per_unit=1,
    )


def test_components_and_variance_match_the_non_private_fit_at_a_large_epsilon() -> None:
    data = elongated()
    exact = PCA(2).fit(data.features)
    fit = pca.fit(data, 20.0, n_components=2, random_state=3)
    components = numpy.array(fit.values["components"])
    assert components.shape == (2, 3)
    cosines = numpy.abs(numpy.sum(components * exact.components_, axis=1))
    assert (cosines > 0.98).all()
    assert numpy.allclose(
        fit.values["explained_variance_ratio"], exact.explained_variance_ratio_, atol=0.02
    )
    assert numpy.allclose(fit.values["explained_variance"], exact.explained_variance_, rtol=0.05)
    assert numpy.allclose(fit.values["mean"], data.features.mean(axis=0), atol=0.05)
    # Components are unit vectors, orthogonal, and sign-fixed (largest entry positive).
    assert numpy.allclose(components @ components.T, numpy.eye(2), atol=1e-6)
    assert all(row[numpy.argmax(numpy.abs(row))] > 0 for row in components)


def test_the_first_component_is_found_at_epsilon_one() -> None:
    data = elongated()
    exact = PCA(1).fit(data.features).components_[0]
    cosines = [
        abs(
            float(
                numpy.dot(
                    pca.fit(data, 1.0, n_components=1, random_state=s).values["components"][0],
                    exact,
                )
            )
        )
        for s in range(3)
    ]
    assert numpy.median(cosines) > 0.9


def test_release_is_json_with_its_report_facts() -> None:
    fit = pca.fit(elongated(500), 1.0, random_state=0)
    assert set(fit.values) == {
        "components",
        "explained_variance",
        "explained_variance_ratio",
        "mean",
        "features",
    }
    assert numpy.array(fit.values["components"]).shape == (3, 3)  # default: one per feature
    ratio = fit.values["explained_variance_ratio"]
    assert sum(ratio) == pytest.approx(1.0, abs=1e-8) and ratio == sorted(ratio, reverse=True)
    json.dumps(fit.values)
    json.dumps(dict(fit.details))
    assert fit.details["data_norm"] == pytest.approx(numpy.sqrt(3 * 20.0**2))
    split = fit.details["epsilon_split"]
    assert sum(split.values()) == pytest.approx(1.0)
    mean = numpy.array(fit.values["mean"])
    assert (mean >= -5.0).all() and (mean <= 15.0).all()


def test_more_components_than_features_are_cut_and_reported() -> None:
    fit = pca.fit(elongated(100), 1.0, n_components=7, random_state=0)
    assert len(fit.values["components"]) == 3
    assert fit.details["n_components"] == 3 and fit.details["n_components_asked"] == 7


def test_no_rows_is_no_error_and_the_seed_fixes_the_library_noise() -> None:
    empty = elongated(0)
    fit = pca.fit(empty, 1.0, n_components=2, random_state=1)
    assert numpy.array(fit.values["components"]).shape == (2, 3)
    small = elongated(50)
    first = pca.fit(small, 1.0, n_components=2, random_state=4).values["explained_variance_ratio"]
    again = pca.fit(small, 1.0, n_components=2, random_state=4).values["explained_variance_ratio"]
    assert len(first) == len(again) == 2


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"n_components": 0}, "n_components must be"),
        ({"n_components": 101}, "n_components must be"),
        ({"n_components": 1.5}, "n_components must be an integer"),
        ({"n_components": "2"}, "n_components must be an integer"),
        ({"mean_share": 0.0}, "mean_share"),
        ({"mean_share": 0.95}, "mean_share"),
        ({"mean_share": None}, "mean_share"),
        ({"components": 2}, "unknown parameter 'components'"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidQuery, match=named) as caught:
        pca.validate(params)
    assert caught.value.message.startswith("pca(): ")


def test_validated_defaults() -> None:
    assert pca.validate({}) == {"n_components": None, "mean_share": 0.5}
    with pytest.raises(InvalidQuery, match="epsilon"):
        pca.fit(elongated(10), 0.0)

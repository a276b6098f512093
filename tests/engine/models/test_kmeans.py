"""DP k-means fitter: accuracy on known clusters, released shape, typed refusals."""

from __future__ import annotations

import itertools
import json

import numpy
import pytest

from sandbox.engine.models import kmeans
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.validation import InvalidQuery
from tests.engine.models.release_audit import leak_warnings_are_errors  # noqa: F401

TRUTH = numpy.array([[2.0, 2.0], [8.0, 3.0], [5.0, 8.0]])
BOUNDS = ((0.0, 10.0), (0.0, 10.0))


def blobs(per_cluster: int = 10_000, seed: int = 1) -> ModelInput:
    rng = numpy.random.default_rng(seed)
    rows = numpy.vstack([rng.normal(centre, 0.5, (per_cluster, 2)) for centre in TRUTH])
    return ModelInput(
        features=numpy.clip(rows, 0.0, 10.0),
        feature_names=("x", "y"),
        feature_bounds=BOUNDS,
        rows_per_unit=1,
    )


def matched_error(centroids: numpy.ndarray) -> float:
    """Largest distance of a true centre to its centroid, over the best matching."""
    return min(
        max(float(numpy.linalg.norm(centroids[j] - TRUTH[i])) for i, j in enumerate(order))
        for order in itertools.permutations(range(len(TRUTH)))
    )


def test_separated_clusters_are_recovered_at_a_large_epsilon() -> None:
    fit = kmeans.fit(blobs(), 10.0, k=3, random_state=3)
    centroids = numpy.array(fit.values["centroids"])
    assert centroids.shape == (3, 2)
    assert matched_error(centroids) < 0.2
    sizes = sorted(fit.values["cluster_sizes"])
    assert all(abs(size - 10_000) < 300 for size in sizes)
    assert fit.epsilon == 10.0 and fit.delta == 0.0


def test_accuracy_degrades_gracefully_at_epsilon_one() -> None:
    errors = [
        matched_error(
            numpy.array(kmeans.fit(blobs(), 1.0, k=3, random_state=s).values["centroids"])
        )
        for s in range(3)
    ]
    assert numpy.median(errors) < 1.0


def test_release_is_json_with_its_report_facts() -> None:
    fit = kmeans.fit(blobs(200), 1.0, k=4, iterations=3, size_share=0.2, random_state=0)
    assert set(fit.values) == {"centroids", "cluster_sizes", "features"}
    assert len(fit.values["centroids"]) == 4
    assert all(len(row) == 2 for row in fit.values["centroids"])
    assert all(isinstance(size, int) and size >= 0 for size in fit.values["cluster_sizes"])
    json.dumps(fit.values)
    json.dumps(dict(fit.details))
    split = fit.details["epsilon_split"]
    assert split["lloyd_steps"] + split["cluster_sizes"] == pytest.approx(1.0)
    assert split["per_step"] == pytest.approx(0.8 / 3)
    assert fit.details["library"].startswith("diffprivlib 0.6")
    assert "adding or removing one row" in fit.details["privacy"]
    # Centroids lie in the public bounds (the bounded-domain noise keeps them there).
    centroids = numpy.array(fit.values["centroids"])
    assert (centroids >= 0.0).all() and (centroids <= 10.0).all()


def test_the_seed_fixes_the_centroids_and_the_shape_never_depends_on_the_data() -> None:
    first = kmeans.fit(blobs(100), 1.0, k=3, random_state=7)
    again = kmeans.fit(blobs(100), 1.0, k=3, random_state=7)
    assert first.values["centroids"] == again.values["centroids"]
    for data in (blobs(0), blobs(1)):  # no rows, and fewer rows than clusters: no error
        fit = kmeans.fit(data, 1.0, k=3, random_state=7)
        assert numpy.array(fit.values["centroids"]).shape == (3, 2)
        assert len(fit.values["cluster_sizes"]) == 3


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "k="),
        ({"k": 1}, "k must be"),
        ({"k": 51}, "k must be"),
        ({"k": 2.5}, "k must be an integer"),
        ({"k": True}, "k must be an integer"),
        ({"k": "3"}, "k must be an integer"),
        ({"k": 3, "iterations": 0}, "iterations"),
        ({"k": 3, "iterations": 21}, "iterations"),
        ({"k": 3, "size_share": 0}, "size_share"),
        ({"k": 3, "size_share": 0.6}, "size_share"),
        ({"k": 3, "size_share": float("nan")}, "size_share"),
        ({"k": 3, "size_share": "a"}, "size_share"),
        ({"k": 3, "seed": 1}, "unknown parameter 'seed'"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidQuery, match=named) as caught:
        kmeans.validate(params)
    assert caught.value.message.startswith("kmeans(): ")


def test_validated_parameters_are_the_fitters_keywords() -> None:
    params = kmeans.validate({"k": 3})
    assert params == {"k": 3, "iterations": 5, "size_share": 0.1}
    fit = kmeans.fit(blobs(50), 1.0, **params, random_state=0)
    assert fit.details["k"] == 3


@pytest.mark.parametrize("epsilon", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_epsilon_is_refused(epsilon: float) -> None:
    with pytest.raises(InvalidQuery, match="epsilon"):
        kmeans.fit(blobs(10), epsilon, k=2)


def test_bad_bounds_are_refused_naming_the_feature() -> None:
    data = blobs(10)
    bad = ModelInput(
        features=data.features,
        feature_names=data.feature_names,
        feature_bounds=((0.0, 10.0), (5.0, 5.0)),
        rows_per_unit=1,
    )
    with pytest.raises(InvalidQuery, match="'y'"):
        kmeans.fit(bad, 1.0, k=2)


def test_every_step_spends_exactly_its_share_even_where_the_library_would_overspend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The count and the d sums of one step add up to the step's budget (10 features)."""
    spent: list[tuple[str, float]] = []
    mechanisms = diffprivlib.mechanisms
    for name in ("GeometricFolded", "LaplaceBoundedDomain"):
        real = getattr(mechanisms, name)

        def recording(
            *args: object, _real: object = real, _name: str = name, **kw: object
        ) -> object:
            spent.append((_name, float(kw["epsilon"])))  # type: ignore[arg-type]
            return _real(*args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(mechanisms, name, recording)
    rng = numpy.random.default_rng(0)
    data = ModelInput(
        features=rng.uniform(0.0, 1.0, (200, 10)),
        feature_names=tuple(f"f{i}" for i in range(10)),
        feature_bounds=((0.0, 1.0),) * 10,
        rows_per_unit=1,
    )
    kmeans.fit(data, 2.0, k=2, iterations=4, size_share=0.25, random_state=0)
    counts = [e for name, e in spent if name == "GeometricFolded"]
    sums = [e for name, e in spent if name == "LaplaceBoundedDomain"]
    assert len(counts) == 4 and len(sums) == 4 * 2 * 10  # one count mechanism per step
    step = 2.0 * 0.75 / 4
    assert counts[0] + 10 * sums[0] <= step
    assert counts[0] + 10 * sums[0] == pytest.approx(step, rel=1e-9)
    # diffprivlib's own split hands the count a coordinate's share and back: 1.2x the step.
    library = kmeans._lloyd_model(2, 2.0 * 0.75, numpy.full(10, 0.5), 0)
    count_share, sum_share = library._split_epsilon(10, 4)
    assert count_share + 10 * sum_share > 1.2 * step

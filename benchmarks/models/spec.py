"""What the models benchmark fits, on which columns, with which public bounds and epsilons.

One generated table (:mod:`benchmarks.models.data`) serves every family; every contender
(our platform, the library called directly, scikit-learn) reads the same Parquet file and
uses the same public bounds. One row per person (``person_id``): the platform's contribution
bound is 1, so its per-row epsilon is the charged epsilon, as the library's is.

- ``linear``: ``y`` on ``x1..x4`` (``y`` bounded to ``Y_BOUNDS``).
- ``logistic``: ``label`` (``yes``/``no``) on ``x1..x4``.
- ``kmeans``: ``x1..x4``, ``CLUSTERS`` clusters.
- ``pca``: ``x1..x4``, ``COMPONENTS`` components.
- ``naive_bayes``: ``klass`` (four classes) on ``x1..x4``; accuracy on a held-out test set
  drawn from the same distribution with its own seed.
- ``synth``: ``c1..c5`` (categorical, 3 to 6 categories each), a synthetic table of
  ``SYNTH_ROWS`` rows; total variation distance of all 1- and 2-way marginals.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FEATURES: tuple[str, ...] = ("x1", "x2", "x3", "x4")
FEATURE_BOUNDS: tuple[float, float] = (-5.0, 5.0)
"""Public bounds of every feature (the generator clips to them)."""

Y_BOUNDS: tuple[float, float] = (-20.0, 20.0)
"""Public bounds of the regression target."""

TRUE_COEFFICIENTS: tuple[float, ...] = (1.0, -0.5, 0.25, 2.0)
TRUE_INTERCEPT = 1.5
NOISE_STD = 1.0
"""``y = TRUE_INTERCEPT + x . TRUE_COEFFICIENTS + N(0, NOISE_STD^2)``."""

LOGISTIC_COEFFICIENTS: tuple[float, ...] = (1.0, -1.0, 0.5, 0.0)
LOGISTIC_INTERCEPT = 0.5
"""``P(label = yes) = sigmoid(LOGISTIC_INTERCEPT + x . LOGISTIC_COEFFICIENTS)``."""

LABELS: tuple[str, str] = ("no", "yes")

CENTRES: tuple[tuple[float, ...], ...] = (
    (2.0, 2.0, 0.5, 0.0),
    (-2.0, -2.0, -0.5, 0.0),
    (2.0, -2.0, 0.0, 0.5),
    (-2.0, 2.0, 0.0, -0.5),
)
"""The mixture's component means; ``klass`` is the component (``a`` to ``d``)."""
SCALES: tuple[float, ...] = (0.8, 0.8, 0.6, 0.4)
"""Per-feature standard deviation within a component (anisotropic, for PCA)."""
CLASSES: tuple[str, ...] = ("a", "b", "c", "d")
CLUSTERS = 4
COMPONENTS = 2

SYNTH_COLUMNS: tuple[str, ...] = ("c1", "c2", "c3", "c4", "c5")
SYNTH_DOMAINS: dict[str, tuple[str, ...]] = {
    "c1": ("p", "q", "r", "s"),
    "c2": ("k0", "k1", "k2", "k3", "k4"),
    "c3": ("lo", "mid", "hi"),
    "c4": ("u0", "u1", "u2", "u3", "u4", "u5"),
    "c5": ("w", "x", "y", "z"),
}
SYNTH_PARENTS: dict[str, str | None] = {"c1": None, "c2": "c1", "c3": "c2", "c4": "c1", "c5": "c3"}
"""The generator's tree: each column drawn given its parent (so 2-way marginals matter)."""
SYNTH_ROWS = 10_000
"""Rows of each synthetic table (the platform's most per release)."""

EPSILONS: tuple[float, ...] = (1.0, 0.1)
FAMILIES: tuple[str, ...] = ("linear", "logistic", "kmeans", "pca", "naive_bayes", "synth")
PATHS: tuple[str, ...] = ("platform", "library", "sklearn")
"""Our platform's engine, the library called directly, the non-private floor."""

TEST_ROWS = 100_000
"""Held-out rows (naive Bayes accuracy), drawn with their own seed."""

RESULT_KEY = "models_bench_result"
"""Marks a contender's JSON result line (libraries may print other lines)."""


def dataset_path(data_dir: Path | str, rows: int, *, test: bool = False) -> Path:
    """``<dir>/models-bench-v1-<rows>.parquet`` (``-test`` for the held-out rows)."""
    suffix = "-test" if test else ""
    return Path(data_dir) / f"models-bench-v1-{rows}{suffix}.parquet"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict[str, Any]) -> None:
    """Print one result line the harness reads back."""
    sys.stdout.write(json.dumps({RESULT_KEY: True, **result}, default=float) + "\n")
    sys.stdout.flush()

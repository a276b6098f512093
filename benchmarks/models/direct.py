"""The laptop-style contenders: the DP library called directly on a pandas frame, and the
non-private floor (scikit-learn) on the same frame.

``library``: what a careful analyst with the file on a laptop would write: ``pd.read_parquet``,
then diffprivlib's estimator with the same public bounds the platform uses (given
explicitly, so diffprivlib never reads them from the data), its own defaults otherwise.
For synthetic data, MST as its authors' reference implementation writes it
(private-pgm's ``mechanisms/mst.py``: Gaussian noise on the 1-way marginals, the
exponential mechanism choosing a maximum spanning tree, Gaussian noise on its 2-way
marginals, each a third of the zCDP budget rho; then ``mbi``'s estimation and sampling),
on the same ``mbi`` and the same estimation iterations as the platform; the reference's
domain compression of rare categories is left out, as the platform has none.

``sklearn``: the same fits without privacy: the floor every DP error is measured against.
For synthetic data the floor is a uniform sample of as many real rows as the synthetic
table has (its TVD is sampling error alone).

Each contender is timed from reading the file to the fitted values (``seconds``) and for
the fit alone (``fit_seconds``).
"""

from __future__ import annotations

import itertools
import math
import os
import time
import warnings
from typing import Any

import numpy as np

from benchmarks.models.spec import (
    CLASSES,
    CLUSTERS,
    COMPONENTS,
    FEATURE_BOUNDS,
    FEATURES,
    LABELS,
    SYNTH_COLUMNS,
    SYNTH_DOMAINS,
    SYNTH_ROWS,
    Y_BOUNDS,
)

ESTIMATION_ITERATIONS = 1000
"""mbi mirror-descent iterations (the platform's :data:`ESTIMATION_ITERATIONS`)."""


def diffprivlib_module() -> Any:
    """Import diffprivlib 0.6.6, importable under scikit-learn 1.9 (its forest imports two removed
    dtype aliases: restored, as on any laptop with this scikit-learn).
    """
    import sklearn.tree._tree as tree  # type: ignore[import-untyped]

    for name, dtype in (("DOUBLE", np.float64), ("DTYPE", np.float32)):
        if not hasattr(tree, name):
            setattr(tree, name, dtype)
    import diffprivlib  # type: ignore[import-untyped]

    warnings.simplefilter("error", diffprivlib.utils.PrivacyLeakWarning)
    return diffprivlib


def logistic_regression(dp: Any, epsilon: float, data_norm: float) -> Any:
    """The ``LogisticRegression`` of diffprivlib, its constructor adapted to scikit-learn 1.9.

    diffprivlib 0.6.6 passes ``multi_class="ovr"`` to scikit-learn's constructor, which 1.9
    no longer takes (diffprivlib fits one-vs-rest itself); the subclass makes the same call
    without it. ``fit`` (the mechanism) is diffprivlib's, unchanged.
    """
    from sklearn import linear_model

    class Adapted(dp.models.LogisticRegression):  # type: ignore[misc]
        def __init__(
            self,
            *,
            epsilon: float = 1.0,
            data_norm: float | None = None,
            tol: float = 1e-4,
            C: float = 1.0,  # noqa: N803 - the library's name
            fit_intercept: bool = True,
            max_iter: int = 100,
            verbose: int = 0,
            warm_start: bool = False,
            n_jobs: int | None = None,
            random_state: Any = None,
            accountant: Any = None,
        ) -> None:
            linear_model.LogisticRegression.__init__(
                self,
                tol=tol,
                C=C,
                fit_intercept=fit_intercept,
                random_state=random_state,
                solver="lbfgs",
                max_iter=max_iter,
                verbose=verbose,
                warm_start=warm_start,
                n_jobs=n_jobs,
            )
            self.epsilon = epsilon
            self.data_norm = data_norm
            self.classes_ = None
            self.accountant = dp.BudgetAccountant.load_default(accountant)

    return Adapted(epsilon=epsilon, data_norm=data_norm, accountant=dp.BudgetAccountant())


def columns_of(family: str) -> list[str]:
    """The file's columns a family reads."""
    if family == "linear":
        return [*FEATURES, "y"]
    if family == "logistic":
        return [*FEATURES, "label"]
    if family == "naive_bayes":
        return [*FEATURES, "klass"]
    if family == "synth":
        return list(SYNTH_COLUMNS)
    return list(FEATURES)


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    low = np.full(len(FEATURES), FEATURE_BOUNDS[0])
    high = np.full(len(FEATURES), FEATURE_BOUNDS[1])
    return low, high


def library_fit(family: str, frame: Any, epsilon: float) -> dict[str, Any]:
    """One diffprivlib (or reference MST) fit at ``epsilon``; its released values."""
    if family == "synth":
        return reference_mst(frame, epsilon**2 / 2)
    dp = diffprivlib_module()
    x = frame[list(FEATURES)].to_numpy()
    bounds = _bounds()
    fresh = dp.BudgetAccountant()
    if family == "linear":
        model = dp.models.LinearRegression(
            epsilon=epsilon, bounds_X=bounds, bounds_y=Y_BOUNDS, accountant=fresh
        )
        model.fit(x, frame["y"].to_numpy())
        return {"coefficients": model.coef_.tolist(), "intercept": float(model.intercept_)}
    if family == "logistic":
        norm = float(np.linalg.norm(np.maximum(np.abs(bounds[0]), np.abs(bounds[1]))))
        model = logistic_regression(dp, epsilon, norm)
        model.fit(x, (frame["label"] == LABELS[1]).to_numpy().astype(int))
        return {"coefficients": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])}
    if family == "kmeans":
        model = dp.models.KMeans(
            n_clusters=CLUSTERS, epsilon=epsilon, bounds=bounds, accountant=fresh
        )
        model.fit(x)
        return {"centroids": model.cluster_centers_.tolist()}
    if family == "pca":
        norm = float(np.linalg.norm(bounds[1] - bounds[0]))
        model = dp.models.PCA(
            n_components=COMPONENTS,
            epsilon=epsilon,
            bounds=bounds,
            data_norm=norm,
            accountant=fresh,
        )
        model.fit(x)
        return {
            "components": model.components_.tolist(),
            "explained_variance_ratio": model.explained_variance_ratio_.tolist(),
        }
    if family == "naive_bayes":
        model = dp.models.GaussianNB(epsilon=epsilon, bounds=bounds, accountant=fresh)
        model.fit(x, frame["klass"].to_numpy())
        order = [list(model.classes_).index(c) for c in CLASSES]
        return {
            "theta": model.theta_[order].tolist(),
            "var": model.var_[order].tolist(),
            "prior": np.asarray(model.class_count_)[order].tolist(),
        }
    raise ValueError(f"unknown family {family!r}")


def sklearn_fit(family: str, frame: Any) -> dict[str, Any]:
    """The non-private fit of ``family`` (the floor)."""
    from sklearn import (
        cluster,
        decomposition,
        linear_model,
        naive_bayes,
    )

    if family == "synth":
        sample = frame.sample(n=min(SYNTH_ROWS, len(frame)))
        return {"codes": encode(sample).tolist()}
    x = frame[list(FEATURES)].to_numpy()
    if family == "linear":
        model = linear_model.LinearRegression().fit(x, frame["y"].to_numpy())
        return {"coefficients": model.coef_.tolist(), "intercept": float(model.intercept_)}
    if family == "logistic":
        target = (frame["label"] == LABELS[1]).to_numpy().astype(int)
        model = linear_model.LogisticRegression(C=1.0, max_iter=1000).fit(x, target)
        return {"coefficients": model.coef_[0].tolist(), "intercept": float(model.intercept_[0])}
    if family == "kmeans":
        model = cluster.KMeans(n_clusters=CLUSTERS, n_init=4, random_state=0).fit(x)
        return {"centroids": model.cluster_centers_.tolist()}
    if family == "pca":
        model = decomposition.PCA(n_components=COMPONENTS).fit(x)
        return {
            "components": model.components_.tolist(),
            "explained_variance_ratio": model.explained_variance_ratio_.tolist(),
        }
    if family == "naive_bayes":
        model = naive_bayes.GaussianNB().fit(x, frame["klass"].to_numpy())
        order = [list(model.classes_).index(c) for c in CLASSES]
        return {
            "theta": model.theta_[order].tolist(),
            "var": model.var_[order].tolist(),
            "prior": np.asarray(model.class_count_)[order].tolist(),
        }
    raise ValueError(f"unknown family {family!r}")


def encode(frame: Any) -> np.ndarray:
    """The synthetic-data columns as integer codes over their declared domains."""
    out = np.empty((len(frame), len(SYNTH_COLUMNS)), dtype=np.int64)
    for i, column in enumerate(SYNTH_COLUMNS):
        lookup = {value: code for code, value in enumerate(SYNTH_DOMAINS[column])}
        out[:, i] = frame[column].map(lookup).to_numpy()
    return out


def _mbi() -> Any:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import mbi  # type: ignore[import-untyped]
    return mbi


def reference_mst(frame: Any, rho: float, rows: int = SYNTH_ROWS) -> dict[str, Any]:
    """MST at zCDP ``rho`` as private-pgm's reference writes it (see the module docstring).

    Returns the synthetic table as integer codes (rows x columns).
    """
    mbi = _mbi()
    names = tuple(SYNTH_COLUMNS)
    sizes = tuple(len(SYNTH_DOMAINS[c]) for c in names)
    domain = mbi.Domain(names, sizes)
    codes = encode(frame)
    rng = np.random.default_rng()

    def exact(clique: tuple[int, ...]) -> np.ndarray:
        if len(clique) == 1:
            return np.bincount(codes[:, clique[0]], minlength=sizes[clique[0]]).astype(float)
        i, j = clique
        flat = codes[:, i] * sizes[j] + codes[:, j]
        return np.bincount(flat, minlength=sizes[i] * sizes[j]).astype(float)

    sigma = math.sqrt(3.0 / (2.0 * rho))  # a third of rho per phase (reference: measure)

    def measure(cliques: list[tuple[int, ...]]) -> list[Any]:
        scale = sigma * math.sqrt(len(cliques))  # weights 1/sqrt(n), normalised
        return [
            mbi.LinearMeasurement(
                exact(c) + rng.normal(0.0, scale, size=int(np.prod([sizes[a] for a in c]))),
                tuple(names[a] for a in c),
                scale,
            )
            for c in cliques
        ]

    one_way = measure([(i,) for i in range(len(names))])
    independent = mbi.estimation.MirrorDescent().estimate(
        domain, one_way, iters=ESTIMATION_ITERATIONS
    )
    candidates = list(itertools.combinations(range(len(names)), 2))
    scores = {
        (a, b): float(
            np.abs(
                exact((a, b)) - np.asarray(independent.project((names[a], names[b])).datavector())
            ).sum()
        )
        for a, b in candidates
    }
    rounds = len(names) - 1
    epsilon = math.sqrt(8 * (rho / 3) / rounds)  # the exponential mechanism, per round
    parent = list(range(len(names)))

    def root(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    edges: list[tuple[int, int]] = []
    for _ in range(rounds):
        open_pairs = [e for e in candidates if root(e[0]) != root(e[1])]
        quality = np.array([scores[e] for e in open_pairs])
        logits = epsilon * (quality - quality.max()) / 2.0  # sensitivity 1
        probabilities = np.exp(logits) / np.exp(logits).sum()
        chosen = open_pairs[int(rng.choice(len(open_pairs), p=probabilities))]
        parent[root(chosen[0])] = root(chosen[1])
        edges.append(chosen)
    two_way = measure(list(edges))
    model = mbi.estimation.MirrorDescent().estimate(
        domain, one_way + two_way, iters=ESTIMATION_ITERATIONS
    )
    synthetic = model.synthetic_data(rows).data
    out = np.stack([np.asarray(synthetic[n], dtype=np.int64) for n in names], axis=1)
    return {"codes": out.tolist(), "tree": [[names[a], names[b]] for a, b in edges]}


def run(path: str, family: str, data: str, epsilons: list[float], repeats: int) -> dict[str, Any]:
    """Read-and-fit ``repeats`` times per epsilon (``sklearn``: once per repetition, no
    epsilon); each repetition re-reads the file, as a script run again would.
    """
    import pandas as pd
    import sklearn.cluster  # type: ignore[import-untyped]
    import sklearn.decomposition  # type: ignore[import-untyped]
    import sklearn.linear_model  # type: ignore[import-untyped]
    import sklearn.naive_bayes  # type: ignore[import-untyped]  # noqa: F401

    if path == "library":
        diffprivlib_module()
        if family == "synth":
            _mbi()
    reps: list[dict[str, Any]] = []
    for epsilon in epsilons if path == "library" else [None]:
        for rep in range(repeats):
            start = time.perf_counter()
            frame = pd.read_parquet(data, columns=columns_of(family))
            read = time.perf_counter() - start
            if path == "library":
                assert epsilon is not None
                values = library_fit(family, frame, epsilon)
            else:
                values = sklearn_fit(family, frame)
            total = time.perf_counter() - start
            del frame
            reps.append(
                {
                    "epsilon": epsilon,
                    "rep": rep,
                    "seconds": total,
                    "fit_seconds": total - read,
                    "values": values,
                }
            )
    return {"ok": True, "reps": reps}

"""The vetted models of ``algorithms/``: each loads, compiles, validates and runs end to end.

:class:`VettedModels` reads the models as text (``sandbox`` never imports ``algorithms``);
each model then runs in the strongest backend of this machine against a fake trusted broker,
and the DP calls it made are checked against the parameters it was given.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.compiler import compile_model
from sandbox.runtime.executor import BrokerRefusal, run_model
from sandbox.runtime.params import ParamsError, validate_params
from sandbox.runtime.vetted import (
    UnknownModel,
    VettedModel,
    VettedModelError,
    VettedModels,
    default_algorithms_dir,
)

GROUPS = {"north": 10.5, "south": 20.25}


class FakeBroker:
    """Answers each DP call with a plausible value and records it; knows one dataset."""

    def __init__(self, dataset: str = "census") -> None:
        self.dataset = dataset
        self.calls: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []
        self.shapes: list[tuple[tuple[Any, ...], tuple[dict[str, Any], ...]]] = []
        """Each call's ``where`` conditions and derived columns."""
        self.joins: list[tuple[dict[str, Any], ...]] = []
        """Each call's joins."""

    def __call__(self, request: DPRequest) -> Any:
        if request.dataset != self.dataset:
            raise BrokerRefusal(f"dataset {request.dataset!r} is not in this job's grant")
        self.calls.append((request.call, request.group_by, request.args))
        self.shapes.append((request.where, request.derive))
        self.joins.append(request.join)
        if request.group_by or request.call == "histogram":
            return dict(GROUPS)
        if request.call == "synthesize":
            return dict(SYNTHETIC)
        if request.call in MODEL_FITS:
            return dict(MODEL_FITS[request.call])
        return {
            "count": 1234.0,
            "sum": 5.5e6,
            "mean": 41.5,
            "variance": 90.25,
            "quantile": 40.0 + 10 * float(request.args.get("q", 0)),
        }[request.call]


# name -> (params beyond the defaults, expected DP calls, expected result)
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, tuple[str, ...], dict[str, Any]]], Any]] = {
    "count_rows": (
        {"dataset": "census"},
        [("count", (), {"epsilon": 0.5})],
        {"dataset": "census", "count": 1234.0},
    ),
    "count_by_group": (
        {"dataset": "census", "group": "region", "epsilon": 0.25, "delta": 1e-6},
        [("count", ("region",), {"epsilon": 0.25, "delta": 1e-6})],
        {"dataset": "census", "group": "region", "count": GROUPS},
    ),
    "sum_by_group": (
        {"dataset": "census", "group": "region", "column": "income", "lower": 0, "upper": 1e5},
        [("sum", ("region",), {"column": "income", "lower": 0, "upper": 1e5, "epsilon": 1.0})],
        {"dataset": "census", "group": "region", "column": "income", "sum": GROUPS},
    ),
    "mean_by_group": (
        {
            "dataset": "census",
            "group": "region",
            "column": "income",
            "lower": 0,
            "upper": 200000,
            "epsilon": 0.5,
        },
        [("mean", ("region",), {"column": "income", "lower": 0, "upper": 200000, "epsilon": 0.5})],
        {"dataset": "census", "group": "region", "column": "income", "mean": GROUPS},
    ),
    "histogram": (
        {"dataset": "census", "column": "age", "bins": 5, "lower": 0, "upper": 100},
        [("histogram", (), {"column": "age", "epsilon": 1.0, "bins": 5, "lower": 0, "upper": 100})],
        {"dataset": "census", "column": "age", "histogram": GROUPS},
    ),
    "quantiles": (
        {"dataset": "census", "column": "age", "lower": 0, "upper": 120, "epsilon": 0.9},
        [
            ("quantile", (), {"column": "age", "q": q, "lower": 0, "upper": 120, "epsilon": 0.3})
            for q in (0.25, 0.5, 0.75)
        ],
        {
            "dataset": "census",
            "column": "age",
            "quantiles": [
                {"q": 0.25, "value": 42.5},
                {"q": 0.5, "value": 45.0},
                {"q": 0.75, "value": 47.5},
            ],
        },
    ),
    "summary_statistics": (
        {"dataset": "census", "column": "income", "lower": 0, "upper": 1000},
        [
            ("count", (), {"epsilon": 0.5}),
            ("mean", (), {"column": "income", "lower": 0, "upper": 1000, "epsilon": 0.5}),
            ("variance", (), {"column": "income", "lower": 0, "upper": 1000, "epsilon": 0.5}),
        ],
        {"dataset": "census", "column": "income", "count": 1234.0, "mean": 41.5, "variance": 90.25},
    ),
}


AGE_65 = (["age", ">=", 65],)
BANDS = {"kind": "bin", "column": "age", "edges": [0, 18, 65, 120], "name": "age_bin"}
CASES["filtered_group_statistics"] = (
    {
        "dataset": "census",
        "groups": ["region", "sex"],
        "column": "income",
        "lower": 0,
        "upper": 1e5,
        "filter_column": "age",
        "filter_min": 65,
        "epsilon": 0.5,
    },
    [
        ("count", ("region", "sex"), {"epsilon": 0.25}),
        (
            "mean",
            ("region", "sex"),
            {"column": "income", "lower": 0, "upper": 1e5, "epsilon": 0.25},
        ),
    ],
    {
        "dataset": "census",
        "groups": ["region", "sex"],
        "where": [list(AGE_65[0])],
        "count": GROUPS,
        "mean": GROUPS,
    },
)
CASES["crosstab"] = (
    {
        "dataset": "census",
        "rows": "region",
        "cols": "age",
        "cols_bins": [0, 18, 65, 120],
        "epsilon": 0.3,
    },
    [("count", ("region", "age_bin"), {"epsilon": 0.3})],
    {"dataset": "census", "rows": "region", "cols": "age_bin", "count": GROUPS},
)
CASES["join_grouped_sum"] = (
    {
        "dataset": "census",
        "other": "benefits",
        "on": "pid",
        "truncate": 2,
        "lookup": "clinics",
        "lookup_on": "clinic",
        "groups": ["clinic_area"],
        "column": "amount",
        "lower": 0,
        "upper": 500,
        "epsilon": 0.4,
    },
    [("sum", ("clinic_area",), {"column": "amount", "lower": 0, "upper": 500, "epsilon": 0.4})],
    {
        "datasets": ["census", "benefits"],
        "on": "pid",
        "lookup": "clinics",
        "groups": ["clinic_area"],
        "column": "amount",
        "sum": GROUPS,
    },
)
SYNTHETIC = {
    "columns": ["region", "age"],
    "rows": [{"region": "north", "age": 41}, {"region": "south", "age": 67}],
    "utility": {"mean_total_variation": 0.01},
    "mechanism": "MST",
    "epsilon": 0.8,
}
CASES["synthetic_table"] = (
    {
        "dataset": "census",
        "columns": ["region", "age"],
        "rows": 2,
        "epsilon": 0.8,
        "bins": 8,
        "bounded_columns": ["age"],
        "lower": [0],
        "upper": [120],
        "filter_column": "region",
        "filter_values": ["north", "south"],
    },
    [
        (
            "synthesize",
            (),
            {
                "columns": ["region", "age"],
                "epsilon": 0.8,
                "bins": 8,
                "rows": 2,
                "bounds": {"age": [0, 120]},
            },
        )
    ],
    {"dataset": "census", **SYNTHETIC},
)
MODEL_FITS: dict[str, dict[str, Any]] = {
    "linear_regression": {"features": ["age"], "coefficients": {"age": 2.5}, "intercept": 1.0},
    "logistic_regression": {"features": ["age"], "coefficients": {"age": 0.1}, "intercept": -1.0},
    "kmeans": {"features": ["age"], "centroids": [[20.0], [60.0]], "cluster_sizes": [40, 60]},
    "pca": {"features": ["age", "income"], "components": [[0.6, 0.8]], "mean": [40.0, 1e4]},
    "naive_bayes": {"features": ["age"], "classes": ["north", "south"], "means": [[30.0], [50.0]]},
}
"""What the fake broker answers a DP model call with."""
CASES["linear_regression"] = (
    {
        "dataset": "census",
        "y": "income",
        "x": ["age"],
        "lower": [0],
        "upper": [120],
        "y_lower": 0,
        "y_upper": 1e5,
        "categorical": ["region"],
        "epsilon": 0.5,
    },
    [
        (
            "linear_regression",
            (),
            {
                "y": "income",
                "x": ["age", "region"],
                "bounds": {"age": [0, 120], "income": [0, 1e5]},
                "epsilon": 0.5,
            },
        )
    ],
    {"dataset": "census", "y": "income", **MODEL_FITS["linear_regression"]},
)
CASES["logistic_regression"] = (
    {"dataset": "census", "y": "region", "positive": "north", "x": ["age"], "epsilon": 0.5},
    [
        (
            "logistic_regression",
            (),
            {
                "y": "region",
                "x": ["age"],
                "bounds": {},
                "epsilon": 0.5,
                "C": 1.0,
                "positive": "north",
            },
        )
    ],
    {"dataset": "census", "y": "region", **MODEL_FITS["logistic_regression"]},
)
CASES["kmeans"] = (
    {"dataset": "census", "x": ["age"], "lower": [0], "upper": [120], "k": 2, "epsilon": 0.5},
    [
        (
            "kmeans",
            (),
            {
                "columns": ["age"],
                "k": 2,
                "iterations": 5,
                "size_share": 0.1,
                "bounds": {"age": [0, 120]},
                "epsilon": 0.5,
            },
        )
    ],
    {"dataset": "census", "k": 2, **MODEL_FITS["kmeans"]},
)
CASES["pca"] = (
    {"dataset": "census", "x": ["age"], "categorical": ["region"], "n_components": 1},
    [
        (
            "pca",
            (),
            {
                "columns": ["age", "region"],
                "n_components": 1,
                "mean_share": 0.5,
                "bounds": {},
                "epsilon": 1.0,
            },
        )
    ],
    {"dataset": "census", **MODEL_FITS["pca"]},
)
CASES["naive_bayes"] = (
    {"dataset": "census", "y": "region", "x": ["age"], "lower": [0], "upper": [120]},
    [
        (
            "naive_bayes",
            (),
            {"y": "region", "x": ["age"], "bounds": {"age": [0, 120]}, "epsilon": 1.0},
        )
    ],
    {"dataset": "census", "y": "region", **MODEL_FITS["naive_bayes"]},
)
JOINS: dict[str, list[tuple[dict[str, Any], ...]]] = {
    "join_grouped_sum": [
        (
            {"kind": "private", "dataset": "benefits", "on": "pid", "truncate": 2},
            {"kind": "public", "table": "clinics", "on": "clinic", "how": "inner"},
        )
    ],
}
"""The joins each call of a model sends (none if absent)."""
SHAPES: dict[str, list[tuple[tuple[Any, ...], tuple[dict[str, Any], ...]]]] = {
    "filtered_group_statistics": [(AGE_65, ()), (AGE_65, ())],
    "crosstab": [((), (BANDS,))],
    "synthetic_table": [((["region", "in", ["north", "south"]],), ())],
}
"""The where conditions and derived columns each call of a model sends (none if absent)."""


@pytest.fixture(scope="module")
def models() -> VettedModels:
    return VettedModels()


def test_every_shipped_model_is_covered(models: VettedModels) -> None:
    shipped = sorted(p.stem for p in default_algorithms_dir().glob("*.py") if p.stem != "__init__")
    assert models.names() == shipped
    assert sorted(CASES) == shipped


@pytest.mark.parametrize("name", sorted(CASES))
def test_model_loads_compiles_and_validates(models: VettedModels, name: str) -> None:
    model = models.get(name)
    assert model.name == name
    assert model.imports == frozenset()
    assert len(model.sha256) == 64
    assert compile_model(model.source, ()).ok
    assert model.info.description and model.info.summary
    assert model.info.params["dataset"].required
    for spec in model.info.params.values():
        assert spec.description, f"{name}.{spec.name} has no description"
        if spec.name.startswith("epsilon"):
            assert spec.minimum is not None and spec.minimum > 0
            assert spec.maximum is not None and spec.maximum <= 10
    required = {n: CASES[name][0][n] for n, s in model.info.params.items() if s.required}
    complete = validate_params(model.info, required)
    assert list(complete) == list(model.info.params)
    json.dumps(complete, allow_nan=False)
    json.dumps(model.info.to_dict(), allow_nan=False)
    with pytest.raises(ParamsError, match="missing required parameter 'dataset'"):
        validate_params(model.info, {})
    with pytest.raises(ParamsError, match="parameter 'epsilon' must be at most 10"):
        validate_params(model.info, {**required, "epsilon": 11})


@pytest.mark.parametrize("name", sorted(CASES))
def test_model_runs_end_to_end(models: VettedModels, strongest: Backend, name: str) -> None:
    model = models.get(name)
    given, expected_calls, expected_value = CASES[name]
    params = validate_params(model.info, given)
    broker = FakeBroker()
    outcome = run_model(
        strongest, model.source, broker, params=params, allowed_imports=model.imports
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == expected_value
    json.dumps(outcome.value, allow_nan=False)
    assert len(broker.calls) == len(expected_calls)
    for (call, keys, args), (want_call, want_keys, want_args) in zip(
        broker.calls, expected_calls, strict=True
    ):
        assert (call, keys) == (want_call, want_keys)
        assert args.keys() == want_args.keys()
        for key, value in want_args.items():
            if key == "epsilon":  # a split epsilon is a float division
                assert args[key] == pytest.approx(value, rel=1e-12)
            else:
                assert args[key] == value
    assert broker.shapes == SHAPES.get(name, [((), ())] * len(expected_calls))
    assert broker.joins == JOINS.get(name, [()] * len(expected_calls))


def test_split_epsilon_never_exceeds_the_total(models: VettedModels, strongest: Backend) -> None:
    model = models.get("quantiles")
    qs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    params = validate_params(
        model.info,
        {"dataset": "census", "column": "age", "lower": 0, "upper": 1, "qs": qs, "epsilon": 0.7},
    )
    broker = FakeBroker()
    outcome = run_model(strongest, model.source, broker, params=params)
    assert outcome.status == "ok", outcome
    assert sum(args["epsilon"] for _, _, args in broker.calls) <= 0.7 + 1e-12
    assert [args["q"] for _, _, args in broker.calls] == qs


def test_models_refuse_inconsistent_bounds(models: VettedModels, strongest: Backend) -> None:
    model = models.get("mean_by_group")
    params = validate_params(
        model.info,
        {"dataset": "census", "group": "region", "column": "income", "lower": 5, "upper": 5},
    )
    broker = FakeBroker()
    outcome = run_model(strongest, model.source, broker, params=params)
    assert outcome.status == "model_error"
    assert "lower must be below upper" in outcome.errors[0]
    assert broker.calls == []


def test_models_pass_on_broker_refusals(models: VettedModels, strongest: Backend) -> None:
    model = models.get("count_rows")
    params = validate_params(model.info, {"dataset": "secret"})
    outcome = run_model(strongest, model.source, FakeBroker(), params=params)
    assert outcome.status == "model_error"
    assert "DPError: dataset 'secret' is not in this job's grant" in outcome.errors[0]


# --- the set itself ------------------------------------------------------------------------

GOOD = '''"""A test model."""

PARAMS = {"dataset": {"type": "string"}}


def run(ctx):
    """Count."""
    return ctx.dataset(ctx.params["dataset"]).count(epsilon=1)
'''


def test_models_are_read_without_importing_algorithms() -> None:
    for path in (Path(__file__).resolve().parents[2] / "sandbox").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "algorithms" or n.startswith("algorithms.") for n in names), path


def test_loading_ignores_init_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text('"""Package."""\n')
    (tmp_path / "README.md").write_text("# models\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "my_model.py").write_text(GOOD)
    models = VettedModels(tmp_path)
    assert models.names() == ["my_model"]
    assert "my_model" in models and len(models) == 1
    model = models.get("my_model")
    assert isinstance(model, VettedModel)
    assert model.info.description == "A test model."
    assert model.source == GOOD


def test_unknown_model_names_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "my_model.py").write_text(GOOD)
    models = VettedModels(tmp_path)
    with pytest.raises(UnknownModel) as info:
        models.get("x")
    assert str(info.value) == "no vetted model named 'x'"
    assert isinstance(info.value, KeyError)
    with pytest.raises(UnknownModel) as info:
        models.get("../etc/passwd")
    assert "passwd" not in str(info.value)


@pytest.mark.parametrize(
    ("filename", "source", "message"),
    [
        ("Bad.py", GOOD, "not a valid model file name"),
        ("_private.py", GOOD, "not a valid model file name"),
        ("norun.py", '"""D."""\n', "run\\(ctx\\)"),
        ("nodoc.py", "def run(ctx):\n    return 1\n", "docstring"),
        ("badparams.py", GOOD.replace('"string"', '"text"'), "'type' must be one of"),
        ("imports_os.py", GOOD.replace("PARAMS", "import os\nPARAMS", 1), "imports os"),
        ("restricted.py", GOOD.replace("return ctx", "return eval('1') or ctx"), "compile"),
        ("syntax.py", "def run(ctx:\n", "syntax error"),
    ],
)
def test_a_broken_model_stops_the_loading(
    tmp_path: Path, filename: str, source: str, message: str
) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / filename).write_text(source)
    with pytest.raises(VettedModelError, match=message):
        VettedModels(tmp_path)


def test_a_model_may_import_a_vetted_module(tmp_path: Path) -> None:
    (tmp_path / "uses_math.py").write_text(GOOD.replace("PARAMS", "import math\nPARAMS", 1))
    assert VettedModels(tmp_path).get("uses_math").imports == frozenset({"math"})


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VettedModelError, match="does not exist"):
        VettedModels(tmp_path / "nope")

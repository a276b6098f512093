"""A model's metadata read without running it, its PARAMS schema and parameter validation."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import pytest

from sandbox.runtime.model_info import ModelInfo, inspect_model
from sandbox.runtime.param_spec import ModelSpecError, ParamSpec
from sandbox.runtime.params import ParamsError, validate_params

RUN = "\n\ndef run(ctx):\n    return 1\n"


def _model(params: str | None = None, doc: str = '"""A model."""\n') -> str:
    return doc + (f"\nPARAMS = {params}\n" if params is not None else "") + RUN


def _info(params: dict[str, Any]) -> ModelInfo:
    return inspect_model(_model(repr(params)))


def _spec_error(params: str) -> str:
    with pytest.raises(ModelSpecError) as info:
        inspect_model(_model(params))
    assert all(p.startswith("line ") for p in info.value.problems)
    return str(info.value)


def _params_error(params: dict[str, Any], given: dict[str, Any]) -> ParamsError:
    with pytest.raises(ParamsError) as info:
        validate_params(_info(params), given)
    return info.value


# --- inspect_model: description, run, PARAMS ----------------------------------------------


def test_reads_the_contract_example() -> None:
    source = textwrap.dedent(
        '''
        """Mean income by region.

        Longer text.
        """

        PARAMS = {"upper": {"type": "number", "default": 200000}}

        def run(ctx):
            census = ctx.dataset("census")
            return census.count(epsilon=0.1)
        '''
    )
    info = inspect_model(source)
    assert info.description == "Mean income by region.\n\nLonger text."
    assert info.summary == "Mean income by region."
    assert info.has_run and info.warnings == ()
    assert info.params == {
        "upper": ParamSpec(name="upper", type="number", default=200000, required=False)
    }
    assert validate_params(info, {}) == {"upper": 200000}
    assert validate_params(info, {"upper": 5.5}) == {"upper": 5.5}
    assert info.to_dict() == {
        "description": "Mean income by region.\n\nLonger text.",
        "summary": "Mean income by region.",
        "params": {"upper": {"type": "number", "required": False, "default": 200000}},
    }


def test_never_executes_the_source() -> None:
    source = '"""D."""\nimport os\nos.system("touch /tmp/pwned")\nPARAMS = {}' + RUN
    assert inspect_model(source).params == {}


def test_a_missing_docstring_is_reported_not_refused() -> None:
    info = inspect_model(_model(doc=""))
    assert info.description is None and info.summary is None
    assert info.warnings == ("line 1: the model has no docstring describing it",)
    assert inspect_model(_model(doc='"""   """\n')).description is None


def test_a_model_without_params_accepts_only_nothing() -> None:
    info = inspect_model(_model())
    assert info.params == {}
    assert validate_params(info, {}) == {}
    with pytest.raises(ParamsError, match="unknown parameter 'x': this model takes no parameters"):
        validate_params(info, {"x": 1})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('"""D."""\nx = 1\n', "line 1: a model must define a top-level function run(ctx)"),
        ('"""D."""\ndef runner(ctx):\n    return 1\n', "top-level function run(ctx)"),
        ('"""D."""\nif True:\n    def run(ctx):\n        return 1\n', "top-level function run"),
        ('"""D."""\ndef run():\n    return 1\n', "line 2: run must take exactly one argument"),
        ('"""D."""\ndef run(ctx, other):\n    return 1\n', "line 2: run must take exactly one"),
        ('"""D."""\ndef run(*ctx):\n    return 1\n', "line 2: run must take exactly one"),
        ('"""D."""\ndef run(ctx, **kw):\n    return 1\n', "line 2: run must take exactly one"),
        ('"""D."""\ndef run(*, ctx):\n    return 1\n', "line 2: run must take exactly one"),
        ('"""D."""\nasync def run(ctx):\n    return 1\n', "line 2: run must be a plain function"),
        ('"""D."""' + RUN + RUN, "line 7: run is defined more than once"),
        ('"""D."""\n\ndef run(ctx):\n    return (\n', "line 4: syntax error"),
        ('"""D."""\nx = = 1\n' + RUN, "line 2: syntax error"),
        ("\0", "line 1:"),
    ],
)
def test_refuses_a_model_without_a_proper_run(source: str, message: str) -> None:
    with pytest.raises(ModelSpecError) as info:
        inspect_model(source)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("dict(a=1)", "line 3: PARAMS must be a literal dict"),
        ("{'a': {'type': 'number', 'default': UPPER}}", "line 3: PARAMS must be a literal dict"),
        ("{'a': {'type': 'number', 'default': 1 + 1}}", "line 3: PARAMS must be a literal dict"),
        ("[1, 2]", "line 3: PARAMS must be a literal dict"),
        ("{'a': {'type': 'number'}, 'a': {'type': 'string'}}", "repeats the parameter 'a'"),
        ("{1: {'type': 'number'}}", "parameter name 1 must be an identifier"),
        ("{'a b': {'type': 'number'}}", "parameter name 'a b' must be an identifier"),
        ("{'a': 1}", "line 3: parameter 'a': its spec must be a dict"),
    ],
)
def test_refuses_params_that_are_not_a_literal_dict(params: str, message: str) -> None:
    assert message in _spec_error(params)


def test_reports_the_line_of_each_bad_parameter() -> None:
    source = textwrap.dedent(
        '''
        """D."""
        PARAMS = {
            "good": {"type": "number"},
            "bad": {"type": "number", "maxx": 3},
            "worse": {"type": "whatever"},
        }
        def run(ctx):
            return 1
        '''
    )
    with pytest.raises(ModelSpecError) as info:
        inspect_model(source)
    assert info.value.problems == (
        "line 5: parameter 'bad': unknown key 'maxx' for a number parameter",
        "line 6: parameter 'worse': 'type' must be one of "
        "boolean, choice, integer, list, number, string",
    )


@pytest.mark.parametrize(
    "source",
    [
        '"""D."""\nPARAMS = {}\nPARAMS = {}' + RUN,
        '"""D."""\nPARAMS = {}\nPARAMS["x"] = {}\nPARAMS += 1' + RUN,
        '"""D."""\nPARAMS: dict = {}' + RUN,
        '"""D."""\nPARAMS = OTHER = {}' + RUN,
        '"""D."""\nPARAMS = {}\ndef run(ctx):\n    global PARAMS\n    PARAMS = {"x": 1}\n',
        '"""D."""\nPARAMS = {}\nfor PARAMS in [1]:\n    pass' + RUN,
        '"""D."""\nPARAMS = {}\nimport json as PARAMS' + RUN,
        '"""D."""\nPARAMS = {}\ndef PARAMS():\n    pass' + RUN,
        '"""D."""\nPARAMS = {}\ntry:\n    pass\nexcept Exception as PARAMS:\n    pass' + RUN,
        '"""D."""\nPARAMS = {}\n(PARAMS := 1)' + RUN,
        '"""D."""\nPARAMS = {}\ndel PARAMS' + RUN,
    ],
)
def test_params_is_bound_once_at_the_top_level(source: str) -> None:
    with pytest.raises(ModelSpecError, match="PARAMS must be bound once"):
        inspect_model(source)


def test_params_may_be_read() -> None:
    source = '"""D."""\nPARAMS = {"a": {"type": "integer"}}\ndef run(ctx):\n    return PARAMS\n'
    assert list(inspect_model(source).params) == ["a"]


# --- the schema of one parameter ----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"type": "number"}, ParamSpec("p", "number")),
        (
            {"type": "number", "minimum": 0, "maximum": 1.5, "default": 1, "description": "x"},
            ParamSpec("p", "number", 1, False, 0, 1.5, description="x"),
        ),
        ({"type": "integer", "default": -3}, ParamSpec("p", "integer", -3, False)),
        ({"type": "string", "max_length": 5}, ParamSpec("p", "string", max_length=5)),
        ({"type": "boolean", "default": False}, ParamSpec("p", "boolean", False, False)),
        (
            {"type": "choice", "choices": ("a", "b"), "default": "b"},
            ParamSpec("p", "choice", "b", False, choices=("a", "b")),
        ),
        (
            {"type": "list", "items": "number", "minimum": 0, "default": (1, 2.5)},
            ParamSpec("p", "list", [1, 2.5], False, minimum=0, items="number"),
        ),
        ({"type": "number", "default": None}, ParamSpec("p", "number", None, False)),
        ({"type": "string", "required": False}, ParamSpec("p", "string", None, False)),
        ({"type": "string", "required": True}, ParamSpec("p", "string")),
    ],
)
def test_accepts_a_valid_spec(spec: dict[str, Any], expected: ParamSpec) -> None:
    info = _info({"p": spec})
    assert info.params["p"] == expected
    json.dumps(info.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "'type' must be one of"),
        ({"type": "float"}, "'type' must be one of"),
        ({"type": "number", "unit": "m"}, "unknown key 'unit' for a number parameter"),
        ({"type": "string", "minimum": 1}, "unknown key 'minimum' for a string parameter"),
        ({"type": "boolean", "max_length": 1}, "unknown key 'max_length' for a boolean"),
        ({"type": "number", "choices": [1]}, "unknown key 'choices' for a number parameter"),
        ({"type": "number", "minimum": "0"}, "'minimum' must be a finite number"),
        ({"type": "number", "maximum": True}, "'maximum' must be a finite number"),
        ({"type": "number", "minimum": 2, "maximum": 1}, "'minimum' is greater than 'maximum'"),
        ({"type": "string", "max_length": -1}, "'max_length' must be a non-negative integer"),
        ({"type": "string", "max_length": 1.0}, "'max_length' must be a non-negative integer"),
        ({"type": "string", "min_length": 3, "max_length": 2}, "'min_length' is greater"),
        ({"type": "choice"}, "'choices' must be a non-empty list"),
        ({"type": "choice", "choices": []}, "'choices' must be a non-empty list"),
        ({"type": "choice", "choices": ["a", "a"]}, "'choices' repeats a value"),
        ({"type": "choice", "choices": [True]}, "each choice must be a string or a finite number"),
        ({"type": "choice", "choices": [None]}, "each choice must be a string or a finite"),
        ({"type": "list"}, "'items' must be one of integer, number, string"),
        ({"type": "list", "items": "boolean"}, "'items' must be one of"),
        ({"type": "list", "items": "string", "minimum": 0}, "apply to lists of numbers"),
        ({"type": "number", "description": 3}, "'description' must be a string"),
        ({"type": "number", "required": "yes"}, "'required' must be true or false"),
        ({"type": "number", "required": True, "default": 1}, "cannot have a default"),
        ({"type": "number", "default": "1"}, "its default must be a number"),
        ({"type": "number", "default": True}, "its default must be a number"),
        ({"type": "number", "maximum": 1, "default": 2}, "its default must be at most 1"),
        ({"type": "integer", "default": 1.5}, "its default must be an integer"),
        ({"type": "string", "max_length": 2, "default": "abc"}, "its default must be at most 2"),
        ({"type": "boolean", "default": 0}, "its default must be true or false"),
        ({"type": "choice", "choices": ["a"], "default": "b"}, "its default must be one of 'a'"),
        ({"type": "list", "items": "integer", "default": [1.5]}, "its default item 0 must be an"),
        ({"type": "list", "items": "number", "default": 1}, "its default must be a list"),
    ],
)
def test_refuses_an_invalid_spec(spec: dict[str, Any], message: str) -> None:
    problems = _spec_error(repr({"p": spec}))
    assert "parameter 'p'" in problems
    assert message in problems


def test_refuses_an_infinite_bound() -> None:
    problems = _spec_error("{'p': {'type': 'number', 'maximum': 1e999}}")
    assert "parameter 'p': 'maximum' must be a finite number" in problems


def test_refuses_too_many_parameters() -> None:
    params = {f"p{i}": {"type": "number"} for i in range(65)}
    assert "more than 64 parameters" in _spec_error(repr(params))


# --- validate_params ----------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "dataset": {"type": "string", "min_length": 1, "max_length": 8},
    "epsilon": {"type": "number", "minimum": 0.01, "maximum": 10, "default": 1},
    "bins": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "strict": {"type": "boolean", "default": False},
    "stat": {"type": "choice", "choices": ["mean", "sum", 3], "default": "mean"},
    "qs": {
        "type": "list",
        "items": "number",
        "minimum": 0,
        "maximum": 1,
        "min_length": 1,
        "max_length": 3,
        "default": [0.5],
    },
    "tags": {"type": "list", "items": "string", "default": []},
    "delta": {"type": "number", "default": None},
}


def test_fills_in_the_defaults_in_declaration_order() -> None:
    out = validate_params(_info(SCHEMA), {"dataset": "census"})
    assert out == {
        "dataset": "census",
        "epsilon": 1,
        "bins": 10,
        "strict": False,
        "stat": "mean",
        "qs": [0.5],
        "tags": [],
        "delta": None,
    }
    assert list(out) == list(SCHEMA)


def test_returns_copies_never_the_defaults_or_the_callers_objects() -> None:
    info = _info(SCHEMA)
    qs = [0.1, 0.2]
    out = validate_params(info, {"dataset": "d", "qs": qs})
    assert out["qs"] == qs and out["qs"] is not qs
    first = validate_params(info, {"dataset": "d"})
    assert isinstance(first["tags"], list)
    first["tags"].append("x")
    assert validate_params(info, {"dataset": "d"})["tags"] == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("epsilon", 0.01, 0.01),
        ("epsilon", 10, 10),
        ("epsilon", 3, 3),
        ("bins", 1, 1),
        ("bins", 100, 100),
        ("bins", 2.0, 2),  # JSON does not tell 2 from 2.0: the model gets the int
        ("strict", True, True),
        ("stat", "sum", "sum"),
        ("stat", 3, 3),
        ("stat", 3.0, 3.0),
        ("qs", [0, 1, 0.5], [0, 1, 0.5]),
        ("qs", (0.25,), [0.25]),
        ("tags", ["a", "b"], ["a", "b"]),
        ("delta", None, None),
        ("delta", 1e-6, 1e-6),
        ("dataset", "x" * 8, "x" * 8),
    ],
)
def test_accepts_a_valid_value(name: str, value: Any, expected: Any) -> None:
    given: dict[str, Any] = {"dataset": "census", name: value}
    out = validate_params(_info(SCHEMA), given)
    assert out[name] == expected and type(out[name]) is type(expected)
    json.dumps(out, allow_nan=False)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("epsilon", True, "parameter 'epsilon' must be a number"),
        ("epsilon", "1", "parameter 'epsilon' must be a number"),
        ("epsilon", None, "parameter 'epsilon' must be a number"),
        ("epsilon", math.nan, "parameter 'epsilon' must be a finite number"),
        ("epsilon", math.inf, "parameter 'epsilon' must be a finite number"),
        ("epsilon", 10**400, "parameter 'epsilon' must be a finite number"),
        ("epsilon", 0.001, "parameter 'epsilon' must be at least 0.01"),
        ("epsilon", 10.5, "parameter 'epsilon' must be at most 10"),
        ("bins", 2.5, "parameter 'bins' must be an integer"),
        ("bins", math.inf, "parameter 'bins' must be an integer"),
        ("bins", False, "parameter 'bins' must be an integer"),
        ("bins", 0, "parameter 'bins' must be at least 1"),
        ("bins", 101, "parameter 'bins' must be at most 100"),
        ("strict", 1, "parameter 'strict' must be true or false"),
        ("strict", "true", "parameter 'strict' must be true or false"),
        ("stat", "median", "parameter 'stat' must be one of 'mean', 'sum', 3"),
        ("stat", True, "parameter 'stat' must be one of"),
        ("stat", ["mean"], "parameter 'stat' must be one of"),
        ("qs", 0.5, "parameter 'qs' must be a list of number values"),
        ("qs", "0.5", "parameter 'qs' must be a list of number values"),
        ("qs", [], "parameter 'qs' must have at least 1 items"),
        ("qs", [0.1, 0.2, 0.3, 0.4], "parameter 'qs' must have at most 3 items"),
        ("qs", [0.5, 2], "parameter 'qs' item 1 must be at most 1"),
        ("qs", [True], "parameter 'qs' item 0 must be a number"),
        ("qs", [math.nan], "parameter 'qs' item 0 must be a finite number"),
        ("tags", ["a", 1], "parameter 'tags' item 1 must be a string"),
        ("dataset", "", "parameter 'dataset' must be at least 1 characters long"),
        ("dataset", "x" * 9, "parameter 'dataset' must be at most 8 characters long"),
        ("dataset", 5, "parameter 'dataset' must be a string"),
        ("delta", "small", "parameter 'delta' must be a number"),
    ],
)
def test_refuses_an_invalid_value(name: str, value: Any, message: str) -> None:
    given: dict[str, Any] = {"dataset": "census", name: value}
    error = _params_error(SCHEMA, given)
    assert error.problems == (message,) or message in str(error)
    assert isinstance(error, ValueError)


def test_reports_every_problem_at_once() -> None:
    error = _params_error(SCHEMA, {"epsilon": -1, "bins": "x", "extra": 1, "other": 2})
    assert error.problems == (
        "missing required parameter 'dataset'",
        "parameter 'epsilon' must be at least 0.01",
        "parameter 'bins' must be an integer",
        "unknown parameter 'extra'",
        "unknown parameter 'other'",
    )
    assert str(error) == "; ".join(error.problems)


def test_does_not_echo_long_names_or_values() -> None:
    error = _params_error(SCHEMA, {"dataset": "s3cr3t" * 2, "n" * 1000: 1})
    assert "s3cr3t" not in str(error)
    assert len(str(error)) < 300


def test_caps_the_number_of_problems_listed() -> None:
    error = _params_error(SCHEMA, {"dataset": "d", **{f"x{i}": i for i in range(200)}})
    assert len(error.problems) == 51
    assert error.problems[-1] == "and 150 more problems"


def test_refuses_what_is_not_an_object() -> None:
    with pytest.raises(ParamsError, match="parameters must be an object"):
        validate_params(_info(SCHEMA), [("dataset", "d")])  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="parameter names must be strings"):
        validate_params(_info(SCHEMA), {"dataset": "d", 1: 2})  # type: ignore[dict-item]

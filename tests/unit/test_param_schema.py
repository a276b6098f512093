"""A model's PARAMS as standard JSON Schema: valid schemas, and the same verdict as the server.

Every vetted model's schema is checked against the draft 2020-12 meta-schema; its defaults
(with a valid value for each required parameter) validate against it; and for every
parameter a set of bad values, generated from its spec, is refused both by the JSON Schema
(``jsonschema``) and by :func:`~sandbox.runtime.params.validate_params`, which the server runs
before a job is accepted. A synthetic schema covering every spec type then compares the two
verdicts value by value, valid and invalid.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from sandbox.runtime.model_info import ModelInfo, inspect_model
from sandbox.runtime.param_schema import JSON_SCHEMA_DIALECT, parameters_schema
from sandbox.runtime.param_spec import ParamSpec
from sandbox.runtime.params import ParamsError, validate_params
from sandbox.runtime.vetted import VettedModel, VettedModels

VETTED = list(VettedModels())


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _server_accepts(info: ModelInfo, given: dict[str, Any]) -> bool:
    try:
        validate_params(info, given)
    except ParamsError:
        return False
    return True


def _valid_value(spec: ParamSpec) -> Any:
    """A value the spec accepts (for a required parameter, which has no default)."""
    if spec.type == "string":
        return "x" * max(spec.min_length or 1, 1)
    if spec.type == "boolean":
        return True
    if spec.type == "choice":
        assert spec.choices
        return spec.choices[0]
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else low + 10
    middle: int | float = (low + high) / 2
    item_type = spec.items if spec.type == "list" else spec.type
    if item_type == "integer":
        middle = math.ceil(low)
    if spec.type == "list":
        if item_type == "string":
            return ["x"] * max(spec.min_length or 1, 1)
        count = max(spec.min_length or 1, 1)
        if item_type == "number":  # distinct levels, for models that refuse repeats
            return [low + (high - low) * (i + 1) / (count + 1) for i in range(count)]
        return [math.ceil(low) + i for i in range(count)]
    return middle


def _bad_values(spec: ParamSpec) -> list[Any]:
    """Values the spec refuses: of the wrong type, and past each bound it declares."""
    bad: list[Any] = [{"nested": 1}]
    if spec.type in ("number", "integer"):
        bad += ["1", True, [1]]
        if spec.type == "integer":
            bad.append(1.5)
        if spec.minimum is not None:
            bad.append(spec.minimum - 1)
        if spec.maximum is not None:
            bad.append(spec.maximum + 1)
    elif spec.type == "string":
        bad += [5, True, ["x"]]
        if spec.min_length:
            bad.append("")
        if spec.max_length is not None:
            bad.append("x" * (spec.max_length + 1))
    elif spec.type == "boolean":
        bad += [1, "true"]
    elif spec.type == "choice":
        assert spec.choices
        bad += [True, [spec.choices[0]], "not-a-choice-" * 3]
    elif spec.type == "list":
        bad += ["x", 5]
        item = _valid_value(spec)[0]
        if spec.max_length is not None:
            bad.append([item] * (spec.max_length + 1))
        if spec.min_length:
            bad.append([])
        if spec.items == "string":
            bad.append([5])
        else:
            bad.append(["x"])
            if spec.minimum is not None:
                bad.append([spec.minimum - 1])
            if spec.maximum is not None:
                bad.append([spec.maximum + 1])
    if spec.required or spec.default is not None:
        bad.append(None)
    return bad


def _complete(model: VettedModel) -> dict[str, Any]:
    return {
        name: _valid_value(spec) if spec.required else spec.default
        for name, spec in model.info.params.items()
    }


@pytest.mark.parametrize("model", VETTED, ids=[m.name for m in VETTED])
def test_each_vetted_models_schema_is_a_valid_json_schema(model: VettedModel) -> None:
    schema = model.parameters_schema
    _validator(schema)
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert list(schema["properties"]) == list(model.info.params)
    assert schema["required"] == [n for n, s in model.info.params.items() if s.required]
    for name, prop in schema["properties"].items():
        spec = model.info.params[name]
        assert prop["title"] == name and prop.get("description") == spec.description
        assert ("default" in prop) is (not spec.required)


@pytest.mark.parametrize("model", VETTED, ids=[m.name for m in VETTED])
def test_each_vetted_models_defaults_validate_against_its_schema(model: VettedModel) -> None:
    validator = _validator(model.parameters_schema)
    given = _complete(model)
    assert not list(validator.iter_errors(given))
    assert _server_accepts(model.info, given)
    for name, spec in model.info.params.items():  # each default on its own, too
        if not spec.required:
            assert validator.is_valid({**given, name: spec.default}), name
    required = [n for n, s in model.info.params.items() if s.required]
    if required:  # the defaults alone lack the required parameters: both refuse
        defaults_only = {n: s.default for n, s in model.info.params.items() if not s.required}
        assert not validator.is_valid(defaults_only)
        assert not _server_accepts(model.info, defaults_only)


@pytest.mark.parametrize("model", VETTED, ids=[m.name for m in VETTED])
def test_a_bad_value_is_refused_by_the_schema_and_by_the_server(model: VettedModel) -> None:
    validator = _validator(model.parameters_schema)
    given = _complete(model)
    checked = 0
    for name, spec in model.info.params.items():
        for bad in _bad_values(spec):
            case = {**given, name: bad}
            errors = list(validator.iter_errors(case))
            assert errors, (name, bad)
            assert all(list(e.absolute_path)[:1] == [name] for e in errors), (name, bad)
            with pytest.raises(ParamsError) as refused:
                validate_params(model.info, case)
            assert all(repr(name) in p for p in refused.value.problems), (name, bad)
            checked += 1
    unknown = {**given, "no_such_parameter": 1}
    assert not validator.is_valid(unknown) and not _server_accepts(model.info, unknown)
    assert checked >= len(model.info.params)


SCHEMA: dict[str, Any] = {
    "dataset": {"type": "string", "min_length": 1, "max_length": 8, "description": "D."},
    "epsilon": {"type": "number", "minimum": 0.01, "maximum": 10, "default": 1},
    "bins": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "strict": {"type": "boolean", "default": False},
    "stat": {"type": "choice", "choices": ["mean", "sum", 3], "default": "mean"},
    "level": {"type": "choice", "choices": [1, 2], "default": None},
    "qs": {
        "type": "list",
        "items": "number",
        "minimum": 0,
        "maximum": 1,
        "min_length": 1,
        "max_length": 3,
        "default": [0.5],
    },
    "ks": {"type": "list", "items": "integer", "minimum": 1, "default": [1]},
    "tags": {"type": "list", "items": "string", "default": []},
    "delta": {"type": "number", "default": None},
    "upper": {"type": "number"},
}


def _info() -> ModelInfo:
    return inspect_model(f'"""A model."""\n\nPARAMS = {SCHEMA!r}\n\ndef run(ctx):\n    return 1\n')


def test_the_translation_of_each_spec_type() -> None:
    schema = parameters_schema(_info().params, title="m", description="A model.")
    assert schema["title"] == "m" and schema["description"] == "A model."
    assert schema["required"] == ["dataset", "upper"]
    props = schema["properties"]
    assert props["dataset"] == {
        "title": "dataset",
        "description": "D.",
        "type": "string",
        "minLength": 1,
        "maxLength": 8,
    }
    assert props["bins"] == {
        "title": "bins",
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 10,
    }
    assert props["stat"]["type"] == ["number", "string"]
    assert props["stat"]["enum"] == ["mean", "sum", 3]
    assert props["level"] == {
        "title": "level",
        "type": ["number", "null"],
        "enum": [1, 2, None],
        "default": None,
    }
    assert props["qs"]["items"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert (props["qs"]["minItems"], props["qs"]["maxItems"]) == (1, 3)
    assert props["tags"] == {
        "title": "tags",
        "type": "array",
        "items": {"type": "string"},
        "default": [],
    }
    assert props["delta"]["type"] == ["number", "null"] and props["delta"]["default"] is None
    assert props["upper"] == {"title": "upper", "type": "number"}


VALUES: list[tuple[str, Any]] = [
    ("dataset", "x"),
    ("dataset", "x" * 8),
    ("dataset", "é" * 8),  # both count code points
    ("dataset", ""),
    ("dataset", "x" * 9),
    ("dataset", 5),
    ("epsilon", 0.01),
    ("epsilon", 10),
    ("epsilon", 0.001),
    ("epsilon", 10.5),
    ("epsilon", True),
    ("epsilon", "1"),
    ("epsilon", None),
    ("epsilon", math.inf),
    ("bins", 1),
    ("bins", 2.0),  # JSON's integer: the server hands the model 2
    ("bins", 2.5),
    ("bins", 0),
    ("bins", 101),
    ("bins", False),
    ("strict", True),
    ("strict", 1),
    ("strict", "true"),
    ("strict", None),
    ("stat", "sum"),
    ("stat", 3),
    ("stat", 3.0),
    ("stat", "median"),
    ("stat", True),
    ("stat", ["mean"]),
    ("stat", None),
    ("level", None),
    ("level", 2),
    ("level", 3),
    ("level", True),  # True == 1 in Python, not in JSON
    ("qs", [0, 1, 0.5]),
    ("qs", []),
    ("qs", [0.1, 0.2, 0.3, 0.4]),
    ("qs", [0.5, 2]),
    ("qs", [True]),
    ("qs", 0.5),
    ("qs", None),
    ("ks", [1, 2.0, 3]),
    ("ks", [0]),
    ("ks", [1.5]),
    ("ks", [True]),
    ("tags", ["a", "b"]),
    ("tags", ["a", 1]),
    ("delta", None),
    ("delta", 1e-6),
    ("delta", "small"),
    ("upper", -1e300),
    ("upper", None),
]


@pytest.mark.parametrize(("name", "value"), VALUES, ids=[f"{n}={v!r}"[:40] for n, v in VALUES])
def test_the_schema_and_the_server_give_the_same_verdict(name: str, value: Any) -> None:
    info = _info()
    validator = _validator(parameters_schema(info.params))
    given = {"dataset": "census", "upper": 1, name: value}
    assert validator.is_valid(given) is _server_accepts(info, given)


def test_missing_and_unknown_parameters_get_the_same_verdict() -> None:
    info = _info()
    validator = _validator(parameters_schema(info.params))
    for given in ({}, {"dataset": "census"}, {"dataset": "census", "upper": 1, "other": 2}):
        assert not validator.is_valid(given) and not _server_accepts(info, given)
    assert validator.is_valid({"dataset": "census", "upper": 1})


def test_the_documented_difference_infinity_on_an_unbounded_number() -> None:
    """JSON Schema cannot say "finite": the server alone refuses a number JSON decoded to
    infinity where the parameter has no bound (a bounded one is refused by both).
    """
    info = _info()
    validator = _validator(parameters_schema(info.params))
    given = {"dataset": "census", "upper": math.inf}
    assert validator.is_valid(given) and not _server_accepts(info, given)


def test_an_integral_float_reaches_the_model_as_an_int() -> None:
    out = validate_params(_info(), {"dataset": "d", "upper": 1, "bins": 2.0, "ks": [3.0]})
    assert out["bins"] == 2 and type(out["bins"]) is int
    assert out["ks"] == [3] and type(out["ks"][0]) is int

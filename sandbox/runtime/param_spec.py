"""The ``PARAMS`` schema of a model: one :class:`ParamSpec` per parameter, checked strictly.

A schema is a literal dict of parameter name to spec::

    PARAMS = {
        "dataset": {"type": "string", "max_length": 128},                  # required
        "upper": {"type": "number", "minimum": 0, "default": 200000},
        "qs": {"type": "list", "items": "number", "minimum": 0, "maximum": 1,
               "min_length": 1, "max_length": 9, "default": [0.5]},
        "stat": {"type": "choice", "choices": ["mean", "sum"], "default": "mean"},
        "delta": {"type": "number", "default": None},                      # optional, may be None
    }

Spec keys: ``type`` (one of :data:`PARAM_TYPES`), ``default``, ``required``, ``description``;
``minimum``/``maximum`` (numbers, or the items of a list of numbers), ``min_length``/
``max_length`` (strings and lists), ``choices`` (``choice``), ``items`` (``list``: one of
:data:`ITEM_TYPES`). A parameter without a default is required; ``"default": None`` (or
``"required": False``) makes it optional with ``None`` as its value. Pure: no I/O.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ITEM_TYPES",
    "MAX_CHOICES",
    "PARAM_TYPES",
    "ModelSpecError",
    "ParamSpec",
    "short_repr",
]

PARAM_TYPES = frozenset({"number", "integer", "string", "boolean", "choice", "list"})
"""The parameter types a schema may declare."""

ITEM_TYPES = frozenset({"number", "integer", "string"})
"""The item types of a ``list`` parameter."""

MAX_CHOICES = 1000
"""Most choices one ``choice`` parameter may declare."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")

_COMMON_KEYS = frozenset({"type", "default", "required", "description"})
_TYPE_KEYS: Mapping[str, frozenset[str]] = {
    "number": frozenset({"minimum", "maximum"}),
    "integer": frozenset({"minimum", "maximum"}),
    "string": frozenset({"min_length", "max_length"}),
    "boolean": frozenset(),
    "choice": frozenset({"choices"}),
    "list": frozenset({"items", "min_length", "max_length", "minimum", "maximum"}),
}

Scalar = str | int | float


class ModelSpecError(ValueError):
    """A model's source breaks the contract: every problem names its line.

    Attributes:
        problems: One message per problem, each starting with ``line <n>:``.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond the float range
        return False


def _show(value: int | float) -> str:
    return repr(value) if isinstance(value, int) else f"{value:g}"


def short_repr(name: object) -> str:
    """``repr(name)``, cut to about 66 characters (a name a caller chose may be huge)."""
    text = repr(name)
    return text if len(text) <= 66 else text[:60] + "...'"


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a model's schema, already checked for consistency.

    Attributes:
        name: The parameter's name.
        type: One of :data:`PARAM_TYPES`.
        default: The value used when the parameter is not given (``None`` when required).
        required: Whether a job must give it (true exactly when the spec has no default).
        minimum: Smallest allowed number (of the value, or of each item of a list).
        maximum: Largest allowed number (of the value, or of each item of a list).
        min_length: Shortest allowed string or list.
        max_length: Longest allowed string or list.
        choices: The allowed values of a ``choice`` parameter.
        items: The item type of a ``list`` parameter.
        description: What the parameter means, for people.
    """

    name: str
    type: str
    default: Any = None
    required: bool = True
    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[Scalar, ...] | None = None
    items: str | None = None
    description: str | None = None

    @classmethod
    def from_literal(cls, name: object, raw: object) -> ParamSpec:
        """Build a spec from its literal form in ``PARAMS``, checking it strictly.

        Args:
            name: The key in ``PARAMS``.
            raw: The literal spec (a dict).

        Returns:
            The spec.

        Raises:
            ModelSpecError: With every problem of the spec, each naming the parameter (without
                a line: :func:`inspect_model` adds it).
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise ModelSpecError(
                [
                    f"parameter name {short_repr(name)} must be an identifier "
                    "of at most 64 characters"
                ]
            )
        where = f"parameter {name!r}"
        if not isinstance(raw, dict):
            raise ModelSpecError([f"{where}: its spec must be a dict"])
        problems: list[str] = []
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in PARAM_TYPES:
            raise ModelSpecError(
                [f"{where}: 'type' must be one of {', '.join(sorted(PARAM_TYPES))}"]
            )
        allowed = _COMMON_KEYS | _TYPE_KEYS[kind]
        for key in raw:
            if key not in allowed:
                problems.append(f"{where}: unknown key {short_repr(key)} for a {kind} parameter")

        fields: dict[str, Any] = {"name": name, "type": kind}
        description = raw.get("description")
        if description is not None and not isinstance(description, str):
            problems.append(f"{where}: 'description' must be a string")
        fields["description"] = description if isinstance(description, str) else None

        for key in ("minimum", "maximum"):
            if key in raw and key in allowed:
                value = raw[key]
                if not _is_number(value) or not _is_finite(value):
                    problems.append(f"{where}: {key!r} must be a finite number")
                else:
                    fields[key] = value
        if "minimum" in fields and "maximum" in fields and fields["minimum"] > fields["maximum"]:
            problems.append(f"{where}: 'minimum' is greater than 'maximum'")

        for key in ("min_length", "max_length"):
            if key in raw and key in allowed:
                value = raw[key]
                if type(value) is not int or value < 0:
                    problems.append(f"{where}: {key!r} must be a non-negative integer")
                else:
                    fields[key] = value
        if fields.get("min_length", 0) > fields.get("max_length", math.inf):
            problems.append(f"{where}: 'min_length' is greater than 'max_length'")

        if kind == "choice":
            problems.extend(_check_choices(where, raw.get("choices"), fields))
        if kind == "list":
            items = raw.get("items")
            if not isinstance(items, str) or items not in ITEM_TYPES:
                problems.append(f"{where}: 'items' must be one of {', '.join(sorted(ITEM_TYPES))}")
            else:
                fields["items"] = items
                if items == "string" and ("minimum" in raw or "maximum" in raw):
                    problems.append(f"{where}: 'minimum'/'maximum' apply to lists of numbers")

        required = raw.get("required")
        if required is not None and not isinstance(required, bool):
            problems.append(f"{where}: 'required' must be true or false")
        has_default = "default" in raw
        if required is True and has_default:
            problems.append(f"{where}: a required parameter cannot have a default")
        fields["required"] = not has_default and required is not False
        if problems:
            raise ModelSpecError(problems)

        spec = cls(**fields)
        default = raw.get("default")
        if default is not None:
            value, errors = spec.check(default)
            if errors:
                raise ModelSpecError(f"{where}: its default {e}" for e in errors)
            spec = _replace_default(spec, value)
        return spec

    def check(self, value: object) -> tuple[Any, list[str]]:
        """Check one given value against this spec.

        Args:
            value: The value a job gives.

        Returns:
            The value as the model receives it (a plain JSON value; lists are copied) and the
            problems, each phrased to follow the parameter's name ("must be a number").
        """
        if value is None and not self.required and self.default is None:
            return None, []
        if self.type == "list":
            return self._check_list(value)
        if self.type == "choice":
            assert self.choices is not None
            if not any(_same(value, c) for c in self.choices):
                shown = ", ".join(repr(c) for c in self.choices[:20])
                more = ", ..." if len(self.choices) > 20 else ""
                return value, [f"must be one of {shown}{more}"]
            return value, []
        problems = _check_scalar(
            self.type, value, self.minimum, self.maximum, self.min_length, self.max_length
        )
        return _as_declared(self.type, value), problems

    def _check_list(self, value: object) -> tuple[Any, list[str]]:
        assert self.items is not None
        if not isinstance(value, list | tuple):
            return value, [f"must be a list of {self.items} values"]
        problems: list[str] = []
        if self.min_length is not None and len(value) < self.min_length:
            problems.append(f"must have at least {self.min_length} items")
        if self.max_length is not None and len(value) > self.max_length:
            problems.append(f"must have at most {self.max_length} items")
            return list(value), problems  # do not check the items of an oversized list
        for index, item in enumerate(value):
            errors = _check_scalar(self.items, item, self.minimum, self.maximum, None, None)
            problems.extend(f"item {index} {e}" for e in errors)
        return [_as_declared(self.items, item) for item in value], problems

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data (what a client shows or sends back)."""
        out: dict[str, Any] = {"type": self.type, "required": self.required}
        if not self.required:
            out["default"] = copy.deepcopy(self.default)
        for key in ("items", "minimum", "maximum", "min_length", "max_length", "description"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.choices is not None:
            out["choices"] = list(self.choices)
        return out


def _is_integral(value: object) -> bool:
    """An int, or a float with no fractional part: JSON (and JSON Schema's ``integer``) does
    not tell ``2`` from ``2.0``, so neither does the server.
    """
    if type(value) is int:
        return True
    return type(value) is float and math.isfinite(value) and value.is_integer()


def _as_declared(kind: str, value: Any) -> Any:
    """An integral float given for an ``integer`` becomes the int the model expects."""
    if kind == "integer" and type(value) is float and _is_integral(value):
        return int(value)
    return value


def _replace_default(spec: ParamSpec, value: object) -> ParamSpec:
    values = {name: getattr(spec, name) for name in spec.__dataclass_fields__}
    values["default"] = value
    return ParamSpec(**values)


def _same(value: object, choice: Scalar) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(choice, str):
        return isinstance(value, str) and value == choice
    return _is_number(value) and value == choice


def _check_choices(where: str, choices: object, fields: dict[str, Any]) -> list[str]:
    if not isinstance(choices, list | tuple) or not choices:
        return [f"{where}: 'choices' must be a non-empty list"]
    if len(choices) > MAX_CHOICES:
        return [f"{where}: 'choices' may list at most {MAX_CHOICES} values"]
    problems: list[str] = []
    for choice in choices:
        if not isinstance(choice, str) and not (_is_number(choice) and _is_finite(choice)):
            problems.append(f"{where}: each choice must be a string or a finite number")
            break
    else:
        if len(set(choices)) != len(choices):
            problems.append(f"{where}: 'choices' repeats a value")
        fields["choices"] = tuple(choices)
    return problems


def _check_scalar(
    kind: str,
    value: object,
    minimum: int | float | None,
    maximum: int | float | None,
    min_length: int | None,
    max_length: int | None,
) -> list[str]:
    if kind == "boolean":
        return [] if isinstance(value, bool) else ["must be true or false"]
    if kind == "string":
        if not isinstance(value, str):
            return ["must be a string"]
        if min_length is not None and len(value) < min_length:
            return [f"must be at least {min_length} characters long"]
        if max_length is not None and len(value) > max_length:
            return [f"must be at most {max_length} characters long"]
        return []
    if kind == "integer" and not _is_integral(value):
        return ["must be an integer"]
    if not _is_number(value):
        return ["must be a number"]
    assert isinstance(value, int | float)
    if not _is_finite(value):
        return ["must be a finite number"]
    if minimum is not None and value < minimum:
        return [f"must be at least {_show(minimum)}"]
    if maximum is not None and value > maximum:
        return [f"must be at most {_show(maximum)}"]
    return []

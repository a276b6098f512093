"""A model's ``PARAMS`` as a standard JSON Schema (draft 2020-12), so a form can be built from it.

:func:`parameters_schema` turns the checked :class:`~sandbox.runtime.param_spec.ParamSpec` of
each parameter into the JSON Schema of the whole parameter object: ``type: object``, one
property per parameter (in declaration order), ``required`` for the parameters without a
default, and ``additionalProperties: false`` (an unknown parameter is refused). It is the one
place the platform's spec keys are translated, so the schema a client reads and the checks
:func:`~sandbox.runtime.params.validate_params` runs cannot drift apart silently: the tests
validate every vetted model's defaults and a set of bad values with both and compare verdicts.

The mapping (``ParamSpec`` -> JSON Schema):

- ``number`` / ``integer`` / ``string`` / ``boolean`` -> the same ``type``; ``minimum`` /
  ``maximum`` as they are (inclusive); ``min_length`` / ``max_length`` -> ``minLength`` /
  ``maxLength`` (both count code points, as Python's ``len``).
- ``choice`` -> ``enum`` of the choices, with ``type`` ``string``, ``number`` or both.
- ``list`` -> ``type: array`` with ``items`` (the item type and its ``minimum``/``maximum``),
  ``min_length`` / ``max_length`` -> ``minItems`` / ``maxItems``.
- An optional parameter whose default is ``None`` also admits ``null`` (``type`` lists
  ``"null"``, an ``enum`` lists ``None``): the model receives ``None``, as on the server.
- ``default`` and ``description`` as they are; ``title`` is the parameter's name.

Known difference, kept on purpose: JSON Schema cannot say "finite", so a number that JSON
decodes to infinity (``1e400``) passes an unbounded ``number`` property here and is refused by
the server (``must be a finite number``). Pure: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sandbox.runtime.param_spec import ParamSpec

__all__ = ["JSON_SCHEMA_DIALECT", "parameter_schema", "parameters_schema"]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The ``$schema`` every parameters schema declares."""


def parameters_schema(
    params: Mapping[str, ParamSpec], *, title: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """The JSON Schema of a model's whole parameter object.

    Args:
        params: The model's checked schema, by parameter name in declaration order.
        title: The schema's title (the model's name), if any.
        description: What the model does (its summary), if any.

    Returns:
        A draft 2020-12 JSON Schema, JSON-ready (fresh objects; defaults deep-copied).
    """
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT}
    if title is not None:
        schema["title"] = title
    if description is not None:
        schema["description"] = description
    schema["type"] = "object"
    schema["properties"] = {name: parameter_schema(spec) for name, spec in params.items()}
    schema["required"] = [name for name, spec in params.items() if spec.required]
    schema["additionalProperties"] = False
    return schema


def parameter_schema(spec: ParamSpec) -> dict[str, Any]:
    """The JSON Schema of one parameter's value (see the module docstring for the mapping)."""
    nullable = not spec.required and spec.default is None
    out: dict[str, Any] = {"title": spec.name}
    if spec.description is not None:
        out["description"] = spec.description
    if spec.type == "choice":
        assert spec.choices is not None
        kinds = sorted({"string" if isinstance(c, str) else "number" for c in spec.choices})
        out["type"] = _types(kinds, nullable)
        out["enum"] = [*spec.choices, *([None] if nullable else [])]
    elif spec.type == "list":
        assert spec.items is not None
        out["type"] = _types(["array"], nullable)
        items: dict[str, Any] = {"type": spec.items}
        _bounds(items, spec)
        out["items"] = items
        if spec.min_length is not None:
            out["minItems"] = spec.min_length
        if spec.max_length is not None:
            out["maxItems"] = spec.max_length
    else:
        out["type"] = _types([spec.type], nullable)
        _bounds(out, spec)
        if spec.min_length is not None:
            out["minLength"] = spec.min_length
        if spec.max_length is not None:
            out["maxLength"] = spec.max_length
    if not spec.required:
        out["default"] = copy.deepcopy(spec.default)
    return out


def _types(kinds: list[str], nullable: bool) -> str | list[str]:
    """One type name, or the list of them (with ``null`` last where ``None`` is allowed)."""
    names = [*kinds, *(["null"] if nullable else [])]
    return names[0] if len(names) == 1 else names


def _bounds(out: dict[str, Any], spec: ParamSpec) -> None:
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum

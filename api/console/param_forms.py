"""Forms generated from a vetted model's JSON Schema (``parameters_schema``), server-side:
one input per parameter by its type, ``enum``, ``minimum``/``maximum`` and ``default``, and
the posted text read back into the values the schema names (the domain checks them again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ParamField:
    """One generated input."""

    name: str
    widget: str
    """``select``, ``checkbox``, ``number``, ``text`` or ``list`` (comma-separated)."""
    required: bool
    value: str
    description: str
    choices: tuple[str, ...] = ()
    minimum: str = ""
    maximum: str = ""
    step: str = ""
    nullable: bool = False


def _types(spec: dict[str, Any]) -> tuple[set[str], bool]:
    kinds = spec.get("type", "string")
    names = set(kinds) if isinstance(kinds, list) else {kinds}
    return names - {"null"}, "null" in names


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def fields_of(schema: dict[str, Any], posted: dict[str, str] | None = None) -> list[ParamField]:
    """The inputs of ``schema``'s parameters, filled with ``posted`` or their defaults."""
    required = set(schema.get("required", ()))
    found = []
    for name, spec in schema.get("properties", {}).items():
        kinds, nullable = _types(spec)
        key = f"p.{name}"
        value = posted[key] if posted is not None and key in posted else _text(spec.get("default"))
        if posted is not None and key not in posted and kinds == {"boolean"}:
            value = "false"
        common = {
            "name": name,
            "required": name in required,
            "value": value,
            "description": str(spec.get("description", "")),
            "nullable": nullable,
        }
        if "enum" in spec:
            choices = tuple(_text(c) for c in spec["enum"] if c is not None)
            found.append(ParamField(widget="select", choices=choices, **common))
        elif kinds == {"boolean"}:
            found.append(ParamField(widget="checkbox", **common))
        elif kinds <= {"integer", "number"}:
            found.append(
                ParamField(
                    widget="number",
                    minimum=_text(spec.get("minimum")),
                    maximum=_text(spec.get("maximum")),
                    step="1" if kinds == {"integer"} else "any",
                    **common,
                )
            )
        elif kinds == {"array"}:
            found.append(ParamField(widget="list", **common))
        else:
            found.append(ParamField(widget="text", **common))
    return found


def _scalar(text: str, kinds: set[str]) -> Any:
    if "integer" in kinds and text.lstrip("-").isdigit():
        return int(text)
    if kinds & {"integer", "number"}:
        try:
            return float(text) if "number" in kinds else json.loads(text)
        except ValueError:
            if "string" not in kinds:
                return text  # the domain names the parameter and its type
    return text


def values_of(schema: dict[str, Any], posted: dict[str, str]) -> dict[str, Any]:
    """The parameters ``posted`` gives, typed as ``schema`` says; a blank field is left out
    (its default applies) unless the parameter takes ``null``. The domain validates them.
    """
    values: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        kinds, nullable = _types(spec)
        text = posted.get(f"p.{name}", "").strip()
        if kinds == {"boolean"}:
            values[name] = text in ("true", "on", "yes")
            continue
        if not text:
            if nullable and "default" in spec and spec["default"] is not None:
                values[name] = None
            continue
        if "enum" in spec:
            matches = [c for c in spec["enum"] if _text(c) == text]
            values[name] = matches[0] if matches else text
        elif kinds == {"array"}:
            item_kinds, _ = _types(spec.get("items", {}))
            values[name] = [_scalar(p.strip(), item_kinds) for p in text.split(",") if p.strip()]
        else:
            values[name] = _scalar(text, kinds)
    return values

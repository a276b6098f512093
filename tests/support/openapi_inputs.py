"""The integers an API accepts, read from its OpenAPI document, and requests that reach them.

A sweep over "every integer the API accepts" must not depend on a list someone keeps by
hand: an endpoint added tomorrow is swept because it is in the document. For each operation
this finds every integer path and query parameter and every integer leaf of its JSON body
(nested objects, array items and map values too), and builds a request that is valid
everywhere else, so the value under test is what the server has to deal with.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch")
DATASET = "existing"
"""The dataset name put wherever a request names a dataset (the sweep registers it)."""

Step = str | int


@dataclass(frozen=True)
class IntegerInput:
    """One integer a request carries: a path or query parameter, or a leaf of the body."""

    operation_id: str
    method: str
    path: str
    location: str  # "path", "query" or "body"
    name: str  # the parameter, or the body pointer joined with "."
    pointer: tuple[Step, ...]
    schema: dict[str, Any]

    @property
    def accepts_strings(self) -> bool:
        """Whether a non-numeric value is also of a type this input takes (a union)."""
        return any(option.get("type") == "string" for option in _options(self.schema))

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.location}:{self.name}"


@dataclass(frozen=True)
class Request:
    """A request ready for an HTTP client."""

    method: str
    url: str
    params: dict[str, Any]
    json: Any


class Document:
    """An OpenAPI document with ``$ref`` resolution and example values."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The schema a ``$ref`` points at (nested refs followed)."""
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every (method, path, operation) of the document."""
        for path, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    yield method, path, item[method]

    def json_body(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        """The JSON request body schema of ``operation`` (``None``: no JSON body)."""
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        return self.resolve(schema) if schema is not None else None

    def integer_inputs(self) -> list[IntegerInput]:
        """Every integer parameter and JSON body leaf of every operation."""
        found: list[IntegerInput] = []
        for method, path, operation in self.operations():
            op_id = operation["operationId"]
            for parameter in operation.get("parameters", []):
                schema = self.resolve(parameter.get("schema", {}))
                if parameter["in"] in ("path", "query") and self.is_integer(schema):
                    found.append(
                        IntegerInput(
                            op_id, method, path, parameter["in"], parameter["name"], (), schema
                        )
                    )
            body = self.json_body(operation)
            if body is not None:
                for pointer, schema in self._integer_leaves(body, (), depth=0):
                    found.append(
                        IntegerInput(
                            op_id,
                            method,
                            path,
                            "body",
                            ".".join(map(str, pointer)),
                            pointer,
                            schema,
                        )
                    )
        return found

    def is_integer(self, schema: dict[str, Any]) -> bool:
        """Whether ``schema`` (or one option of its union) is an integer."""
        return any(self.resolve(o).get("type") == "integer" for o in _options(schema))

    def _integer_leaves(
        self, schema: dict[str, Any], pointer: tuple[Step, ...], depth: int
    ) -> Iterator[tuple[tuple[Step, ...], dict[str, Any]]]:
        schema = self.resolve(schema)
        if depth > 6:
            return
        if pointer and self.is_integer(schema):
            yield pointer, schema
            return
        for option in _options(schema):
            option = self.resolve(option)
            for name, sub in option.get("properties", {}).items():
                yield from self._integer_leaves(sub, (*pointer, name), depth + 1)
            if isinstance(option.get("items"), dict):
                yield from self._integer_leaves(option["items"], (*pointer, 0), depth + 1)
            if isinstance(option.get("additionalProperties"), dict):
                yield from self._integer_leaves(
                    option["additionalProperties"], (*pointer, DATASET), depth + 1
                )

    # ---- valid values ------------------------------------------------------------------

    def example(self, schema: dict[str, Any], name: str = "") -> Any:
        """A value ``schema`` accepts: required properties only, the first of every choice."""
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        options = [self.resolve(o) for o in schema.get("anyOf", schema.get("oneOf", []))]
        if options:
            concrete = [o for o in options if o.get("type") != "null"] or options
            return self.example(concrete[0], name)
        if "allOf" in schema:
            return self.example(schema["allOf"][0], name)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {
                key: self.example(sub, key)
                for key, sub in schema.get("properties", {}).items()
                if key in schema.get("required", [])
            }
        if kind == "array":
            count = max(1, schema.get("minItems", 1))
            return [self.example(schema.get("items", {}), name) for _ in range(count)]
        if kind == "integer":
            return max(1, schema.get("minimum", 1))
        if kind == "number":
            return max(1, schema.get("minimum", 1))
        if kind == "boolean":
            return False
        return _string_example(schema, name)

    def body_with(self, schema: dict[str, Any], pointer: tuple[Step, ...], value: Any) -> Any:
        """A valid body for ``schema`` with ``value`` put at ``pointer``."""
        body = self.example(schema)
        node, node_schema = body, self.resolve(schema)
        for index, step in enumerate(pointer):
            last = index == len(pointer) - 1
            sub_schema = self._child_schema(node_schema, step)
            if last:
                if isinstance(node, list):
                    node[step] = value  # type: ignore[index]
                else:
                    node[step] = value
                break
            if isinstance(node, list):
                if not node:
                    node.append(self.example(sub_schema))
                node = node[step]  # type: ignore[index]
            else:
                if step not in node or not isinstance(node[step], (dict, list)):
                    node[step] = self.example(self._container(sub_schema))
                node = node[step]
            node_schema = self._container(sub_schema)
        return body

    def _child_schema(self, schema: dict[str, Any], step: Step) -> dict[str, Any]:
        for option in _options(self.resolve(schema)):
            option = self.resolve(option)
            if isinstance(step, int) and isinstance(option.get("items"), dict):
                return self.resolve(option["items"])
            if step in option.get("properties", {}):
                return self.resolve(option["properties"][step])
            if isinstance(option.get("additionalProperties"), dict):
                return self.resolve(option["additionalProperties"])
        return {}

    def _container(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The object or array option of a union (``X | None``)."""
        for option in _options(self.resolve(schema)):
            option = self.resolve(option)
            if option.get("type") in ("object", "array") or "properties" in option:
                return option
        return self.resolve(schema)

    def request(self, target: IntegerInput, value: Any) -> Request:
        """A request of ``target``'s operation, valid but for ``value`` at ``target``."""
        operation = self.document["paths"][target.path][target.method]
        url = target.path
        params: dict[str, Any] = {}
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            schema = self.resolve(parameter.get("schema", {}))
            chosen = (
                value
                if (where, name) == (target.location, target.name)
                else self.example(schema, name)
            )
            if where == "path":
                url = url.replace("{" + name + "}", str(chosen))
            elif where == "query" and (
                parameter.get("required") or (where, name) == (target.location, target.name)
            ):
                params[name] = chosen
        body_schema = self.json_body(operation)
        body = None
        if body_schema is not None:
            body = (
                self.body_with(body_schema, target.pointer, value)
                if target.location == "body"
                else self.example(body_schema)
            )
        return Request(target.method.upper(), url, params, body)


def _options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return list(schema.get("anyOf", schema.get("oneOf", []))) or [schema]


def _string_example(schema: dict[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-03-02"
    if fmt == "date-time":
        return "2026-03-02T09:00:00Z"
    pattern = schema.get("pattern")
    if pattern:
        choice = re.fullmatch(r"\^\(?([\w-]+)(?:\|[\w-]+)*\)?\$", pattern)
        if choice:
            return choice.group(1)
    if name in ("name", "dataset") or name.endswith("dataset"):
        return DATASET
    text = "sweep"
    low = max(int(schema.get("minLength", 1)), 1)
    text = (text * low)[: max(low, len(text))]
    high = schema.get("maxLength")
    return text[:high] if high else text

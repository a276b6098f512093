"""The OpenAPI document states, for every operation, the errors it answers with.

FastAPI documents successes and a validation body of its own that this API never sends.
The errors every operation shares follow from its signature and are added here, each with
the one error body of :mod:`api.errors`: 401 and 403 where a bearer token is needed (every
endpoint checks role and ownership), 404 where the path names an object, 400 where a body is
read, 422 where anything is read from the request. A route states the rest itself, e.g.
``responses=error_responses(404, 409)`` for an object named in its body and a state it may
conflict with.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import ERROR_DESCRIPTIONS, ErrorBody

ERROR_SCHEMA_REF = "#/components/schemas/ErrorBody"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def install_error_documentation(app: FastAPI) -> None:
    """Make ``app.openapi()`` add the shared error responses to the document it builds."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_error_responses(build())
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def shared_errors(operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation answers with by its signature alone."""
    statuses = []
    if operation.get("security"):
        statuses += [401, 403, 429]  # 429: the user's request rate (api.rate_limits)
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        statuses.append(404)
    if "requestBody" in operation:
        statuses.append(400)  # a body that cannot even be read (not UTF-8, cut short)
    if parameters or "requestBody" in operation:
        statuses.append(422)
    return sorted(statuses)


def add_error_responses(document: dict[str, Any]) -> None:
    """Add the shared error responses to every operation of ``document``, in place."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema())
    for item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in shared_errors(operation):
                current = responses.get(str(status))
                if current is None or _is_fastapi_validation(current):
                    responses[str(status)] = _error_response(status)
            operation["responses"] = dict(sorted(responses.items()))
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
    }


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))

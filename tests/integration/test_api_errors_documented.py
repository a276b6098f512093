"""The OpenAPI document states each operation's errors with the one error body, and a 405
names the methods its path has.

The fuzz (``test_api_fuzz.py``) checks the other way round: every status the server answers
with is one the document states for that operation.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.main import create_app
from tests.support.server import LiveServer

ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_states_the_errors_its_signature_allows(document: dict[str, Any]) -> None:
    missing = []
    for method, path, operation in operations(document):
        statuses = set(operation["responses"])
        parameters = operation.get("parameters", [])
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if "requestBody" in operation:
            expected |= {"400", "422"}
        if parameters:
            expected.add("422")
        if expected - statuses:
            missing.append(f"{method.upper()} {path}: {sorted(expected - statuses)}")
    assert missing == []
    assert len(operations(document)) > 80


def test_every_error_response_is_the_one_error_body(document: dict[str, Any]) -> None:
    other = []
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema != {"$ref": ERROR_REF}:
                other.append(f"{method.upper()} {path} {status}: {schema}")
    assert other == []
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    body = schemas["ErrorBody"]
    assert set(body["required"]) == {"error", "message"}
    assert {body["properties"][k]["type"] for k in ("error", "message")} == {"string"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/v1/organisations", "409"),  # a name taken
        ("post", "/v1/users", "409"),  # a username taken
        ("post", "/v1/users", "404"),  # an organisation that does not exist
        ("post", "/v1/tokens", "404"),  # a user that does not exist
        ("post", "/v1/uploads", "413"),  # over the size limit
        ("post", "/v1/grants/{grant_id}/accept", "409"),
        ("post", "/v1/jobs/{job_id}/cancel", "409"),
        ("post", "/v1/reviews/{job_id}/decision", "409"),
    ],
)
def test_a_route_states_the_errors_of_its_domain(
    document: dict[str, Any], method: str, path: str, status: str
) -> None:
    response = document["paths"][path][method]["responses"][status]
    assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
    assert response["description"]


@pytest.mark.server
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/policies/floor", {"GET", "PUT"}),  # two routes share the path
        ("PATCH", "/v1/tokens/1", {"DELETE"}),
        ("PUT", "/v1/health", {"GET"}),
    ],
)
def test_a_405_carries_allow_with_every_method_of_its_path(
    live_server: LiveServer, method: str, path: str, allowed: set[str]
) -> None:
    response = httpx.request(method, f"{live_server.url}{path}")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert response.json()["error"] == "method_not_allowed"
    assert set(response.json()) == {"error", "message"}

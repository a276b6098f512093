"""``GET /v1/algorithms`` gives each vetted model's parameters as standard JSON Schema.

Over HTTP on a live server: the list and the single-model route both carry
``parameters_schema`` (draft 2020-12, valid against its meta-schema), built from the same
specs the server validates jobs with; the existing ``params`` field stays as it was. The
OpenAPI document describes the new field.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]

from api.main import create_app
from sandbox.runtime.vetted import VettedModels
from tests.support.server import Accounts, LiveServer


def test_the_list_and_each_model_carry_a_standard_json_schema(
    live_server: LiveServer, accounts: Accounts
) -> None:
    shipped = {m.name: m for m in VettedModels()}
    with live_server.client(accounts["user"].token) as user:
        listed = user.get("/v1/algorithms")
        assert listed.status_code == 200, listed.text
        models: list[dict[str, Any]] = listed.json()
        assert {m["name"] for m in models} == set(shipped)
        for model in models:
            schema = model["parameters_schema"]
            jsonschema.Draft202012Validator.check_schema(schema)
            assert schema == shipped[model["name"]].parameters_schema
            assert schema["title"] == model["name"] and schema["type"] == "object"
            assert list(schema["properties"]) == list(model["params"])  # old field kept
            assert model["source"] is None
            one = user.get(f"/v1/algorithms/{model['name']}")
            assert one.status_code == 200, one.text
            assert one.json()["parameters_schema"] == schema and one.json()["source"]


def test_a_form_value_checked_by_the_listed_schema(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with live_server.client(accounts["user"].token) as user:
        quantiles = user.get("/v1/algorithms/quantiles").json()
    validator = jsonschema.Draft202012Validator(quantiles["parameters_schema"])
    good = {"dataset": "census", "column": "income", "lower": 0, "upper": 10, "qs": [0.5]}
    assert validator.is_valid(good)
    (error,) = validator.iter_errors({**good, "qs": [1.5]})
    assert list(error.absolute_path) == ["qs", 0]


def test_the_openapi_document_describes_the_field() -> None:
    document = create_app().openapi()
    fields = document["components"]["schemas"]["AlgorithmPublic"]["properties"]
    assert "parameters_schema" in fields
    assert "JSON Schema" in fields["parameters_schema"]["description"]
    assert "parameters_schema" in document["components"]["schemas"]["AlgorithmPublic"]["required"]

"""A fresh install refuses a dataset policy looser than the anchors' defaults.

Before the platform shipped a floor, a provider could publish ``min_count: 2`` until the
authority set one.
"""

from __future__ import annotations

import pytest

from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server


def test_a_fresh_install_refuses_a_looser_dataset_policy(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with live_server.client(accounts["provider"].token) as provider:
        assert (
            register(provider, parquet_bytes(people_table()), metadata("fresh_people")).status_code
            == 201
        )
        for document, needle in (
            ({"row_count": {"min_count": 2}}, "min_count 2"),
            ({"row_count": {"dominance_k": 99}}, "dominance_k 99"),
            ({"per_query_cap": {"loss": 3}}, "per_query_cap epsilon 3"),
        ):
            refused = provider.put("/v1/datasets/fresh_people/policy", json={"document": document})
            assert refused.status_code == 422, refused.text
            assert needle in refused.json()["message"]
        accepted = provider.put(
            "/v1/datasets/fresh_people/policy", json={"document": {"row_count": {"min_count": 15}}}
        )
        assert accepted.status_code == 200, accepted.text
        effective = provider.get("/v1/datasets/fresh_people/policy").json()["effective"]
    assert effective["row_count"]["min_count"] == 15
    assert effective["row_count"]["dominance_k"] == 90
    with live_server.client(accounts["authority"].token) as authority:
        looser = authority.put(
            "/v1/policies/floor", json={"document": {"row_count": {"min_count": 5}}}
        )
        assert looser.status_code == 422
        assert "shipped floor" in looser.json()["message"]
        tighter = authority.put(
            "/v1/policies/floor", json={"document": {"row_count": {"min_count": 20}}}
        )
        assert tighter.status_code == 200, tighter.text

"""Policies over HTTP: the floor, dataset policies refused when looser, the effective
policy, and budgets read from the ledger."""

from __future__ import annotations

import pytest

from sandbox.identity.model import Actor
from sandbox.ledger import SqlLedger
from sandbox.policies import Accounting, PrivacyCost
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server

FLOOR_YAML = """
accounting: pure
contribution_bound: 5
per_query_cap: {loss: 1}
grant_budget: {loss: 4}
lifetime_budget: {loss: 10}
row_count: {min_count: 10, suppression_threshold: 15}
review: {mode: manual, reviewers: 1}
"""


@pytest.fixture(scope="module")
def dataset(live_server: LiveServer, accounts: Accounts) -> str:
    with live_server.client(accounts["provider"].token) as provider:
        assert (
            register(provider, parquet_bytes(people_table()), metadata("pol_people")).status_code
            == 201
        )
    with live_server.client(accounts["authority"].token) as authority:
        response = authority.put("/v1/policies/floor", json={"document": FLOOR_YAML})
        assert response.status_code == 200, response.text
        assert response.json()["floor"]["document"]["contribution_bound"] == 5
    return "pol_people"


def test_a_dataset_policy_looser_than_the_floor_is_refused(live_server, accounts, dataset):
    with live_server.client(accounts["provider"].token) as provider:
        looser = provider.put(
            f"/v1/datasets/{dataset}/policy",
            json={"document": {"per_query_cap": {"loss": 2}, "row_count": {"min_count": 5}}},
        )
        assert looser.status_code == 422
        message = looser.json()["message"]
        assert "per_query_cap" in message and "min_count" in message
        stricter = provider.put(
            f"/v1/datasets/{dataset}/policy",
            json={
                "document": {
                    "per_query_cap": {"loss": "0.5"},
                    "contribution_bound": 2,
                    "row_count": {"min_count": 20},
                }
            },
        )
        assert stricter.status_code == 200, stricter.text
    with live_server.client(accounts["user"].token) as user:
        view = user.get(f"/v1/datasets/{dataset}/policy").json()
    effective = view["effective"]
    assert effective["contribution_bound"] == 2
    assert effective["per_query_cap"]["loss"] in ("0.5", "1/2")
    assert effective["row_count"]["min_count"] == 20
    assert effective["row_count"]["suppression_threshold"] == 15
    assert effective["privacy_unit"] == "pid"
    assert view["dataset_policy"]["set_by"] == "provider"


def test_bad_policy_documents_name_the_field(live_server, accounts, dataset):
    with live_server.client(accounts["authority"].token) as authority:
        for document, needle in (
            ({"per_query_cap": {"loss": "NaN"}}, "per_query_cap"),
            ({"contribution_bound": 0}, "contribution_bound"),
            ({"acounting": "pure"}, "acounting"),
            ("accounting: [unclosed", "yaml"),
        ):
            response = authority.put("/v1/policies/floor", json={"document": document})
            assert response.status_code == 422, response.text
            assert needle.lower() in response.json()["message"].lower()
        assert authority.get("/v1/policies/floor").json()["document"]["contribution_bound"] == 5


def test_budget_shows_the_ledger_accounts(live_server, accounts, dataset):
    platform = live_server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        ledger.open_dataset_account(dataset, PrivacyCost.of(10), Accounting.PURE)
        ledger.open_grant_account("grant-1", dataset, PrivacyCost.of(4), Accounting.PURE)
        ledger.spend("grant-1", dataset, PrivacyCost.of("0.25"), "test", Actor.system())
    finally:
        platform.close()
    with live_server.client(accounts["provider"].token) as provider:
        body = provider.get(f"/v1/budgets/{dataset}").json()
    lifetime, grant = body["accounts"]
    assert (lifetime["kind"], lifetime["spent"]["loss"]) == ("dataset", "0.25")
    assert (grant["ref"], grant["remaining"]["loss"]) == ("grant-1", "3.75")
    with live_server.client(accounts["user"].token) as user:
        assert user.get(f"/v1/budgets/{dataset}").status_code == 403

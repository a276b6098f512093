"""DP synthetic data over HTTP on a real sandbox backend (Ray, the strongest isolation).

- The vetted model ``synthetic_table`` runs as a DP job: one ``synthesize`` release,
  charged exactly its epsilon to the grant, rows within the public domain, no real value
  in the result; bad parameters are refused with a 4xx naming them, charging nothing.
- The provider replaces the conditional dataset's uniform mock preview with a DP synthetic
  sample: charged to the lifetime budget (through the ``synthetic-preview`` account),
  stored, recorded, audited; the preview and mock endpoints serve it and say so; a
  non-owner, bad input, the per-query cap and an exhausted lifetime budget are refused
  with nothing charged and nothing stored; withdrawing brings the uniform mock back.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.engine.synth.preview import PREVIEW_ACCOUNT
from sandbox.ledger import SqlLedger
from sandbox.policies.budget import PrivacyCost
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, register
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

DATASET = "syn_cond"
DISTRICTS = ("North", "South", "East")


def structured_people(rows: int = 900) -> pa.Table:
    """Age depends on the district (North young, East old): a 2-way structure to keep."""
    base = {"North": 25, "South": 50, "East": 80}
    districts = [DISTRICTS[i % 3] for i in range(rows)]
    return pa.table(
        {
            "pid": [f"{SECRET_MARKER}{i:05d}" for i in range(rows)],
            "district": districts,
            "age": [base[d] + (i * 7) % 10 for i, d in enumerate(districts)],
            "income": [10_000.5 + 37 * i for i in range(rows)],
        }
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[LiveServer]:
    """A live server joined to the session's Ray head (jobs run in the real sandbox)."""
    started = start_server(
        tmp_path_factory.mktemp("synthetic") / "var",
        {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV},
    )
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    made = build_world(server, {DATASET: "conditional"}, tables={DATASET: structured_people()})
    made.grants["synth"] = grant(made, "user", [DATASET])["ref"]
    return made


def job_result(world: World, job_id: int) -> Any:
    platform = world.server.open_platform()
    try:
        with platform.sessions() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            return row.result
    finally:
        platform.close()


def charges(world: World, grant_ref: str) -> list[PrivacyCost]:
    platform = world.server.open_platform()
    try:
        return [c.cost for c in SqlLedger(platform.sessions).charges(grant=grant_ref)]
    finally:
        platform.close()


def test_the_vetted_model_releases_a_synthetic_table_charged_once(world: World) -> None:
    ref = world.grants["synth"]
    params = {
        "dataset": DATASET,
        "columns": ["district", "age"],
        "rows": 300,
        "epsilon": 1.0,
        "bins": 10,
    }
    with world.api("user") as api:
        job = api.submit_job([DATASET], model="synthetic_table", params=params)
        done = api.wait_for_job(job["id"], timeout=180)
    assert done["state"] == "pending_review", done
    [release] = done["releases"]
    assert release["operation"] == "synthesize" and release["charged"] == "epsilon 1"
    assert release["rows_per_unit"] == 1 and len(release["tree"]) == 1
    assert [m["part"] for m in release["mechanisms"]] == ["one_way", "select", "two_way"]
    assert charges(world, ref) == [PrivacyCost(Fraction(1))]
    result = job_result(world, job["id"])
    rows = result["rows"]
    assert len(rows) == 300 and result["columns"] == ["district", "age"]
    assert {r["district"] for r in rows} <= set(DISTRICTS)
    assert all(0 <= r["age"] <= 110 for r in rows)
    assert result["utility"]["marginals"] and result["epsilon"] == 1.0
    assert SECRET_MARKER not in str(result) and SECRET_MARKER not in str(done)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"epsilon": 11}, "parameter 'epsilon' must be at most 10"),
        ({"bins": 1}, "parameter 'bins' must be at least 2"),
        ({"columns": []}, "parameter 'columns'"),
        ({"rows": 10_001}, "parameter 'rows' must be at most 10000"),
    ],
)
def test_bad_parameters_are_a_4xx_naming_them_and_charge_nothing(
    world: World, params: dict[str, Any], words: str
) -> None:
    ref = world.grants["synth"]
    before = charges(world, ref)
    body = {"dataset": DATASET, "columns": ["district"], **params}
    with world.client("user") as client:
        response = client.post(
            "/v1/jobs",
            json={"datasets": [DATASET], "model": "synthetic_table", "params": body},
        )
    assert 400 <= response.status_code < 500 and words in response.text, response.text
    assert charges(world, ref) == before


def test_a_refused_column_is_the_models_error_and_charges_nothing(world: World) -> None:
    ref = world.grants["synth"]
    before = charges(world, ref)
    params = {"dataset": DATASET, "columns": ["pid", "district"], "epsilon": 0.5}
    with world.api("user") as api:
        job = api.submit_job([DATASET], model="synthetic_table", params=params)
        done = api.wait_for_job(job["id"], timeout=180)
    assert done["state"] == "failed", done
    # The model's error is held for review (it may echo what the model passed); the
    # refusal itself is a platform fact.
    assert done["progress"]["refusals"] == [{"call": "synthesize", "reason": "refused"}]
    assert SECRET_MARKER not in str(done)
    assert charges(world, ref) == before


def preview(world: World, who: str = "user") -> dict[str, Any]:
    with world.client(who) as client:
        response = client.get(f"/v1/datasets/{DATASET}/preview", params={"rows": 50})
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def lifetime_spent(world: World) -> Fraction:
    platform = world.server.open_platform()
    try:
        return SqlLedger(platform.sessions).account(DATASET).spent.loss
    finally:
        platform.close()


def test_the_provider_replaces_the_mock_preview_by_a_dp_sample(world: World) -> None:
    uniform = preview(world)
    assert uniform["synthetic"] is True and uniform["dp_synthetic"] is None
    spent = lifetime_spent(world)
    with world.client("provider") as provider:
        made = provider.post(
            f"/v1/datasets/{DATASET}/synthetic-preview", json={"epsilon": 0.5, "rows": 400}
        )
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["sample"]["epsilon"] == "0.5" and body["sample"]["rows"] == 400
    report = body["report"]
    assert report["operation"] == "synthesize" and report["columns"] == [
        "district",
        "age",
        "income",
    ]
    assert lifetime_spent(world) - spent == Fraction(1, 2)
    assert charges(world, PREVIEW_ACCOUNT) == [PrivacyCost(Fraction(1, 2))]

    shown = preview(world)
    assert shown["synthetic"] is True
    assert shown["dp_synthetic"]["kind"] == "dp_synthetic"
    assert shown["dp_synthetic"]["epsilon"] == "0.5" and shown["dp_synthetic"]["rows"] == 400
    assert shown["columns"] == ["pid", "district", "age", "income"]
    assert len(shown["rows"]) == 50 and SECRET_MARKER not in str(shown)
    # The dependence of age on the district survives (North young, East old) at this size.
    young = [r["age"] for r in shown["rows"] if r["district"] == "North"]
    old = [r["age"] for r in shown["rows"] if r["district"] == "East"]
    assert young and old and sum(young) / len(young) < sum(old) / len(old)

    with world.api("user") as api:
        mock = api.mock_table(DATASET)
    assert mock["dp_synthetic"]["epsilon"] == "0.5" and mock["rows"] == 400
    table = pq.read_table(io.BytesIO(base64.b64decode(mock["parquet_base64"])))
    assert table.num_rows == 400 and SECRET_MARKER not in str(table.to_pylist())

    with world.client("auditor") as auditor:
        entries = auditor.get("/v1/audit", params={"action": "dataset.synthetic_preview"})
    assert entries.status_code == 200 and DATASET in entries.text

    with world.client("provider") as provider:
        withdrawn = provider.delete(f"/v1/datasets/{DATASET}/synthetic-preview")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"]["rows"] == 400
    assert preview(world)["dp_synthetic"] is None


@pytest.mark.parametrize(
    ("who", "body", "status", "error"),
    [
        ("user", {"epsilon": 0.1}, 403, "forbidden"),
        ("provider", {"epsilon": 0.1, "bins": 1}, 422, None),
        ("provider", {"epsilon": 0.1, "columns": ["pid"]}, 422, None),
        ("provider", {"epsilon": 0.1, "surprise": 1}, 422, None),
        ("provider", {"epsilon": 2}, 400, "budget_exhausted"),
    ],
)
def test_refusals_charge_nothing_and_store_nothing(
    world: World, who: str, body: dict[str, Any], status: int, error: str | None
) -> None:
    spent = lifetime_spent(world)
    before = preview(world)["dp_synthetic"]
    with world.client(who) as client:
        response = client.post(f"/v1/datasets/{DATASET}/synthetic-preview", json=body)
    assert response.status_code == status, response.text
    if error is not None:
        assert response.json()["error"] == error
    assert SECRET_MARKER not in response.text
    assert lifetime_spent(world) == spent
    assert preview(world)["dp_synthetic"] == before


def test_an_exhausted_lifetime_budget_refuses_the_preview(world: World) -> None:
    before = preview(world)["dp_synthetic"]
    platform = world.server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        account = ledger.account(DATASET)
        left = account.limit - account.spent
        # Another grant spends all but 0.2 of the lifetime budget.
        ledger.open_grant_account("grant-other", DATASET, account.limit, account.accounting)
        from sandbox.identity.model import Actor

        ledger.spend(
            "grant-other",
            DATASET,
            PrivacyCost(left.loss - Fraction(1, 5)),
            "test: most of the lifetime spent elsewhere",
            Actor.system(),
            accounting=account.accounting,
        )
    finally:
        platform.close()
    spent = lifetime_spent(world)
    with world.client("provider") as provider:
        response = provider.post(f"/v1/datasets/{DATASET}/synthetic-preview", json={"epsilon": 0.5})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "budget_exhausted" and "lifetime" in response.text
    assert lifetime_spent(world) == spent
    assert preview(world)["dp_synthetic"] == before


def test_a_preview_comes_before_any_grant(world: World) -> None:
    """A dataset nobody has applied for yet has no lifetime account: the preview opens it
    from the dataset's effective policy and is charged to it."""
    name = "fresh_synth"
    with world.client("provider") as provider:
        made = register(provider, parquet_bytes(structured_people()), metadata(name, "conditional"))
        assert made.status_code == 201, made.text
        shown = provider.post(
            f"/v1/datasets/{name}/synthetic-preview", json={"epsilon": 0.25, "rows": 100}
        )
    assert shown.status_code == 200, shown.text
    assert shown.json()["sample"]["rows"] == 100
    platform = world.server.open_platform()
    try:
        lifetime = SqlLedger(platform.sessions).account(name)
    finally:
        platform.close()
    assert lifetime.spent == PrivacyCost(Fraction(1, 4))

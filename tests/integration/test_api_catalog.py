"""The catalog over HTTP: registration, versions, and the open attributes enforced."""

from __future__ import annotations

import io

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.support.datafiles import (
    SECRET_MARKER,
    arrow_bytes,
    csv_bytes,
    metadata,
    parquet_bytes,
    pass_review,
    people_table,
    register,
)
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def datasets(live_server: LiveServer, accounts: Accounts) -> dict[str, str]:
    """One dataset of each open attribute, registered from each file format."""
    with live_server.client(accounts["provider"].token) as provider:
        for name, attribute, content, fmt in (
            ("cond_people", "conditional", parquet_bytes(people_table()), None),
            ("open_people", "unconditional", csv_bytes(people_table(30)), "csv"),
            ("closed_people", "closed", arrow_bytes(people_table(10)), "arrow"),
        ):
            response = register(provider, content, metadata(name, attribute), fmt)
            assert response.status_code == 201, response.text
    return {"conditional": "cond_people", "unconditional": "open_people", "closed": "closed_people"}


def test_registration_records_every_catalog_field(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        entry = user.get("/v1/datasets/cond_people").json()
    assert entry["provider_org"] == "Health Bureau"
    assert entry["open_attribute"] == "conditional"
    assert entry["contact"] == "data@health.example"
    assert entry["update_frequency"] == "monthly"
    assert entry["privacy_unit"] == "pid"
    assert entry["open_conditions"].startswith("research use")
    assert [c["name"] for c in entry["dictionary"]] == ["pid", "district", "age", "income"]
    assert entry["dictionary"][1]["categories"] == ["North", "South", "East"]
    assert entry["dictionary"][0]["classification"] == "identifier"
    assert entry["versions"][0]["row_count"] == 50
    assert entry["stale"] is False
    assert entry["downloadable"] is False


def test_conditional_data_is_never_downloadable_by_anyone(live_server, accounts, datasets):
    for who in ("provider", "user", "admin", "authority", "auditor", "reviewer"):
        with live_server.client(accounts[who].token) as client:
            for path in (
                "/v1/datasets/cond_people/download",
                "/v1/datasets/cond_people/download?format=csv",
                "/v1/datasets/cond_people/rows",
                "/v1/datasets/cond_people/rows?version=1&limit=5",
            ):
                response = client.get(path)
                assert response.status_code == 403, (who, path)
                assert response.json()["error"] == "access_refused"
                assert SECRET_MARKER not in response.text


def test_conditional_preview_is_synthetic_and_holds_no_real_value(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        body = user.get("/v1/datasets/cond_people/preview?rows=50").json()
    assert body["synthetic"] is True
    assert len(body["rows"]) == 50
    real = people_table().to_pylist()
    real_ids = {r["pid"] for r in real}
    real_incomes = {r["income"] for r in real}
    for row in body["rows"]:
        assert row["pid"] not in real_ids and SECRET_MARKER not in row["pid"]
        assert row["income"] not in real_incomes
        assert row["district"] in ("North", "South", "East")
        assert 0 <= row["age"] <= 110


def test_quality_report_has_counts_only(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        body = user.get("/v1/datasets/cond_people/quality").json()
    report = body["report"]
    assert report["rows"] == 50
    assert set(report["columns"]) == {"pid", "district", "age", "income"}
    assert report["columns"]["district"]["distinct"] == 3
    assert report["columns"]["age"]["type_errors"] == 0
    assert SECRET_MARKER not in str(body)


def test_unconditional_download_streams_parquet_and_csv(live_server, accounts, datasets):
    expected = people_table(30)
    with live_server.client(accounts["user"].token) as user:
        as_parquet = user.get("/v1/datasets/open_people/download")
        as_csv = user.get("/v1/datasets/open_people/download?format=csv")
    assert as_parquet.status_code == 200
    assert pq.read_table(io.BytesIO(as_parquet.content)).to_pylist() == expected.to_pylist()
    assert as_csv.status_code == 200
    table = pacsv.read_csv(io.BytesIO(as_csv.content))
    assert table.column("pid").to_pylist() == expected.column("pid").to_pylist()


def test_unconditional_rows_page_by_page(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        pages = [
            user.get(f"/v1/datasets/open_people/rows?offset={o}&limit=7").json()
            for o in range(0, 42, 7)
        ]
    assert pages[0]["total_rows"] == 30
    rows = [r for page in pages for r in page["rows"]]
    assert [r["pid"] for r in rows] == people_table(30).column("pid").to_pylist()
    assert pages[-1]["rows"] == []


def test_closed_data_shows_entry_and_legal_basis_only(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        entry = user.get("/v1/datasets/closed_people").json()
        assert entry["legal_basis"].startswith("Personal Information Protection Law")
        assert entry["details_visible"] is False
        assert entry["dictionary"] is None and entry["versions"] is None
        for path in ("preview", "quality", "rows", "download"):
            response = user.get(f"/v1/datasets/closed_people/{path}")
            assert response.status_code == 403, path
        assert user.get("/v1/datasets/closed_people/versions").json() == []
    with live_server.client(accounts["provider"].token) as owner:
        entry = owner.get("/v1/datasets/closed_people").json()
        assert entry["details_visible"] is True
        assert owner.get("/v1/datasets/closed_people/quality").status_code == 200
        assert owner.get("/v1/datasets/closed_people/download").status_code == 403


def test_new_version_keeps_old_versions_readable(live_server, accounts, datasets):
    with live_server.client(accounts["provider"].token) as provider:
        staged = provider.post("/v1/uploads", content=csv_bytes(people_table(40, offset=100)))
        response = provider.post(
            "/v1/datasets/open_people/versions",
            json={"source": {"upload_id": staged.json()["upload_id"]}, "note": "monthly refresh"},
        )
        assert response.status_code == 201, response.text
        assert [v["version"] for v in response.json()["versions"]] == [1, 2]
    with live_server.client(accounts["user"].token) as user:
        # version 2 waits for the authority's review: version 1 stays current
        assert user.get("/v1/datasets/open_people/rows?limit=1").json()["version"] == 1
        assert user.get("/v1/datasets/open_people/rows?version=2").status_code == 404
    with live_server.client(accounts["provider"].token) as provider:
        pass_review(provider, "open_people", 2)
    with live_server.client(accounts["user"].token) as user:
        latest = user.get("/v1/datasets/open_people/rows?limit=100").json()
        first = user.get("/v1/datasets/open_people/rows?limit=100&version=1").json()
        assert (latest["version"], latest["total_rows"]) == (2, 40)
        assert (first["version"], first["total_rows"]) == (1, 30)
        old = user.get("/v1/datasets/open_people/download?version=1")
        assert pq.read_table(io.BytesIO(old.content)).num_rows == 30
        assert user.get("/v1/datasets/open_people/quality?version=1").json()["version"] == 1


def test_other_provider_cannot_add_versions(live_server, accounts, datasets):
    with live_server.client(accounts["other_provider"].token) as other:
        staged = other.post("/v1/uploads", content=parquet_bytes(people_table()))
        response = other.post(
            "/v1/datasets/cond_people/versions",
            json={"source": {"upload_id": staged.json()["upload_id"]}},
        )
    assert response.status_code == 403
    with live_server.client(accounts["provider"].token) as provider:
        # nor name another provider's upload
        response = provider.post(
            "/v1/datasets/cond_people/versions",
            json={"source": {"upload_id": staged.json()["upload_id"]}},
        )
    assert response.status_code == 404


def test_server_side_bulk_load_only_under_import_roots(live_server, accounts, datasets):
    import_dir = live_server.var_dir / "import"
    import_dir.mkdir(exist_ok=True)
    (import_dir / "bulk.parquet").write_bytes(parquet_bytes(people_table(20)))
    with live_server.client(accounts["provider"].token) as provider:
        ok = provider.post(
            "/v1/datasets",
            json={**metadata("bulk_people"), "source": {"path": str(import_dir / "bulk.parquet")}},
        )
        assert ok.status_code == 201, ok.text
        assert ok.json()["versions"][0]["row_count"] == 20
        outside = provider.post(
            "/v1/datasets",
            json={**metadata("etc_people"), "source": {"path": "/etc/passwd"}, "format": "csv"},
        )
        assert outside.status_code == 403
        sneaky = provider.post(
            "/v1/datasets",
            json={
                **metadata("etc_people"),
                "source": {"path": str(import_dir / ".." / "sandbox.db")},
            },
        )
        assert sneaky.status_code == 403


def test_attribute_change_rules(live_server, accounts, datasets):
    with live_server.client(accounts["provider"].token) as provider:
        # stricter without a legal basis: refused by rule
        refused = provider.post(
            "/v1/datasets/open_people/attribute-changes", json={"to_attribute": "conditional"}
        )
        assert refused.status_code == 422
        assert "legal basis" in refused.json()["message"]
        # stricter with a basis: pending until the authority approves
        filed = provider.post(
            "/v1/datasets/open_people/attribute-changes",
            json={
                "to_attribute": "conditional",
                "legal_basis": "Wuxi art. 8 review found personal data",
            },
        )
        assert filed.status_code == 201, filed.text
        change_id = filed.json()["id"]
        assert provider.get("/v1/datasets/open_people").json()["open_attribute"] == "unconditional"
        assert (
            provider.post(
                f"/v1/attribute-changes/{change_id}/decision", json={"approve": True}
            ).status_code
            == 403
        )
        # not-open to open without desensitisation or consent: refused
        closed = provider.post(
            "/v1/datasets/closed_people/attribute-changes", json={"to_attribute": "conditional"}
        )
        assert closed.status_code == 422
        assert "desensitisation" in closed.json()["message"]
        record = provider.post(
            "/v1/datasets/closed_people/desensitisations",
            json={
                "method": "k-anonymity generalisation",
                "description": "ages banded by 10 years",
                "version": 1,
            },
        )
        assert record.status_code == 201
        opened = provider.post(
            "/v1/datasets/closed_people/attribute-changes",
            json={"to_attribute": "conditional", "desensitisation_id": record.json()["id"]},
        )
        assert opened.status_code == 201, opened.text
    with live_server.client(accounts["authority"].token) as authority:
        pending = authority.get("/v1/attribute-changes?status=pending").json()
        assert {c["dataset"] for c in pending} >= {"open_people", "closed_people"}
        decided = authority.post(
            f"/v1/attribute-changes/{change_id}/decision", json={"approve": True, "note": "agreed"}
        )
        assert decided.status_code == 200
        assert decided.json()["status"] == "approved"
        again = authority.post(
            f"/v1/attribute-changes/{change_id}/decision", json={"approve": False}
        )
        assert again.status_code == 409
    with live_server.client(accounts["user"].token) as user:
        entry = user.get("/v1/datasets/open_people").json()
        assert entry["open_attribute"] == "conditional"
        assert entry["legal_basis"].startswith("Wuxi art. 8")
        assert user.get("/v1/datasets/open_people/download").status_code == 403


def test_every_read_is_audited_and_chain_verifies(live_server, accounts, datasets):
    with live_server.client(accounts["user"].token) as user:
        user.get("/v1/datasets/cond_people/preview")
        user.get("/v1/datasets/cond_people/download")
    with live_server.client(accounts["auditor"].token) as auditor:
        entries = auditor.get("/v1/audit?actor=user&limit=1000").json()["data"]
        actions = [(e["action"], e["outcome"]) for e in entries]
        assert ("dataset.preview", "ok") in actions
        assert any(a.endswith("/download") and o == "denied" for a, o in actions)
        verify = auditor.get("/v1/audit/verify").json()
        assert verify["ok"] is True, verify
        export = auditor.get("/v1/audit/export")
        lines = export.text.strip().splitlines()
        assert len(lines) >= verify["entries_checked"]
    assert SECRET_MARKER not in export.text

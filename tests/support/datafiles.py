"""Small data files and registration metadata for the tests that register datasets."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from tests.support.server import authority_token_of

PEOPLE_DICTIONARY: list[dict[str, Any]] = [
    {
        "name": "pid",
        "type": "string",
        "classification": "identifier",
        "description": "pseudonymous id",
    },
    {
        "name": "district",
        "type": "string",
        "classification": "quasi_identifier",
        "categories": ["North", "South", "East"],
    },
    {
        "name": "age",
        "type": "int64",
        "classification": "quasi_identifier",
        "lower": 0,
        "upper": 110,
    },
    {
        "name": "income",
        "type": "float64",
        "classification": "sensitive",
        "lower": 0,
        "upper": 1_000_000,
    },
]

SECRET_MARKER = "ZZSECRET"
"""A value planted in conditional rows: it must never appear in any response."""


def people_table(rows: int = 50, offset: int = 0) -> pa.Table:
    districts = ["North", "South", "East"]
    return pa.table(
        {
            "pid": [f"{SECRET_MARKER}{offset + i:05d}" for i in range(rows)],
            "district": [districts[i % 3] for i in range(rows)],
            "age": [20 + (i * 7) % 60 for i in range(rows)],
            "income": [10_000.5 + 1_000 * i for i in range(rows)],
        }
    )


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def arrow_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def csv_bytes(table: pa.Table) -> bytes:
    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue()


def metadata(name: str, attribute: str = "conditional", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "title": f"Test dataset {name}",
        "description": "rows for tests",
        "open_attribute": attribute,
        "open_conditions": "research use under an approved application",
        "update_frequency": "monthly",
        "contact": "data@health.example",
        "privacy_unit": "pid",
        "dictionary": PEOPLE_DICTIONARY,
    }
    if attribute == "closed":
        body["legal_basis"] = "Personal Information Protection Law art. 28"
    body.update(overrides)
    return body


def upload(client: httpx.Client, content: bytes, filename: str = "data.bin") -> httpx.Response:
    return client.post("/v1/uploads", content=content, headers={"X-Filename": filename})


def register(
    client: httpx.Client,
    content: bytes,
    meta: dict[str, Any],
    fmt: str | None = None,
    *,
    publish: bool = True,
    grade: str = "general",
) -> httpx.Response:
    """Register a dataset as ``client``'s provider; unless ``publish`` is false the
    server's authority then passes its review with ``grade``, as a deployment's authority
    does before anyone may use it. Returns the registration's response."""
    staged = upload(client, content)
    assert staged.status_code == 201, staged.text
    body = {**meta, "source": {"upload_id": staged.json()["upload_id"]}}
    if fmt:
        body["format"] = fmt
    response = client.post("/v1/datasets", json=body)
    if publish and response.status_code == 201:
        pass_review(client, meta["name"], 1, grade=meta.get("grade", grade))
    return response


def add_version(
    client: httpx.Client,
    name: str,
    content: bytes,
    *,
    note: str = "",
    fmt: str | None = None,
    publish: bool = True,
) -> httpx.Response:
    """Store ``content`` as dataset ``name``'s next version as ``client``'s provider;
    unless ``publish`` is false the server's authority passes it."""
    staged = upload(client, content)
    assert staged.status_code == 201, staged.text
    body: dict[str, Any] = {"source": {"upload_id": staged.json()["upload_id"]}, "note": note}
    if fmt:
        body["format"] = fmt
    response = client.post(f"/v1/datasets/{name}/versions", json=body)
    if publish and response.status_code == 201:
        pass_review(client, name, response.json()["versions"][-1]["version"])
    return response


def pass_review(
    client: httpx.Client, name: str, version: int, *, grade: str | None = None
) -> dict[str, Any]:
    """The authority of ``client``'s server passes ``version`` of ``name``, approving
    ``grade`` with it (a first version's pass names the dataset's grade). Returns the
    review."""
    url = str(client.base_url).rstrip("/")
    token = authority_token_of(url)
    body: dict[str, Any] = {"outcome": "pass"}
    if grade is not None:
        body["grade"] = grade
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as authority:
        passed = authority.post(f"/v1/datasets/{name}/versions/{version}/review", json=body)
    assert passed.status_code == 200, passed.text
    return dict(passed.json())

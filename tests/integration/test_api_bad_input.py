"""Bad input over HTTP: each gets a clear 4xx naming the problem, and loses nothing.

After every refusal the catalog, the stored files, the staging area and the metadata
tables are exactly as they were before the request.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from sandbox.store.models import DatasetRow, DatasetVersionRow, UploadRow
from tests.support.datafiles import (
    csv_bytes,
    metadata,
    parquet_bytes,
    people_table,
    register,
    upload,
)
from tests.support.server import MAX_UPLOAD_BYTES, Accounts, LiveServer

pytestmark = pytest.mark.server


def snapshot(server: LiveServer, accounts: Accounts) -> dict[str, Any]:
    with server.client(accounts["admin"].token) as admin:
        catalog = admin.get("/v1/datasets").json()
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            counts = [
                session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (DatasetRow, DatasetVersionRow)
            ]
        files = platform.store.list_files()
    finally:
        platform.close()
    return {"catalog": catalog, "counts": counts, "files": files}


@pytest.fixture(scope="module")
def baseline(live_server: LiveServer, accounts: Accounts) -> None:
    with live_server.client(accounts["provider"].token) as provider:
        response = register(provider, parquet_bytes(people_table()), metadata("existing"))
        assert response.status_code == 201, response.text


def staged_files(server: LiveServer) -> list[str]:
    staging = server.var_dir / "staging"
    return sorted(p.name for p in staging.iterdir()) if staging.exists() else []


def assert_refused(
    server: LiveServer,
    accounts: Accounts,
    attempt: Callable[[httpx.Client], httpx.Response],
    status: int,
    *needles: str,
) -> dict[str, Any]:
    before = snapshot(server, accounts)
    staged_before = staged_files(server)
    with server.client(accounts["provider"].token) as provider:
        response = attempt(provider)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message"}
    for needle in needles:
        assert needle.lower() in body["message"].lower(), body["message"]
    assert snapshot(server, accounts) == before
    # a refused registration keeps the provider's staged upload for a retry, nothing more
    assert len(staged_files(server)) <= len(staged_before) + 1
    return body


def _register(
    content: bytes, meta: dict[str, Any], fmt: str | None = None
) -> Callable[[httpx.Client], httpx.Response]:
    def attempt(client: httpx.Client) -> httpx.Response:
        staged = upload(client, content)
        assert staged.status_code == 201, staged.text
        body = {**meta, "source": {"upload_id": staged.json()["upload_id"]}}
        if fmt:
            body["format"] = fmt
        return client.post("/v1/datasets", json=body)

    return attempt


def test_malformed_parquet(live_server, accounts, baseline):
    bad = b"PAR1" + b"\x00\x13garbage" * 100 + b"PAR1"
    assert_refused(
        live_server,
        accounts,
        _register(bad, metadata("bad_parquet")),
        422,
        "not a readable parquet file",
    )


def test_truncated_parquet_file(live_server, accounts, baseline):
    whole = parquet_bytes(people_table(500))
    assert_refused(
        live_server,
        accounts,
        _register(whole[: len(whole) // 2], metadata("half_parquet")),
        422,
        "parquet",
    )


def test_csv_with_ragged_rows(live_server, accounts, baseline):
    ragged = b"pid,district,age,income\nZZSECRETa,North,30,100.0\nb,South,31\n"
    body = assert_refused(
        live_server, accounts, _register(ragged, metadata("ragged")), 422, "expected 4 columns"
    )
    assert "ZZSECRET" not in body["message"]


def test_empty_file(live_server, accounts, baseline):
    assert_refused(live_server, accounts, lambda c: upload(c, b""), 422, "empty")


def test_header_only_csv(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(b"pid,district,age,income\n", metadata("no_rows"), "csv"),
        422,
        "no data rows",
    )


def test_columns_not_matching_the_dictionary(live_server, accounts, baseline):
    table = people_table().drop_columns(["income"]).append_column("salary", pa.array([1.0] * 50))
    body = assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(table), metadata("mismatch")),
        422,
        "does not match the data dictionary",
    )
    assert "income" in body["message"] and "salary" in body["message"]


def test_value_not_of_the_declared_type(live_server, accounts, baseline):
    text = b"pid,district,age,income\na,North,thirty,1.0\n"
    body = assert_refused(
        live_server, accounts, _register(text, metadata("badtype"), "csv"), 422, "age"
    )
    assert "thirty" not in body["message"]
    table = people_table().set_column(2, "age", pa.array(["x"] * 50))
    assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(table), metadata("badtype2")),
        422,
        "column 'age'",
        "int64",
    )


def test_declared_format_does_not_match_content(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(csv_bytes(people_table()), metadata("wrongfmt"), "parquet"),
        422,
        "declared as parquet",
    )


def test_unknown_open_attribute(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(people_table()), metadata("attr", "secret")),
        422,
        "open_attribute",
        "unconditional, conditional, closed",
    )


def test_duplicate_name(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(people_table()), metadata("existing")),
        409,
        "already exists",
    )


def test_closed_without_legal_basis(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(
            parquet_bytes(people_table()), metadata("closed_nobasis", "closed", legal_basis="")
        ),
        422,
        "legal basis",
    )


@pytest.mark.parametrize(
    "column, needle",
    [
        (
            {"name": "age", "type": "int64", "classification": "public", "categories": ["a"]},
            "categories can only be declared on string",
        ),
        ({"name": "age", "type": "integer", "classification": "public"}, "type 'integer'"),
        (
            {"name": "age", "type": "int64", "classification": "public", "lower": 5, "upper": 1},
            "above upper bound",
        ),
        ({"name": "age", "type": "int64", "classification": "secretish"}, "classification"),
        ({"name": "1age", "type": "int64", "classification": "public"}, "column name"),
    ],
)
def test_bad_dictionary(live_server, accounts, baseline, column, needle):
    dictionary = [c for c in metadata("x")["dictionary"] if c["name"] != "age"] + [column]
    assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(people_table()), metadata("bad_dict", dictionary=dictionary)),
        422,
        needle,
    )


def test_privacy_unit_not_in_dictionary(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        _register(parquet_bytes(people_table()), metadata("unit", privacy_unit="citizen_no")),
        422,
        "privacy unit",
    )


def test_unknown_field_and_bad_json(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        lambda c: c.post(
            "/v1/datasets", json={**metadata("typo"), "titel": "x", "source": {"path": "x"}}
        ),
        422,
        "titel",
    )
    assert_refused(
        live_server,
        accounts,
        lambda c: c.post(
            "/v1/datasets", content=b"{not json", headers={"Content-Type": "application/json"}
        ),
        422,
        "json",
    )


def test_unknown_upload_id(live_server, accounts, baseline):
    assert_refused(
        live_server,
        accounts,
        lambda c: c.post(
            "/v1/datasets", json={**metadata("ghost"), "source": {"upload_id": "f" * 32}}
        ),
        404,
        "does not exist",
    )
    assert_refused(
        live_server,
        accounts,
        lambda c: c.post(
            "/v1/datasets", json={**metadata("ghost"), "source": {"upload_id": "../x"}}
        ),
        404,
        "does not exist",
    )


def test_oversize_upload_is_refused_while_streaming(live_server, accounts, baseline):
    chunk = b"x" * (1024 * 1024)

    def chunks():
        for _ in range(MAX_UPLOAD_BYTES // len(chunk) + 2):
            yield chunk

    before = staged_files(live_server)
    assert_refused(
        live_server, accounts, lambda c: c.post("/v1/uploads", content=chunks()), 413, "limit"
    )
    status, body = raw_upload(
        live_server,
        accounts["provider"].token,
        declared=MAX_UPLOAD_BYTES + 1,
        sent=b"",
        close_early=False,
    )
    assert status == 413 and body["error"] == "upload_too_large", body
    assert "limit" in body["message"]
    assert staged_files(live_server) == before


def raw_upload(
    server: LiveServer, token: str, *, declared: int, sent: bytes, close_early: bool
) -> tuple[int | None, dict[str, Any]]:
    """POST /v1/uploads over a bare socket, declaring ``declared`` bytes but sending
    ``sent``; with ``close_early`` the client then shuts its side, as a dropped upload."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"POST /v1/uploads HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + sent)
        if close_early:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
            if not close_early and b"\r\n\r\n" in reply and reply.endswith(b"}"):
                break
    if not reply:
        return None, {}
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


def test_truncated_upload_leaves_nothing(live_server, accounts, baseline):
    before_snapshot = snapshot(live_server, accounts)
    before = staged_files(live_server)
    status, body = raw_upload(
        live_server,
        accounts["provider"].token,
        declared=100_000,
        sent=b"y" * 5000,
        close_early=True,
    )
    if status is not None:  # the server may answer before closing, or just close
        assert status == 400 and body["error"] == "upload_truncated", body
    platform = live_server.open_platform()
    try:
        with platform.sessions() as session:
            uploads = session.execute(select(UploadRow.byte_size)).scalars().all()
    finally:
        platform.close()
    assert 5000 not in uploads
    assert staged_files(live_server) == before
    assert snapshot(live_server, accounts) == before_snapshot


def test_no_token_and_bad_token(live_server, accounts, baseline):
    with live_server.client() as anonymous:
        response = anonymous.get("/v1/datasets")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"
    with live_server.client("sbx_not-a-real-token") as forged:
        assert forged.get("/v1/datasets").status_code == 401
    with live_server.client("garbage") as forged:
        assert forged.get("/v1/datasets").status_code == 401

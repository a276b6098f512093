"""The client's wire behaviour, checked against an in-process transport (no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from sandbox.client import CHUNK_BYTES, SandboxAPIError, SandboxClient


def _client(handler: httpx.BaseTransport) -> SandboxClient:
    return SandboxClient("http://sandbox.test/", "sbx_secret", transport=handler)


class StreamingTransport(httpx.BaseTransport):
    """Like MockTransport, but hands the handler the request body unread, as a stream."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handler(request)


def test_upload_streams_the_file_with_its_exact_length(tmp_path: Path) -> None:
    data = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 7)  # a bit over two chunks
    (tmp_path / "big.bin").write_bytes(data)
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        chunks = list(request.stream)
        seen.update(
            headers=request.headers,
            chunks=[len(c) for c in chunks],
            body=b"".join(chunks),
            url=str(request.url),
        )
        return httpx.Response(
            201,
            json={"upload_id": "u1", "filename": "big.bin", "byte_size": len(data), "sha256": "x"},
        )

    with _client(StreamingTransport(handler)) as client:
        assert client.upload(tmp_path / "big.bin", progress=True)["upload_id"] == "u1"
    headers = seen["headers"]
    assert isinstance(headers, httpx.Headers)
    assert headers["content-length"] == str(len(data))
    assert "transfer-encoding" not in headers
    assert headers["x-filename"] == "big.bin"
    assert headers["authorization"] == "Bearer sbx_secret"
    assert seen["chunks"] == [CHUNK_BYTES, CHUNK_BYTES, len(data) - 2 * CHUNK_BYTES]
    assert seen["body"] == data
    assert seen["url"] == "http://sandbox.test/v1/uploads"


def test_register_dataset_names_the_upload(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a\n1\n")
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/uploads":
            request.read()
            return httpx.Response(201, json={"upload_id": "u9"})
        bodies.append(json.loads(request.read()))
        return httpx.Response(201, json={"name": "d"})

    with _client(httpx.MockTransport(handler)) as client:
        client.register_dataset(tmp_path / "d.csv", {"name": "d"}, format="csv")
        client.register_dataset_from_path("/import/d.csv", {"name": "d"})
    assert bodies == [
        {"name": "d", "source": {"upload_id": "u9"}, "format": "csv"},
        {"name": "d", "source": {"path": "/import/d.csv"}, "format": None},
    ]


def test_a_refused_registration_discards_its_upload(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a\n1\n")
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        request.read()
        if request.url.path == "/v1/uploads":
            return httpx.Response(201, json={"upload_id": "u7"})
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(409, json={"error": "conflict", "message": "exists"})

    with _client(httpx.MockTransport(handler)) as client, pytest.raises(SandboxAPIError):
        client.add_version("d", tmp_path / "d.csv")
    assert calls == ["POST /v1/uploads", "POST /v1/datasets/d/versions", "DELETE /v1/uploads/u7"]


def test_errors_carry_status_code_and_message(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/download"):
            return httpx.Response(
                403, json={"error": "access_refused", "message": "dataset 'c' is conditional"}
            )
        return httpx.Response(502, text="Bad gateway from the proxy")

    with _client(httpx.MockTransport(handler)) as client:
        with pytest.raises(SandboxAPIError) as refused:
            client.download("c", tmp_path / "c.parquet")
        with pytest.raises(SandboxAPIError) as proxy:
            client.health()
    assert str(refused.value) == "403 access_refused: dataset 'c' is conditional"
    assert (proxy.value.status, proxy.value.code) == (502, "http_error")
    assert proxy.value.message == "Bad gateway from the proxy"
    assert list(tmp_path.iterdir()) == []


def test_download_writes_chunks_and_reports_the_version(tmp_path: Path) -> None:
    parts = [b"PAR1", b"x" * 1000, b"PAR1"]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["format"] == "csv"
        assert "version" not in request.url.params
        return httpx.Response(200, content=iter(parts), headers={"X-Dataset-Version": "3"})

    with _client(httpx.MockTransport(handler)) as client:
        result = client.download("open", tmp_path / "out.csv", format="csv", progress=True)
    assert result.version == 3 and result.byte_size == 1008
    assert (tmp_path / "out.csv").read_bytes() == b"".join(parts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_iter_rows_pins_the_version_of_the_first_page() -> None:
    requested: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        requested.append(params)
        offset = int(params["offset"])
        rows = [{"i": i} for i in range(offset, min(offset + 2, 5))]
        return httpx.Response(
            200,
            json={
                "dataset": "d",
                "version": 4,
                "total_rows": 5,
                "offset": offset,
                "limit": 2,
                "columns": ["i"],
                "rows": rows,
            },
        )

    with _client(httpx.MockTransport(handler)) as client:
        assert [r["i"] for r in client.iter_rows("d", page_size=2)] == [0, 1, 2, 3, 4]
    assert "version" not in requested[0]
    assert [r.get("version") for r in requested[1:]] == ["4", "4"]


def test_iter_rows_follows_the_cursor_the_server_gives() -> None:
    requested: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        requested.append(params)
        start = int(params.get("cursor", "0"))
        rows = [{"i": i} for i in range(start, min(start + 2, 5))]
        following = start + len(rows)
        return httpx.Response(
            200,
            json={
                "dataset": "d",
                "version": 4,
                "total_rows": 9,
                "matched_rows": 5,
                "offset": start,
                "limit": 2,
                "columns": ["i"],
                "rows": rows,
                "next_cursor": str(following) if following < 5 else None,
            },
        )

    with _client(httpx.MockTransport(handler)) as client:
        got = client.iter_rows("d", page_size=2, filters=["i:lt:5"], sort=["-i"])
        assert [r["i"] for r in got] == [0, 1, 2, 3, 4]
    assert [r.get("cursor") for r in requested] == [None, "2", "4"]
    assert all(r["filter"] == "i:lt:5" and r["sort"] == "-i" for r in requested)
    assert all("offset" not in r for r in requested[1:])

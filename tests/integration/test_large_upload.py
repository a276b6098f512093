"""A 2 GB upload streams through the real server in bounded memory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.support.server import create_accounts, start_server, stop_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

TOTAL_BYTES = 2 * 1024**3
CHUNK = 4 * 1024 * 1024
MEMORY_BUDGET_BYTES = 400 * 1024**2
"""Peak resident memory the server may reach while taking the whole 2 GB upload."""


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_two_gigabyte_upload_in_bounded_memory(tmp_path):
    server = start_server(tmp_path / "var", {"SANDBOX_MAX_UPLOAD_BYTES": str(TOTAL_BYTES + 1)})
    try:
        platform = server.open_platform()
        accounts = create_accounts(platform)
        platform.close()
        block = hashlib.sha256(b"seed").digest() * (CHUNK // 32)
        digest = hashlib.sha256()

        def body():
            for _ in range(TOTAL_BYTES // CHUNK):
                digest.update(block)
                yield block

        with server.client(accounts["provider"].token) as provider:
            response = provider.post(
                "/v1/uploads",
                content=body(),
                headers={"Content-Length": str(TOTAL_BYTES), "X-Filename": "big.bin"},
            )
        assert response.status_code == 201, response.text
        staged = response.json()
        assert staged["byte_size"] == TOTAL_BYTES
        assert staged["sha256"] == digest.hexdigest()
        peak = peak_rss_bytes(server.process.pid)
        assert peak < MEMORY_BUDGET_BYTES, f"server peaked at {peak / 2**20:.0f} MiB"
        with server.client(accounts["provider"].token) as provider:
            assert provider.delete(f"/v1/uploads/{staged['upload_id']}").status_code == 204
        assert list((server.var_dir / "staging").iterdir()) == []
    finally:
        stop_server(server)

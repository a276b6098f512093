"""A full disk is a clear ``507 storage_full`` naming which storage is full, nothing changed.

The server runs with a 1 MiB tmpfs as its data root and a 4 MiB tmpfs as its staging
directory (``<var_dir>/staging``): registering a version larger than the data root, or
uploading a file larger than the staging area, fills a real filesystem. Skipped where
mounting is not permitted.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from sandbox.store.models import DatasetRow, DatasetVersionRow, UploadRow
from tests.support.datafiles import metadata, upload
from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server

pytestmark = pytest.mark.server

DATA_ROOT_BYTES = 1024 * 1024
STAGING_BYTES = 4 * 1024 * 1024


def _mount_tmpfs(directory: Path, size: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


def _unmount(directory: Path) -> None:
    subprocess.run(["umount", "-l", str(directory)], capture_output=True)


@pytest.fixture(scope="module")
def small_disks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    base = tmp_path_factory.mktemp("full-disk")
    var_dir, data_root = base / "var", base / "data"
    mounted: list[Path] = []
    try:
        _mount_tmpfs(data_root, DATA_ROOT_BYTES)
        mounted.append(data_root)
        _mount_tmpfs(var_dir / "staging", STAGING_BYTES)
        mounted.append(var_dir / "staging")
        server = start_server(var_dir, {"SANDBOX_DATA_URI": str(data_root)})
        try:
            yield server
        finally:
            stop_server(server)
    finally:
        for directory in reversed(mounted):
            _unmount(directory)


@pytest.fixture(scope="module")
def accounts(small_disks: LiveServer) -> Accounts:
    platform = small_disks.open_platform()
    try:
        return create_accounts(platform)
    finally:
        platform.close()


def incompressible_people(rows: int) -> bytes:
    """A Parquet file of the people dictionary whose values do not compress."""
    rng = np.random.default_rng(7)
    table = pa.table(
        {
            "pid": [f"p{v:016x}" for v in rng.integers(0, 2**62, rows)],
            "district": [["North", "South", "East"][i % 3] for i in range(rows)],
            "age": rng.integers(0, 110, rows),
            "income": rng.uniform(0, 1_000_000, rows),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    return buffer.getvalue()


def state(server: LiveServer, accounts: Accounts) -> dict[str, Any]:
    with server.client(accounts["admin"].token) as admin:
        catalog = admin.get("/v1/datasets").json()
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            counts = [
                session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (DatasetRow, DatasetVersionRow, UploadRow)
            ]
        files = platform.store.list_files()
    finally:
        platform.close()
    staged = sorted(p.name for p in (server.var_dir / "staging").iterdir())
    return {"catalog": catalog, "counts": counts, "files": files, "staged": staged}


def test_a_full_data_root_is_a_507_naming_the_data_store(small_disks, accounts):
    server = small_disks
    content = incompressible_people(60_000)
    assert DATA_ROOT_BYTES < len(content) < STAGING_BYTES
    with server.client(accounts["provider"].token) as provider:
        staged = upload(provider, content)
        assert staged.status_code == 201, staged.text
        before = state(server, accounts)
        response = provider.post(
            "/v1/datasets",
            json={
                **metadata("too_big", "unconditional"),
                "source": {"upload_id": staged.json()["upload_id"]},
            },
        )
        assert response.status_code == 507, response.text
        body = response.json()
        assert body["error"] == "storage_full"
        assert "data store" in body["message"] and "full" in body["message"]
        assert state(server, accounts) == before
        # the staged upload is kept: once space is freed the provider registers it as is
        assert provider.delete(f"/v1/uploads/{staged.json()['upload_id']}").status_code == 204


def test_a_full_staging_area_is_a_507_naming_the_staging_area(small_disks, accounts):
    server = small_disks
    before = state(server, accounts)
    chunk = np.random.default_rng(3).bytes(256 * 1024)

    def body() -> Iterator[bytes]:
        for _ in range(STAGING_BYTES // len(chunk) + 4):
            yield chunk

    with server.client(accounts["provider"].token) as provider:
        response = provider.post("/v1/uploads", content=body(), headers={"X-Filename": "big.bin"})
    assert response.status_code == 507, response.text
    answer = response.json()
    assert answer["error"] == "storage_full"
    assert "staging area" in answer["message"] and "full" in answer["message"]
    assert state(server, accounts) == before

"""A version whose file is missing, truncated or corrupted is refused before the first byte.

Each read (download as Parquet or CSV, a page of rows, the preview, the quality report)
answers ``503 version_damaged`` naming the version, never a 500 and never a 200 whose body
is then cut; the provider sees the damage in the dataset's trace and its integrity view,
and once the file is restored a check clears it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from sandbox.store.models import DatasetRow, DatasetVersionRow
from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, people_table, register
from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server

pytestmark = pytest.mark.server

ROWS = 400


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


def _delete(path: Path) -> None:
    path.unlink()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "corrupted": _corrupt,
    "deleted": _delete,
}
READS: dict[str, str] = {
    "download": "/v1/datasets/{name}/download",
    "download_csv": "/v1/datasets/{name}/download?format=csv",
    "rows": "/v1/datasets/{name}/rows?offset=0&limit=5",
    "preview": "/v1/datasets/{name}/preview?rows=5",
    "quality": "/v1/datasets/{name}/quality",
}


def version_file(server: LiveServer, name: str, version: int = 1) -> Path:
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            path = session.execute(
                select(DatasetVersionRow.storage_path)
                .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .where(DatasetRow.name == name, DatasetVersionRow.version == version)
            ).scalar_one()
    finally:
        platform.close()
    return Path(path)


def register_open(
    server: LiveServer, accounts: Accounts, name: str, attribute: str = "unconditional"
) -> None:
    with server.client(accounts["provider"].token) as provider:
        response = register(provider, parquet_bytes(people_table(ROWS)), metadata(name, attribute))
    assert response.status_code == 201, response.text


def dataset_name(damage: str, read: str) -> str:
    return f"{damage}_{read}"


@pytest.fixture(scope="module")
def damaged(live_server: LiveServer, accounts: Accounts) -> dict[str, bytes]:
    """One dataset per (damage, read), so each read is the first to meet its damage; and
    an intact one. Returns the original bytes of each damaged file."""
    originals: dict[str, bytes] = {}
    for damage, apply in DAMAGES.items():
        for read in READS:
            name = dataset_name(damage, read)
            register_open(live_server, accounts, name)
            path = version_file(live_server, name)
            originals[name] = path.read_bytes()
            apply(path)
    register_open(live_server, accounts, "intact")
    return originals


def assert_damaged(response: httpx.Response, name: str) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "version_damaged", body
    assert f"dataset {name!r} version 1" in body["message"], body["message"]
    assert "damaged" in body["message"]
    assert SECRET_MARKER not in response.text
    assert "/" not in body["message"].split("damaged", 1)[1], "no server path in the message"


@pytest.mark.parametrize("read", list(READS))
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_every_read_refuses_a_damaged_version_before_streaming(
    live_server, accounts, damaged, damage, read
):
    name = dataset_name(damage, read)
    with live_server.client(accounts["user"].token) as user:
        response = user.get(READS[read].format(name=name))
        assert_damaged(response, name)
        # and again: the second read is refused as clearly as the first
        assert_damaged(user.get(READS[read].format(name=name)), name)


def test_an_intact_version_is_served_as_before(live_server, accounts, damaged):
    with live_server.client(accounts["user"].token) as user:
        for path in READS.values():
            response = user.get(path.format(name="intact"))
            assert response.status_code == 200, (path, response.text[:300])
        download = user.get("/v1/datasets/intact/download")
    assert pq.read_table(io.BytesIO(download.content)).num_rows == ROWS
    assert download.headers["Content-Length"] == str(len(download.content))


def test_the_provider_is_told(live_server, accounts, damaged):
    name = dataset_name("deleted", "rows")
    with live_server.client(accounts["user"].token) as user:
        assert_damaged(user.get(READS["rows"].format(name=name)), name)
    with live_server.client(accounts["provider"].token) as provider:
        trace = provider.get(f"/v1/datasets/{name}/trace")
        assert trace.status_code == 200, trace.text
        reported = [
            item for item in trace.json()["data"] if item["action"] == "dataset.version.damaged"
        ]
        assert reported and reported[0]["version"] == 1
        assert reported[0]["detail"]["problem"] == "missing"
        integrity = provider.get(f"/v1/datasets/{name}/integrity")
    assert integrity.status_code == 200, integrity.text
    (version,) = integrity.json()["versions"]
    assert version["version"] == 1 and version["intact"] is False
    assert version["problem"] == "missing"
    assert version["reported_at"] is not None


@pytest.mark.parametrize(
    "damage, problem", [("truncated", "size"), ("corrupted", "content"), ("deleted", "missing")]
)
def test_the_integrity_check_names_each_problem(live_server, accounts, damaged, damage, problem):
    name = dataset_name(damage, "quality")
    with live_server.client(accounts["provider"].token) as provider:
        body = provider.get(f"/v1/datasets/{name}/integrity").json()
    (version,) = body["versions"]
    assert version["intact"] is False and version["problem"] == problem, version


def test_only_the_owner_and_oversight_check_integrity(live_server, accounts, damaged):
    for who, status in (
        ("other_provider", 403),
        ("user", 403),
        ("reviewer", 403),
        ("auditor", 200),
        ("authority", 200),
        ("admin", 200),
    ):
        with live_server.client(accounts[who].token) as client:
            response = client.get("/v1/datasets/intact/integrity")
        assert response.status_code == status, (who, response.text)


def test_a_restored_file_is_served_again_after_a_check(live_server, accounts, damaged):
    name = dataset_name("corrupted", "preview")
    with live_server.client(accounts["user"].token) as user:
        assert_damaged(user.get(READS["preview"].format(name=name)), name)
        version_file(live_server, name).write_bytes(damaged[name])
        # restored, but refused until someone checks it: the damage was reported
        assert_damaged(user.get(READS["preview"].format(name=name)), name)
    with live_server.client(accounts["provider"].token) as provider:
        body = provider.get(f"/v1/datasets/{name}/integrity").json()
    assert body["versions"][0]["intact"] is True, body
    with live_server.client(accounts["user"].token) as user:
        for path in READS.values():
            assert user.get(path.format(name=name)).status_code == 200, path


def test_a_damaged_conditional_version_has_no_quality_report(live_server, accounts, damaged):
    register_open(live_server, accounts, "cond_damaged", attribute="conditional")
    _delete(version_file(live_server, "cond_damaged"))
    with live_server.client(accounts["user"].token) as user:
        assert_damaged(user.get("/v1/datasets/cond_damaged/quality"), "cond_damaged")
        # the rows of conditional data stay refused for what they are, damaged or not
        assert user.get("/v1/datasets/cond_damaged/rows").status_code == 403


# ---- beyond the full-hash limit ------------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that hashes versions in full before a read only up to 1 KiB."""
    server = start_server(
        tmp_path_factory.mktemp("small-limit") / "var", {"SANDBOX_FULL_CHECK_MAX_BYTES": "1024"}
    )
    yield server
    stop_server(server)


def test_beyond_the_limit_a_corrupted_download_is_never_complete(small_limit_server):
    """Above the limit the hash is checked while streaming and the last chunk is withheld
    when it fails: the client sees a cut transfer, never a complete corrupted file."""
    server = small_limit_server
    platform = server.open_platform()
    try:
        accounts = create_accounts(platform)
    finally:
        platform.close()
    register_open(server, accounts, "big_corrupted")
    path = version_file(server, "big_corrupted")
    assert path.stat().st_size > 1024
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01  # a data byte the footer does not describe
    path.write_bytes(bytes(data))
    with server.client(accounts["user"].token) as user:
        try:
            response = user.get("/v1/datasets/big_corrupted/download")
        except httpx.TransportError:
            response = None  # the transfer was cut: what must happen
        assert response is None or response.status_code == 503, response.status_code
        # once found, the damage is known: the next download is refused before its first byte
        assert_damaged(user.get("/v1/datasets/big_corrupted/download"), "big_corrupted")

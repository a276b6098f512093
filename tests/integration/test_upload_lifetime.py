"""Staged uploads expire, and an upload whose body stops arriving is cut.

- An upload not registered within its expiry (``SANDBOX_UPLOAD_EXPIRY_SECONDS``, a day by
  default) is removed at the next staging operation, bytes and record; naming it answers
  ``410 upload_expired`` saying so, to its owner only.
- An upload that sends no byte for ``SANDBOX_UPLOAD_IDLE_TIMEOUT_SECONDS`` is cut with
  ``408 upload_timeout``, leaving nothing staged.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.clock import utc_now
from sandbox.store.models import DatasetRow, UploadRow
from tests.support.datafiles import metadata, parquet_bytes, people_table, upload
from tests.support.server import (
    Accounts,
    LiveServer,
    create_accounts,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.server

IDLE_TIMEOUT_SECONDS = 1.5
DAY = 24 * 3600


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("uploads") / "var",
        {"SANDBOX_UPLOAD_IDLE_TIMEOUT_SECONDS": str(IDLE_TIMEOUT_SECONDS)},
    )
    yield server
    stop_server(server)


def staged_files(server: LiveServer) -> list[str]:
    staging = server.var_dir / "staging"
    return sorted(p.name for p in staging.iterdir()) if staging.exists() else []


def upload_rows(server: LiveServer) -> list[str]:
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            return sorted(session.execute(select(UploadRow.id)).scalars())
    finally:
        platform.close()


def age_upload(server: LiveServer, upload_id: str, seconds: float) -> None:
    """Make a staged upload ``seconds`` old, in its record and on disk."""
    platform = server.open_platform()
    try:
        with platform.sessions() as session, session.begin():
            session.execute(
                update(UploadRow)
                .where(UploadRow.id == upload_id)
                .values(created_at=utc_now() - timedelta(seconds=seconds))
            )
    finally:
        platform.close()
    path = server.var_dir / "staging" / f"{upload_id}.upload"
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def stage(server: LiveServer, accounts: Accounts) -> str:
    with server.client(accounts["provider"].token) as provider:
        response = upload(provider, parquet_bytes(people_table()))
    assert response.status_code == 201, response.text
    upload_id: str = response.json()["upload_id"]
    return upload_id


def test_an_upload_within_its_expiry_is_kept(live_server, accounts):
    upload_id = stage(live_server, accounts)
    age_upload(live_server, upload_id, DAY - 3600)
    stage(live_server, accounts)  # a staging operation runs the expiry
    assert f"{upload_id}.upload" in staged_files(live_server)
    with live_server.client(accounts["provider"].token) as provider:
        response = provider.post(
            "/v1/datasets", json={**metadata("kept_upload"), "source": {"upload_id": upload_id}}
        )
    assert response.status_code == 201, response.text


def test_an_expired_upload_is_removed_and_answers_410(live_server, accounts):
    upload_id = stage(live_server, accounts)
    age_upload(live_server, upload_id, DAY + 60)
    stage(live_server, accounts)  # the next staging operation removes it
    assert f"{upload_id}.upload" not in staged_files(live_server)
    assert upload_id not in upload_rows(live_server)
    with live_server.client(accounts["provider"].token) as provider:
        response = provider.post(
            "/v1/datasets", json={**metadata("late_upload"), "source": {"upload_id": upload_id}}
        )
        assert response.status_code == 410, response.text
        body = response.json()
        assert body["error"] == "upload_expired"
        assert upload_id in body["message"] and "expired" in body["message"]
        assert "upload the file again" in body["message"]
        assert provider.delete(f"/v1/uploads/{upload_id}").status_code == 410
    with live_server.client(accounts["other_provider"].token) as other:
        response = other.post(
            "/v1/datasets", json={**metadata("late_upload"), "source": {"upload_id": upload_id}}
        )
    assert response.status_code == 404, "another provider learns nothing of the upload"
    platform = live_server.open_platform()
    try:
        with platform.sessions() as session:
            assert (
                session.execute(select(DatasetRow).where(DatasetRow.name == "late_upload")).first()
                is None
            )
    finally:
        platform.close()


def test_an_upload_named_after_its_expiry_but_before_a_sweep_is_refused(live_server, accounts):
    upload_id = stage(live_server, accounts)
    age_upload(live_server, upload_id, DAY + 60)
    with live_server.client(accounts["provider"].token) as provider:
        response = provider.post(
            "/v1/datasets", json={**metadata("stale_upload"), "source": {"upload_id": upload_id}}
        )
    assert response.status_code == 410, response.text
    assert f"{upload_id}.upload" not in staged_files(live_server)


def test_stale_leftover_files_are_swept(live_server, accounts):
    staging = live_server.var_dir / "staging"
    leftover = staging / f"{'a' * 32}.part"
    leftover.write_bytes(b"left by a crash")
    stamp = time.time() - DAY - 60
    os.utime(leftover, (stamp, stamp))
    fresh = staging / f"{'b' * 32}.part"
    fresh.write_bytes(b"an upload under way")
    stage(live_server, accounts)
    assert not leftover.exists()
    assert fresh.exists()
    fresh.unlink()


def raw_stalled_upload(
    server: LiveServer, token: str, *, declared: int, sent: bytes, wait: float
) -> tuple[int, dict[str, Any], float]:
    """POST /v1/uploads over a bare socket: headers, ``sent``, then nothing. Returns the
    status, the JSON body and how long the answer took after the last byte sent."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        head = (
            f"POST /v1/uploads HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: application/octet-stream\r\nX-Filename: stalled.bin\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode() + sent)
        started = time.monotonic()
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
                if b"\r\n\r\n" in reply and reply.rstrip().endswith(b"}"):
                    break
        except TimeoutError:
            pytest.fail(f"no answer {wait} s after the body stalled (got {reply[:200]!r})")
        took = time.monotonic() - started
    status_line, _, rest = reply.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2]), took


@pytest.mark.parametrize("sent", [b"", b"z" * 5000], ids=["no-body", "part-of-the-body"])
def test_a_stalled_upload_is_cut_with_408(live_server, accounts, sent):
    before_files, before_rows = staged_files(live_server), upload_rows(live_server)
    status, body, took = raw_stalled_upload(
        live_server, accounts["provider"].token, declared=100_000, sent=sent, wait=20
    )
    assert status == 408, body
    assert body["error"] == "upload_timeout"
    assert f"{IDLE_TIMEOUT_SECONDS:g} s" in body["message"], body["message"]
    assert IDLE_TIMEOUT_SECONDS * 0.9 <= took < IDLE_TIMEOUT_SECONDS + 10
    assert staged_files(live_server) == before_files
    assert upload_rows(live_server) == before_rows


def test_a_slow_but_steady_upload_is_not_cut(live_server, accounts):
    """Only silence counts: an upload taking longer than the timeout in total arrives."""
    content = parquet_bytes(people_table())
    pieces = [
        content[i : i + len(content) // 4 + 1]
        for i in range(0, len(content), len(content) // 4 + 1)
    ]

    def body():
        for piece in pieces:
            time.sleep(IDLE_TIMEOUT_SECONDS / 2)
            yield piece

    with live_server.client(accounts["provider"].token) as provider:
        response = provider.post(
            "/v1/uploads", content=body(), headers={"X-Filename": "slow.parquet"}
        )
    assert response.status_code == 201, response.text
    assert response.json()["byte_size"] == len(content)


def test_uploads_that_expired_while_the_server_was_down_are_swept_at_its_start(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A server that stopped with staged uploads removes those that expired meanwhile when
    it starts again, before any staging operation, and keeps those still within expiry."""
    var_dir = tmp_path_factory.mktemp("restart") / "var"
    first = start_server(var_dir)
    try:
        platform = first.open_platform()
        try:
            made = create_accounts(platform)
        finally:
            platform.close()
        expired, kept = stage(first, made), stage(first, made)
    finally:
        stop_server(first)
    age_upload(first, expired, DAY + 60)
    age_upload(first, kept, DAY - 3600)

    second = start_server(var_dir)
    try:
        assert upload_rows(second) == [kept]
        assert staged_files(second) == [f"{kept}.upload"]
        platform = second.open_platform()
        try:
            with platform.sessions() as session:
                entries = audit.list_entries(session, AuditQuery(action="upload.expire"))
        finally:
            platform.close()
        assert [e.object_id for e in entries] == [expired]
        with second.client(made["provider"].token) as provider:
            response = provider.delete(f"/v1/uploads/{expired}")
        assert response.status_code == 410, response.text
    finally:
        stop_server(second)

"""Audit retention: archive old entries, prune them, and both parts still verify
(:mod:`sandbox.audit.archive`, ``sandbox audit archive|prune|verify-archive``,
``GET /v1/audit/archives``).

The server keeps entries no time at all (``SANDBOX_AUDIT_RETENTION_DAYS=0``) so entries of
a moment ago may go; the refusal inside retention runs the CLI with the default five years.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.audit.chain import entry_hash
from tests.support.http import ok
from tests.support.server import LiveServer, create_accounts, start_server, stop_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("archive") / "var", {"SANDBOX_AUDIT_RETENTION_DAYS": "0"}
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def auditor(server: LiveServer) -> str:
    platform = server.open_platform()
    try:
        return create_accounts(platform)["auditor"].token
    finally:
        platform.close()


def cli(server: LiveServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "audit", *args],
        env=dict(server.env, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _verify(server: LiveServer, token: str) -> dict[str, Any]:
    with server.client(token) as client:
        return dict(ok(client.get("/v1/audit/verify")))


def _archives(server: LiveServer, token: str) -> list[dict[str, Any]]:
    with server.client(token) as client:
        return list(ok(client.get("/v1/audit/archives")))


def _archive_now(server: LiveServer) -> Path:
    before = datetime.now(UTC).isoformat()
    done = cli(server, "archive", "--before", before)
    assert done.returncode == 0, done.stderr
    files = sorted((server.var_dir / "audit-archive").glob("audit-*.jsonl"))
    assert files, done.stderr
    return files[-1]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_archive_prune_and_both_parts_verify(server: LiveServer, auditor: str) -> None:
    for _ in range(3):
        assert _verify(server, auditor)["ok"]  # each verification is itself an entry
    path = _archive_now(server)
    lines = _lines(path)
    header = lines[0]["header"]
    assert header["from_seq"] == 1 and header["through_seq"] >= 3
    entries = [line["entry"] for line in lines if "entry" in line]
    assert [e["seq"] for e in entries] == list(range(1, header["through_seq"] + 1))
    assert any("checkpoint" in line for line in lines)  # the anchors travel with it
    alone = cli(server, "verify-archive", str(path))
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert "still in the chain" in alone.stdout
    pruned = cli(server, "prune", str(path))
    assert pruned.returncode == 0, pruned.stderr
    assert f"pruned entries 1-{header['through_seq']}" in pruned.stderr + pruned.stdout
    remaining = _verify(server, auditor)
    assert remaining["ok"], remaining["problems"]
    assert remaining["entries_checked"] > 0
    after = cli(server, "verify-archive", str(path))
    assert after.returncode == 0, after.stdout + after.stderr
    assert "pruned from the chain" in after.stdout
    listed = _archives(server, auditor)
    assert [(a["file"], a["ok"], a["pruned"]) for a in listed] == [(path.name, True, True)]
    # Pruning twice is refused and changes nothing.
    again = cli(server, "prune", str(path))
    assert again.returncode != 0 and "pruned already" in again.stderr + again.stdout


def test_a_tampered_archive_is_detected(server: LiveServer, auditor: str, tmp_path: Path) -> None:
    path = sorted((server.var_dir / "audit-archive").glob("audit-*.jsonl"))[0]
    lines = _lines(path)
    # An edited entry, its hash left: the content no longer matches.
    edited = [dict(line) for line in lines]
    target = next(i for i, line in enumerate(edited) if "entry" in line)
    edited[target] = {"entry": dict(edited[target]["entry"], actor="someone-else")}
    forged = tmp_path / "edited.jsonl"
    forged.write_text("".join(json.dumps(line) + "\n" for line in edited), encoding="utf-8")
    result = cli(server, "verify-archive", str(forged))
    assert result.returncode == 1
    assert "content does not match its hash" in result.stdout
    # An edited entry with every hash recomputed: the signed checkpoints catch it, and so
    # does the prune record's SHA-256.
    rehashed = [dict(line) for line in lines]
    prev = rehashed[0]["header"]["prev_hash"]
    for i, line in enumerate(rehashed):
        if "entry" not in line:
            continue
        entry = dict(line["entry"], prev_hash=prev)
        if i == target:
            entry["actor"] = "someone-else"
        fields = {k: v for k, v in entry.items() if k != "hash"}
        entry["hash"] = entry_hash(**fields)
        rehashed[i] = {"entry": entry}
        prev = entry["hash"]
    rehashed[0] = {"header": dict(rehashed[0]["header"], last_hash=prev)}
    forged2 = server.var_dir / "audit-archive" / "audit-999999999999-999999999999.jsonl"
    forged2.write_text("".join(json.dumps(line) + "\n" for line in rehashed), encoding="utf-8")
    try:
        result = cli(server, "verify-archive", str(forged2))
        assert result.returncode == 1
        assert "signed checkpoint" in result.stdout
        assert "SHA-256" in result.stdout or "last hash" in result.stdout
        listed = {a["file"]: a for a in _archives(server, auditor)}
        assert listed[forged2.name]["ok"] is False
        assert listed[path.name]["ok"] is True
    finally:
        forged2.unlink()


def test_pruning_inside_retention_is_refused(server: LiveServer, auditor: str) -> None:
    assert _verify(server, auditor)["ok"]
    path = _archive_now(server)
    header = _lines(path)[0]["header"]
    refused = cli(server, "prune", str(path), SANDBOX_AUDIT_RETENTION_DAYS=str(5 * 365 + 1))
    assert refused.returncode != 0
    assert "inside the retention period" in refused.stderr + refused.stdout
    assert "Chengdu art. 23" in refused.stderr + refused.stdout
    # Nothing was pruned: the archive's entries are all still in the chain.
    still = cli(server, "verify-archive", str(path))
    assert still.returncode == 0 and "still in the chain" in still.stdout
    with server.client(auditor) as client:
        seqs = [e["seq"] for e in ok(client.get("/v1/audit", params={"limit": 500}))["data"]]
    assert header["from_seq"] in seqs and header["through_seq"] in seqs
    assert _verify(server, auditor)["ok"]

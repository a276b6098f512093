"""Derived copies kept under the data root, committed by a manifest written last.

Object stores (S3 and the like) have neither directory moves nor atomic renames, so a copy
built elsewhere cannot be put in place in one step. Instead every build is an *attempt*
with a private prefix, and it is committed by writing its manifest, a single small object,
once every file it lists is complete:

``<key>/<attempt>/...``
    the attempt's files, written under their final names;
``<key>/manifest-<attempt>.json``
    the commit: which attempt, and the files (relative to the attempt) a reader may use.

Readers trust only a manifest and the files it names: an attempt without its manifest
(a builder still at work, or one that died) is invisible to them. Several builders of the
same copy never touch each other's files; when more than one commits, the first manifest
wins (earliest modification time, then name), the same choice for every reader, and a
losing attempt is left for :func:`sweep` rather than deleted under a reader that picked it
before the winner's manifest was listed; a builder that finds a manifest once its own files are
written adopts it instead of committing. :func:`sweep` removes attempts that never
committed and committed losers, once they are older than :data:`STALE_SECONDS`.

One object written whole is visible whole on every pyarrow filesystem (local files are
written in place, but a reader only opens a manifest named by a listing, and a JSON
document cut short fails to parse and is treated as absent).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow.fs as pafs

MANIFEST_PREFIX = "manifest-"
MANIFEST_SUFFIX = ".json"
COARSE_MTIME_SECONDS = 1.05
"""How long a builder waits after its commit on a store with whole-second mtimes."""
STALE_SECONDS = 6 * 3600.0
"""Age after which an uncommitted or losing attempt is removed by :func:`sweep`: far longer
than any build takes, and than any read of a copy that lost a race."""


@dataclass(frozen=True)
class Committed:
    """A committed attempt: its prefix and the manifest's document."""

    key: str
    attempt: str
    document: dict[str, Any]

    @property
    def directory(self) -> str:
        """Where the attempt's files are."""
        return f"{self.key}/{self.attempt}"

    def path(self, name: str) -> str:
        """The full path of one file the manifest lists."""
        return f"{self.directory}/{name}"


def new_attempt(filesystem: pafs.FileSystem, key: str) -> str:
    """A fresh attempt name under ``key``; its prefix is created (a no-op on S3)."""
    attempt = f"attempt-{uuid.uuid4().hex}"
    filesystem.create_dir(f"{key}/{attempt}", recursive=True)
    return attempt


def commit(filesystem: pafs.FileSystem, key: str, attempt: str, document: dict[str, Any]) -> None:
    """Write the attempt's manifest: the last write of a build, which makes it visible.

    On a store whose modification times are coarse (S3: whole seconds), a manifest written
    in the same second as ours may sort before it yet become visible after; waiting out
    :data:`COARSE_MTIME_SECONDS` before the caller loads the winner lets every builder see
    the same manifests, so all of them pick the same winner.
    """
    body = json.dumps({**document, "attempt": attempt}, sort_keys=True).encode()
    with filesystem.open_output_stream(_manifest_path(key, attempt)) as stream:
        stream.write(body)
    settle(filesystem)


def settle(filesystem: pafs.FileSystem) -> None:
    """Wait until every manifest that may tie with one just seen or written is visible (on
    a store with whole-second modification times), before :func:`load` picks the winner.
    """
    if not isinstance(filesystem, pafs.LocalFileSystem):
        time.sleep(COARSE_MTIME_SECONDS)


def load(filesystem: pafs.FileSystem, key: str) -> Committed | None:
    """The winning committed attempt under ``key``, or ``None`` when none has committed."""
    for _, _, attempt in _manifests(filesystem, key):
        document = _read_manifest(filesystem, key, attempt)
        if document is not None:
            return Committed(key, attempt, document)
    return None


def discard(filesystem: pafs.FileSystem, key: str, attempt: str) -> None:
    """Remove an attempt that failed before it committed (its manifest was never written)."""
    _delete_tree(filesystem, f"{key}/{attempt}")


def sweep(
    filesystem: pafs.FileSystem,
    key: str,
    *,
    now: float | None = None,
    older_than: float = STALE_SECONDS,
) -> int:
    """Remove attempts under ``key`` that are not the winner and are older than
    ``older_than`` seconds (a dead builder's leftovers, a race's loser); returns how many.
    """
    moment = time.time() if now is None else now
    winner = load(filesystem, key)
    manifests = {attempt: mtime for mtime, _, attempt in _manifests(filesystem, key)}
    selector = pafs.FileSelector(key, recursive=False, allow_not_found=True)
    removed = 0
    for info in filesystem.get_file_info(selector):
        name = info.base_name
        if info.type != pafs.FileType.Directory or not name.startswith("attempt-"):
            continue
        if winner is not None and name == winner.attempt:
            continue
        stamp = manifests.get(name) or _newest_mtime(filesystem, info.path)
        if stamp is None and info.mtime is not None:
            stamp = info.mtime.timestamp()
        if stamp is None or moment - stamp < older_than:
            continue  # a builder may be at work in it
        if name in manifests:
            filesystem.delete_file(_manifest_path(key, name))
        _delete_tree(filesystem, info.path)
        removed += 1
    return removed


def _manifest_path(key: str, attempt: str) -> str:
    return f"{key}/{MANIFEST_PREFIX}{attempt}{MANIFEST_SUFFIX}"


def _manifests(filesystem: pafs.FileSystem, key: str) -> list[tuple[float, str, str]]:
    """The manifests under ``key``, first-written first: (mtime, name, attempt)."""
    selector = pafs.FileSelector(key, recursive=False, allow_not_found=True)
    found: list[tuple[float, str, str]] = []
    for info in filesystem.get_file_info(selector):
        name = info.base_name
        if info.type != pafs.FileType.File or not name.startswith(MANIFEST_PREFIX):
            continue
        if not name.endswith(MANIFEST_SUFFIX):
            continue
        attempt = name[len(MANIFEST_PREFIX) : -len(MANIFEST_SUFFIX)]
        mtime = info.mtime.timestamp() if info.mtime is not None else 0.0
        found.append((mtime, name, attempt))
    return sorted(found)


def _read_manifest(filesystem: pafs.FileSystem, key: str, attempt: str) -> dict[str, Any] | None:
    try:
        with filesystem.open_input_stream(_manifest_path(key, attempt)) as stream:
            document = json.loads(stream.read().decode())
    except (OSError, ValueError):  # removed meanwhile by a sweep, or not a whole document
        return None
    if not isinstance(document, dict) or document.get("attempt") != attempt:
        return None
    return document


def _newest_mtime(filesystem: pafs.FileSystem, directory: str) -> float | None:
    """The latest write inside an attempt (``None``: nothing in it, so nothing to wait for)."""
    selector = pafs.FileSelector(directory, recursive=True, allow_not_found=True)
    stamps = [
        info.mtime.timestamp()
        for info in filesystem.get_file_info(selector)
        if info.type == pafs.FileType.File and info.mtime is not None
    ]
    return max(stamps) if stamps else None


def _delete_tree(filesystem: pafs.FileSystem, directory: str) -> None:
    if filesystem.get_file_info(directory).type != pafs.FileType.NotFound:
        filesystem.delete_dir(directory)

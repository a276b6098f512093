"""The version files a job reads, checked before its model runs.

A job reads its datasets' versions as every other read does, so it asks the same two
questions first (:mod:`sandbox.datasets.integrity`): is the version on record as damaged,
and does its file pass the quick check (it exists, has the recorded size, a readable footer
and the recorded row count)? A raw-access job reads the versions it was submitted against,
a DP job's engine the latest of each dataset. Damage found is put on record for the
provider and the job fails with the platform's reason before its sandbox starts: no DP call
is made, so nothing is charged, and no row is copied into its inputs.

The quick check is a stat and a footer read, but a dispatcher runs many small jobs on the
same versions, so a file found intact is not checked again by the same process
(:data:`_INTACT`, keyed by its path, size and SHA-256: a new version is a new key). The
record is still read for every job, so damage another read found meanwhile refuses it.
Pages read later verify their checksums (:func:`sandbox.storage.integrity.open_parquet`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from sandbox.access.model import JobKind
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.datasets.integrity import Read, ServedVersion, ensure_intact, served
from sandbox.identity.model import Actor
from sandbox.platform import Platform

__all__ = ["ensure_inputs_intact", "forget_checked"]

_INTACT: set[tuple[str, int, str]] = set()
"""Version files this process found intact: (path, byte size, SHA-256)."""
_LOCK = threading.Lock()


def _key(version: ServedVersion) -> tuple[str, int, str]:
    recorded = version.recorded
    return recorded.path, recorded.byte_size, recorded.sha256


def versions_read(
    platform: Platform, kind: JobKind, datasets: Mapping[str, int]
) -> list[ServedVersion]:
    """The versions a job of ``kind`` on ``datasets`` (name: submitted version) reads."""
    with platform.sessions() as session:
        return [
            served(
                session,
                name,
                version_row(
                    session, dataset_row(session, name), number if kind is JobKind.RAW else None
                ),
            )
            for name, number in sorted(datasets.items())
        ]


def ensure_inputs_intact(
    platform: Platform, actor: Actor, kind: JobKind, datasets: Mapping[str, int]
) -> None:
    """Refuse a job whose versions are damaged (see the module docstring).

    Raises:
        DamagedVersion: A version is on record as damaged or fails its check now (the
            damage is put on record for its provider).
    """
    for version in versions_read(platform, kind, datasets):
        with _LOCK:
            known = _key(version) in _INTACT
        if known and version.on_record is None:
            continue
        ensure_intact(platform, actor, version, Read.JOB)
        with _LOCK:
            _INTACT.add(_key(version))


def forget_checked() -> None:
    """Forget which files were found intact (a test that damages a file it read before)."""
    with _LOCK:
        _INTACT.clear()

"""Damaged dataset versions: refused before they are served, and their provider told.

Every read of a version (:mod:`sandbox.datasets.reads`) asks two questions before it sends
anything:

1. Is the version on record as damaged? The record is the audit trail: a
   ``dataset.version.damaged`` entry stands until a later ``dataset.version.verified``
   entry for the same version, written by a check that found the file intact again. The
   audit trail is append-only and is what the provider's trace of the dataset shows, so the
   report reaches the provider the moment it is written. (A column on ``dataset_versions``
   would serve as well, with a migration; the audit entry would still be written.)
2. Does the file pass the check (:mod:`sandbox.storage.integrity`)? The cheap one on every
   read; the full hash before a read that vouches for the whole file, up to
   ``full_check_max_bytes``.

Damage found either way is written to the record (in its own transaction, since the read's
rolls back) and answered with :class:`~sandbox.errors.DamagedVersion`: ``503`` over HTTP,
because the fault is the server's and is expected to be repaired, not the caller's. A
version stays refused once damage is on record, even if its file comes back, until its
provider or oversight runs :func:`check_dataset`, which hashes every version in full.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.catalog.queries import dataset_row
from sandbox.clock import utc_now
from sandbox.errors import DamagedVersion, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.storage.integrity import (
    DamagedFile,
    RecordedVersion,
    VersionDamage,
    VersionProblem,
    full_check,
    quick_check,
)
from sandbox.store.db import transaction
from sandbox.store.models import AuditEntryRow, DatasetVersionRow

DAMAGED_ACTION = "dataset.version.damaged"
VERIFIED_ACTION = "dataset.version.verified"


class Read(enum.StrEnum):
    """The reads that check a version first, as named in the damage report."""

    DOWNLOAD = "download"
    ROWS = "rows"
    PREVIEW = "preview"
    QUALITY = "quality"
    CHECK = "integrity check"
    JOB = "job"
    VERIFICATION = "verification"


@dataclass(frozen=True)
class ServedVersion:
    """A version about to be served: its number, what was recorded of its file, and the
    damage on record for it (``None`` if none).
    """

    dataset: str
    version: int
    recorded: RecordedVersion
    on_record: VersionDamage | None


@dataclass(frozen=True)
class VersionIntegrity:
    """The state of one version's file, as a check just found it."""

    version: int
    intact: bool
    problem: str | None
    detail: str | None
    reported_at: str | None
    """When damage to this version was last put on record (by a read or a check)."""


@dataclass(frozen=True)
class DatasetIntegrity:
    """Every version of a dataset, checked in full."""

    dataset: str
    checked_at: datetime
    versions: tuple[VersionIntegrity, ...]


def recorded_of(row: DatasetVersionRow) -> RecordedVersion:
    """What the catalog recorded of a version's file."""
    return RecordedVersion(row.storage_path, row.byte_size, row.row_count, row.sha256)


def served(session: Session, name: str, row: DatasetVersionRow) -> ServedVersion:
    """The version ``row`` of dataset ``name`` with the damage on record for it."""
    entry = _on_record(session, name).get(row.version)
    damage = _damage_of(entry) if entry is not None else None
    return ServedVersion(name, row.version, recorded_of(row), damage)


def ensure_intact(
    platform: Platform,
    actor: Actor,
    version: ServedVersion,
    read: Read,
    *,
    whole_file: bool = False,
) -> None:
    """Refuse ``version`` if it is on record as damaged or fails its check now.

    ``whole_file`` is for reads that vouch for the whole file (a download, a quality
    report): they hash it in full when it is at most ``full_check_max_bytes``.
    """
    if version.on_record is not None:
        raise _refusal(version, version.on_record)
    limit = platform.settings.full_check_max_bytes
    full = whole_file and version.recorded.byte_size <= limit
    damage = (full_check if full else quick_check)(platform.store, version.recorded)
    if damage is not None:
        raise report(platform, actor, version, damage, read)


@contextmanager
def reading(platform: Platform, actor: Actor, version: ServedVersion, read: Read) -> Iterator[None]:
    """Turn damage the readers meet while reading (a page whose checksum fails) into a
    report and a :class:`DamagedVersion`.
    """
    try:
        yield
    except DamagedFile as found:
        raise report(platform, actor, version, found.damage, read) from found


def guarded(
    platform: Platform, actor: Actor, version: ServedVersion, read: Read, body: Iterator[bytes]
) -> Iterator[bytes]:
    """A streamed body that reports damage met after its first byte before it is cut."""
    try:
        yield from body
    except DamagedFile as found:
        raise report(platform, actor, version, found.damage, read) from found


def report(
    platform: Platform, actor: Actor, version: ServedVersion, damage: VersionDamage, read: Read
) -> DamagedVersion:
    """Put damage on record for the provider (audited, committed at once) and return the
    error to answer with.
    """
    with transaction(platform.sessions) as session:
        _record_damage(session, actor, version.dataset, version.version, damage, read)
    return _refusal(version, damage)


def check_dataset(platform: Platform, actor: Actor, name: str) -> DatasetIntegrity:
    """Hash every version of ``name`` in full now (its provider and oversight).

    Damage found is put on record; a version on record as damaged whose file is intact
    again is put on record as verified, which lets reads serve it again.
    """
    with transaction(platform.sessions) as session:
        row = dataset_row(session, name)
        if not (owns(actor, row.provider_org_id) or actor.role in OVERSIGHT_ROLES):
            raise PermissionDenied(
                "only the dataset's provider and oversight check the integrity of its files"
            )
        versions = (
            session.execute(
                select(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == row.id)
                .order_by(DatasetVersionRow.version)
            )
            .scalars()
            .all()
        )
        on_record = _on_record(session, name)
    found = {v.version: full_check(platform.store, recorded_of(v)) for v in versions}
    results = []
    with transaction(platform.sessions) as session:
        for number, damage in found.items():
            known = on_record.get(number)
            reported_at = known.at if known is not None else None
            if damage is not None and (known is None or _damage_of(known) != damage):
                reported_at = _record_damage(session, actor, name, number, damage, Read.CHECK).at
            elif damage is None and known is not None:
                audit.record(
                    session,
                    actor,
                    VERIFIED_ACTION,
                    object_type="dataset",
                    object_id=name,
                    outcome="intact",
                    detail={"version": number},
                )
                reported_at = known.at
            results.append(
                VersionIntegrity(
                    version=number,
                    intact=damage is None,
                    problem=str(damage.problem) if damage else None,
                    detail=damage.detail if damage else None,
                    reported_at=reported_at,
                )
            )
        audit.record(
            session,
            actor,
            "dataset.integrity.check",
            object_type="dataset",
            object_id=name,
            detail={"damaged": [r.version for r in results if not r.intact]},
        )
    return DatasetIntegrity(name, utc_now(), tuple(results))


def _record_damage(
    session: Session, actor: Actor, name: str, version: int, damage: VersionDamage, read: Read
) -> audit.AuditEntry:
    return audit.record(
        session,
        actor,
        DAMAGED_ACTION,
        object_type="dataset",
        object_id=name,
        outcome="damaged",
        detail={
            "version": version,
            "problem": str(damage.problem),
            "detail": damage.detail,
            "found_by": str(read),
        },
    )


def _refusal(version: ServedVersion, damage: VersionDamage) -> DamagedVersion:
    return DamagedVersion(
        f"dataset {version.dataset!r} version {version.version} is damaged on the server: "
        f"{damage.detail}. Its provider has been told; the version cannot be served until "
        "its file is restored and checked",
        problem=str(damage.problem),
    )


def _on_record(session: Session, name: str) -> dict[int, AuditEntryRow]:
    """Per version, the damage entry that stands (no verification after it)."""
    rows = session.execute(
        select(AuditEntryRow)
        .where(
            AuditEntryRow.object_id == name,
            AuditEntryRow.object_type == "dataset",
            AuditEntryRow.action.in_((DAMAGED_ACTION, VERIFIED_ACTION)),
        )
        .order_by(AuditEntryRow.seq)
    ).scalars()
    standing: dict[int, AuditEntryRow] = {}
    for entry in rows:
        number = _detail(entry).get("version")
        if type(number) is not int:
            continue
        if entry.action == DAMAGED_ACTION:
            standing[number] = entry
        else:
            standing.pop(number, None)
    return standing


def _damage_of(entry: AuditEntryRow) -> VersionDamage:
    detail = _detail(entry)
    try:
        problem = VersionProblem(str(detail.get("problem")))
    except ValueError:
        problem = VersionProblem.CONTENT
    return VersionDamage(problem, str(detail.get("detail") or "its file was found damaged"))


def _detail(entry: AuditEntryRow) -> dict[str, Any]:
    try:
        parsed = json.loads(entry.detail or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}

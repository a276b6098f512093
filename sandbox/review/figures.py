"""The figures of a result: listed and downloaded as files, as they were (or will be) released.

A figure is a part of the *released* form of a result (:mod:`sandbox.disclosure.rules.
figures` re-encoded it on the trusted side), so its bytes here are exactly what the reviewer
looked at and what its owner gets. The same people may read them as may download the result
(:mod:`sandbox.review.downloads`): its owner once released, the granting organisation's
reviewers while they review it; frozen releases refuse. Every download is audited.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.errors import Conflict, NotFound
from sandbox.identity.model import Actor
from sandbox.jobs.release import frozen_by
from sandbox.review.downloads import may_download
from sandbox.runtime.result_parts import FIGURE, PART
from sandbox.store.models import JobRow

__all__ = ["FigureFile", "download_figure", "figures_in", "list_figures"]


@dataclass(frozen=True)
class FigureFile:
    """One figure of a released result.

    Attributes:
        name: Its file name, unique within the result (``income.png``; a repeated name gets
            ``-2``, ``-3`` before its suffix).
        media_type: ``image/png`` or ``image/svg+xml``.
        data: Its bytes as released.
        where: Where it sits in the result (``result.plot``).
    """

    name: str
    media_type: str
    data: bytes
    where: str

    def summary(self, job_id: int) -> dict[str, Any]:
        """JSON-ready, without the bytes: what a listing shows, with the download path."""
        return {
            "name": self.name,
            "media_type": self.media_type,
            "bytes": len(self.data),
            "where": self.where,
            "url": f"/v1/results/{job_id}/figures/{self.name}",
        }


def _walk(value: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(value, Mapping):
        if value.get(PART) == FIGURE:
            yield where, value
            return
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]")


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    number = 2
    while f"{stem}-{number}{dot}{suffix}" in taken:
        number += 1
    return f"{stem}-{number}{dot}{suffix}"


def figures_in(release: Any) -> list[FigureFile]:
    """The figures of a result's released form, in the order they appear."""
    found: list[FigureFile] = []
    taken: set[str] = set()
    for where, part in _walk(release, "result"):
        try:
            data = base64.b64decode(str(part.get("base64", "")), validate=True)
        except ValueError:
            continue  # never released: the checks refused it (the job was rejected)
        name = _unique(str(part.get("name", "figure.png")), taken)
        taken.add(name)
        found.append(FigureFile(name, str(part.get("media_type", "")), data, where))
    return found


def _readable(session: Session, actor: Actor, job_id: int) -> JobRow:
    row = session.get(JobRow, job_id)
    if row is None or not may_download(session, actor, row):
        raise NotFound(f"job {job_id} has no released result for you")
    frozen = frozen_by(session, row)
    if frozen is not None:
        raise Conflict(f"releases of this job are frozen: {frozen}")
    return row


def list_figures(session: Session, actor: Actor, job_id: int) -> list[dict[str, Any]]:
    """The figures of a job's released result (name, media type, size, download path)."""
    row = _readable(session, actor, job_id)
    return [figure.summary(row.id) for figure in figures_in(row.release)]


def download_figure(session: Session, actor: Actor, job_id: int, name: str) -> FigureFile:
    """One figure of a job's released result, by name (audited)."""
    row = _readable(session, actor, job_id)
    for figure in figures_in(row.release):
        if figure.name == name:
            audit.record(
                session,
                actor,
                "result.download",
                object_type="result",
                object_id=row.id,
                detail={
                    "datasets": row.datasets,
                    "format": figure.media_type,
                    "part": figure.where,
                    "bytes": len(figure.data),
                    "state": row.state,
                },
            )
            return figure
    raise NotFound(f"the result of job {job_id} has no figure {name[:200]!r}")

r"""A job's log as its readers get it: the model's lines and the platform's, told apart.

The model writes whatever text it likes, including lines that imitate the platform's own
messages, terminal escape sequences and NUL bytes. So nothing the platform says is ever
stored *in* the model's lines: ``JobRow.log`` holds the model's lines exactly as it wrote
them, and the platform's facts about the log (that it was truncated at its size limit) are
kept in the job's ``progress``. A reader gets :class:`LogEntry` objects, each with its
:class:`LogSource`, built here from the two; a view that shows them as text escapes the
model's (the CLI does).

Both SQLite and PostgreSQL store the lines as JSON text (PostgreSQL's ``json``, not
``jsonb``, which would refuse ``\u0000``), so a NUL byte is kept as the escape ``\u0000``
and comes back as it was written.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LOG_TRUNCATED", "JobLog", "LogEntry", "LogSource", "log_entries", "log_progress"]

LOG_TRUNCATED = "log truncated: lines past the log size limit ({limit} bytes) were left out"
"""What the platform says of a log it truncated (``{limit}``: the job's ``log_bytes``)."""


class LogSource(enum.StrEnum):
    """Who wrote a log entry."""

    MODEL = "model"
    """The job's model, through ``ctx.log``: its text exactly as written."""
    PLATFORM = "platform"
    """The platform: a fact about the log, never text the model chose."""


@dataclass(frozen=True)
class LogEntry:
    """One entry of a job's log."""

    source: LogSource
    text: str


@dataclass(frozen=True)
class JobLog:
    """A job's log as one reader may see it.

    Attributes:
        job_id: The job.
        entries: The model's lines and the platform's entries, in order; empty while held.
        held: Whether the log waits for the release boundary
            (:mod:`sandbox.jobs.visibility`).
    """

    job_id: int
    entries: list[LogEntry]
    held: bool

    @property
    def lines(self) -> list[str]:
        """The model's own lines, as it wrote them (no entry of the platform's)."""
        return [entry.text for entry in self.entries if entry.source is LogSource.MODEL]


def log_progress(line_count: int, truncated: bool) -> dict[str, Any]:
    """The platform's facts about a finished run's log, for the job's ``progress``."""
    facts: dict[str, Any] = {"log_lines": line_count}
    if truncated:
        facts["log_truncated"] = True
    return facts


def log_entries(
    lines: list[str], progress: Mapping[str, Any], limits: Mapping[str, Any]
) -> list[LogEntry]:
    """The entries of a stored log: each of the model's ``lines``, then the platform's.

    Args:
        lines: ``JobRow.log``: the model's lines only (a line of an older record that reads
            like a platform message is still the model's: only ``progress`` speaks for the
            platform).
        progress: ``JobRow.progress``.
        limits: ``JobRow.limits`` (the log size limit the truncation entry names).
    """
    entries = [LogEntry(LogSource.MODEL, str(line)) for line in lines]
    if progress.get("log_truncated") is True:
        entries.append(
            LogEntry(LogSource.PLATFORM, LOG_TRUNCATED.format(limit=limits.get("log_bytes", "?")))
        )
    return entries

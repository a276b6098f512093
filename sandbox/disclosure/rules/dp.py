"""``dp`` (DP jobs): each release of the job is reported, never failed.

A DP job's result is post-processing of DP releases, each already charged and passed
through the row-count rules by the query engine; its line shows the mechanisms, what was
charged and how many groups were suppressed or dropped.

The releases come as the job stored them: the JSON of the engine's
:class:`~sandbox.engine.report.ReleaseReport` (the engine sits above this layer, so the
fields the line shows are read back here, by :meth:`ReleaseSummary.from_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.DP


@dataclass(frozen=True)
class MechanismSummary:
    """One measurement of a release, as its line names it."""

    mechanism: str
    """The mechanism's name, e.g. ``discrete Laplace``."""
    part: str
    """What it noised: ``count``, ``sum``, ``squares`` or ``select``."""

    def describe(self) -> str:
        """``discrete Laplace (sum)``."""
        return f"{self.mechanism} ({self.part})"


@dataclass(frozen=True)
class ReleaseSummary:
    """What the ``dp`` line shows of one stored release report (no data value)."""

    dataset: str
    operation: str
    mechanisms: tuple[MechanismSummary, ...]
    charged: str
    """What the ledger debited, as the report describes it (``epsilon 0.1``)."""
    suppressed: int
    """Groups the row-count rules suppressed."""
    truncated: int = 0
    """Selected groups dropped to respect ``max_output_cells``."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReleaseSummary:
        """The summary of a stored release report (``ReleaseReport.to_dict``'s form).

        Raises:
            ValueError: The mapping is not of that form.
        """
        try:
            dataset, operation = data["dataset"], data["operation"]
            charged, suppressed = data["charged"], data["suppressed"]
            truncated = data.get("truncated", 0)
            mechanisms = tuple(
                MechanismSummary(mechanism=m["mechanism"], part=m["part"])
                for m in data["mechanisms"]
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a release report is malformed: {type(exc).__name__}") from None
        texts = [
            dataset,
            operation,
            charged,
            *(f for m in mechanisms for f in (m.mechanism, m.part)),
        ]
        if (
            not all(isinstance(text, str) for text in texts)
            or type(suppressed) is not int
            or type(truncated) is not int
        ):
            raise ValueError("a release report is malformed")
        return cls(
            dataset=dataset,
            operation=operation,
            mechanisms=mechanisms,
            charged=charged,
            suppressed=suppressed,
            truncated=truncated,
        )


def dp_line(index: int, release: ReleaseSummary) -> CheckLine:
    """The line of the job's release number ``index`` (from 0)."""
    mechanisms = ", ".join(m.describe() for m in release.mechanisms) or "none reported"
    note = (
        f"{release.dataset} {release.operation}: mechanisms {mechanisms}; "
        f"charged {release.charged}; suppressed groups {release.suppressed}"
    )
    if release.truncated:
        note += f"; groups dropped to fit max_output_cells {release.truncated}"
    return CheckLine(RULE, f"release {index + 1}", release.charged, True, False, note)

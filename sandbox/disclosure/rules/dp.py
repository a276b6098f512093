"""``dp`` (DP jobs): each release of the job is reported, never failed.

A DP job's result is post-processing of DP releases, each already charged and passed
through the row-count rules by the query engine; its line shows the mechanisms, what was
charged and how many groups were suppressed or dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.disclosure.model import CheckLine

RULE = "dp"


def dp_line(index: int, release: Mapping[str, Any]) -> CheckLine:
    """The line of the job's release number ``index`` (from 0), from its stored report."""
    dataset = str(release.get("dataset", "?"))
    operation = str(release.get("operation", "?"))
    mechanisms = []
    for mechanism in release.get("mechanisms") or ():
        if isinstance(mechanism, Mapping):
            name = str(mechanism.get("mechanism", "?"))
            part = mechanism.get("part")
            mechanisms.append(f"{name} ({part})" if part else name)
        else:
            mechanisms.append(str(mechanism))
    charged = release.get("charged")
    if charged is None and "loss" in release:
        charged = f"epsilon {release.get('loss')}, delta {release.get('delta', 0)}"
    suppressed = release.get("suppressed", 0)
    truncated = release.get("truncated", 0)
    note = (f"{dataset} {operation}: mechanisms {', '.join(mechanisms) or 'none reported'}; "
            f"charged {charged}; suppressed groups {suppressed}")
    if truncated:
        note += f"; groups dropped to fit max_output_cells {truncated}"
    statistic = str(charged) if charged is not None else None
    return CheckLine(RULE, f"release {index + 1}", statistic, True, False, note)

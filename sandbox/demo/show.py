"""Compact rich views of the workflow records the demo walks through: a record's fields, and
a case's stages with their working-day deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.table import Table

__all__ = ["facts_table", "fields_table", "stages_table"]


def fields_table(record: Mapping[str, Any], fields: Iterable[str], title: str) -> Table:
    """Two columns, field and value, for the named fields of ``record``."""
    table = Table("field", "value", title=title, show_header=False)
    for name in fields:
        value = record.get(name)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        table.add_row(name, shown)
    return table


def facts_table(facts: Iterable[Mapping[str, Any]], title: str) -> Table:
    """A user's eligibility facts: the value, who recorded it, when and on what check."""
    table = Table("fact", "value", "recorded by", "on", "note", title=title)
    for fact in facts:
        table.add_row(
            fact["fact"], fact["value"], fact["set_by"], str(fact["set_at"])[:10], fact["note"]
        )
    return table


def _deadline(stage: Mapping[str, Any]) -> str:
    if stage["open"]:
        return str(stage["time_left"])
    met = "on time" if stage["met_deadline"] else "LATE"
    return f"{stage['outcome']} by {stage['closed_by']}, {met}"


def stages_table(case: Mapping[str, Any], title: str) -> Table:
    """A case's stages: who must act, when it started, the working day it is due, and the
    time left (open) or the outcome against the deadline (closed).
    """
    table = Table("stage", "assignee", "started", "due on", "now", title=title)
    for stage in case["stages"]:
        assignee = stage["assignee_role"] + (
            f" ({stage['assignee_org']})" if stage["assignee_org"] else ""
        )
        table.add_row(
            stage["stage"],
            assignee,
            str(stage["started_at"])[:10],
            str(stage["due_on"]),
            _deadline(stage),
        )
    return table

"""A job's limits: the strictest of the effective policies of its datasets, and how they map
onto the runtime's :class:`~sandbox.runtime.backends.Limits`.

A job reading two datasets runs under the tighter limit of each kind, only the imports both
policies allow, the runtime profiles both allow, and raw access only if both allow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.policies import JobLimits, Policy, RowCountRules
from sandbox.runtime.backends import Limits

__all__ = ["combine_limits", "combine_row_count", "runtime_limits"]

_MIB = 1024 * 1024
_NUMERIC = ("wall_seconds", "cpu_seconds", "memory_mb", "processes", "result_bytes", "log_bytes")


def combine_limits(policies: Iterable[Policy]) -> dict[str, Any]:
    """The job limits of every effective policy combined strictly, as a JSON-ready dict."""
    limits: list[JobLimits] = [policy.job_limits for policy in policies]
    if not limits:
        raise ValueError("a job reads at least one dataset")
    combined: dict[str, Any] = {}
    for name in _NUMERIC:
        values = [getattr(x, name) for x in limits]
        if any(v is None for v in values):
            raise ValueError(f"job_limits.{name} is not set in an effective policy")
        combined[name] = min(values)
    combined["raw_access_allowed"] = all(x.raw_access_allowed for x in limits)
    imports = [set(x.allowed_imports or ()) for x in limits]
    combined["allowed_imports"] = sorted(set.intersection(*imports))
    profiles = [set(x.runtime_profiles or ()) for x in limits]
    combined["runtime_profiles"] = sorted(set.intersection(*profiles))
    return combined


def runtime_limits(limits: Mapping[str, Any]) -> Limits:
    """The sandbox limits of a job's stored limits.

    The CPU limit never exceeds the wall time (a model cannot use more CPU than wall time
    in one process, and an rlimit above it would never fire).
    """
    wall = int(limits["wall_seconds"])
    return Limits(
        wall_seconds=float(wall),
        cpu_seconds=max(1, min(int(limits["cpu_seconds"]), wall)),
        memory_bytes=int(limits["memory_mb"]) * _MIB,
        max_processes=int(limits["processes"]),
        max_message_bytes=max(int(limits["result_bytes"]), 64 * 1024) + 64 * 1024,
    )


_STRICTER: dict[str, Any] = {
    "min_count": max,
    "rounding": max,
    "suppression_threshold": max,
    "max_output_cells": min,
    "no_row_level_output": any,
    "dominance_n": max,
    "dominance_k": min,
    "dominance_p": max,
    "min_dof": max,
    "redact_at_or_below": max,
}
"""How each row-count rule gets stricter: the larger or the smaller value, or any ``true``."""


def combine_row_count(policies: Iterable[Policy]) -> RowCountRules:
    """The strictest row-count rules of several effective policies (a job's datasets)."""
    rules = [policy.row_count for policy in policies]
    combined: dict[str, Any] = {}
    for name in RowCountRules.__dataclass_fields__:
        pick = _STRICTER[name]
        values = [getattr(r, name) for r in rules if getattr(r, name) is not None]
        combined[name] = pick(values) if values else None
    return RowCountRules(**combined)

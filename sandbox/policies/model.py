"""The policy model: what an authority's floor, a provider's dataset policy and a grant hold.

DESIGN.md, Policies: privacy unit and contribution bound; DP accounting (pure or zCDP),
lifetime budget per dataset across all grants, budget per grant, cap per query, delta;
row-count rules; job limits; review mode and number of reviewers. Every field of a
partial level may be ``None`` (unset: another level decides); the effective policy, the
strictest combination of the three levels, has every field set.

Pure values only: parsing lives in :mod:`sandbox.policies.documents`, layering in
:mod:`sandbox.policies.layering`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

from sandbox.policies.budget import Accounting, PrivacyCost


class ReviewMode(enum.StrEnum):
    """Whether a human reviews every result, or DP results whose checks pass go out alone."""

    MANUAL = "manual"
    AUTO_DP = "auto_dp"


@dataclass(frozen=True)
class RowCountRules:
    """Disclosure rules applied to every output (a ``None`` field is unset)."""

    min_count: int | None = None
    """Smallest (noisy) count a released cell may rest on."""
    rounding: int | None = None
    """Released counts are rounded to a multiple of this."""
    suppression_threshold: int | None = None
    """Groups whose noisy count falls below this are suppressed."""
    max_output_cells: int | None = None
    """Largest number of cells one output may hold."""
    no_row_level_output: bool | None = None
    """Refuse outputs that hold one row per person."""
    dominance_n: int | None = None
    """Dominance rule: the top ``n`` contributors ..."""
    dominance_k: int | None = None
    """... may hold at most ``k`` percent of a cell's total."""


@dataclass(frozen=True)
class JobLimits:
    """Resource limits of a job's sandbox (a ``None`` field is unset)."""

    wall_seconds: int | None = None
    cpu_seconds: int | None = None
    memory_mb: int | None = None
    processes: int | None = None
    result_bytes: int | None = None
    log_bytes: int | None = None
    raw_access_allowed: bool | None = None


@dataclass(frozen=True)
class Policy:
    """One level of policy, or the effective (fully set) combination of all three."""

    privacy_unit: str | None = None
    """Column naming the privacy unit (the person); ``None``: each row is a unit."""
    contribution_bound: int | None = None
    """Most rows one privacy unit may contribute, across all groups."""
    accounting: Accounting | None = None
    """Pure DP (epsilon) or zCDP (rho, reported also as (epsilon, delta))."""
    lifetime_budget: PrivacyCost | None = None
    """Total a dataset may spend across all grants, ever."""
    grant_budget: PrivacyCost | None = None
    """Total one grant may spend on a dataset."""
    per_query_cap: PrivacyCost | None = None
    """Most one release may cost."""
    delta: Fraction | None = None
    """Largest delta one release may use (partition selection, zCDP conversion)."""
    row_count: RowCountRules = RowCountRules()
    job_limits: JobLimits = JobLimits()
    review_mode: ReviewMode | None = None
    reviewers: int | None = None
    """How many distinct reviewers must approve a result."""

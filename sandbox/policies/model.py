"""The policy model: what an authority's floor, a provider's dataset policy and a grant hold.

DESIGN.md, Policies: privacy unit and contribution bound; DP accounting (pure or zCDP),
lifetime budget per dataset across all grants, budget per grant, cap per query, delta;
row-count rules; job limits; review mode and number of reviewers. Beside the rules, one
visibility setting: whether a grant's holder may read what remains of the dataset's lifetime
budget. Every field of a partial level may be ``None`` (unset: another level decides); the
effective policy, the strictest combination of the three levels, has every field set (only
``privacy_unit`` may stay ``None``, meaning each row is its own unit).

Pure values only: parsing lives in :mod:`sandbox.policies.documents`, layering in
:mod:`sandbox.policies.layering`. Each value checks its own ranges on construction and
names the offending field by its document path (``row_count.min_count``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, fields
from fractions import Fraction

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, PrivacyCost

_MODULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ReviewMode(enum.StrEnum):
    """Whether a human reviews every result, or DP results whose checks pass go out alone."""

    MANUAL = "manual"
    AUTO_DP = "auto_dp"


class PolicyLevel(enum.StrEnum):
    """Who wrote a policy: the authority's floor, the provider's dataset policy, or a grant."""

    FLOOR = "floor"
    DATASET = "dataset"
    GRANT = "grant"


BUDGET_FIELDS = ("lifetime_budget", "grant_budget", "per_query_cap")

RUNTIME_PROFILES = ("restricted", "scientific")
"""The runtime profiles a policy may allow (DESIGN.md, trust boundary 3): ``restricted``
(RestrictedPython with vetted module wrappers, the default) and ``scientific`` (ordinary
CPython with the scientific stack). Both run inside the same OS sandbox."""
"""The policy fields that hold a :class:`PrivacyCost`."""


def _check_int(path: str, value: object, *, minimum: int, maximum: int | None = None) -> None:
    if value is None:
        return
    if type(value) is not int or value < minimum or (maximum is not None and value > maximum):
        if maximum is not None:
            kind = f"an integer from {minimum} to {maximum}"
        else:
            kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise InvalidRequest(f"{path} must be {kind}")


def _check_modules(path: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple) or not all(
        isinstance(name, str) and _MODULE_NAME.fullmatch(name) for name in value
    ):
        raise InvalidRequest(f"{path} must be a list of module names (such as math, json)")


def _check_profiles(path: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, tuple) or not all(
        isinstance(name, str) and name in RUNTIME_PROFILES for name in value
    ):
        raise InvalidRequest(
            f"{path} must be a list of runtime profiles (of: {', '.join(RUNTIME_PROFILES)})"
        )


def _check_bool(path: str, value: object) -> None:
    if value is not None and type(value) is not bool:
        raise InvalidRequest(f"{path} must be true or false")


@dataclass(frozen=True)
class RowCountRules:
    """Disclosure rules applied to every output (a ``None`` field is unset)."""

    min_count: int | None = None
    """Smallest (noisy) count a released cell may rest on (0: no minimum of its own)."""
    rounding: int | None = None
    """Released counts are rounded to a multiple of this (1: to whole numbers)."""
    suppression_threshold: int | None = None
    """Groups whose noisy count falls below this are suppressed (with ``min_count``: the
    larger of the two applies)."""
    max_output_cells: int | None = None
    """Largest number of cells one output may hold."""
    no_row_level_output: bool | None = None
    """Refuse outputs that hold one row per person."""
    dominance_n: int | None = None
    """Dominance rule: the top ``n`` contributors ..."""
    dominance_k: int | None = None
    """... may hold at most ``k`` percent of a cell's total."""
    dominance_p: int | None = None
    """p% rule: what a cell's total holds beyond its two largest contributors must be at
    least ``p`` percent of the largest contribution (0 to 100; larger is stricter)."""
    min_dof: int | None = None
    """Fewest residual degrees of freedom a released regression may have."""
    redact_at_or_below: int | None = None
    """Counts at or below this are redacted by the platform in raw-access outputs (0: no
    redaction; larger is stricter)."""

    def __post_init__(self) -> None:
        _check_int("row_count.min_count", self.min_count, minimum=0)
        _check_int("row_count.rounding", self.rounding, minimum=1)
        _check_int("row_count.suppression_threshold", self.suppression_threshold, minimum=0)
        _check_int("row_count.max_output_cells", self.max_output_cells, minimum=1)
        _check_bool("row_count.no_row_level_output", self.no_row_level_output)
        _check_int("row_count.dominance_n", self.dominance_n, minimum=1)
        _check_int("row_count.dominance_k", self.dominance_k, minimum=1, maximum=100)
        _check_int("row_count.dominance_p", self.dominance_p, minimum=0, maximum=100)
        _check_int("row_count.min_dof", self.min_dof, minimum=0)
        _check_int("row_count.redact_at_or_below", self.redact_at_or_below, minimum=0)

    def is_complete(self) -> bool:
        """Whether every rule is set (as in an effective policy)."""
        return all(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True)
class JobLimits:
    """Resource limits of a job's sandbox (a ``None`` field is unset)."""

    wall_seconds: int | None = None
    """Wall-clock time a job may run."""
    cpu_seconds: int | None = None
    """CPU time a job may use."""
    memory_mb: int | None = None
    """Memory a job may use, in MiB."""
    processes: int | None = None
    """Most processes (and threads) a job may hold at once."""
    result_bytes: int | None = None
    """Largest result a job may return."""
    log_bytes: int | None = None
    """Largest log a job may write."""
    active_jobs_per_user: int | None = None
    """Most unfinished jobs (submitted, queued, running or being checked; not those waiting
    for review) one user may have at once, across all grants; a job over it is refused with
    429 ``quota_exceeded`` and nothing is stored or charged (:mod:`sandbox.jobs.quotas`)."""
    active_jobs_per_grant: int | None = None
    """Most unfinished jobs one grant may have at once (as ``active_jobs_per_user``)."""
    raw_access_allowed: bool | None = None
    """Whether jobs may read raw rows inside the hardened sandbox."""
    allowed_imports: tuple[str, ...] | None = None
    """Modules an algorithm model may import (each must have a vetted wrapper in the
    runtime); the effective list is what every level allows."""
    runtime_profiles: tuple[str, ...] | None = None
    """Runtime profiles a job may run in (of :data:`RUNTIME_PROFILES`); the effective list
    is what every level allows, and with no level setting one, ``restricted`` alone."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "raw_access_allowed":
                _check_bool(f"job_limits.{f.name}", value)
            elif f.name == "allowed_imports":
                _check_modules(f"job_limits.{f.name}", value)
            elif f.name == "runtime_profiles":
                _check_profiles(f"job_limits.{f.name}", value)
            else:
                _check_int(f"job_limits.{f.name}", value, minimum=1)

    def is_complete(self) -> bool:
        """Whether every limit is set (as in an effective policy)."""
        return all(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True)
class VerificationLimits:
    """Quotas of the dataset's verification services (Qingdao art. 13): each answer
    reveals one bit of the dataset, so how many a grant may draw is rationed (a ``None``
    field is unset; :mod:`sandbox.verification.quotas` enforces them).
    """

    per_grant_per_day: int | None = None
    """Most records one grant may verify against the dataset's services per local day."""
    per_record_per_day: int | None = None
    """Most times one grant may ask one service about one record (named by its key field)
    per local day: guessing a record's other fields stops there."""

    def __post_init__(self) -> None:
        for f in fields(self):
            _check_int(f"verification.{f.name}", getattr(self, f.name), minimum=1)

    def is_complete(self) -> bool:
        """Whether every quota is set (as in an effective policy)."""
        return all(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True)
class Policy:
    """One level of policy, or the effective (fully set) combination of all three.

    Instances cross process boundaries through :func:`sandbox.policies.documents.to_dict`;
    field changes must stay backwards compatible with stored policy documents.
    """

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
    """Disclosure rules for every output."""
    job_limits: JobLimits = JobLimits()
    """Resource limits of every job."""
    verification: VerificationLimits = VerificationLimits()
    """Quotas of the dataset's verification services."""
    review_mode: ReviewMode | None = None
    """Manual review of every result, or automatic release of DP results that pass."""
    reviewers: int | None = None
    """How many distinct reviewers must approve a result."""
    show_lifetime_to_users: bool | None = None
    """Whether a grant's holder may read what remains of the dataset's lifetime budget
    (across all grants) beside their own grant's. Off unless a level allows it and none
    forbids it: the remainder moves with other grants' spending, which it reveals."""
    unset_budget_deltas: frozenset[str] = field(default_factory=frozenset)
    """Names of the budgets (of :data:`BUDGET_FIELDS`) whose delta this level leaves open:
    the document gave a loss but no delta, so their stored delta of 0 does not constrain
    the effective policy. Only partial levels have any; the effective policy has none."""

    def __post_init__(self) -> None:
        if self.privacy_unit is not None and (
            type(self.privacy_unit) is not str
            or not self.privacy_unit.strip()
            or len(self.privacy_unit) > 100
        ):
            raise InvalidRequest("privacy_unit must be a column name of 1 to 100 characters")
        _check_int("contribution_bound", self.contribution_bound, minimum=1)
        if self.accounting is not None and not isinstance(self.accounting, Accounting):
            raise InvalidRequest("accounting must be one of: pure, zcdp")
        for name in BUDGET_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, PrivacyCost) or value.is_infinite:
                raise InvalidRequest(f"{name} must be a finite privacy budget")
            if value.loss <= 0:
                raise InvalidRequest(f"{name}.loss must be positive")
        if self.delta is not None and (type(self.delta) is not Fraction or not 0 <= self.delta < 1):
            raise InvalidRequest("delta must be an exact number in [0, 1)")
        if not isinstance(self.row_count, RowCountRules):
            raise InvalidRequest("row_count must be a set of row-count rules")
        if not isinstance(self.job_limits, JobLimits):
            raise InvalidRequest("job_limits must be a set of job limits")
        if not isinstance(self.verification, VerificationLimits):
            raise InvalidRequest("verification must be a set of verification quotas")
        if self.review_mode is not None and not isinstance(self.review_mode, ReviewMode):
            raise InvalidRequest("review.mode must be one of: manual, auto_dp")
        _check_int("review.reviewers", self.reviewers, minimum=1)
        _check_bool("show_lifetime_to_users", self.show_lifetime_to_users)
        if not isinstance(self.unset_budget_deltas, frozenset):
            raise InvalidRequest("unset_budget_deltas must be a frozenset of budget names")
        for name in self.unset_budget_deltas:
            if name not in BUDGET_FIELDS or getattr(self, name) is None:
                raise InvalidRequest(
                    f"unset_budget_deltas names {name!r}, which is not a budget this policy sets"
                )
            if getattr(self, name).delta != 0:
                raise InvalidRequest(f"{name} has a delta, so its delta is not unset")

    def budget_delta(self, name: str) -> Fraction | None:
        """The delta budget ``name`` constrains, or ``None`` when unset at this level."""
        budget: PrivacyCost | None = getattr(self, name)
        if budget is None or name in self.unset_budget_deltas:
            return None
        return budget.delta

    def is_complete(self) -> bool:
        """Whether every field is set (``privacy_unit`` may be ``None``: rows are units)."""
        scalars = (
            self.contribution_bound,
            self.accounting,
            self.lifetime_budget,
            self.grant_budget,
            self.per_query_cap,
            self.delta,
            self.review_mode,
            self.reviewers,
            self.show_lifetime_to_users,
        )
        return (
            all(v is not None for v in scalars)
            and self.row_count.is_complete()
            and self.job_limits.is_complete()
            and self.verification.is_complete()
            and not self.unset_budget_deltas
        )

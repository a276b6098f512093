"""Policy layering: the effective policy is the strictest of floor, dataset policy and grant.

DESIGN.md, Policies: "Effective policy = the strictest of the authority's floor, the
provider's dataset policy and the grant. A provider policy looser than the floor is
refused." Strictest means, field by field:

- smallest: budgets (loss and delta separately), per-query cap, delta, contribution bound,
  job limits, ``max_output_cells``, ``dominance_k``;
- largest: ``min_count``, ``suppression_threshold``, ``rounding``, ``reviewers``,
  ``dominance_n``, ``dominance_p``, ``min_dof``, ``redact_at_or_below``;
- ``raw_access_allowed`` only if some level allows it and none forbids it;
  ``allowed_imports`` and ``runtime_profiles``: only what every level that sets a list
  allows (with none set: ``math`` and ``restricted``);
  ``no_row_level_output`` if any level asks for it; manual review if any level asks for it;
- ``show_lifetime_to_users`` only if some level allows it and none forbids it;
- accounting and privacy unit: the levels that set them must agree.

What no level sets comes from :func:`platform_defaults` (documented below), so the result
is fully set. The effective policy is also made coherent: the per-query cap never exceeds
the grant budget, which never exceeds the lifetime budget, and the per-query cap's delta
is the effective ``delta``. Everything here is pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import TypeVar

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.documents import number_text
from sandbox.policies.model import (
    BUDGET_FIELDS,
    JobLimits,
    Policy,
    ReviewMode,
    RowCountRules,
    VerificationLimits,
)

_T = TypeVar("_T")

_LIST_LIMITS = ("allowed_imports", "runtime_profiles")
"""The job limits that are allow-lists: the effective list is what every level allows, and a
level allowing what a lower one does not loosens it."""


class PolicyViolation(InvalidRequest):
    """A policy breaks the rules of the level above it; ``violations`` lists every rule."""

    code = "policy_violation"

    def __init__(
        self,
        violations: Sequence[str],
        *,
        subject: str = "the dataset policy",
        against: str = "the floor",
    ) -> None:
        super().__init__(f"{subject} is looser than {against}: " + "; ".join(violations))
        self.violations = tuple(violations)


_BUDGET_LOSSES_PURE = {"lifetime_budget": 20, "grant_budget": 5, "per_query_cap": 1}
"""Default budgets under pure DP, in epsilon."""
_BUDGET_LOSSES_ZCDP = {
    "lifetime_budget": Fraction(2),
    "grant_budget": Fraction(1, 2),
    "per_query_cap": Fraction(1, 10),
}
"""Default budgets under zCDP, in rho (rho 0.1 is about epsilon 1.8 at delta 1e-6)."""
_BUDGET_DELTAS = {
    "lifetime_budget": Fraction(1, 10**4),
    "grant_budget": Fraction(1, 10**5),
    "per_query_cap": Fraction(1, 10**6),
}
"""Default delta budgets: 10 delta-using releases per grant, 10 grants per dataset."""


def platform_defaults(accounting: Accounting = Accounting.PURE) -> Policy:
    """The platform's defaults, which fill every field that no level sets.

    Pure accounting; each row its own privacy unit (no ``privacy_unit``) contributing at
    most 1 row; budgets epsilon 20 per dataset lifetime, 5 per grant, 1 per query (under
    zCDP: rho 2, 0.5, 0.1), delta 1e-4 per dataset lifetime, 1e-5 per grant, 1e-6 per
    release; cells of at least 10, groups below 10 suppressed, counts rounded to whole
    numbers, at most 100,000 cells, no row-level output, dominance (2, 90%), p% rule 10%,
    regressions with at least 10 residual degrees of freedom, no redaction; jobs of at
    most an hour of wall and CPU time, 2 GiB, 64 processes, 10 MiB of result and 1 MiB of
    log, at most 200 unfinished jobs per user and 100 per grant, no raw access, the
    ``restricted`` runtime profile only; verification services answer at most 1,000
    records per grant and day and 5 questions about one record per grant and day; manual
    review by 1 reviewer; grant holders do not see what remains of the lifetime budget.
    """
    losses = _BUDGET_LOSSES_PURE if accounting is Accounting.PURE else _BUDGET_LOSSES_ZCDP
    budgets = {
        name: PrivacyCost(Fraction(losses[name]), _BUDGET_DELTAS[name]) for name in BUDGET_FIELDS
    }
    return Policy(
        privacy_unit=None,
        contribution_bound=1,
        accounting=accounting,
        lifetime_budget=budgets["lifetime_budget"],
        grant_budget=budgets["grant_budget"],
        per_query_cap=budgets["per_query_cap"],
        delta=Fraction(1, 10**6),
        row_count=RowCountRules(
            min_count=10,
            rounding=1,
            suppression_threshold=10,
            max_output_cells=100_000,
            no_row_level_output=True,
            dominance_n=2,
            dominance_k=90,
            dominance_p=10,
            min_dof=10,
            redact_at_or_below=0,
        ),
        job_limits=JobLimits(
            wall_seconds=3600,
            cpu_seconds=3600,
            memory_mb=2048,
            processes=64,
            result_bytes=10 * 1024 * 1024,
            log_bytes=1024 * 1024,
            active_jobs_per_user=200,
            active_jobs_per_grant=100,
            raw_access_allowed=False,
            allowed_imports=("math",),
            runtime_profiles=("restricted",),
        ),
        verification=VerificationLimits(per_grant_per_day=1000, per_record_per_day=5),
        review_mode=ReviewMode.MANUAL,
        reviewers=1,
        show_lifetime_to_users=False,
    )


PLATFORM_DEFAULTS = platform_defaults(Accounting.PURE)
"""The defaults under pure DP (see :func:`platform_defaults`)."""


# --- Looser-than checks -------------------------------------------------------------------------


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return str(number_text(value))
    return str(value)


def _unit(accounting: Accounting | None) -> str:
    return "rho" if accounting is Accounting.ZCDP else "epsilon"


def find_loosenings(base: Policy, candidate: Policy, *, base_name: str = "the floor") -> list[str]:
    """Every rule in which ``candidate`` is looser than ``base`` (fields both set)."""
    found: list[str] = []

    def compare(
        path: str, ours: _T | None, theirs: _T | None, looser: Callable[[_T, _T], bool]
    ) -> None:
        if ours is not None and theirs is not None and looser(theirs, ours):
            found.append(f"{path} {_show(theirs)} is looser than {base_name}'s {_show(ours)}")

    def bigger(a: object, b: object) -> bool:
        return a > b  # type: ignore[operator,no-any-return]

    def smaller(a: object, b: object) -> bool:
        return a < b  # type: ignore[operator,no-any-return]

    if (
        base.accounting is not None
        and candidate.accounting is not None
        and base.accounting != candidate.accounting
    ):
        found.append(
            f"accounting {candidate.accounting} differs from {base_name}'s {base.accounting}"
        )
    unit = _unit(candidate.accounting or base.accounting)
    compare("contribution_bound", base.contribution_bound, candidate.contribution_bound, bigger)
    for name in BUDGET_FIELDS:
        ours, theirs = getattr(base, name), getattr(candidate, name)
        compare(f"{name} {unit}", ours and ours.loss, theirs and theirs.loss, bigger)
        compare(f"{name} delta", base.budget_delta(name), candidate.budget_delta(name), bigger)
    compare("delta", base.delta, candidate.delta, bigger)
    rows, their_rows = base.row_count, candidate.row_count
    for field_name, looser in (
        ("min_count", smaller),
        ("suppression_threshold", smaller),
        ("rounding", smaller),
        ("max_output_cells", bigger),
        ("dominance_n", smaller),
        ("dominance_k", bigger),
        ("dominance_p", smaller),
        ("min_dof", smaller),
        ("redact_at_or_below", smaller),
    ):
        compare(
            f"row_count.{field_name}",
            getattr(rows, field_name),
            getattr(their_rows, field_name),
            looser,
        )
    compare(
        "row_count.no_row_level_output",
        rows.no_row_level_output,
        their_rows.no_row_level_output,
        smaller,
    )
    for field_name in JobLimits.__dataclass_fields__:
        if field_name not in _LIST_LIMITS:
            compare(
                f"job_limits.{field_name}",
                getattr(base.job_limits, field_name),
                getattr(candidate.job_limits, field_name),
                bigger,
            )
    for field_name in _LIST_LIMITS:
        ours_list = getattr(base.job_limits, field_name)
        their_list = getattr(candidate.job_limits, field_name)
        if ours_list is not None and their_list is not None:
            extra = sorted(set(their_list) - set(ours_list))
            if extra:
                found.append(
                    f"job_limits.{field_name} {', '.join(extra)} is looser than "
                    f"{base_name}'s {', '.join(ours_list) or 'none'}"
                )
    for field_name in VerificationLimits.__dataclass_fields__:
        compare(
            f"verification.{field_name}",
            getattr(base.verification, field_name),
            getattr(candidate.verification, field_name),
            bigger,
        )
    if base.review_mode is ReviewMode.MANUAL and candidate.review_mode is ReviewMode.AUTO_DP:
        found.append(f"review.mode auto_dp is looser than {base_name}'s manual")
    compare("review.reviewers", base.reviewers, candidate.reviewers, smaller)
    compare(
        "show_lifetime_to_users",
        base.show_lifetime_to_users,
        candidate.show_lifetime_to_users,
        bigger,
    )
    return found


def check_dataset_policy(floor: Policy, dataset: Policy) -> None:
    """Refuse a dataset policy that loosens any rule of the authority's floor.

    Raises:
        PolicyViolation: Listing every loosened rule, e.g. ``per_query_cap epsilon 2 is
            looser than the floor's 1``.
    """
    found = find_loosenings(floor, dataset, base_name="the floor")
    if found:
        raise PolicyViolation(found)


def check_grant_policy(floor: Policy, dataset: Policy, grant: Policy) -> None:
    """Refuse a grant that loosens the floor or its dataset's policy.

    Raises:
        PolicyViolation: Listing every loosened rule.
    """
    found = find_loosenings(floor, grant, base_name="the floor")
    found += find_loosenings(dataset, grant, base_name="the dataset policy")
    if found:
        raise PolicyViolation(found, subject="the grant", against="the floor or the dataset policy")


# --- Effective policy ---------------------------------------------------------------------------


def _set(values: Iterable[_T | None]) -> list[_T]:
    return [v for v in values if v is not None]


def _agreed(levels: Sequence[Policy], name: str) -> object | None:
    values = _set(getattr(level, name) for level in levels)
    if len(set(values)) > 1:
        raise PolicyViolation(
            [f"{name} is set to {' and '.join(sorted(str(v) for v in set(values)))}"],
            subject="the policy levels disagree",
            against="each other",
        )
    return values[0] if values else None


def _pick(values: Iterable[_T | None], choose: Callable[[list[_T]], _T], default: _T) -> _T:
    present = _set(values)
    return choose(present) if present else default


def _min_cost(a: PrivacyCost, b: PrivacyCost) -> PrivacyCost:
    return PrivacyCost(min(a.loss, b.loss), min(a.delta, b.delta))


def effective_policy(floor: Policy, dataset: Policy, grant: Policy | None = None) -> Policy:
    """The strictest combination of the three levels, every field set (see module doc).

    Raises:
        PolicyViolation: The levels disagree on the accounting or the privacy unit.
    """
    levels = [floor, dataset, grant or Policy()]
    accounting_value = _agreed(levels, "accounting")
    accounting = Accounting(str(accounting_value)) if accounting_value else Accounting.PURE
    privacy_unit = _agreed(levels, "privacy_unit")
    defaults = platform_defaults(accounting)

    budgets: dict[str, PrivacyCost] = {}
    for name in BUDGET_FIELDS:
        default: PrivacyCost = getattr(defaults, name)
        loss = _pick(
            (
                level_budget.loss
                for level in levels
                if (level_budget := getattr(level, name)) is not None
            ),
            min,
            default.loss,
        )
        delta = _pick((level.budget_delta(name) for level in levels), min, default.delta)
        budgets[name] = PrivacyCost(loss, delta)
    assert defaults.delta is not None
    delta = _pick(
        [level.delta for level in levels]
        + [level.budget_delta("per_query_cap") for level in levels],
        min,
        defaults.delta,
    )
    grant_budget = _min_cost(budgets["grant_budget"], budgets["lifetime_budget"])
    cap = _min_cost(budgets["per_query_cap"], grant_budget)
    delta = min(delta, cap.delta)
    cap = PrivacyCost(cap.loss, delta)

    return Policy(
        privacy_unit=str(privacy_unit) if privacy_unit is not None else None,
        contribution_bound=_pick(
            (x.contribution_bound for x in levels), min, _required(defaults.contribution_bound)
        ),
        accounting=accounting,
        lifetime_budget=budgets["lifetime_budget"],
        grant_budget=grant_budget,
        per_query_cap=cap,
        delta=delta,
        row_count=_row_count([x.row_count for x in levels], defaults.row_count),
        job_limits=_job_limits([x.job_limits for x in levels], defaults.job_limits),
        verification=VerificationLimits(
            **{
                name: _pick(
                    (getattr(x.verification, name) for x in levels),
                    min,
                    _required(getattr(defaults.verification, name)),
                )
                for name in VerificationLimits.__dataclass_fields__
            }
        ),
        review_mode=(
            ReviewMode.MANUAL
            if any(x.review_mode is ReviewMode.MANUAL for x in levels)
            else _pick((x.review_mode for x in levels), min, _required(defaults.review_mode))
        ),
        reviewers=_pick((x.reviewers for x in levels), max, _required(defaults.reviewers)),
        show_lifetime_to_users=_pick(
            (x.show_lifetime_to_users for x in levels),
            all,
            _required(defaults.show_lifetime_to_users),
        ),
    )


def _required(value: _T | None) -> _T:
    assert value is not None, "platform defaults are fully set"
    return value


def _row_count(levels: list[RowCountRules], default: RowCountRules) -> RowCountRules:
    def pick(name: str, choose: Callable[[list[int]], int]) -> int:
        values: list[int | None] = [getattr(x, name) for x in levels]
        fallback: int | None = getattr(default, name)
        return _pick(values, choose, _required(fallback))

    return RowCountRules(
        min_count=pick("min_count", max),
        rounding=pick("rounding", max),
        suppression_threshold=pick("suppression_threshold", max),
        max_output_cells=pick("max_output_cells", min),
        no_row_level_output=_pick(
            (x.no_row_level_output for x in levels), any, _required(default.no_row_level_output)
        ),
        dominance_n=pick("dominance_n", max),
        dominance_k=pick("dominance_k", min),
        dominance_p=pick("dominance_p", max),
        min_dof=pick("min_dof", max),
        redact_at_or_below=pick("redact_at_or_below", max),
    )


def _job_limits(levels: list[JobLimits], default: JobLimits) -> JobLimits:
    limits = {
        name: _pick((getattr(x, name) for x in levels), min, getattr(default, name))
        for name in JobLimits.__dataclass_fields__
        if name not in ("raw_access_allowed", *_LIST_LIMITS)
    }
    raw = _pick((x.raw_access_allowed for x in levels), all, _required(default.raw_access_allowed))
    allowed: dict[str, tuple[str, ...]] = {}
    for name in _LIST_LIMITS:
        lists = [set(value) for x in levels if (value := getattr(x, name)) is not None]
        allowed[name] = (
            tuple(sorted(set.intersection(*lists))) if lists else _required(getattr(default, name))
        )
    return JobLimits(
        **limits,
        raw_access_allowed=raw,
        allowed_imports=allowed["allowed_imports"],
        runtime_profiles=allowed["runtime_profiles"],
    )

"""The floor the platform ships with, and how the authority's floor tightens it.

Until this existed, the floor of a fresh install was empty, so a provider could publish a
dataset policy with a minimum cell count of 2: the platform defaults only fill what no level
sets. The shipped floor holds the anchors' defaults as *rules* no dataset or grant may
loosen: ACRO's minimum count of 10, its dominance rule (n=2, k=90%) and p% rule (10%), 10
residual degrees of freedom, no row-level output, and the platform's per-query, per-grant
and lifetime budgets in the dataset's own accounting (epsilon under pure DP, rho under
zCDP), and the verification services' quotas (1,000 records per grant and day, 5
questions about one record per grant and day: Qingdao art. 13). Raw access stays off unless
a level allows it (that is the platform default, and a floor that forbade it could never be
lifted by a grant); so does showing grant holders what remains of the lifetime budget
(``show_lifetime_to_users``), for the same reason. Review mode and accounting are left to
the levels.

The authority's floor is layered on top (:func:`floor_in_force`): it may tighten any rule
and loosen none (:func:`check_authority_floor`).

Everything here is pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TypeVar

from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.layering import (
    PolicyViolation,
    find_loosenings,
    platform_defaults,
)
from sandbox.policies.model import (
    BUDGET_FIELDS,
    JobLimits,
    Policy,
    ReviewMode,
    RowCountRules,
    VerificationLimits,
)

__all__ = ["check_authority_floor", "combine_levels", "floor_in_force", "shipped_floor"]

_T = TypeVar("_T")


def shipped_floor(accounting: Accounting = Accounting.PURE) -> Policy:
    """The floor in force before the authority sets one (see the module docstring)."""
    defaults = platform_defaults(accounting)
    rules = defaults.row_count
    return Policy(
        lifetime_budget=defaults.lifetime_budget,
        grant_budget=defaults.grant_budget,
        per_query_cap=defaults.per_query_cap,
        row_count=RowCountRules(
            min_count=rules.min_count,
            suppression_threshold=rules.suppression_threshold,
            no_row_level_output=True,
            dominance_n=rules.dominance_n,
            dominance_k=rules.dominance_k,
            dominance_p=rules.dominance_p,
            min_dof=rules.min_dof,
        ),
        verification=defaults.verification,
    )


def _accounting_of(levels: Sequence[Policy]) -> Accounting:
    chosen = {level.accounting for level in levels if level.accounting is not None}
    return chosen.pop() if len(chosen) == 1 else Accounting.PURE


def floor_in_force(authority: Policy, *others: Policy) -> Policy:
    """The shipped floor tightened by the authority's, in the accounting of the levels it
    will be combined with (``others``: the dataset policy, a grant).
    """
    accounting = _accounting_of([authority, *others])
    return combine_levels([shipped_floor(accounting), authority])


def check_authority_floor(floor: Policy) -> None:
    """Refuse an authority floor that loosens a rule of the shipped floor.

    Raises:
        PolicyViolation: Listing every loosened rule.
    """
    found = find_loosenings(
        shipped_floor(_accounting_of([floor])), floor, base_name="the platform's shipped floor"
    )
    if found:
        raise PolicyViolation(found, subject="the floor", against="the platform's shipped floor")


def _strictest(values: Sequence[_T | None], choose: Callable[[list[_T]], _T]) -> _T | None:
    present = [v for v in values if v is not None]
    return choose(present) if present else None


def combine_levels(levels: Sequence[Policy]) -> Policy:
    """The strictest of several partial levels, field by field, leaving unset what none sets
    (unlike :func:`~sandbox.policies.layering.effective_policy`, which fills in defaults).
    Accounting and privacy unit are taken from the levels that set them (they must agree
    when combined into an effective policy later).
    """
    budgets: dict[str, PrivacyCost | None] = {}
    open_deltas: set[str] = set()
    for name in BUDGET_FIELDS:
        losses = [cost.loss for level in levels if (cost := getattr(level, name)) is not None]
        if not losses:
            budgets[name] = None
            continue
        deltas = [d for level in levels if (d := level.budget_delta(name)) is not None]
        if not deltas:
            open_deltas.add(name)
        budgets[name] = PrivacyCost(min(losses), min(deltas) if deltas else Fraction(0))
    rules = [level.row_count for level in levels]
    limits = [level.job_limits for level in levels]
    modes = [level.review_mode for level in levels if level.review_mode is not None]
    imports = [set(x.allowed_imports) for x in limits if x.allowed_imports is not None]
    profiles = [set(x.runtime_profiles) for x in limits if x.runtime_profiles is not None]

    def rule(name: str, choose: Callable[[list[int]], int]) -> int | None:
        return _strictest([getattr(x, name) for x in rules], choose)

    return Policy(
        privacy_unit=_strictest([x.privacy_unit for x in levels], lambda v: v[0]),
        contribution_bound=_strictest([x.contribution_bound for x in levels], min),
        accounting=_strictest([x.accounting for x in levels], lambda v: v[0]),
        lifetime_budget=budgets["lifetime_budget"],
        grant_budget=budgets["grant_budget"],
        per_query_cap=budgets["per_query_cap"],
        delta=_strictest([x.delta for x in levels], min),
        row_count=RowCountRules(
            min_count=rule("min_count", max),
            rounding=rule("rounding", max),
            suppression_threshold=rule("suppression_threshold", max),
            max_output_cells=rule("max_output_cells", min),
            no_row_level_output=_strictest([x.no_row_level_output for x in rules], any),
            dominance_n=rule("dominance_n", max),
            dominance_k=rule("dominance_k", min),
            dominance_p=rule("dominance_p", max),
            min_dof=rule("min_dof", max),
            redact_at_or_below=rule("redact_at_or_below", max),
        ),
        job_limits=JobLimits(
            **{
                name: _strictest([getattr(x, name) for x in limits], min)
                for name in JobLimits.__dataclass_fields__
                if name not in ("raw_access_allowed", "allowed_imports", "runtime_profiles")
            },
            raw_access_allowed=_strictest([x.raw_access_allowed for x in limits], all),
            allowed_imports=tuple(sorted(set.intersection(*imports))) if imports else None,
            runtime_profiles=(tuple(sorted(set.intersection(*profiles))) if profiles else None),
        ),
        verification=VerificationLimits(
            **{
                name: _strictest([getattr(x.verification, name) for x in levels], min)
                for name in VerificationLimits.__dataclass_fields__
            }
        ),
        review_mode=(
            ReviewMode.MANUAL if ReviewMode.MANUAL in modes else (modes[0] if modes else None)
        ),
        reviewers=_strictest([x.reviewers for x in levels], max),
        show_lifetime_to_users=_strictest([x.show_lifetime_to_users for x in levels], all),
        unset_budget_deltas=frozenset(open_deltas),
    )

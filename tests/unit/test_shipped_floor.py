"""The floor a fresh install ships with, and the authority's floor layered on it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from sandbox.policies import Accounting, Policy, PolicyLevel, PrivacyCost, parse_policy
from sandbox.policies.layering import PolicyViolation, check_dataset_policy, effective_policy
from sandbox.policies.shipped import (
    check_authority_floor,
    combine_levels,
    floor_in_force,
    shipped_floor,
)

EMPTY = parse_policy({}, PolicyLevel.FLOOR)


def dataset(document: dict[str, object]) -> Policy:
    return parse_policy(document, PolicyLevel.DATASET)


def test_the_shipped_floor_holds_the_anchors_defaults() -> None:
    floor = shipped_floor()
    rules = floor.row_count
    assert (
        rules.min_count,
        rules.dominance_n,
        rules.dominance_k,
        rules.dominance_p,
        rules.min_dof,
        rules.no_row_level_output,
    ) == (10, 2, 90, 10, 10, True)
    assert floor.per_query_cap == PrivacyCost(Fraction(1), Fraction(1, 10**6))
    assert floor.lifetime_budget is not None and floor.lifetime_budget.loss == 20
    assert floor.job_limits.raw_access_allowed is None  # off by default, grantable
    assert floor.review_mode is None and floor.accounting is None
    assert shipped_floor(Accounting.ZCDP).per_query_cap == PrivacyCost(
        Fraction(1, 10), Fraction(1, 10**6)
    )


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ({"row_count": {"min_count": 2}}, "min_count 2 is looser"),
        ({"row_count": {"dominance_k": 99}}, "dominance_k 99 is looser"),
        ({"row_count": {"dominance_p": 5}}, "dominance_p 5 is looser"),
        ({"row_count": {"min_dof": 3}}, "min_dof 3 is looser"),
        ({"row_count": {"no_row_level_output": False}}, "no_row_level_output false is looser"),
        ({"per_query_cap": {"loss": 2}}, "per_query_cap epsilon 2 is looser"),
        ({"lifetime_budget": {"loss": 50}}, "lifetime_budget epsilon 50 is looser"),
        ({"accounting": "zcdp", "per_query_cap": {"loss": "0.5"}}, "per_query_cap rho 0.5"),
    ],
)
def test_a_looser_dataset_policy_is_refused_with_no_floor_set(
    document: dict[str, object], needle: str
) -> None:
    policy = dataset(document)
    with pytest.raises(PolicyViolation) as refused:
        check_dataset_policy(floor_in_force(EMPTY, policy), policy)
    assert needle in refused.value.message


def test_a_stricter_dataset_policy_and_raw_access_are_accepted() -> None:
    policy = dataset(
        {
            "row_count": {"min_count": 25},
            "job_limits": {"raw_access_allowed": True},
            "review": {"mode": "auto_dp"},
        }
    )
    check_dataset_policy(floor_in_force(EMPTY, policy), policy)
    effective = effective_policy(floor_in_force(EMPTY, policy), policy)
    assert effective.row_count.min_count == 25 and effective.job_limits.raw_access_allowed


def test_the_authority_tightens_the_shipped_floor_and_cannot_loosen_it() -> None:
    tighter = parse_policy(
        {"row_count": {"min_count": 20}, "contribution_bound": 3}, PolicyLevel.FLOOR
    )
    check_authority_floor(tighter)
    in_force = floor_in_force(tighter)
    assert in_force.row_count.min_count == 20 and in_force.row_count.dominance_k == 90
    assert in_force.contribution_bound == 3
    with pytest.raises(PolicyViolation, match="min_count 5 is looser than the platform's"):
        check_authority_floor(parse_policy({"row_count": {"min_count": 5}}, PolicyLevel.FLOOR))


def test_combining_partial_levels_keeps_unset_fields_unset() -> None:
    a = parse_policy(
        {"row_count": {"min_count": 12}, "per_query_cap": {"loss": 1}}, PolicyLevel.FLOOR
    )
    b = parse_policy(
        {
            "row_count": {"min_count": 11, "rounding": 5},
            "per_query_cap": {"loss": "0.5", "delta": "1e-7"},
        },
        PolicyLevel.FLOOR,
    )
    combined = combine_levels([a, b])
    assert combined.row_count.min_count == 12 and combined.row_count.rounding == 5
    assert combined.row_count.dominance_k is None and combined.grant_budget is None
    assert combined.per_query_cap == PrivacyCost(Fraction(1, 2), Fraction(1, 10**7))

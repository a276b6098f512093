"""Layering: the effective policy is the strictest of floor, dataset policy and grant."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.documents import parse_policy
from sandbox.policies.layering import (
    PLATFORM_DEFAULTS,
    PolicyViolation,
    check_dataset_policy,
    check_grant_policy,
    effective_policy,
    find_loosenings,
    platform_defaults,
)
from sandbox.policies.model import JobLimits, Policy, ReviewMode, RowCountRules

FLOOR = parse_policy(
    """
    accounting: pure
    contribution_bound: 5
    lifetime_budget: {loss: 10, delta: 1e-5}
    grant_budget: {loss: 4}
    per_query_cap: {loss: 1}
    delta: 1e-6
    row_count: {min_count: 10, rounding: 5, suppression_threshold: 20, max_output_cells: 10000,
                no_row_level_output: true, dominance_n: 2, dominance_k: 90, dominance_p: 10,
                min_dof: 10, redact_at_or_below: 3}
    job_limits: {wall_seconds: 600, memory_mb: 2048, raw_access_allowed: false}
    review: {mode: manual, reviewers: 2}
    """,
    "floor",
)


def test_platform_defaults_are_complete_and_documented_values() -> None:
    assert PLATFORM_DEFAULTS.is_complete()
    assert PLATFORM_DEFAULTS.accounting is Accounting.PURE
    assert PLATFORM_DEFAULTS.contribution_bound == 1
    assert PLATFORM_DEFAULTS.row_count.min_count == 10
    assert PLATFORM_DEFAULTS.row_count.suppression_threshold == 10
    assert PLATFORM_DEFAULTS.row_count.rounding == 1
    assert PLATFORM_DEFAULTS.row_count.dominance_n == 2
    assert PLATFORM_DEFAULTS.row_count.dominance_k == 90
    assert PLATFORM_DEFAULTS.row_count.dominance_p == 10
    assert PLATFORM_DEFAULTS.row_count.min_dof == 10
    assert PLATFORM_DEFAULTS.row_count.redact_at_or_below == 0
    assert PLATFORM_DEFAULTS.review_mode is ReviewMode.MANUAL
    assert PLATFORM_DEFAULTS.reviewers == 1
    assert PLATFORM_DEFAULTS.delta == Fraction(1, 10**6)
    assert PLATFORM_DEFAULTS.per_query_cap == PrivacyCost(Fraction(1), Fraction(1, 10**6))
    assert PLATFORM_DEFAULTS.grant_budget is not None
    assert PLATFORM_DEFAULTS.grant_budget.loss == 5
    assert PLATFORM_DEFAULTS.lifetime_budget is not None
    assert PLATFORM_DEFAULTS.lifetime_budget.loss == 20
    assert PLATFORM_DEFAULTS.job_limits.raw_access_allowed is False
    assert platform_defaults(Accounting.ZCDP).is_complete()


def test_no_levels_give_the_defaults() -> None:
    assert effective_policy(Policy(), Policy(), Policy()) == PLATFORM_DEFAULTS
    assert effective_policy(Policy(), Policy()) == PLATFORM_DEFAULTS


def test_zcdp_levels_take_the_zcdp_defaults() -> None:
    result = effective_policy(Policy(accounting=Accounting.ZCDP), Policy())
    assert result == platform_defaults(Accounting.ZCDP)
    assert result.accounting is Accounting.ZCDP


def test_defaults_fill_only_what_no_level_sets() -> None:
    # A floor may be looser than the defaults: the defaults are a fallback, not a level.
    result = effective_policy(
        parse_policy("grant_budget: 50\nlifetime_budget: 100", "floor"), Policy()
    )
    assert result.grant_budget == PrivacyCost(Fraction(50), Fraction(1, 10**5))
    assert result.lifetime_budget == PrivacyCost(Fraction(100), Fraction(1, 10**4))


def test_strictest_field_by_field() -> None:
    dataset = parse_policy(
        """
        privacy_unit: person
        contribution_bound: 3
        lifetime_budget: {loss: 8}
        grant_budget: {loss: 5, delta: 1e-7}
        row_count: {min_count: 15, rounding: 2, suppression_threshold: 5,
                    max_output_cells: 500, no_row_level_output: false, dominance_n: 3,
                    dominance_k: 95, dominance_p: 15, min_dof: 5, redact_at_or_below: 2}
        job_limits: {wall_seconds: 900, cpu_seconds: 100, raw_access_allowed: true}
        review: {mode: auto_dp, reviewers: 1}
        """,
        "dataset",
    )
    grant = parse_policy("per_query_cap: {loss: 0.5}\ndelta: 1e-8\nreview: {reviewers: 3}", "grant")
    result = effective_policy(FLOOR, dataset, grant)
    assert result.is_complete()
    assert result.privacy_unit == "person"
    assert result.contribution_bound == 3
    assert result.lifetime_budget == PrivacyCost(Fraction(8), Fraction(1, 10**5))
    assert result.grant_budget == PrivacyCost(Fraction(4), Fraction(1, 10**7))
    assert result.per_query_cap == PrivacyCost(Fraction(1, 2), Fraction(1, 10**8))
    assert result.delta == Fraction(1, 10**8)
    assert result.row_count == RowCountRules(
        min_count=15,
        rounding=5,
        suppression_threshold=20,
        max_output_cells=500,
        no_row_level_output=True,
        dominance_n=3,
        dominance_k=90,
        dominance_p=15,
        min_dof=10,
        redact_at_or_below=3,
    )
    assert result.job_limits == JobLimits(
        wall_seconds=600,
        cpu_seconds=100,
        memory_mb=2048,
        processes=64,
        result_bytes=10 * 1024 * 1024,
        log_bytes=1024 * 1024,
        active_jobs_per_user=200,
        active_jobs_per_grant=100,
        raw_access_allowed=False,
        allowed_imports=("math",),
        runtime_profiles=("restricted",),
    )
    assert result.review_mode is ReviewMode.MANUAL
    assert result.reviewers == 3


def test_effective_budgets_are_coherent() -> None:
    dataset = parse_policy(
        "lifetime_budget: {loss: 2, delta: 1e-9}\ngrant_budget: 5\nper_query_cap: 3", "dataset"
    )
    result = effective_policy(Policy(), dataset)
    assert result.lifetime_budget == PrivacyCost(Fraction(2), Fraction(1, 10**9))
    assert result.grant_budget == result.lifetime_budget
    assert result.per_query_cap == result.grant_budget
    assert result.delta == Fraction(1, 10**9)


def test_unset_budget_delta_does_not_constrain_but_zero_does() -> None:
    open_delta = effective_policy(FLOOR, parse_policy("grant_budget: {loss: 1}", "grant"))
    assert open_delta.grant_budget == PrivacyCost(Fraction(1), Fraction(1, 10**5))
    zero_delta = effective_policy(FLOOR, parse_policy("grant_budget: {loss: 1, delta: 0}", "grant"))
    assert zero_delta.grant_budget == PrivacyCost(Fraction(1), Fraction(0))
    assert zero_delta.per_query_cap is not None and zero_delta.per_query_cap.delta == 0
    assert zero_delta.delta == 0


@pytest.mark.parametrize(
    ("levels", "raw"),
    [
        ((None, None, None), False),
        ((True, None, None), True),
        ((True, True, True), True),
        ((True, False, True), False),
        ((None, True, False), False),
    ],
)
def test_raw_access_only_if_some_level_allows_and_none_forbids(
    levels: tuple[bool | None, ...], raw: bool
) -> None:
    policies = [Policy(job_limits=JobLimits(raw_access_allowed=v)) for v in levels]
    assert effective_policy(*policies).job_limits.raw_access_allowed is raw


def test_review_manual_if_any_level_says_so() -> None:
    auto = Policy(review_mode=ReviewMode.AUTO_DP)
    manual = Policy(review_mode=ReviewMode.MANUAL)
    assert effective_policy(auto, auto, auto).review_mode is ReviewMode.AUTO_DP
    assert effective_policy(auto, Policy(), manual).review_mode is ReviewMode.MANUAL


def test_levels_must_agree_on_accounting_and_privacy_unit() -> None:
    with pytest.raises(PolicyViolation, match="accounting is set to pure and zcdp"):
        effective_policy(
            Policy(accounting=Accounting.PURE), Policy(), Policy(accounting=Accounting.ZCDP)
        )
    with pytest.raises(PolicyViolation, match="privacy_unit is set to a and b"):
        effective_policy(Policy(), Policy(privacy_unit="a"), Policy(privacy_unit="b"))


def test_dataset_policy_as_strict_as_the_floor_passes() -> None:
    check_dataset_policy(FLOOR, FLOOR)
    check_dataset_policy(FLOOR, Policy())
    check_dataset_policy(
        FLOOR, parse_policy("per_query_cap: 0.5\nreview: {reviewers: 3}", "dataset")
    )


def test_every_loosened_rule_is_listed() -> None:
    dataset = parse_policy(
        """
        accounting: zcdp
        contribution_bound: 6
        lifetime_budget: {loss: 11, delta: 1e-4}
        grant_budget: 4
        per_query_cap: 2
        delta: 2e-6
        row_count: {min_count: 9, rounding: 1, suppression_threshold: 19,
                    max_output_cells: 10001, no_row_level_output: false, dominance_n: 1,
                    dominance_k: 91, dominance_p: 9, min_dof: 9, redact_at_or_below: 2}
        job_limits: {wall_seconds: 601, memory_mb: 4096, raw_access_allowed: true}
        review: {mode: auto_dp, reviewers: 1}
        """,
        "dataset",
    )
    with pytest.raises(PolicyViolation) as info:
        check_dataset_policy(FLOOR, dataset)
    error = info.value
    assert isinstance(error, InvalidRequest)
    assert error.code == "policy_violation"
    assert error.violations == (
        "accounting zcdp differs from the floor's pure",
        "contribution_bound 6 is looser than the floor's 5",
        "lifetime_budget rho 11 is looser than the floor's 10",
        "lifetime_budget delta 0.0001 is looser than the floor's 0.00001",
        "per_query_cap rho 2 is looser than the floor's 1",
        "delta 0.000002 is looser than the floor's 0.000001",
        "row_count.min_count 9 is looser than the floor's 10",
        "row_count.suppression_threshold 19 is looser than the floor's 20",
        "row_count.rounding 1 is looser than the floor's 5",
        "row_count.max_output_cells 10001 is looser than the floor's 10000",
        "row_count.dominance_n 1 is looser than the floor's 2",
        "row_count.dominance_k 91 is looser than the floor's 90",
        "row_count.dominance_p 9 is looser than the floor's 10",
        "row_count.min_dof 9 is looser than the floor's 10",
        "row_count.redact_at_or_below 2 is looser than the floor's 3",
        "row_count.no_row_level_output false is looser than the floor's true",
        "job_limits.wall_seconds 601 is looser than the floor's 600",
        "job_limits.memory_mb 4096 is looser than the floor's 2048",
        "job_limits.raw_access_allowed true is looser than the floor's false",
        "review.mode auto_dp is looser than the floor's manual",
        "review.reviewers 1 is looser than the floor's 2",
    )
    assert error.message.startswith("the dataset policy is looser than the floor: accounting")


@pytest.mark.parametrize(
    ("field", "value"), [("dominance_p", 9), ("min_dof", 9), ("redact_at_or_below", 2)]
)
def test_smaller_disclosure_rule_values_are_looser(field: str, value: int) -> None:
    dataset = parse_policy({"row_count": {field: value}}, "dataset")
    with pytest.raises(PolicyViolation) as info:
        check_dataset_policy(FLOOR, dataset)
    floor_value = getattr(FLOOR.row_count, field)
    assert info.value.violations == (
        f"row_count.{field} {value} is looser than the floor's {floor_value}",
    )
    check_dataset_policy(FLOOR, parse_policy({"row_count": {field: floor_value + 1}}, "dataset"))


def test_disclosure_rules_take_the_largest_value() -> None:
    levels = [
        parse_policy(
            {"row_count": {"dominance_p": p, "min_dof": d, "redact_at_or_below": r}}, level
        )
        for (p, d, r), level in (
            ((5, 20, 0), "floor"),
            ((30, 10, 7), "dataset"),
            ((10, 12, 2), "grant"),
        )
    ]
    rules = effective_policy(*levels).row_count
    assert (rules.dominance_p, rules.min_dof, rules.redact_at_or_below) == (30, 20, 7)


def test_per_query_cap_message_uses_epsilon_under_pure() -> None:
    with pytest.raises(PolicyViolation) as info:
        check_dataset_policy(FLOOR, parse_policy("per_query_cap: 2", "dataset"))
    assert info.value.violations == ("per_query_cap epsilon 2 is looser than the floor's 1",)


def test_grant_checked_against_floor_and_dataset() -> None:
    dataset = parse_policy("grant_budget: 2", "dataset")
    check_grant_policy(FLOOR, dataset, parse_policy("grant_budget: 1", "grant"))
    with pytest.raises(PolicyViolation) as info:
        check_grant_policy(FLOOR, dataset, parse_policy("grant_budget: 3", "grant"))
    assert info.value.violations == (
        "grant_budget epsilon 3 is looser than the dataset policy's 2",
    )


def _random_level(rng: random.Random) -> Policy:
    def maybe(value: object) -> object:
        return value if rng.random() < 0.6 else None

    def budget() -> PrivacyCost | None:
        if rng.random() < 0.4:
            return None
        return PrivacyCost(Fraction(rng.randint(1, 40), 4), Fraction(rng.randint(0, 9), 10**6))

    return Policy(
        contribution_bound=maybe(rng.randint(1, 9)),  # type: ignore[arg-type]
        lifetime_budget=budget(),
        grant_budget=budget(),
        per_query_cap=budget(),
        delta=maybe(Fraction(rng.randint(0, 9), 10**7)),  # type: ignore[arg-type]
        row_count=RowCountRules(
            **{  # type: ignore[arg-type]
                "min_count": maybe(rng.randint(1, 30)),
                "rounding": maybe(rng.randint(1, 10)),
                "suppression_threshold": maybe(rng.randint(0, 30)),
                "max_output_cells": maybe(rng.randint(1, 10**5)),
                "no_row_level_output": maybe(rng.random() < 0.5),
                "dominance_n": maybe(rng.randint(1, 5)),
                "dominance_k": maybe(rng.randint(1, 100)),
                "dominance_p": maybe(rng.randint(0, 100)),
                "min_dof": maybe(rng.randint(0, 30)),
                "redact_at_or_below": maybe(rng.randint(0, 10)),
            }
        ),
        job_limits=JobLimits(
            **{  # type: ignore[arg-type]
                "wall_seconds": maybe(rng.randint(1, 9999)),
                "memory_mb": maybe(rng.randint(1, 9)),
                "raw_access_allowed": maybe(rng.random() < 0.5),
            }
        ),
        review_mode=maybe(rng.choice(list(ReviewMode))),  # type: ignore[arg-type]
        reviewers=maybe(rng.randint(1, 4)),  # type: ignore[arg-type]
    )


def test_effective_policy_never_loosens_any_level() -> None:
    rng = random.Random(20261126)
    for _ in range(300):
        levels = [_random_level(rng) for _ in range(3)]
        result = effective_policy(*levels)
        assert result.is_complete()
        for level in levels:
            assert find_loosenings(level, result) == []
        # Layering is idempotent: the effective policy is its own strictest combination.
        assert effective_policy(result, result, result) == result


def test_allowed_imports_are_what_every_level_allows() -> None:
    floor = parse_policy("job_limits: {allowed_imports: [math, json]}", "floor")
    dataset = parse_policy("job_limits: {allowed_imports: [json]}", "dataset")
    assert effective_policy(floor, dataset, None).job_limits.allowed_imports == ("json",)
    empty = parse_policy("{}", "dataset")
    assert effective_policy(floor, empty, None).job_limits.allowed_imports == ("json", "math")
    none_set = effective_policy(parse_policy("{}", "floor"), empty, None)
    assert none_set.job_limits.allowed_imports == ("math",)


def test_a_dataset_allowing_more_imports_than_the_floor_is_refused() -> None:
    floor = parse_policy("job_limits: {allowed_imports: [math]}", "floor")
    dataset = parse_policy("job_limits: {allowed_imports: [math, json]}", "dataset")
    with pytest.raises(InvalidRequest, match="allowed_imports json"):
        check_dataset_policy(floor, dataset)


@pytest.mark.parametrize("value", ["math", [1], ["os.path"], ["Math"]])
def test_allowed_imports_must_be_module_names(value: object) -> None:
    with pytest.raises(InvalidRequest, match="allowed_imports"):
        parse_policy({"job_limits": {"allowed_imports": value}}, "floor")


def test_runtime_profiles_are_what_every_level_allows() -> None:
    dataset = parse_policy("job_limits: {runtime_profiles: [restricted, scientific]}", "dataset")
    grant = parse_policy("job_limits: {runtime_profiles: [scientific]}", "grant")
    assert effective_policy(Policy(), dataset, None).job_limits.runtime_profiles == (
        "restricted",
        "scientific",
    )
    assert effective_policy(Policy(), dataset, grant).job_limits.runtime_profiles == ("scientific",)
    assert effective_policy(Policy(), Policy(), None).job_limits.runtime_profiles == ("restricted",)


def test_a_level_may_not_allow_a_profile_a_lower_one_does_not() -> None:
    floor = parse_policy("job_limits: {runtime_profiles: [restricted]}", "floor")
    dataset = parse_policy("job_limits: {runtime_profiles: [restricted, scientific]}", "dataset")
    with pytest.raises(InvalidRequest, match="runtime_profiles scientific"):
        check_dataset_policy(floor, dataset)


def test_an_unknown_runtime_profile_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="runtime_profiles must be a list of runtime"):
        parse_policy("job_limits: {runtime_profiles: [anything]}", "dataset")
    with pytest.raises(InvalidRequest, match="runtime_profiles must be a list of runtime"):
        parse_policy("job_limits: {runtime_profiles: scientific}", "dataset")

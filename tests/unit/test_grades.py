"""Security grades and the policy level each selects (Wuxi art. 11-12; Lianyungang art. 8;
Xi'an art. 9): higher grades are stricter, the levels are budgets in the dataset's own
accounting, a dataset policy may tighten a grade's level but not loosen it, and a dataset
without an approved grade is held to the strictest (fail closed)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from sandbox.catalog.grades import (
    STRICTEST,
    Grade,
    grade_in_force,
    parse_grade,
    shipped_grade_level,
)
from sandbox.errors import InvalidRequest
from sandbox.policies import (
    Accounting,
    Policy,
    PolicyLevel,
    PolicyViolation,
    check_dataset_policy,
    effective_policy,
    find_loosenings,
    parse_policy,
    platform_defaults,
)
from sandbox.policies.shipped import combine_levels, shipped_floor
from sandbox.store.models import DatasetRow


def _floor(grade: Grade, accounting: Accounting = Accounting.PURE) -> Policy:
    return combine_levels([shipped_floor(accounting), shipped_grade_level(grade, accounting)])


def test_each_higher_grade_is_at_least_as_strict_as_the_one_below() -> None:
    grades = list(Grade)
    for lower, higher in zip(grades, grades[1:], strict=False):
        below, above = _floor(lower), _floor(higher)
        assert find_loosenings(below, above) == [], (lower, higher)
        assert find_loosenings(above, below), (lower, higher)
    assert [g.rank for g in grades] == [0, 1, 2] and STRICTEST is Grade.CORE
    assert [g.label for g in grades] == ["一般", "重要", "核心"]


def test_the_levels_hold_larger_counts_smaller_budgets_and_no_raw_access() -> None:
    general, important, core = (shipped_grade_level(g) for g in Grade)
    assert general == type(general)()  # the shipped floor alone
    defaults = platform_defaults()
    assert important.row_count.min_count == 20 and core.row_count.min_count == 50
    assert important.job_limits.raw_access_allowed is False
    assert core.reviewers == 2
    assert defaults.grant_budget is not None and core.grant_budget is not None
    assert core.grant_budget.loss == defaults.grant_budget.loss / 4
    assert important.per_query_cap is not None and defaults.per_query_cap is not None
    assert important.per_query_cap.loss == defaults.per_query_cap.loss / 2


def test_budgets_follow_the_accounting_of_the_dataset() -> None:
    zcdp = shipped_grade_level(Grade.CORE, Accounting.ZCDP)
    assert zcdp.lifetime_budget is not None
    assert zcdp.lifetime_budget.loss == Fraction(2) / 4  # rho 2 under zCDP, a quarter
    pure = shipped_grade_level(Grade.CORE, Accounting.PURE)
    assert pure.lifetime_budget is not None and pure.lifetime_budget.loss == Fraction(5)


def test_a_dataset_policy_may_tighten_its_grade_but_never_loosen_it() -> None:
    floor = _floor(Grade.IMPORTANT)
    tighter = parse_policy({"row_count": {"min_count": 40}}, PolicyLevel.DATASET)
    check_dataset_policy(floor, tighter)
    for document, rule in (
        ({"row_count": {"min_count": 15}}, "row_count.min_count"),
        ({"job_limits": {"raw_access_allowed": True}}, "job_limits.raw_access_allowed"),
        ({"grant_budget": 4}, "grant_budget"),
    ):
        with pytest.raises(PolicyViolation) as refused:
            check_dataset_policy(floor, parse_policy(document, PolicyLevel.DATASET))
        assert rule in str(refused.value)
    # the general grade allows what the shipped floor allows
    check_dataset_policy(
        _floor(Grade.GENERAL),
        parse_policy({"job_limits": {"raw_access_allowed": True}}, PolicyLevel.DATASET),
    )


def test_the_effective_policy_of_a_core_dataset_is_its_level() -> None:
    effective = effective_policy(_floor(Grade.CORE), parse_policy({}, PolicyLevel.DATASET))
    assert effective.row_count.min_count == 50 and effective.row_count.suppression_threshold == 50
    assert effective.reviewers == 2 and effective.job_limits.raw_access_allowed is False
    assert effective.grant_budget is not None and effective.grant_budget.loss == Fraction(5, 4)


def _row(grade: str | None, proposed: str | None) -> DatasetRow:
    return DatasetRow(name="d", grade=grade, proposed_grade=proposed)


@pytest.mark.parametrize(
    ("approved", "proposed", "in_force"),
    [
        (None, None, Grade.CORE),  # nothing approved yet: the strictest
        (None, "general", Grade.CORE),  # a proposal alone approves nothing
        ("general", None, Grade.GENERAL),
        ("general", "important", Grade.IMPORTANT),  # a stricter proposal holds at once
        ("core", "general", Grade.CORE),  # a looser one waits for the authority
    ],
)
def test_the_grade_in_force_fails_closed(
    approved: str | None, proposed: str | None, in_force: Grade
) -> None:
    assert grade_in_force(_row(approved, proposed)) is in_force


def test_an_unknown_grade_is_refused_naming_the_grades() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_grade("secret")
    assert "general, important, core" in str(refused.value)

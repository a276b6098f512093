"""Policy documents: YAML and JSON to Policy, clear errors by field path, round trips."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import yaml

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.documents import (
    MAX_DOCUMENT_BYTES,
    number_text,
    parse_policy,
    to_dict,
    to_yaml,
)
from sandbox.policies.model import JobLimits, Policy, PolicyLevel, ReviewMode, RowCountRules

EXAMPLE = """
accounting: pure
privacy_unit: person_id
contribution_bound: 5
lifetime_budget: {loss: 10, delta: 1e-6}
grant_budget: {loss: 2}
per_query_cap: {loss: 1}
delta: 1e-7
row_count: {min_count: 10, rounding: 5, suppression_threshold: 20, max_output_cells: 10000,
            no_row_level_output: true, dominance_n: 2, dominance_k: 90, dominance_p: 10,
            min_dof: 10, redact_at_or_below: 7}
job_limits: {wall_seconds: 600, cpu_seconds: 600, memory_mb: 2048, processes: 64,
             result_bytes: 10485760, log_bytes: 1048576, raw_access_allowed: false}
review: {mode: manual, reviewers: 1}
"""

EXPECTED = Policy(
    privacy_unit="person_id",
    contribution_bound=5,
    accounting=Accounting.PURE,
    lifetime_budget=PrivacyCost(Fraction(10), Fraction(1, 10**6)),
    grant_budget=PrivacyCost(Fraction(2)),
    per_query_cap=PrivacyCost(Fraction(1)),
    delta=Fraction(1, 10**7),
    row_count=RowCountRules(
        min_count=10,
        rounding=5,
        suppression_threshold=20,
        max_output_cells=10000,
        no_row_level_output=True,
        dominance_n=2,
        dominance_k=90,
        dominance_p=10,
        min_dof=10,
        redact_at_or_below=7,
    ),
    job_limits=JobLimits(
        wall_seconds=600,
        cpu_seconds=600,
        memory_mb=2048,
        processes=64,
        result_bytes=10485760,
        log_bytes=1048576,
        raw_access_allowed=False,
    ),
    review_mode=ReviewMode.MANUAL,
    reviewers=1,
    unset_budget_deltas=frozenset({"grant_budget", "per_query_cap"}),
)


def doc(**fields: Any) -> dict[str, Any]:
    return dict(fields)


def refused(source: Any, level: str = "dataset") -> str:
    with pytest.raises(InvalidRequest) as info:
        parse_policy(source, level)
    return info.value.message


# --- Parsing ------------------------------------------------------------------------------------


def test_yaml_example_parses_exactly() -> None:
    assert parse_policy(EXAMPLE, PolicyLevel.DATASET) == EXPECTED


def test_json_text_and_mapping_give_the_same_policy() -> None:
    data = yaml.safe_load(EXAMPLE)
    data["lifetime_budget"]["delta"] = "1e-6"
    data["delta"] = "1e-7"
    text = json.dumps(data)
    assert parse_policy(text, "dataset") == EXPECTED
    assert parse_policy(text.encode(), "dataset") == EXPECTED
    assert parse_policy(data, "dataset") == EXPECTED


def test_decimals_in_text_are_exact_decimals() -> None:
    assert parse_policy("grant_budget: 0.1", "grant").grant_budget == PrivacyCost(Fraction(1, 10))
    assert parse_policy('{"grant_budget": 0.1}', "grant").grant_budget == PrivacyCost(
        Fraction(1, 10)
    )
    assert parse_policy("delta: 1.5e-6", "grant").delta == Fraction(15, 10**7)
    # A Python float in a mapping (a JSON body already parsed) is the decimal it was
    # written as, not its binary value.
    assert parse_policy({"grant_budget": 0.1}, "grant").grant_budget == PrivacyCost(Fraction(1, 10))


def test_bare_number_budget_leaves_delta_unset() -> None:
    policy = parse_policy("grant_budget: 2\nper_query_cap: {loss: 1, delta: 0}", "grant")
    assert policy.grant_budget == PrivacyCost(Fraction(2))
    assert policy.unset_budget_deltas == frozenset({"grant_budget"})
    assert policy.budget_delta("grant_budget") is None
    assert policy.budget_delta("per_query_cap") == 0


def test_empty_document_and_nulls_leave_everything_unset() -> None:
    assert parse_policy("", "floor") == Policy()
    assert parse_policy("{}", "floor") == Policy()
    assert (
        parse_policy("delta: null\nrow_count: {min_count: null}\nreview: null", "floor") == Policy()
    )


def test_zcdp_accounting_and_auto_review() -> None:
    policy = parse_policy("accounting: ZCDP\nreview: {mode: auto_dp, reviewers: 2}", "floor")
    assert policy.accounting is Accounting.ZCDP
    assert policy.review_mode is ReviewMode.AUTO_DP
    assert policy.reviewers == 2


# --- Errors name the field path -----------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, "10", 10.5, True, [10]])
def test_bad_min_count(value: object) -> None:
    assert refused(doc(row_count={"min_count": value})) == (
        "row_count.min_count must be a non-negative integer"
    )


def test_min_count_zero_means_no_minimum_of_its_own() -> None:
    assert parse_policy("row_count: {min_count: 0}", "grant").row_count.min_count == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (doc(contribution_bound=0), "contribution_bound must be a positive integer"),
        (doc(contribution_bound=2.0), "contribution_bound must be a positive integer"),
        (doc(row_count={"rounding": 0}), "row_count.rounding must be a positive integer"),
        (
            doc(row_count={"suppression_threshold": -1}),
            "row_count.suppression_threshold must be a non-negative integer",
        ),
        (
            doc(row_count={"max_output_cells": 0}),
            "row_count.max_output_cells must be a positive integer",
        ),
        (
            doc(row_count={"no_row_level_output": "yes"}),
            "row_count.no_row_level_output must be true or false",
        ),
        (
            doc(row_count={"dominance_k": 101}),
            "row_count.dominance_k must be an integer from 1 to 100",
        ),
        (
            doc(row_count={"dominance_p": 101}),
            "row_count.dominance_p must be an integer from 0 to 100",
        ),
        (
            doc(row_count={"dominance_p": -1}),
            "row_count.dominance_p must be an integer from 0 to 100",
        ),
        (doc(row_count={"min_dof": -1}), "row_count.min_dof must be a non-negative integer"),
        (
            doc(row_count={"redact_at_or_below": 1.5}),
            "row_count.redact_at_or_below must be a non-negative integer",
        ),
        (doc(job_limits={"memory_mb": -5}), "job_limits.memory_mb must be a positive integer"),
        (
            doc(job_limits={"raw_access_allowed": 1}),
            "job_limits.raw_access_allowed must be true or false",
        ),
        (doc(review={"reviewers": 0}), "review.reviewers must be a positive integer"),
        (
            doc(review={"mode": "sometimes"}),
            "review.mode 'sometimes' is not one of: manual, auto_dp",
        ),
        (doc(review={"mode": 1}), "review.mode must be one of: manual, auto_dp"),
        (doc(accounting="renyi"), "accounting 'renyi' is not one of: pure, zcdp"),
        (doc(accounting=True), "accounting must be one of: pure, zcdp"),
        (doc(privacy_unit=""), "privacy_unit must be a column name of 1 to 100 characters"),
        (doc(privacy_unit=7), "privacy_unit must be a column name of 1 to 100 characters"),
        (
            doc(grant_budget={"delta": "1e-6"}),
            "grant_budget.loss is required (epsilon, or rho under zcdp)",
        ),
        (doc(grant_budget={"loss": 0}), "grant_budget.loss must be positive"),
        (doc(grant_budget=0), "grant_budget must be positive"),
        (doc(grant_budget={"loss": -1}), "grant_budget.loss must be positive"),
        (doc(grant_budget={"loss": float("nan")}), "grant_budget.loss must be finite"),
        (doc(grant_budget={"loss": float("inf")}), "grant_budget.loss must be finite"),
        (doc(grant_budget={"loss": True}), "grant_budget.loss must be a number, not a bool"),
        (doc(grant_budget={"loss": object()}), "grant_budget.loss must be a number, not a object"),
        (doc(grant_budget={"loss": "lots"}), "grant_budget.loss must be a finite decimal number"),
        (doc(grant_budget={"loss": 1, "delta": 1}), "grant_budget.delta must be below 1"),
        (
            doc(per_query_cap={"loss": 1, "delta": -1e-6}),
            "per_query_cap.delta must be non-negative",
        ),
        (doc(delta=1.5), "delta must be below 1"),
        (doc(delta="tiny"), "delta must be a finite decimal number"),
        (doc(row_count=[1, 2]), "row_count must be a mapping of fields"),
        (doc(review="manual"), "review must be a mapping of fields"),
    ],
)
def test_errors_name_the_field(document: dict[str, Any], message: str) -> None:
    assert refused(document) == message


def test_float_subclass_budget_is_refused() -> None:
    class Shifty(float):
        pass

    assert refused(doc(grant_budget=Shifty(1.0))) == "grant_budget must be a number, not a Shifty"


def test_unknown_fields_are_refused_with_their_path() -> None:
    assert refused("epsilon: 1").startswith("unknown field 'epsilon'; a policy holds: ")
    message = refused("row_count: {min_cuont: 10}")
    assert message.startswith("unknown field 'row_count.min_cuont' (did you mean 'min_count'?)")
    assert "row_count holds: min_count, rounding" in message
    assert refused("grant_budget: {loss: 1, epsilon: 1}").startswith(
        "unknown field 'grant_budget.epsilon'"
    )
    assert refused("job_limits: {gpu: 1}").startswith("unknown field 'job_limits.gpu'")
    assert refused("review: {mode: manual, quorum: 2}").startswith("unknown field 'review.quorum'")
    assert refused({1: 2}) == "field names must be strings, not 1"


def test_fields_that_belong_to_other_levels() -> None:
    assert refused("privacy_unit: pid", "floor") == (
        "privacy_unit cannot be set in a floor policy (only in: dataset)"
    )
    assert refused("privacy_unit: pid", "grant").startswith("privacy_unit cannot be set")
    assert refused("lifetime_budget: 5", "grant") == (
        "lifetime_budget cannot be set in a grant policy (only in: floor, dataset)"
    )
    assert parse_policy("lifetime_budget: 5", "floor").lifetime_budget == PrivacyCost.of(5)
    assert refused("{}", "provider") == (
        "policy level 'provider' is not one of: floor, dataset, grant"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 1\n- 2", "the policy document must be a mapping of fields"),
        ("just text", "the policy document must be a mapping of fields"),
        ("delta: 1e-6\ndelta: 1e-7", "field 'delta' appears twice in the policy document"),
        ('{"delta": 0.1, "delta": 0.2}', "field 'delta' appears twice in the policy document"),
        ("a: &x {min_count: 1}\nrow_count: *x", "policy documents may not use YAML aliases"),
        ('{"delta": NaN}', "policy documents may not hold NaN"),
        ('{"delta": Infinity}', "policy documents may not hold Infinity"),
        ("grant_budget: .nan", "grant_budget must be finite"),
        ("grant_budget: .inf", "grant_budget must be finite"),
        ("grant_budget: -.inf", "grant_budget must be finite"),
        ("grant_budget: 1:30.5", "grant_budget must be a finite decimal number"),
        ("grant_budget: 2020-01-01", "grant_budget must be a number, not a date"),
        ("row_count: {min_count: 1e1}", "row_count.min_count must be a non-negative integer"),
    ],
)
def test_bad_text(text: str, message: str) -> None:
    assert refused(text) == message


def test_syntax_errors_name_the_place() -> None:
    assert refused("row_count: {min_count: 10").startswith("the policy document is not valid YAML")
    message = refused('{"delta": }')
    assert message.startswith("the policy document is not valid JSON: Expecting value at line 1")


def test_size_and_encoding_limits() -> None:
    big = "# " + "x" * MAX_DOCUMENT_BYTES
    assert refused(big).startswith("a policy document may hold at most")
    assert refused(big.encode()).startswith("a policy document may hold at most")
    assert refused(b"\xff\xfe delta: 1") == "a policy document must be UTF-8 text"


# --- Writing and round trips --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(3), 3),
        (Fraction(1, 10), "0.1"),
        (Fraction(1, 10**7), "0.0000001"),
        (Fraction(5, 2), "2.5"),
        (Fraction(1, 3), "1/3"),
        (Fraction(0.1), "0.1000000000000000055511151231257827021181583404541015625"),
    ],
)
def test_number_text_is_exact(value: Fraction, text: int | str) -> None:
    assert number_text(value) == text
    assert Fraction(Decimal(text)) == value if "/" not in str(text) else Fraction(text) == value


def test_to_dict_writes_only_what_is_set() -> None:
    assert to_dict(Policy()) == {}
    assert to_dict(parse_policy("grant_budget: 2\nrow_count: {rounding: 5}", "grant")) == {
        "grant_budget": {"loss": 2},
        "row_count": {"rounding": 5},
    }


@pytest.mark.parametrize(
    "policy",
    [
        EXPECTED,
        Policy(),
        Policy(
            grant_budget=PrivacyCost(Fraction(1, 3), Fraction(1, 7 * 10**6)),
            delta=Fraction(0.1),
            accounting=Accounting.ZCDP,
        ),
        Policy(per_query_cap=PrivacyCost(Fraction(0.1)), review_mode=ReviewMode.AUTO_DP),
    ],
    ids=["example", "empty", "fractions", "binary-float"],
)
def test_round_trip(policy: Policy) -> None:
    level = "dataset"
    assert parse_policy(to_dict(policy), level) == policy
    assert parse_policy(to_yaml(policy), level) == policy
    assert parse_policy(json.dumps(to_dict(policy)), level) == policy

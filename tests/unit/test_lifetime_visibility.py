"""``show_lifetime_to_users``: whether a grant's holder reads what remains of the dataset's
lifetime budget. Off by default; on only if some level allows it and none forbids it; a
level that allows it under one that forbids it is looser and refused.
"""

from __future__ import annotations

import pytest

from sandbox.errors import InvalidRequest
from sandbox.policies import Policy, PolicyViolation, parse_policy, to_dict
from sandbox.policies.layering import (
    PLATFORM_DEFAULTS,
    check_dataset_policy,
    check_grant_policy,
    effective_policy,
    find_loosenings,
)
from sandbox.policies.shipped import check_authority_floor, floor_in_force, shipped_floor


def _level(show: bool | None) -> Policy:
    return Policy(show_lifetime_to_users=show)


def test_hidden_by_default_and_not_fixed_by_the_shipped_floor() -> None:
    assert PLATFORM_DEFAULTS.show_lifetime_to_users is False
    assert effective_policy(Policy(), Policy()).show_lifetime_to_users is False
    # A floor that forbade it could never be lifted by a dataset: the shipped one leaves it.
    assert shipped_floor().show_lifetime_to_users is None
    assert floor_in_force(Policy()).show_lifetime_to_users is None


@pytest.mark.parametrize(
    ("levels", "shown"),
    [
        ((None, None, None), False),
        ((None, True, None), True),
        ((True, True, True), True),
        ((None, True, False), False),
        ((False, True, None), False),
        ((True, None, False), False),
    ],
)
def test_shown_only_if_a_level_allows_and_none_forbids(
    levels: tuple[bool | None, ...], shown: bool
) -> None:
    result = effective_policy(*(_level(v) for v in levels))
    assert result.show_lifetime_to_users is shown
    assert result.is_complete()


def test_allowing_it_under_a_level_that_forbids_it_is_looser() -> None:
    assert find_loosenings(_level(False), _level(True)) == [
        "show_lifetime_to_users true is looser than the floor's false"
    ]
    assert find_loosenings(_level(True), _level(False)) == []
    with pytest.raises(PolicyViolation, match="show_lifetime_to_users"):
        check_dataset_policy(_level(False), _level(True))
    with pytest.raises(PolicyViolation, match="show_lifetime_to_users"):
        check_grant_policy(Policy(), _level(False), _level(True))
    check_authority_floor(_level(False))  # tightening the shipped floor is allowed
    check_dataset_policy(floor_in_force(Policy()), _level(True))


@pytest.mark.parametrize("level", ["floor", "dataset", "grant"])
def test_a_document_sets_it_at_every_level(level: str) -> None:
    policy = parse_policy("show_lifetime_to_users: true", level)
    assert policy.show_lifetime_to_users is True
    assert to_dict(policy) == {"show_lifetime_to_users": True}
    assert parse_policy(to_dict(policy), level) == policy
    assert "show_lifetime_to_users" not in to_dict(parse_policy("{}", level))


@pytest.mark.parametrize("value", ["yes", 1, "true", [True]])
def test_it_must_be_true_or_false(value: object) -> None:
    with pytest.raises(InvalidRequest, match="show_lifetime_to_users must be true or false"):
        parse_policy({"show_lifetime_to_users": value}, "dataset")

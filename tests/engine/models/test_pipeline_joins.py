"""A DP model on joined rows: fitted at the joined bound, charged to every joined dataset
together, or to none when one cannot pay."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import pytest

from sandbox.engine import QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.ledger import ChargeStatus, InMemoryLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from tests.engine.conftest import Census
from tests.engine.test_joins import BENEFITS, VISITS, _register, benefits_table, visits_table
from tests.support.factories import GRANT, make_policy

NAMES = ("mvisits", "mbenefits")


@pytest.fixture(scope="module")
def joined(census: Census) -> Iterator[Census]:
    _register(census, NAMES[0], visits_table(), VISITS)
    _register(census, NAMES[1], benefits_table(), BENEFITS)
    yield census


def ledger(lifetimes: tuple[str, str]) -> InMemoryLedger:
    made = InMemoryLedger()
    for name, lifetime in zip(NAMES, lifetimes, strict=True):
        made.open_dataset_account(name, PrivacyCost.of(lifetime, "0.5"), Accounting.PURE)
        made.open_grant_account(GRANT, name, PrivacyCost.of("100", "0.1"), Accounting.PURE)
    return made


def engine(census: Census, charged: InMemoryLedger) -> QueryEngine:
    return QueryEngine(
        census.platform,
        charged,
        grant=GRANT,
        policy={name: make_policy(bound=3, cap="10") for name in NAMES},
        actor=census.user,
        pool=LocalTaskPool(),
    )


def test_a_model_on_joined_rows_charges_both_datasets_at_the_joined_bound(
    joined: Census,
) -> None:
    charged = ledger(("100", "100"))
    run = engine(joined, charged)
    both = run.dataset(NAMES[0]).join(run.dataset(NAMES[1]), on="person_id", truncate=[2, 2])
    release = both.linear_regression(
        "amount", ["age", "kind"], bounds={"amount": [0, 1000], "age": [20, 80]}, epsilon=2
    )
    report = release.report
    assert report.model is not None
    assert report.model["rows_per_unit"] == 4 and report.model["row_epsilon"] == 0.5
    assert len(report.charge_ids) == 2 and report.joins[0]["dataset"] == NAMES[1]
    charges = charged.charges()
    assert sorted(c.dataset for c in charges) == sorted(NAMES)
    assert all(c.cost.loss == Fraction(2) and c.status is ChargeStatus.RELEASED for c in charges)
    assert isinstance(release.value, dict) and "kind=housing" in release.value["coefficients"]


def test_a_joined_dataset_that_cannot_pay_refuses_the_whole_model(joined: Census) -> None:
    charged = ledger(("100", "1"))
    run = engine(joined, charged)
    both = run.dataset(NAMES[0]).join(run.dataset(NAMES[1]), on="person_id", truncate=[2, 2])
    with pytest.raises(BudgetExhausted) as refused:
        both.logistic_regression("kind", ["age"], bounds={"age": [20, 80]}, epsilon=2)
    assert NAMES[1] in refused.value.message
    assert charged.charges() == []

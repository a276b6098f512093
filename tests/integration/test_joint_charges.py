"""Joint charges (a release that joins several datasets) on every ledger: each dataset's
grant and lifetime accounts pay the whole cost in one transaction, or none does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.ledger import BudgetLedger, ChargeStatus, InMemoryLedger, SqlLedger
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.store import make_engine, make_session_factory, transaction, upgrade_to_head
from sandbox.store.models import AuditEntryRow

PURE = Accounting.PURE
ENGINE = Actor(user_id=None, username="engine", role=Role.ADMIN)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BudgetLedger]:
    """Every ledger implementation, each on a fresh store, with ``visits`` (lifetime 10)
    and ``benefits`` (lifetime 1) open to grant ``g1`` (2 on each)."""
    made: BudgetLedger
    engine = None
    if request.param == "memory":
        made = InMemoryLedger()
    else:
        url = (
            f"sqlite:///{tmp_path / 'ledger.db'}"
            if request.param == "sqlite"
            else request.getfixturevalue("postgres_server").create_database()
        )
        engine = make_engine(url)
        upgrade_to_head(engine)
        made = SqlLedger(make_session_factory(engine))
    for name, lifetime in (("visits", 10), ("benefits", 1)):
        made.open_dataset_account(name, PrivacyCost.of(lifetime, "1e-5"), PURE)
        made.open_grant_account("g1", name, PrivacyCost.of(2, "1e-6"), PURE)
    try:
        yield made
    finally:
        if engine is not None:
            engine.dispose()


def spent(ledger: BudgetLedger, name: str) -> tuple[Fraction, Fraction]:
    return ledger.account(name).spent.loss, ledger.account(name, "g1").spent.loss


def test_a_joint_charge_debits_every_dataset_and_the_grant_on_each(ledger: BudgetLedger) -> None:
    cost = PrivacyCost.of("0.3")
    charges = ledger.spend_jointly(
        "g1", ["visits", "benefits"], cost, "job 7: sum", ENGINE, accounting=PURE, job=7, call="sum"
    )
    assert [c.dataset for c in charges] == ["visits", "benefits"]  # in the order given
    assert all(c.cost == cost and c.job == 7 and c.call == "sum" for c in charges)
    assert all(c.status is ChargeStatus.CHARGED for c in charges)
    for name in ("visits", "benefits"):
        assert spent(ledger, name) == (Fraction(3, 10), Fraction(3, 10))
    for charge in charges:
        ledger.release(charge.id, ENGINE)
    assert all(c.status is ChargeStatus.RELEASED for c in ledger.charges())


def test_a_joint_charge_one_dataset_cannot_pay_charges_none(ledger: BudgetLedger) -> None:
    ledger.spend_jointly("g1", ["visits", "benefits"], PrivacyCost.of("0.9"), "first", ENGINE)
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend_jointly("g1", ["visits", "benefits"], PrivacyCost.of("0.2"), "second", ENGINE)
    assert info.value.budget == "dataset lifetime"
    assert str(info.value).startswith("dataset 'benefits': the dataset lifetime budget")
    assert spent(ledger, "visits") == (Fraction(9, 10), Fraction(9, 10))
    assert spent(ledger, "benefits") == (Fraction(9, 10), Fraction(9, 10))
    assert len(ledger.charges()) == 2


@pytest.mark.parametrize("datasets", [["visits"], ["visits", "visits"], "visits", []])
def test_a_joint_charge_names_two_or_more_datasets_once(
    ledger: BudgetLedger, datasets: object
) -> None:
    with pytest.raises(InvalidRequest):
        ledger.spend_jointly(
            "g1",
            datasets,  # type: ignore[arg-type]
            PrivacyCost.of("0.1"),
            "p",
            ENGINE,
        )
    assert ledger.charges() == []


def test_a_refused_joint_charge_is_audited_once(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        ledger = SqlLedger(sessions)
        for name in ("visits", "benefits"):
            ledger.open_dataset_account(name, PrivacyCost.of(1, "1e-5"), PURE)
            ledger.open_grant_account("g1", name, PrivacyCost.of(1, "1e-6"), PURE)
        with pytest.raises(BudgetExhausted):
            ledger.spend_jointly("g1", ["visits", "benefits"], PrivacyCost.of(2), "big", ENGINE)
        with transaction(sessions) as session:
            refused = (
                session.execute(
                    select(AuditEntryRow).where(
                        AuditEntryRow.action == "budget.charge", AuditEntryRow.outcome == "refused"
                    )
                )
                .scalars()
                .all()
            )
            assert len(refused) == 1
            assert json.loads(refused[0].detail)["datasets"] == ["visits", "benefits"]
        assert ledger.charges() == []
    finally:
        engine.dispose()

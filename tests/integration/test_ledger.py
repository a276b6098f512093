"""The budget ledger on SQLite and a real PostgreSQL server (and its in-memory fake).

The contract tests run against every ledger; the SQL tests look at the rows, the audit log
and concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor, Role
from sandbox.ledger import (
    BudgetLedger,
    Charge,
    ChargeStatus,
    InMemoryLedger,
    SqlLedger,
)
from sandbox.ledger import sql as ledger_sql
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.store import make_engine, make_session_factory, transaction, upgrade_to_head
from sandbox.store.models import AuditEntryRow, BudgetAccountRow, BudgetChargeRow

PURE = Accounting.PURE
ENGINE = Actor(user_id=None, username="engine", role=Role.ADMIN)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BudgetLedger]:
    """Every ledger implementation, each on a fresh store."""
    if request.param == "memory":
        yield InMemoryLedger()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        yield SqlLedger(make_session_factory(engine))
    finally:
        engine.dispose()


def opened(
    ledger: BudgetLedger, *, grant_limit: float | str = 2, lifetime_limit: float | str = 10
) -> BudgetLedger:
    ledger.open_dataset_account("census", PrivacyCost.of(lifetime_limit, "1e-5"), PURE)
    ledger.open_grant_account("g1", "census", PrivacyCost.of(grant_limit, "1e-6"), PURE)
    return ledger


# --- Contract (every ledger) --------------------------------------------------------------------


def test_ledger_satisfies_the_protocol(ledger: BudgetLedger) -> None:
    assert isinstance(ledger, BudgetLedger)


def test_spend_check_release(ledger: BudgetLedger) -> None:
    opened(ledger)
    cost = PrivacyCost.of("0.5", "1e-7")
    assert ledger.check("g1", "census", cost) == PrivacyCost.of(2, "1e-6")
    charge = ledger.spend("g1", "census", cost, "job 1: count", ENGINE)
    assert (charge.grant, charge.dataset, charge.purpose) == ("g1", "census", "job 1: count")
    assert charge.cost == cost
    assert charge.status is ChargeStatus.CHARGED and charge.released_at is None
    assert charge.charged_by == "engine"
    assert ledger.remaining("g1", "census") == PrivacyCost.of("1.5", "9e-7")
    balance = ledger.balance("g1", "census")
    assert balance.grant.spent == cost and balance.dataset.spent == cost
    assert balance.dataset.remaining == PrivacyCost.of("9.5", "0.0000099")

    released = ledger.release(charge.id, ENGINE)
    assert released.status is ChargeStatus.RELEASED and released.released_by == "engine"
    assert released.released_at is not None and released.released_at >= charge.created_at
    # Releasing refunds nothing, and releasing again changes nothing.
    assert ledger.remaining("g1", "census") == PrivacyCost.of("1.5", "9e-7")
    assert ledger.release(charge.id, ENGINE) == released
    assert ledger.charge(charge.id) == released


def test_check_is_a_pure_read(ledger: BudgetLedger) -> None:
    opened(ledger)
    for _ in range(3):
        ledger.check("g1", "census", PrivacyCost.of(2))
    assert ledger.remaining("g1", "census").loss == 2
    with pytest.raises(BudgetExhausted) as info:
        ledger.check("g1", "census", PrivacyCost.of("2.000000000001"))
    assert info.value.budget == "grant"
    assert ledger.charges() == []


def test_both_or_neither_when_the_lifetime_budget_is_short(ledger: BudgetLedger) -> None:
    opened(ledger, grant_limit=5, lifetime_limit=1)
    ledger.open_grant_account("g2", "census", PrivacyCost.of(5), PURE)
    ledger.spend("g2", "census", PrivacyCost.of("0.8"), "other grant", ENGINE)
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend("g1", "census", PrivacyCost.of("0.5"), "too much", ENGINE)
    error = info.value
    assert error.budget == "dataset lifetime"
    assert error.requested == PrivacyCost.of("0.5")
    assert error.remaining == PrivacyCost.of("0.2", "1e-5")
    assert "dataset lifetime budget cannot pay" in error.message
    # The grant account, which could pay, was not debited either.
    assert ledger.account("census", "g1").spent == PrivacyCost.zero()
    assert ledger.account("census").spent == PrivacyCost.of("0.8")
    assert [c.purpose for c in ledger.charges()] == ["other grant"]


def test_a_lifetime_refusal_withholds_what_remains_until_revealed(ledger: BudgetLedger) -> None:
    """What remains of a lifetime budget moves with every grant's spending: the ledger's
    refusal says the lifetime budget cannot pay, not what remains (the engine reveals it
    where the dataset's policy shows it to users); a grant's own refusal states it."""
    opened(ledger, grant_limit=5, lifetime_limit=1)
    ledger.open_grant_account("g2", "census", PrivacyCost.of(5), PURE)
    ledger.spend("g2", "census", PrivacyCost.of("0.75"), "other grant", ENGINE)
    for attempt in (
        lambda: ledger.check("g1", "census", PrivacyCost.of("0.5")),
        lambda: ledger.spend("g1", "census", PrivacyCost.of("0.5"), "too much", ENGINE),
    ):
        with pytest.raises(BudgetExhausted) as info:
            attempt()
        error = info.value
        assert error.budget == "dataset lifetime" and not error.shown
        assert error.remaining == PrivacyCost.of("0.25", "1e-5")  # kept for the trusted side
        assert error.message.startswith("the dataset lifetime budget cannot pay for this")
        assert "epsilon 0.5" in error.message and "0.25" not in error.message
        assert "not shown" in error.message
        assert "and epsilon 0.25, delta 0.00001 remains" in error.revealed().message
        assert error.of(dataset="census").message.startswith("dataset 'census': the dataset")
        assert "0.25" not in error.of(dataset="census").message
    assert ledger.account("census").spent == PrivacyCost.of("0.75")
    ledger.spend("g1", "census", PrivacyCost.of("0.25"), "fits", ENGINE)
    with pytest.raises(BudgetExhausted) as grant_refusal:
        ledger.open_grant_account("g3", "census", PrivacyCost.of("0.1"), PURE)
        ledger.check("g3", "census", PrivacyCost.of("0.2"))
    assert grant_refusal.value.shown and "and epsilon 0.1 remains" in grant_refusal.value.message


def test_grant_exhausted_carries_requested_and_remaining(ledger: BudgetLedger) -> None:
    opened(ledger)
    ledger.spend("g1", "census", PrivacyCost.of("1.75"), "first", ENGINE)
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend("g1", "census", PrivacyCost.of("0.5", "1e-7"), "second", ENGINE)
    assert info.value.budget == "grant"
    assert info.value.requested == PrivacyCost.of("0.5", "1e-7")
    assert info.value.remaining == PrivacyCost.of("0.25", "1e-6")
    assert ledger.account("census").spent == PrivacyCost.of("1.75")


def test_delta_is_budgeted_too(ledger: BudgetLedger) -> None:
    opened(ledger)
    ledger.spend("g1", "census", PrivacyCost.of("0.1", "1e-6"), "all the delta", ENGINE)
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend("g1", "census", PrivacyCost.of("0.1", "1e-12"), "one unit", ENGINE)
    assert info.value.remaining.delta == 0
    ledger.spend("g1", "census", PrivacyCost.of("0.1"), "pure query", ENGINE)


def test_opening_is_idempotent_or_conflicts(ledger: BudgetLedger) -> None:
    opened(ledger)
    again = ledger.open_grant_account("g1", "census", PrivacyCost.of(2, "1e-6"), PURE)
    assert again.limit == PrivacyCost.of(2, "1e-6")
    with pytest.raises(Conflict):
        ledger.open_grant_account("g1", "census", PrivacyCost.of(3, "1e-6"), PURE)
    with pytest.raises(Conflict):
        ledger.open_dataset_account("census", PrivacyCost.of(10, "1e-5"), Accounting.ZCDP)
    with pytest.raises(NotFound, match="no lifetime budget account"):
        ledger.open_grant_account("g1", "housing", PrivacyCost.of(1), PURE)
    with pytest.raises(InvalidRequest, match="under pure accounting, not zcdp"):
        ledger.open_grant_account("g9", "census", PrivacyCost.of(1), Accounting.ZCDP)


def test_limits_round_down_and_charges_up(ledger: BudgetLedger) -> None:
    ledger.open_dataset_account("d", PrivacyCost(Fraction(1, 3)), PURE)
    ledger.open_grant_account("g", "d", PrivacyCost(Fraction(1, 3)), PURE)
    assert ledger.account("d").limit == PrivacyCost.from_units(333_333_333_333, 0)
    charge = ledger.spend("g", "d", PrivacyCost(Fraction(1, 7)), "a seventh", ENGINE)
    assert charge.cost == PrivacyCost.from_units(142_857_142_858, 0)


def test_unknown_accounts_and_charges(ledger: BudgetLedger) -> None:
    opened(ledger)
    with pytest.raises(NotFound, match="grant 'g2' has no budget account on dataset 'census'"):
        ledger.spend("g2", "census", PrivacyCost.of(1), "x", ENGINE)
    with pytest.raises(NotFound):
        ledger.check("g1", "housing", PrivacyCost.of(1))
    with pytest.raises(NotFound, match="charge 99 does not exist"):
        ledger.release(99, ENGINE)
    with pytest.raises(NotFound):
        ledger.charge(99)


@pytest.mark.parametrize(
    ("grant", "cost", "purpose", "message"),
    [
        ("", PrivacyCost.of(1), "x", "grant must be a reference"),
        ("g\x00", PrivacyCost.of(1), "x", "control characters"),
        ("g1", 0.5, "x", "must be a PrivacyCost"),
        ("g1", PrivacyCost.inf(), "x", "unlimited cost"),
        ("g1", PrivacyCost.of(1), "x" * 2001, "purpose"),
        ("g1", PrivacyCost.of(1), None, "purpose"),
    ],
)
def test_bad_arguments_charge_nothing(
    ledger: BudgetLedger, grant: str, cost: PrivacyCost, purpose: str, message: str
) -> None:
    opened(ledger)
    with pytest.raises(InvalidRequest, match=message):
        ledger.spend(grant, "census", cost, purpose, ENGINE)
    assert ledger.remaining("g1", "census") == PrivacyCost.of(2, "1e-6")
    assert ledger.charges() == []


def test_cost_in_another_accounting_is_refused(ledger: BudgetLedger) -> None:
    opened(ledger)
    with pytest.raises(InvalidRequest, match="measured under zcdp"):
        ledger.spend(
            "g1", "census", PrivacyCost.of("0.1"), "rho", ENGINE, accounting=Accounting.ZCDP
        )
    with pytest.raises(InvalidRequest, match="measured under zcdp"):
        ledger.check("g1", "census", PrivacyCost.of("0.1"), accounting=Accounting.ZCDP)
    ledger.spend("g1", "census", PrivacyCost.of("0.1"), "epsilon", ENGINE, accounting=PURE)
    assert ledger.remaining("g1", "census").loss == Fraction(19, 10)


def test_charges_are_listed_and_filtered(ledger: BudgetLedger) -> None:
    opened(ledger)
    ledger.open_grant_account("g2", "census", PrivacyCost.of(1), PURE)
    first = ledger.spend("g1", "census", PrivacyCost.of("0.1"), "a", ENGINE)
    ledger.spend("g2", "census", PrivacyCost.of("0.2"), "b", ENGINE)
    ledger.release(first.id, ENGINE)
    ledger.spend("g1", "census", PrivacyCost.of("0.3"), "c", ENGINE)
    assert [c.purpose for c in ledger.charges()] == ["a", "b", "c"]
    assert [c.purpose for c in ledger.charges(grant="g1")] == ["a", "c"]
    assert [c.purpose for c in ledger.charges(status=ChargeStatus.CHARGED)] == ["b", "c"]
    assert [c.purpose for c in ledger.charges(dataset="census", grant="g2")] == ["b"]
    assert ledger.charges(dataset="housing") == []


def test_a_charge_records_its_job_and_call(ledger: BudgetLedger) -> None:
    opened(ledger)
    charge = ledger.spend(
        "g1", "census", PrivacyCost.of("0.1"), "count on census v1", ENGINE, job=12, call="count"
    )
    assert (charge.job, charge.call) == (12, "count")
    assert ledger.charge(charge.id) == charge
    assert ledger.release(charge.id, ENGINE).job == 12
    outside = ledger.spend("g1", "census", PrivacyCost.of("0.1"), "by hand", ENGINE)
    assert (outside.job, outside.call) == (None, None)
    assert [(c.job, c.call) for c in ledger.charges(grant="g1")] == [(12, "count"), (None, None)]


@pytest.mark.parametrize(
    ("job", "call", "message"),
    [
        (0, None, "positive job id"),
        ("12", None, "positive job id"),
        (True, None, "job id"),
        (None, "count(x)", "identifier"),
        (None, "c" * 33, "identifier"),
        (None, 5, "identifier"),
    ],
)
def test_a_bad_job_or_call_charges_nothing(
    ledger: BudgetLedger, job: object, call: object, message: str
) -> None:
    opened(ledger)
    with pytest.raises(InvalidRequest, match=message):
        ledger.spend("g1", "census", PrivacyCost.of("0.1"), "x", ENGINE, job=job, call=call)  # type: ignore[arg-type]
    assert ledger.charges() == []


# --- SQL specifics ------------------------------------------------------------------------------


def sql_opened(
    factory: sessionmaker[Session],
    *,
    grant_limit: PrivacyCost,
    lifetime_limit: PrivacyCost,
    grants: int = 1,
) -> SqlLedger:
    ledger = SqlLedger(factory)
    ledger.open_dataset_account("census", lifetime_limit, PURE)
    for n in range(grants):
        ledger.open_grant_account(f"g{n}", "census", grant_limit, PURE)
    return ledger


def test_a_crashed_charge_stays_spent(session_factory: sessionmaker[Session]) -> None:
    ledger = sql_opened(
        session_factory, grant_limit=PrivacyCost.of(1), lifetime_limit=PrivacyCost.of(5)
    )
    charge = ledger.spend("g0", "census", PrivacyCost.of("0.4"), "job 7", ENGINE)
    # The process dies before release: a new ledger over the same store sees the charge.
    after_restart = SqlLedger(session_factory)
    assert after_restart.charges(status=ChargeStatus.CHARGED) == [charge]
    assert after_restart.remaining("g0", "census").loss == Fraction(3, 5)
    assert after_restart.release(charge.id, ENGINE).status is ChargeStatus.RELEASED
    assert after_restart.remaining("g0", "census").loss == Fraction(3, 5)


def test_spend_and_release_are_audited(session_factory: sessionmaker[Session]) -> None:
    ledger = sql_opened(
        session_factory, grant_limit=PrivacyCost.of(1), lifetime_limit=PrivacyCost.of(5)
    )
    charge = ledger.spend("g0", "census", PrivacyCost.of("0.5"), "job 8", ENGINE)
    with pytest.raises(BudgetExhausted):
        ledger.spend("g0", "census", PrivacyCost.of("0.6"), "job 9", ENGINE)
    ledger.release(charge.id, ENGINE)
    ledger.release(charge.id, ENGINE)
    with transaction(session_factory) as session:
        entries = audit.list_entries(session, audit.AuditQuery(action="budget.charge"))
        assert [(e.outcome, e.actor) for e in entries] == [("ok", "engine"), ("refused", "engine")]
        assert entries[0].object_id == str(charge.id)
        assert entries[0].detail["loss_units"] == 500_000_000_000
        assert entries[1].detail["budget"] == "grant"
        releases = audit.list_entries(session, audit.AuditQuery(action="budget.release"))
        assert len(releases) == 1
        opens = audit.list_entries(session, audit.AuditQuery(action="budget.account.open"))
        assert len(opens) == 2
        assert audit.verify(session).ok


def test_in_session_spend_rolls_back_with_the_caller(
    session_factory: sessionmaker[Session],
) -> None:
    ledger = sql_opened(
        session_factory, grant_limit=PrivacyCost.of(1), lifetime_limit=PrivacyCost.of(5)
    )
    with pytest.raises(RuntimeError), transaction(session_factory) as session:
        ledger_sql.spend(
            session,
            grant="g0",
            dataset="census",
            cost=PrivacyCost.of("0.5"),
            purpose="rolled back",
            actor=ENGINE,
        )
        raise RuntimeError("the caller fails after the charge")
    assert ledger.remaining("g0", "census").loss == 1
    assert ledger.charges() == []


def test_the_database_refuses_overspending_too(session_factory: sessionmaker[Session]) -> None:
    sql_opened(session_factory, grant_limit=PrivacyCost.of(1), lifetime_limit=PrivacyCost.of(5))
    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.execute(update(BudgetAccountRow).values(loss_spent=BudgetAccountRow.loss_limit + 1))
    with pytest.raises(IntegrityError), transaction(session_factory) as session:
        session.execute(text("UPDATE budget_accounts SET delta_spent = -1"))


def _fire(
    ledger: SqlLedger, grants: list[str], cost: PrivacyCost, n: int
) -> tuple[list[Charge], list[BudgetExhausted]]:
    start = threading.Barrier(n)

    def one(i: int) -> Charge | BudgetExhausted:
        start.wait()
        try:
            return ledger.spend(grants[i % len(grants)], "census", cost, f"charge {i}", ENGINE)
        except BudgetExhausted as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        outcomes = list(pool.map(one, range(n)))
    return (
        [o for o in outcomes if isinstance(o, Charge)],
        [o for o in outcomes if isinstance(o, BudgetExhausted)],
    )


@pytest.mark.slow
@pytest.mark.parametrize("binding", ["grant", "dataset lifetime"])
def test_200_concurrent_charges_at_a_budget_for_25(
    session_factory: sessionmaker[Session], binding: str
) -> None:
    # Computed (binary) floats, so both components round up to units: the binary 0.1 is
    # charged as 100_000_000_001 units and the binary 1e-9 as 1_001 units.
    cost = PrivacyCost.from_binary(0.1, 1e-9)
    units = cost.to_units(round_up=True)
    assert units == (100_000_000_001, 1_001)
    exactly_25 = PrivacyCost.from_units(25 * units[0], 25 * units[1])
    plenty = PrivacyCost.from_units(1000 * units[0], 1000 * units[1])
    if binding == "grant":
        ledger = sql_opened(session_factory, grant_limit=exactly_25, lifetime_limit=plenty)
        grants = ["g0"]
    else:
        # Eight grants contend for one dataset's lifetime budget.
        ledger = sql_opened(
            session_factory, grant_limit=plenty, lifetime_limit=exactly_25, grants=8
        )
        grants = [f"g{n}" for n in range(8)]

    charged, refused = _fire(ledger, grants, cost, 200)

    assert len(charged) == 25
    assert len(refused) == 175
    assert {e.budget for e in refused} == {binding}
    assert all(e.requested == cost for e in refused)
    with transaction(session_factory) as session:
        loss_total, delta_total, rows = session.execute(
            select(
                func.sum(BudgetChargeRow.loss_units),
                func.sum(BudgetChargeRow.delta_units),
                func.count(),
            )
        ).one()
        assert rows == 25
        assert (loss_total, delta_total) == (25 * units[0], 25 * units[1])
        lifetime = session.execute(
            select(BudgetAccountRow).where(BudgetAccountRow.kind == "dataset")
        ).scalar_one()
        assert (lifetime.loss_spent, lifetime.delta_spent) == (loss_total, delta_total)
        grant_rows = (
            session.execute(select(BudgetAccountRow).where(BudgetAccountRow.kind == "grant"))
            .scalars()
            .all()
        )
        assert sum(g.loss_spent for g in grant_rows) == loss_total
        assert sum(g.delta_spent for g in grant_rows) == delta_total
        for g in grant_rows:
            charged_here = [c for c in charged if c.grant == g.ref]
            assert g.loss_spent == len(charged_here) * units[0]
        outcomes = session.execute(
            select(AuditEntryRow.outcome, func.count())
            .where(AuditEntryRow.action == "budget.charge")
            .group_by(AuditEntryRow.outcome)
        ).all()
        assert dict(outcomes) == {"ok": 25, "refused": 175}
        assert audit.verify(session).ok
    assert ledger.remaining(grants[0], "census").loss == 0

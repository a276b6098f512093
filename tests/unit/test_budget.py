"""Exact privacy costs, strict epsilon parsing and boundary budgets."""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor
from sandbox.ledger import InMemoryLedger
from sandbox.policies.budget import (
    LEDGER_UNITS_PER_ONE,
    Accounting,
    BudgetExhausted,
    PrivacyCost,
    decimal_text,
    exact,
    parse_delta,
    parse_epsilon,
)

ACTOR = Actor.system()


def assert_equal_budgets(actual: PrivacyCost, expected: PrivacyCost) -> None:
    """Budgets are exact: equal means equal fractions, not close floats."""
    assert actual.infinite == expected.infinite
    assert (actual.loss, actual.delta) == (expected.loss, expected.delta)


class ShiftyFloat(float):
    """A float whose value changes every time someone reads it."""

    reads = 0

    def __float__(self) -> float:
        ShiftyFloat.reads += 1
        return 0.5 if ShiftyFloat.reads % 2 else float("nan")

    def __gt__(self, other: object) -> bool:
        ShiftyFloat.reads += 1
        return ShiftyFloat.reads % 2 == 1


class SneakyInt(int):
    pass


# --- Arithmetic ---------------------------------------------------------------------------------


def test_addition_is_exact() -> None:
    total = PrivacyCost.zero()
    for _ in range(10):
        total = total + PrivacyCost(Fraction(1, 10))
    assert_equal_budgets(total, PrivacyCost(Fraction(1)))


def test_float_input_is_the_decimal_it_was_written_as() -> None:
    # 0.1 as a float is slightly more than a tenth in binary, but 0.1 is what was written:
    # ten of them make exactly 1. A computed float keeps its binary value and exceeds it.
    assert PrivacyCost.of(0.1).loss == Fraction(1, 10) == PrivacyCost.of("0.1").loss
    assert PrivacyCost.of(0.1) * 10 <= PrivacyCost.of(1)
    assert not PrivacyCost.from_binary(0.1) * 10 <= PrivacyCost.of(1)


def test_subtraction_floors_at_zero_and_multiplication_scales() -> None:
    a = PrivacyCost(Fraction(3), Fraction(1, 10**6))
    b = PrivacyCost(Fraction(1), Fraction(2, 10**6))
    assert_equal_budgets(a - b, PrivacyCost(Fraction(2), Fraction(0)))
    assert_equal_budgets(a * 2, PrivacyCost(Fraction(6), Fraction(2, 10**6)))
    assert_equal_budgets(a * Fraction(1, 3), PrivacyCost(Fraction(1), Fraction(1, 3 * 10**6)))


def test_comparison_is_componentwise() -> None:
    a = PrivacyCost(Fraction(1), Fraction(1, 10**6))
    b = PrivacyCost(Fraction(2), Fraction(0))
    assert not a <= b and not b <= a
    assert PrivacyCost(Fraction(1)) <= a
    assert PrivacyCost(Fraction(1)) < a
    assert not a < a


def test_infinite_budget() -> None:
    inf = PrivacyCost.inf()
    assert inf.is_infinite
    assert (inf + PrivacyCost.of(1)).is_infinite
    assert (inf - PrivacyCost.of(1)).is_infinite
    assert (inf * 3).is_infinite
    assert PrivacyCost.of(10**9) <= inf
    assert not inf <= PrivacyCost.of(10**9)
    with pytest.raises(InvalidRequest, match="unlimited"):
        _ = PrivacyCost.of(1) - inf
    assert repr(inf) == "PrivacyCost.inf()"
    assert inf.describe(Accounting.PURE) == "unlimited"


def test_repr_and_describe() -> None:
    cost = PrivacyCost(Fraction(1, 2), Fraction(1, 10**6))
    assert repr(cost) == "PrivacyCost(loss=0.5, delta=1e-06)"
    assert cost.describe(Accounting.PURE) == "epsilon 0.5, delta 0.000001"
    assert PrivacyCost.of(0.25).describe(Accounting.ZCDP) == "rho 0.25"


@pytest.mark.parametrize(
    ("loss", "delta", "message"),
    [
        (0.5, Fraction(0), "loss must be an exact fraction"),
        (Fraction(-1), Fraction(0), "loss must not be negative"),
        (Fraction(1), Fraction(-1, 10), "delta must not be negative"),
        (Fraction(1), Fraction(1), "delta must be below 1"),
    ],
)
def test_constructor_refuses(loss: object, delta: object, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        PrivacyCost(loss, delta)  # type: ignore[arg-type]


def test_units_round_charges_up_and_limits_down() -> None:
    third = PrivacyCost(Fraction(1, 3), Fraction(1, 3 * 10**9))
    assert third.to_units(round_up=True) == (333_333_333_334, 334)
    assert third.to_units(round_up=False) == (333_333_333_333, 333)
    assert PrivacyCost.from_units(LEDGER_UNITS_PER_ONE, 1).loss == 1
    assert PrivacyCost.from_units(LEDGER_UNITS_PER_ONE, 1).delta == Fraction(1, 10**12)


# --- Parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Fraction(1)),
        (0.5, Fraction(1, 2)),
        (0.1, Fraction(1, 10)),
        ("0.1", Fraction(1, 10)),
        (" 2.5 ", Fraction(5, 2)),
        ("1e-3", Fraction(1, 1000)),
        (Decimal("0.3"), Fraction(3, 10)),
        (Fraction(1, 3), Fraction(1, 3)),
        (sys.float_info.max, Fraction(Decimal("1.7976931348623157e308"))),
        (5e-324, Fraction(5, 10**324)),
    ],
)
def test_parse_epsilon_accepts_exact_numbers(value: object, expected: Fraction) -> None:
    result = parse_epsilon(value)
    assert type(result) is Fraction
    assert result == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (ShiftyFloat(0.5), "must be a number, not a ShiftyFloat"),
        (SneakyInt(1), "must be a number, not a SneakyInt"),
        (True, "must be a number, not a bool"),
        (False, "must be a number, not a bool"),
        (math.nan, "must be finite"),
        (math.inf, "must be finite"),
        (-math.inf, "must be finite"),
        (Decimal("NaN"), "must be finite"),
        (Decimal("Infinity"), "must be finite"),
        ("nan", "must be a finite decimal number|must be finite"),
        ("inf", "must be a finite decimal number|must be finite"),
        (-0.5, "must be positive"),
        (-1, "must be positive"),
        (0, "must be positive"),
        (0.0, "must be positive"),
        ("0", "must be positive"),
        (object(), "must be a number, not a object"),
        (None, "must be a number, not a NoneType"),
        ([0.5], "must be a number, not a list"),
        (1 + 2j, "must be a number, not a complex"),
        ("abc", "must be a finite decimal number"),
        ("", "must be a finite decimal number"),
        ("0.5; DROP TABLE", "must be a finite decimal number"),
        ("1/2", "must be a finite decimal number"),
        (b"0.5", "must be a number, not a bytes"),
    ],
)
def test_parse_epsilon_refuses(value: object, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as info:
        parse_epsilon(value)
    assert info.value.message.startswith("epsilon ")


def test_shifty_float_is_never_read() -> None:
    ShiftyFloat.reads = 0
    with pytest.raises(InvalidRequest):
        parse_epsilon(ShiftyFloat(0.5))
    assert ShiftyFloat.reads == 0


def test_exact_allows_zero_only_when_asked_and_names_the_label() -> None:
    assert exact(0, "delta", allow_zero=True) == 0
    with pytest.raises(InvalidRequest, match="^upper must be positive"):
        exact(0, "upper")
    with pytest.raises(InvalidRequest, match="must be non-negative"):
        exact(-1, "delta", allow_zero=True)


@pytest.mark.parametrize("value", [1, 1.0, "1", 1.5, math.nan, -1e-9, True])
def test_parse_delta_refuses(value: object) -> None:
    with pytest.raises(InvalidRequest, match="^delta "):
        parse_delta(value)


def test_parse_delta_accepts_zero_and_small() -> None:
    assert parse_delta(0) == 0
    assert parse_delta("1e-6") == Fraction(1, 10**6)
    assert parse_delta(1 - 2**-53) == Fraction(9999999999999999, 10**16)


# --- Boundary budgets ---------------------------------------------------------------------------


def _ledger(limit: PrivacyCost) -> InMemoryLedger:
    ledger = InMemoryLedger()
    ledger.open_dataset_account("d", PrivacyCost.of(10**6, "0.5"), Accounting.PURE)
    ledger.open_grant_account("g", "d", limit, Accounting.PURE)
    return ledger


@pytest.mark.parametrize("limit", [1, 0.3, "0.3", Fraction(1, 3), 2.5, 10**6])
def test_exact_equality_fits(limit: object) -> None:
    budget = PrivacyCost(exact(limit, "limit"))
    ledger = _ledger(budget)
    units = budget.to_units(round_up=False)
    # A charge of exactly the stored limit fits, and nothing more does afterwards.
    charge = ledger.spend("g", "d", PrivacyCost.from_units(*units), "all", ACTOR)
    assert charge.cost.to_units(round_up=True) == units
    with pytest.raises(BudgetExhausted):
        ledger.spend("g", "d", PrivacyCost.from_units(1, 0), "one more unit", ACTOR)


def test_exact_equality_fits_for_exactly_representable_limit() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    ledger.spend("g", "d", PrivacyCost.of(0.5), "half", ACTOR)
    ledger.spend("g", "d", PrivacyCost.of(0.25), "quarter", ACTOR)
    ledger.spend("g", "d", PrivacyCost.of(0.25), "quarter", ACTOR)
    assert ledger.remaining("g", "d").loss == 0


def test_a_billionth_over_is_refused() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend("g", "d", PrivacyCost.of(1 + 1e-9), "just over", ACTOR)
    assert info.value.budget == "grant"
    assert info.value.remaining.loss == 1
    assert ledger.account("d", "g").spent.loss == 0
    # ... and a billionth under fits.
    ledger.spend("g", "d", PrivacyCost.of(1 - 1e-9), "just under", ACTOR)


def test_delta_boundary() -> None:
    ledger = _ledger(PrivacyCost.of(1, "1e-6"))
    with pytest.raises(BudgetExhausted):
        ledger.spend("g", "d", PrivacyCost.of(0.1, 1e-6 + 1e-15), "over", ACTOR)
    ledger.spend("g", "d", PrivacyCost.of(0.1, "1e-6"), "exact", ACTOR)
    with pytest.raises(BudgetExhausted):
        ledger.spend("g", "d", PrivacyCost.of(0.1, "1e-12"), "one unit", ACTOR)


def test_ten_float_tenths_fit_a_budget_of_one_and_a_binary_tenth_rounds_up() -> None:
    # The float 0.1 as written is 1/10: ten fit a budget of exactly 1. A computed binary
    # 0.1 is a little more and rounds up to a unit more, so only nine of those fit.
    ledger = _ledger(PrivacyCost.of(1.0))
    for _ in range(10):
        ledger.spend("g", "d", PrivacyCost.of(0.1), "tenth", ACTOR)
    assert ledger.remaining("g", "d").loss == 0
    binary = _ledger(PrivacyCost.of(1.0))
    for _ in range(9):
        binary.spend("g", "d", PrivacyCost.from_binary(0.1), "tenth", ACTOR)
    with pytest.raises(BudgetExhausted):
        binary.spend("g", "d", PrivacyCost.from_binary(0.1), "tenth", ACTOR)


def test_infinite_cost_and_limit_are_refused() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    with pytest.raises(InvalidRequest, match="unlimited cost cannot be charged"):
        ledger.spend("g", "d", PrivacyCost.inf(), "inf", ACTOR)
    with pytest.raises(InvalidRequest, match="finite limit"):
        ledger.open_grant_account("g2", "d", PrivacyCost.inf(), Accounting.PURE)
    with pytest.raises(InvalidRequest, match="finite"):
        PrivacyCost.of(math.inf)


def test_float_max_cost_is_exhausted_and_float_max_limit_refused() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    huge = PrivacyCost.of(sys.float_info.max)
    with pytest.raises(BudgetExhausted):
        ledger.spend("g", "d", huge, "huge", ACTOR)
    with pytest.raises(InvalidRequest, match="too large"):
        ledger.open_grant_account("g2", "d", huge, Accounting.PURE)


def test_zero_cost_fits_an_exhausted_budget() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    ledger.spend("g", "d", PrivacyCost.of(1), "all", ACTOR)
    assert ledger.spend("g", "d", PrivacyCost.zero(), "free", ACTOR).cost.loss == 0


def test_budget_exhausted_carries_requested_and_remaining() -> None:
    ledger = _ledger(PrivacyCost.of(1))
    ledger.spend("g", "d", PrivacyCost.of(0.75), "first", ACTOR)
    with pytest.raises(BudgetExhausted) as info:
        ledger.spend("g", "d", PrivacyCost.of(0.5), "second", ACTOR)
    error = info.value
    assert error.requested.loss == Fraction(1, 2)
    assert error.remaining.loss == Fraction(1, 4)
    assert error.budget == "grant"
    assert error.code == "budget_exhausted"
    assert error.message == (
        "the grant budget cannot pay for this release: it asks for "
        "epsilon 0.5 and epsilon 0.25 remains"
    )


# --- Decimals as written ------------------------------------------------------------------------
# A model or a client sends ``epsilon=0.1`` through JSON as the float 0.1, whose binary value
# is a little more than a tenth. What was written is the decimal 0.1: it is charged as 1/10.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, Fraction(1, 10)),
        (0.3, Fraction(3, 10)),
        (1.0, Fraction(1)),
        (0.30000000000000004, Fraction(30000000000000004, 10**17)),
        (1e-6, Fraction(1, 10**6)),
        (2.5e-7, Fraction(1, 4 * 10**6)),
    ],
)
def test_a_float_is_read_as_the_decimal_it_was_written_as(value: float, expected: Fraction) -> None:
    assert parse_epsilon(value) == expected
    assert exact(value, "grant_budget") == expected
    assert PrivacyCost.of(value).loss == expected


def test_a_decimal_delta_is_read_as_written() -> None:
    assert parse_delta(1e-6) == Fraction(1, 10**6)
    assert PrivacyCost.of(0.1, 1e-9) == PrivacyCost(Fraction(1, 10), Fraction(1, 10**9))


def test_a_computed_float_keeps_its_exact_binary_value() -> None:
    # What a program computed (OpenDP's privacy maps) is the float's binary value, not a
    # decimal anyone wrote: read exactly, a map of 0.1 is a little more than a tenth.
    assert PrivacyCost.from_binary(0.1).loss == Fraction(0.1) > Fraction(1, 10)
    assert PrivacyCost.from_binary(0.1, 1e-9).delta == Fraction(1e-9)
    with pytest.raises(InvalidRequest, match="finite"):
        PrivacyCost.from_binary(math.nan)


@pytest.mark.parametrize(("limit", "charges"), [(0.3, 3), (1.0, 10), ("0.3", 3), (0.7, 7)])
def test_a_grant_pays_exactly_as_many_decimal_charges_as_it_holds(
    limit: object, charges: int
) -> None:
    ledger = _ledger(PrivacyCost(exact(limit, "grant_budget")))
    tenth = PrivacyCost(parse_epsilon(0.1))
    for _ in range(charges):
        assert ledger.spend("g", "d", tenth, "count", ACTOR).cost == PrivacyCost(Fraction(1, 10))
    assert ledger.remaining("g", "d").loss == 0
    with pytest.raises(BudgetExhausted) as refused:
        ledger.spend("g", "d", tenth, "one more count", ACTOR)
    assert refused.value.message == (
        "the grant budget cannot pay for this release: it asks "
        "for epsilon 0.1 and epsilon 0 remains"
    )


def test_a_refusal_states_both_amounts_exactly() -> None:
    # What remains is never rounded into looking like what was asked.
    ledger = _ledger(PrivacyCost.from_units(99_999_999_999, 0))
    with pytest.raises(BudgetExhausted) as refused:
        ledger.spend("g", "d", PrivacyCost(parse_epsilon(0.1)), "count", ACTOR)
    assert refused.value.message == (
        "the grant budget cannot pay for this release: it asks "
        "for epsilon 0.1 and epsilon 0.099999999999 remains"
    )


def test_zcdp_and_delta_charges_are_decimal_too() -> None:
    ledger = InMemoryLedger()
    ledger.open_dataset_account("d", PrivacyCost.of(10, 0.5), Accounting.ZCDP)
    ledger.open_grant_account("g", "d", PrivacyCost.of(0.015, 3e-6), Accounting.ZCDP)
    rho = PrivacyCost(parse_epsilon(0.1) ** 2 / 2, parse_delta(1e-6))  # rho 0.005
    for _ in range(3):
        ledger.spend("g", "d", rho, "count", ACTOR, accounting=Accounting.ZCDP)
    assert ledger.remaining("g", "d") == PrivacyCost.zero()
    with pytest.raises(BudgetExhausted) as refused:
        ledger.spend("g", "d", rho, "count", ACTOR, accounting=Accounting.ZCDP)
    assert refused.value.message.endswith("asks for rho 0.005, delta 0.000001 and rho 0 remains")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(1, 10), "0.1"),
        (Fraction(0), "0"),
        (Fraction(5, 2), "2.5"),
        (Fraction(7), "7"),
        (Fraction(1, 10**6), "0.000001"),
        (Fraction(99_999_999_999, 10**12), "0.099999999999"),
        (Fraction(1, 3), "1/3"),
    ],
)
def test_decimal_text_is_exact(value: Fraction, text: str) -> None:
    assert decimal_text(value) == text

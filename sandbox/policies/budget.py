"""Exact privacy-budget value types, and strict parsing of user-supplied epsilons.

No bare float ever stands for a budget in the domain: losses are :class:`fractions.Fraction`
values, so sums and comparisons never round. A number someone *wrote* (a grant's budget, a
query's ``epsilon=0.1`` arriving through JSON as a float) is read as the decimal it was
written as: the float's shortest round-trip text, so 0.1 is exactly 1/10, not the binary
value ``Fraction(0.1)`` a little above it, and a grant of 0.3 pays exactly three queries of
0.1. A number a program *computed* (OpenDP's privacy maps) keeps its exact binary value
(:meth:`PrivacyCost.from_binary`), since that value is what the proof bounds. The ledger
stores budgets as whole numbers of :data:`LEDGER_UNITS_PER_ONE` (charges rounded up, limits
rounded down: rounding only ever protects privacy, and decimals of up to twelve places are
never rounded at all).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from sandbox.errors import InvalidRequest, SandboxError

LEDGER_UNITS_PER_ONE = 10**12
"""Resolution of stored budgets: one unit is 1e-12 of epsilon (or rho)."""


class Accounting(enum.StrEnum):
    """How losses compose: pure DP (epsilon adds up) or zero-concentrated DP (rho adds up)."""

    PURE = "pure"
    ZCDP = "zcdp"


@dataclass(frozen=True)
class PrivacyCost:
    """An exact privacy loss: ``loss`` in the accounting's unit (epsilon for pure DP, rho for
    zCDP) plus the ``delta`` of approximate mechanisms (such as partition selection).

    Instances are immutable; ``+``, ``-`` and ``<=`` work component-wise. An infinite cost
    stands for "no limit" and absorbs additions.
    """

    loss: Fraction
    """Epsilon (pure DP) or rho (zCDP), exact."""
    delta: Fraction = Fraction(0)
    """Total delta, exact."""
    infinite: bool = False
    """True only for the unlimited budget :meth:`inf`."""

    def __post_init__(self) -> None:
        for name in ("loss", "delta"):
            value = getattr(self, name)
            if type(value) is not Fraction:
                raise InvalidRequest(f"a privacy cost's {name} must be an exact fraction")
            if value < 0:
                raise InvalidRequest(f"a privacy cost's {name} must not be negative")
        if self.delta >= 1:
            raise InvalidRequest("a privacy cost's delta must be below 1")

    @classmethod
    def inf(cls) -> PrivacyCost:
        """The unlimited budget."""
        return cls(Fraction(0), Fraction(0), infinite=True)

    @classmethod
    def zero(cls) -> PrivacyCost:
        """No loss at all."""
        return cls(Fraction(0))

    @classmethod
    def of(
        cls, loss: float | int | Fraction | str, delta: float | int | Fraction | str = 0
    ) -> PrivacyCost:
        """Build from numbers as written (policy files, tests): a float as its decimal."""
        return cls(exact(loss, "loss", allow_zero=True), exact(delta, "delta", allow_zero=True))

    @classmethod
    def from_binary(cls, loss: float, delta: float = 0.0) -> PrivacyCost:
        """Build from floats a program computed (OpenDP's privacy maps), exactly as stored.

        Why not :meth:`of`: the decimal a float prints as may be a little below its value
        (0.1 prints as ``0.1`` but is above 1/10), and a privacy loss must never be read as
        less than it is.
        """
        values = []
        for name, value in (("loss", loss), ("delta", delta)):
            if type(value) is not float and type(value) is not int:
                raise InvalidRequest(f"a computed {name} must be a float")
            if not math.isfinite(value):
                raise InvalidRequest(f"a computed {name} must be finite")
            values.append(Fraction(value))
        return cls(values[0], values[1])

    @property
    def is_infinite(self) -> bool:
        """Whether this is the unlimited budget."""
        return self.infinite

    def __add__(self, other: PrivacyCost) -> PrivacyCost:
        if self.infinite or other.infinite:
            return PrivacyCost.inf()
        return PrivacyCost(self.loss + other.loss, self.delta + other.delta)

    def __sub__(self, other: PrivacyCost) -> PrivacyCost:
        if other.infinite:
            raise InvalidRequest("cannot subtract an unlimited budget")
        if self.infinite:
            return self
        return PrivacyCost(
            max(self.loss - other.loss, Fraction(0)), max(self.delta - other.delta, Fraction(0))
        )

    def __mul__(self, factor: int | Fraction) -> PrivacyCost:
        if self.infinite:
            return self
        return PrivacyCost(self.loss * factor, self.delta * factor)

    def __le__(self, other: PrivacyCost) -> bool:
        if other.infinite:
            return True
        if self.infinite:
            return False
        return self.loss <= other.loss and self.delta <= other.delta

    def __lt__(self, other: PrivacyCost) -> bool:
        return self <= other and self != other

    def __repr__(self) -> str:
        if self.infinite:
            return "PrivacyCost.inf()"
        return f"PrivacyCost(loss={float(self.loss):.6g}, delta={float(self.delta):.3g})"

    def describe(self, accounting: Accounting) -> str:
        """Exact and human-readable, e.g. ``epsilon 0.5`` or ``rho 0.02, delta 0.000001``.

        Exact (:func:`decimal_text`), never rounded: a refusal must not show a remainder of
        0.099999999999 as the 0.1 it asks for.
        """
        if self.infinite:
            return "unlimited"
        unit = "epsilon" if accounting is Accounting.PURE else "rho"
        text = f"{unit} {decimal_text(self.loss)}"
        return text + (f", delta {decimal_text(self.delta)}" if self.delta else "")

    def to_units(self, *, round_up: bool) -> tuple[int, int]:
        """(loss, delta) in ledger units, rounded up for charges and down for limits."""
        scale = LEDGER_UNITS_PER_ONE
        rounding = math.ceil if round_up else math.floor
        return rounding(self.loss * scale), rounding(self.delta * scale)

    @classmethod
    def from_units(cls, loss_units: int, delta_units: int) -> PrivacyCost:
        """Back from ledger units."""
        return cls(
            Fraction(loss_units, LEDGER_UNITS_PER_ONE), Fraction(delta_units, LEDGER_UNITS_PER_ONE)
        )


class BudgetExhausted(SandboxError):
    """A charge would exceed a budget; nothing was charged.

    ``shown`` says whether the message states what remains: a dataset's lifetime budget is
    shared by every grant on it, and what remains of it is told to a grant holder only
    where the dataset's policy says so (``show_lifetime_to_users``), so the ledger raises
    it withheld and the engine, which knows the policy, reveals it (:meth:`revealed`).
    ``remaining`` is always set, for the trusted side. ``dataset`` names the account's
    dataset when several pay together (a join).
    """

    code = "budget_exhausted"

    def __init__(
        self,
        *,
        requested: PrivacyCost,
        remaining: PrivacyCost,
        budget: str,
        accounting: Accounting = Accounting.PURE,
        shown: bool = True,
        dataset: str | None = None,
    ) -> None:
        asks = requested.describe(accounting)
        if shown:
            text = f"it asks for {asks} and {remaining.describe(accounting)} remains"
        else:
            text = (
                f"it asks for {asks}, more than remains of it (what remains of the "
                f"{budget} budget is not shown)"
            )
        prefix = f"dataset {dataset!r}: " if dataset is not None else ""
        super().__init__(f"{prefix}the {budget} budget cannot pay for this release: {text}")
        self.requested = requested
        self.remaining = remaining
        self.budget = budget
        self.accounting = accounting
        self.shown = shown
        self.dataset = dataset

    def revealed(self) -> BudgetExhausted:
        """The same refusal, stating what remains (where its holder may read it)."""
        return self.of(dataset=self.dataset, shown=True)

    def of(self, *, dataset: str | None, shown: bool | None = None) -> BudgetExhausted:
        """The same refusal naming ``dataset``'s account, shown or withheld as before
        unless ``shown`` says otherwise.
        """
        return BudgetExhausted(
            requested=self.requested,
            remaining=self.remaining,
            budget=self.budget,
            accounting=self.accounting,
            shown=self.shown if shown is None else shown,
            dataset=dataset,
        )


_EXACT_TYPES = (int, float, str, Decimal, Fraction)


def decimal_text(value: Fraction) -> str:
    """An exact fraction as exact positional decimal text, or ``p/q`` if no decimal is exact.

    ``0.1``, ``0.000001``, ``7``, ``1/3``: what a refusal prints, so that what was asked
    and what remains read in the same form and neither is rounded.
    """
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * (10**places // value.denominator)  # exact
    sign = "-" if value < 0 else ""
    if places == 0:
        return f"{sign}{scaled}"
    digits = str(scaled).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def exact(value: object, label: str, *, allow_zero: bool = False) -> Fraction:
    """A non-negative finite number as an exact fraction, or a clear error.

    Only ``int``, ``float``, ``str``, ``Decimal`` and ``Fraction`` of exactly those types are
    accepted: a subclass (say, a float whose ``__float__`` changes between reads) or any
    other object is refused without being asked for its value. ``bool`` is refused too.

    A float is read as the decimal it was written as (its shortest round-trip ``repr``):
    ``epsilon=0.1`` typed in a model or a JSON body is 1/10. Every decimal of up to 17
    significant digits round-trips through a float this way, so this is what the writer
    meant; calibration then keeps the loss OpenDP's map gives at or below that decimal.
    """
    if type(value) not in _EXACT_TYPES:
        raise InvalidRequest(f"{label} must be a number, not a {type(value).__name__}")
    try:
        if type(value) is str:
            result = Fraction(Decimal(value.strip()))
        elif type(value) is float:
            if not math.isfinite(value):
                raise InvalidRequest(f"{label} must be finite")
            result = Fraction(Decimal(repr(value)))
        elif type(value) is Decimal:
            if not value.is_finite():
                raise InvalidRequest(f"{label} must be finite")
            result = Fraction(value)
        else:
            assert isinstance(value, int | Fraction)
            result = Fraction(value)
    except (InvalidOperation, ValueError, OverflowError, ZeroDivisionError):
        raise InvalidRequest(f"{label} must be a finite decimal number") from None
    if result < 0 or (result == 0 and not allow_zero):
        raise InvalidRequest(f"{label} must be {'non-negative' if allow_zero else 'positive'}")
    return result


def parse_epsilon(value: object, label: str = "epsilon") -> Fraction:
    """A query's epsilon: positive, finite, exact."""
    return exact(value, label)


def parse_delta(value: object, label: str = "delta") -> Fraction:
    """A delta: in [0, 1)."""
    result = exact(value, label, allow_zero=True)
    if result >= 1:
        raise InvalidRequest(f"{label} must be below 1")
    return result

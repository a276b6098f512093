"""Exact privacy-budget value types, and strict parsing of user-supplied epsilons.

No bare float ever stands for a budget in the domain: losses are :class:`fractions.Fraction`
values, converted from a float exactly (``Fraction(0.1)`` is the float's exact binary
value), so sums and comparisons never round. The ledger stores them as whole numbers of
:data:`LEDGER_UNITS_PER_ONE` (charges rounded up, limits rounded down: rounding only ever
protects privacy).
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
    def of(cls, loss: float | int | Fraction | str, delta: float | int | Fraction | str = 0
           ) -> PrivacyCost:
        """Build from trusted numbers (OpenDP's maps, policy files) exactly."""
        return cls(exact(loss, "loss", allow_zero=True), exact(delta, "delta", allow_zero=True))

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
        return PrivacyCost(max(self.loss - other.loss, Fraction(0)),
                           max(self.delta - other.delta, Fraction(0)))

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
        """Human-readable, e.g. ``epsilon 0.5`` or ``rho 0.02, delta 1e-06``."""
        if self.infinite:
            return "unlimited"
        unit = "epsilon" if accounting is Accounting.PURE else "rho"
        text = f"{unit} {float(self.loss):.6g}"
        return text + (f", delta {float(self.delta):.3g}" if self.delta else "")

    def to_units(self, *, round_up: bool) -> tuple[int, int]:
        """(loss, delta) in ledger units, rounded up for charges and down for limits."""
        scale = LEDGER_UNITS_PER_ONE
        rounding = math.ceil if round_up else math.floor
        return rounding(self.loss * scale), rounding(self.delta * scale)

    @classmethod
    def from_units(cls, loss_units: int, delta_units: int) -> PrivacyCost:
        """Back from ledger units."""
        return cls(Fraction(loss_units, LEDGER_UNITS_PER_ONE),
                   Fraction(delta_units, LEDGER_UNITS_PER_ONE))


class BudgetExhausted(SandboxError):
    """A charge would exceed a budget; nothing was charged."""

    code = "budget_exhausted"

    def __init__(self, *, requested: PrivacyCost, remaining: PrivacyCost, budget: str,
                 accounting: Accounting = Accounting.PURE) -> None:
        super().__init__(
            f"the {budget} budget cannot pay for this release: it asks for "
            f"{requested.describe(accounting)} and {remaining.describe(accounting)} remains"
        )
        self.requested = requested
        self.remaining = remaining
        self.budget = budget


_EXACT_TYPES = (int, float, str, Decimal, Fraction)


def exact(value: object, label: str, *, allow_zero: bool = False) -> Fraction:
    """A non-negative finite number as an exact fraction, or a clear error.

    Only ``int``, ``float``, ``str``, ``Decimal`` and ``Fraction`` of exactly those types are
    accepted: a subclass (say, a float whose ``__float__`` changes between reads) or any
    other object is refused without being asked for its value. ``bool`` is refused too.
    """
    if type(value) not in _EXACT_TYPES:
        raise InvalidRequest(f"{label} must be a number, not a {type(value).__name__}")
    try:
        if type(value) is str:
            result = Fraction(Decimal(value.strip()))
        elif type(value) is float:
            if not math.isfinite(value):
                raise InvalidRequest(f"{label} must be finite")
            result = Fraction(value)
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

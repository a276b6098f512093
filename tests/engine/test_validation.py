"""Bad input: each a clear InvalidRequest, raised before anything is charged or read, and no
message quotes a data value."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from sandbox.engine import InvalidQuery, QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.handle import DatasetHandle
from sandbox.errors import InvalidRequest, NotFound, PermissionDenied
from sandbox.ledger import InMemoryLedger
from tests.engine.conftest import SECRET, Census
from tests.support.factories import GRANT, charge_events, make_policy, new_ledger
from tests.support.params import stable_id


class ShiftyFloat(float):
    """A float that reports a different value on every read."""

    reads = 0

    def __float__(self) -> float:
        ShiftyFloat.reads += 1
        return 0.1 if ShiftyFloat.reads == 1 else float("nan")

    def __gt__(self, other: object) -> bool:
        ShiftyFloat.reads += 1
        return ShiftyFloat.reads % 2 == 0

    def __lt__(self, other: object) -> bool:
        return not self.__gt__(other)


class NotANumber:
    def __float__(self) -> float:
        raise AssertionError("the engine must not ask an unknown object for its value")


class NoReadPool(LocalTaskPool):
    """Fails the test if any data is read."""

    def map(self, fn: Callable[..., Any], calls: Any) -> list[Any]:
        raise AssertionError("no data may be read for a refused query")


Setup = tuple[DatasetHandle, InMemoryLedger, Census]


@pytest.fixture
def setup(census: Census) -> Setup:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(bound=2),
        actor=census.user,
        pool=NoReadPool(),
    )
    return engine.dataset("census"), ledger, census


def refused(
    setup: Setup, call: Callable[[DatasetHandle], Any], fragment: str | None = None
) -> InvalidRequest:
    handle, ledger, census = setup
    with pytest.raises(InvalidRequest) as caught:
        call(handle)
    assert charge_events(ledger) == [] and ledger.charges() == []
    message = caught.value.message
    assert SECRET not in message
    for value in ("North", "clerk", "farmer", "teacher", "10000", "nan"):
        assert value not in message or value in (fragment or "")
    if fragment is not None:
        assert fragment in message, message
    return caught.value


BAD_EPSILONS = [
    -1,
    0,
    0.0,
    -0.5,
    math.nan,
    math.inf,
    -math.inf,
    "abc",
    "nan",
    "inf",
    "",
    object(),
    NotANumber(),
    True,
    False,
    [],
    [0.5],
    {"e": 1},
    None,
    b"1",
    ShiftyFloat(0.5),
    np.float64(0.5),
    Decimal("NaN"),
    Decimal("Infinity"),
    Fraction(-1, 2),
    complex(1, 0),
]


@pytest.mark.parametrize("epsilon", BAD_EPSILONS, ids=stable_id)
def test_bad_epsilon_is_refused_before_any_charge(setup, epsilon: object) -> None:
    error = refused(setup, lambda d: d.count(epsilon=epsilon), "epsilon")
    assert isinstance(error, InvalidQuery)
    refused(
        setup,
        lambda d: d.group_by("district").mean("income", lower=0, upper=1, epsilon=epsilon),
        "epsilon",
    )


BAD_BOUNDS: list[tuple[object, object, str]] = [
    (None, 10, "explicit"),
    (0, None, "explicit"),
    (None, None, "explicit"),
    (10, 0, "lower must not be above upper"),
    (math.nan, 1, "finite"),
    (0, math.nan, "finite"),
    (-math.inf, 1, "finite"),
    (0, math.inf, "finite"),
    ("0", 1, "number"),
    (0, "1", "number"),
    (True, 2, "number"),
    (object(), 1, "number"),
    (ShiftyFloat(1), 2, "number"),
    (Decimal("NaN"), 1, "finite"),
    (0, 10**400, "too large"),
    (0, 2.0**60, "2**52"),
]


@pytest.mark.parametrize(("lower", "upper", "fragment"), BAD_BOUNDS, ids=stable_id)
@pytest.mark.parametrize("operation", ["sum", "mean", "variance", "quantile"])
def test_bad_bounds_are_refused(
    setup, operation: str, lower: object, upper: object, fragment: str
) -> None:
    if operation == "quantile":
        refused(
            setup,
            lambda d: d.quantile("income", 0.5, lower=lower, upper=upper, epsilon=1),
            fragment,
        )
    else:
        refused(
            setup,
            lambda d: getattr(d, operation)("income", lower=lower, upper=upper, epsilon=1),
            fragment,
        )


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda d: d.sum("nope", lower=0, upper=1, epsilon=1), "no column 'nope'"),
        (lambda d: d.mean(42, lower=0, upper=1, epsilon=1), "column name"),
        (lambda d: d.sum("district", lower=0, upper=1, epsilon=1), "not numeric"),
        (lambda d: d.sum("pid", lower=0, upper=1, epsilon=1), "identifier"),
        (lambda d: d.histogram("nope", epsilon=1), "no column 'nope'"),
        (lambda d: d.histogram("pid", epsilon=1), "identifier"),
        (lambda d: d.histogram("diagnosis", epsilon=1), "sensitive"),
        (lambda d: d.histogram("district", epsilon=1, bins=3), "numeric columns only"),
        (lambda d: d.histogram("age", epsilon=1, bins=0, lower=0, upper=1), "bins"),
        (lambda d: d.histogram("age", epsilon=1, bins=5), "explicit"),
        (lambda d: d.histogram("age", epsilon=1, bins=[1, 1]), "strictly increasing"),
        (lambda d: d.histogram("age", epsilon=1, bins="ten"), "bins"),
        (lambda d: d.group_by("nope"), "no column 'nope'"),
        (lambda d: d.group_by("pid"), "identifier"),
        (lambda d: d.group_by(["district", "diagnosis"]), "sensitive"),
        (lambda d: d.group_by(["district", "income"]), "sensitive"),
        (lambda d: d.group_by([]), "at least one"),
        (lambda d: d.group_by(["district", "district"]), "twice"),
        (lambda d: d.group_by({"district"}), "list"),
        (lambda d: d.group_by("occupation").count(epsilon=1), "delta"),
        (lambda d: d.group_by("occupation").count(epsilon=1, delta=0), "delta"),
        (lambda d: d.group_by("occupation").count(epsilon=1, delta=0.5), "policy's delta"),
        (lambda d: d.group_by("occupation").count(epsilon=1, delta=math.nan), "delta"),
        (lambda d: d.group_by("occupation").count(epsilon=1, delta=1), "delta"),
        (lambda d: d.count(epsilon=1, delta="x"), "delta"),
        (lambda d: d.quantile("income", 1.5, lower=0, upper=1, epsilon=1), "q must be"),
        (lambda d: d.quantile("income", math.nan, lower=0, upper=1, epsilon=1), "finite"),
        (lambda d: d.quantile("income", lower=0, upper=1, epsilon=1), "q="),
        (lambda d: d.quantile("income", "half", lower=0, upper=1, epsilon=1), "q must be"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_columns_keys_and_arguments_are_refused(setup, call, fragment: str) -> None:
    refused(setup, call, fragment)


def test_unknown_dataset_and_uncovered_dataset(census: Census) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy={"other": make_policy()},
        actor=census.user,
        pool=NoReadPool(),
    )
    with pytest.raises(PermissionDenied):
        engine.dataset("census")
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(),
        actor=census.user,
        pool=NoReadPool(),
    )
    with pytest.raises(NotFound):
        engine.dataset("nonexistent")
    with pytest.raises(InvalidQuery):
        engine.dataset(None)
    assert charge_events(ledger) == []


def test_too_many_public_cells_are_refused_before_charging(census: Census) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(max_cells=5),
        actor=census.user,
        pool=NoReadPool(),
    )
    with pytest.raises(InvalidRequest, match="cells"):
        engine.dataset("census").group_by("district").mean("income", lower=0, upper=1, epsilon=1)
    assert charge_events(ledger) == []

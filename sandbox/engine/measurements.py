"""OpenDP measurements behind every release of the query engine, calibrated and accounted.

Noise never comes from code of ours: each builder returns an OpenDP measurement, the input
distance (``d_in``) it is accounted at, the exact :class:`PrivacyCost` that OpenDP's own
privacy map gives for that ``d_in``, and the charge: the budget it was calibrated to. Every
input to a measurement is an exact integer aggregate (counts, fixed-point sums, quantile
scores), so only OpenDP's integer mechanisms are used: the discrete Laplace (pure DP) and
the discrete Gaussian (zCDP).

Calibration: a closed form gives the noise scale for the requested loss, then the scale is
nudged up until OpenDP's map, read as the exact binary value of the float it returns, is at
most the requested loss. The charge is the request (the decimal the researcher wrote, split
by exact shares), never the map's float: a map of 0.09999999999999999 or of
0.1000000000000000055 must not turn a charge of 0.1 into one of 0.100000000001, which a
grant of 0.3 could pay only twice. The guarantee holds because the map's loss, the privacy
actually lost, is at most the charge (:class:`Calibrated` refuses to exist otherwise).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import opendp.prelude as dp

from sandbox.errors import SandboxInternalError
from sandbox.policies.budget import Accounting, PrivacyCost

_MAX_NUDGES = 200
_MAX_THRESHOLD = 2**62
_features_lock = threading.Lock()
_features_enabled = False


def _enable_contrib() -> None:
    """Enable OpenDP's ``contrib`` feature set, once per process.

    Why: OpenDP gates every constructor whose proof has not yet passed its external review
    behind ``contrib``. All the mechanisms used here (discrete Laplace and Gaussian on
    integers, the threshold mechanisms for partition selection, report-noisy-max) are in
    that set. We do *not* enable ``floating-point`` or ``honest-but-curious``: every input
    is an exact integer, so no float-sensitive constructor is needed.
    """
    global _features_enabled
    with _features_lock:
        if not _features_enabled:
            dp.enable_features("contrib")
            _features_enabled = True


def budget_of(accounting: Accounting, epsilon: Fraction) -> Fraction:
    """The loss to spend for a request of ``epsilon``, in the accounting's unit.

    Pure DP spends epsilon itself. zCDP spends rho = epsilon**2 / 2, the zCDP guarantee that
    an epsilon-DP mechanism already gives (Bun & Steinke 2016, Prop. 1.4), so an epsilon
    means comparable privacy under either accounting.
    """
    if accounting is Accounting.PURE:
        return epsilon
    return epsilon * epsilon / 2


@dataclass(frozen=True)
class Calibrated:
    """An OpenDP measurement with the distance it is accounted at and its exact cost."""

    measurement: Any
    """The ``opendp.mod.Measurement``; calling it draws the noise."""
    d_in: Any
    """The input distance (sensitivity) the cost was computed at."""
    cost: PrivacyCost
    """Exactly ``PrivacyCost.from_binary(*measurement.map(d_in))``: the loss incurred."""
    mechanism: str
    """Human-readable name, e.g. ``discrete Laplace``."""
    scale: float
    """The noise scale passed to OpenDP."""
    threshold: int | None = None
    """The selection threshold of a threshold mechanism."""
    allotted: PrivacyCost | None = None
    """The budget the measurement was calibrated to, which the ledger is charged; ``None``
    charges ``cost`` itself. Never below ``cost``."""

    def __post_init__(self) -> None:
        if self.allotted is not None and not self.cost <= self.allotted:
            raise SandboxInternalError("a measurement's privacy loss exceeds its charge")

    @property
    def charge(self) -> PrivacyCost:
        """What the ledger is charged: the allotted budget, at least the map's loss."""
        return self.cost if self.allotted is None else self.allotted

    def __call__(self, value: Any) -> Any:
        """Release ``value`` through the measurement."""
        return self.measurement(value)


def _cost_of(raw: Any) -> PrivacyCost:
    """A privacy map's output, exactly as the float OpenDP computed (never as its decimal)."""
    if isinstance(raw, tuple):
        loss, delta = raw
        return PrivacyCost.from_binary(float(loss), float(delta))
    return PrivacyCost.from_binary(float(raw))


def _largest_float_at_most(value: Fraction) -> float:
    result = float(value)
    while Fraction(result) > value:
        result = math.nextafter(result, -math.inf)
    return result


def _calibrate_scale(
    build: Callable[[float], Any], d_in: Any, first_guess: float, budget: Fraction
) -> tuple[Any, float, PrivacyCost]:
    """The smallest-found scale whose exact loss is at most ``budget``."""
    if budget <= 0:
        raise SandboxInternalError("a measurement needs a positive budget")
    scale = first_guess
    step = 2.0**-50
    for _ in range(_MAX_NUDGES):
        meas = build(scale)
        cost = _cost_of(meas.map(d_in))
        if cost.loss <= budget:
            return meas, scale, cost
        scale *= 1.0 + step
        step = min(step * 2.0, 2.0**-4)
    # The closed form should never be this far off; fall back to OpenDP's own search.
    target = _largest_float_at_most(budget)
    scale = dp.binary_search_param(build, d_in=d_in, d_out=target, T=float)
    meas = build(scale)
    cost = _cost_of(meas.map(d_in))
    if cost.loss > budget:
        raise SandboxInternalError("could not calibrate a measurement to its budget")
    return meas, scale, cost


def integer_noise(
    accounting: Accounting, sensitivity: int, budget: Fraction, *, vector: bool = True
) -> Calibrated:
    """Noise for an exact integer aggregate (a vector of them when ``vector``).

    ``sensitivity`` is the L1 (pure) or L2 (zCDP) distance between the aggregates of two
    neighbouring datasets; ``budget`` is epsilon (pure) or rho (zCDP).
    """
    _enable_contrib()
    if sensitivity < 1:
        raise SandboxInternalError("integer sensitivity must be at least 1")
    atom = dp.atom_domain(T="i64")
    domain = dp.vector_domain(atom) if vector else atom
    if accounting is Accounting.PURE:
        metric = dp.l1_distance(T="i64") if vector else dp.absolute_distance(T="i64")
        guess = sensitivity / float(budget)

        def build(scale: float) -> Any:
            return dp.m.make_laplace(domain, metric, scale=scale)

        name = "discrete Laplace"
    else:
        metric = dp.l2_distance(T="i64") if vector else dp.absolute_distance(T="i64")
        guess = sensitivity / math.sqrt(2.0 * float(budget))

        def build(scale: float) -> Any:
            return dp.m.make_gaussian(domain, metric, scale=scale)

        name = "discrete Gaussian"
    meas, scale, cost = _calibrate_scale(build, sensitivity, guess, budget)
    return Calibrated(meas, sensitivity, cost, name, scale, allotted=PrivacyCost(budget))


def partition_selection(
    accounting: Accounting, contribution_bound: int, budget: Fraction, delta: Fraction
) -> Calibrated:
    """Noisy counts of string keys, releasing only keys whose noisy count passes a threshold.

    The input is a ``dict[str, int]`` of exact counts per key; OpenDP's threshold mechanism
    adds noise to each and drops every key below the threshold, so a key that is not
    selected privately never appears. A privacy unit contributing at most
    ``contribution_bound`` rows touches at most that many keys, changes the counts by at
    most that much in total and in any one key: ``d_in = (bound, bound, bound)``.
    The threshold is the smallest integer whose delta (from OpenDP's map) is at most ``delta``.
    """
    _enable_contrib()
    if delta <= 0:
        raise SandboxInternalError("partition selection needs a positive delta")
    bound = contribution_bound
    d_in = (bound, bound, bound)
    domain = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T="i64"))
    if accounting is Accounting.PURE:
        metric = dp.l01inf_distance(dp.absolute_distance(T="i64"))
        maker = dp.m.make_laplace_threshold
        guess = bound / float(budget)
        name = "discrete Laplace threshold"
    else:
        metric = dp.l02inf_distance(dp.absolute_distance(T="i64"))
        maker = dp.m.make_gaussian_threshold
        guess = bound / math.sqrt(2.0 * float(budget))
        name = "discrete Gaussian threshold"

    def build_at(threshold: int) -> Callable[[float], Any]:
        def build(scale: float) -> Any:
            return maker(domain, metric, scale=scale, threshold=threshold)

        return build

    # The loss depends on the scale only; calibrate it with a huge threshold first.
    _, scale, _ = _calibrate_scale(build_at(_MAX_THRESHOLD), d_in, guess, budget)

    def fits(threshold: int) -> bool:
        return _cost_of(build_at(threshold)(scale).map(d_in)).delta <= delta

    low, high = bound, bound  # the threshold must be at least the l-infinity sensitivity
    while not fits(high):
        low, high = high, high * 2
        if high > _MAX_THRESHOLD:
            raise SandboxInternalError("no selection threshold reaches the requested delta")
    if fits(low):
        high = low
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    meas = build_at(high)(scale)
    cost = _cost_of(meas.map(d_in))
    if cost.loss > budget or cost.delta > delta:
        raise SandboxInternalError("partition selection exceeded its budget")
    return Calibrated(
        meas, d_in, cost, name, scale, threshold=high, allotted=PrivacyCost(budget, delta)
    )


def noisy_min(accounting: Accounting, score_sensitivity: int, budget: Fraction) -> Calibrated:
    """Report-noisy-min over non-negative integer scores (the exponential mechanism).

    Input: a list of ``u64`` scores, lower is better; output: the selected index.
    ``score_sensitivity`` is the L-infinity distance of the score vectors of neighbouring
    datasets.
    """
    _enable_contrib()
    if score_sensitivity < 1:
        raise SandboxInternalError("score sensitivity must be at least 1")
    domain = dp.vector_domain(dp.atom_domain(T="u64"))
    metric = dp.linf_distance(T="u64")
    if accounting is Accounting.PURE:
        measure = dp.max_divergence()
        guess = 2.0 * score_sensitivity / float(budget)
    else:
        measure = dp.zero_concentrated_divergence()
        guess = score_sensitivity / math.sqrt(2.0 * float(budget))

    def build(scale: float) -> Any:
        return dp.m.make_noisy_max(domain, metric, measure, scale=scale, negate=True)

    meas, scale, cost = _calibrate_scale(build, score_sensitivity, guess, budget)
    return Calibrated(
        meas,
        score_sensitivity,
        cost,
        "report noisy min (exponential)",
        scale,
        allotted=PrivacyCost(budget),
    )

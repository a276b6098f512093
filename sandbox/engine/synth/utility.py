"""The utility report: how well the synthetic table fits the noisy marginals it was made from.

Measured against the *noisy* marginals only (clipped at zero and normalised), never against
the real data: comparing with the exact counts would be a release of its own. For each
marginal MST measured, the total variation distance between the synthetic table's
distribution on its columns and the noisy one; 0 is a perfect fit, 1 disjoint supports.
Post-processing of released values: it costs no privacy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from sandbox.engine.synth.domain import SynthDomain
from sandbox.engine.synth.measure import NoisyMarginal

__all__ = ["utility_report"]


def _distribution(counts: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    clipped = np.clip(np.asarray(counts, dtype=np.float64), 0.0, None)
    mass = clipped.sum()
    if mass <= 0:
        return np.full(len(clipped), 1.0 / len(clipped))
    result: npt.NDArray[np.float64] = clipped / mass
    return result


def _synthetic_counts(
    codes: Sequence[npt.NDArray[np.int64]], shape: tuple[int, ...], axes: tuple[int, ...]
) -> npt.NDArray[np.int64]:
    sizes = [shape[a] for a in axes]
    if len(codes[0]) == 0:
        return np.zeros(int(np.prod(sizes)), dtype=np.int64)
    flat = np.ravel_multi_index([codes[a] for a in axes], sizes)
    return np.bincount(flat, minlength=int(np.prod(sizes))).astype(np.int64)


def utility_report(
    domain: SynthDomain,
    marginals: Sequence[NoisyMarginal],
    codes: Sequence[npt.NDArray[np.int64]],
) -> dict[str, Any]:
    """Per-marginal total variation distances, their mean and maximum (see above)."""
    names = domain.names
    entries: list[dict[str, object]] = []
    for measured in marginals:
        synthetic = _distribution(_synthetic_counts(codes, domain.shape, measured.axes))
        noisy = _distribution(measured.values)
        distance = 0.5 * float(np.abs(synthetic - noisy).sum())
        entries.append(
            {
                "columns": [names[a] for a in measured.axes],
                "total_variation": round(distance, 6),
            }
        )
    distances = [float(e["total_variation"]) for e in entries]  # type: ignore[arg-type]
    return {
        "measure": "total variation distance to the noisy marginals",
        "marginals": entries,
        "mean_total_variation": round(float(np.mean(distances)), 6) if distances else 0.0,
        "max_total_variation": round(float(np.max(distances)), 6) if distances else 0.0,
    }

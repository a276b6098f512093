"""Graphical-model estimation from the noisy marginals (private-pgm's ``mbi`` package).

Post-processing only: the estimator sees the noisy marginals and their noise levels, never
a row or an exact count. ``mbi``'s mirror descent finds the distribution over the public
domain, a Markov random field on MST's tree, whose marginals best fit the measurements
(least squares weighted by each measurement's noise), and its sampler draws the synthetic
codes from it.

``mbi`` runs on JAX (CPU). JAX is configured once, before ``mbi`` is imported: 64-bit
floats (``mbi`` warns that 32-bit ones stall the estimation on large counts) and, when the
platform names a directory (``settings.jax_cache_dir``, by default ``<var_dir>/jax-cache``;
see :func:`configure_compilation_cache`), JAX's persistent compilation cache there, every
program kept however quickly it compiled: ``mbi`` compiles many small programs, whose
compilation is most of a first estimation in a fresh process (a Ray worker's first MST);
the next process loads them from the cache. A cache entry is a compiled program keyed by
the shapes it was traced with (the public domain's sizes), never a count or a row.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sandbox.engine.synth.measure import Measured

__all__ = ["ESTIMATION_ITERATIONS", "configure_compilation_cache", "estimate", "sample_codes"]

ESTIMATION_ITERATIONS = 1000
"""Mirror-descent iterations (private-pgm's default for ``estimate``)."""

_lock = threading.Lock()
_mbi: Any = None
_cache_dir: str | None = None


def configure_compilation_cache(directory: Path | None) -> None:
    """Keep JAX's compiled programs in ``directory`` (``None``: no persistent cache).

    JAX reads the setting when it first compiles, so the first directory a process names
    before its first estimation is the one it uses; a later, different one is ignored.
    """
    global _cache_dir
    with _lock:
        if _mbi is None and _cache_dir is None and directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            _cache_dir = str(directory)


def _library() -> Any:
    """The ``mbi`` module, imported once with JAX configured for it."""
    global _mbi
    with _lock:
        if _mbi is None:
            os.environ.setdefault("JAX_PLATFORMS", "cpu")
            import jax

            jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
            if _cache_dir is None:
                jax.config.update("jax_enable_compilation_cache", False)  # type: ignore[no-untyped-call]
            else:
                for name, value in (
                    ("jax_enable_compilation_cache", True),
                    ("jax_compilation_cache_dir", _cache_dir),
                    ("jax_persistent_cache_min_compile_time_secs", 0.0),
                    ("jax_persistent_cache_min_entry_size_bytes", 0),
                ):
                    jax.config.update(name, value)  # type: ignore[no-untyped-call]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                import mbi  # type: ignore[import-untyped]

            _mbi = mbi
        return _mbi


def estimate(
    names: tuple[str, ...],
    shape: tuple[int, ...],
    measured: Measured,
    iterations: int = ESTIMATION_ITERATIONS,
) -> Any:
    """The ``mbi`` model (a ``MarkovRandomField``) fitted to the noisy marginals."""
    mbi = _library()
    domain = mbi.Domain(names, shape)
    measurements = [
        mbi.LinearMeasurement(
            m.values.astype(np.float64), tuple(names[i] for i in m.axes), float(m.stddev)
        )
        for m in measured.marginals
    ]
    return mbi.estimation.MirrorDescent().estimate(domain, measurements, iters=iterations)


def sample_codes(model: Any, names: tuple[str, ...], rows: int) -> list[npt.NDArray[np.int64]]:
    """``rows`` synthetic rows drawn from the model, as one code array per attribute.

    ``mbi`` rounds the model's conditional counts to whole rows (randomised rounding), so
    the synthetic table's marginals follow the model's closely rather than by chance.
    """
    data = model.synthetic_data(rows).data
    return [np.asarray(data[name], dtype=np.int64) for name in names]


def model_marginal(model: Any, names: tuple[str, ...], axes: tuple[int, ...]) -> npt.NDArray[Any]:
    """The model's estimated counts on ``axes`` (flattened, in the attributes' order)."""
    factor = model.project(tuple(names[i] for i in axes))
    return np.asarray(factor.datavector(), dtype=np.float64)

"""The runtime profiles a model runs in (DESIGN.md, trust boundary 3).

``restricted`` compiles the model with RestrictedPython and hands it vetted module wrappers:
defence in depth, the fast default. ``scientific`` runs it as ordinary CPython with the
scientific stack importable: no Python-level jail, so the OS sandbox around it is the wall
alone. Each profile has its own runtime root (and docker image), so the restricted one stays
as small and as quick to start as it was.
"""

from __future__ import annotations

import enum

__all__ = ["PROFILE_DISTRIBUTIONS", "SCIENTIFIC_ENVIRONMENT", "RuntimeProfile"]


class RuntimeProfile(enum.StrEnum):
    """How a model's source is run inside the sandbox."""

    RESTRICTED = "restricted"
    SCIENTIFIC = "scientific"


_RESTRICTED_DISTRIBUTIONS = ("RestrictedPython", "pyarrow")

PROFILE_DISTRIBUTIONS: dict[RuntimeProfile, tuple[str, ...]] = {
    RuntimeProfile.RESTRICTED: _RESTRICTED_DISTRIBUTIONS,
    RuntimeProfile.SCIENTIFIC: (
        *_RESTRICTED_DISTRIBUTIONS,
        "numpy",
        "pandas",
        "scipy",
        "statsmodels",
        "scikit-learn",
        "matplotlib",
    ),
}
"""Third-party distributions each profile's root holds (their own requirements follow): the
worker imports RestrictedPython in either, raw-access models read Arrow files with pyarrow."""

SCIENTIFIC_ENVIRONMENT = {
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",  # noqa: S108 - the sandbox's private tmpfs
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
"""Set by the worker before a scientific model runs: matplotlib draws without a display and
keeps its font cache on the sandbox's tmpfs (the root is read-only); the numeric libraries
use one thread, within the sandbox's process limit and memory."""

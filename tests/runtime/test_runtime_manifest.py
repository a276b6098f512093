"""The runtime root's distributions follow their requirements' environment markers.

A clean checkout installs only what this platform needs (pandas wants ``tzdata`` on Windows
alone), so staging a root must not ask for a distribution a marker rules out here.
"""

from __future__ import annotations

import importlib.metadata

import pytest

from sandbox.runtime import manifest
from sandbox.runtime.profiles import RuntimeProfile


@pytest.mark.parametrize("profile", list(RuntimeProfile))
def test_every_distribution_of_a_profile_is_installed(profile: RuntimeProfile) -> None:
    """Each distribution the root would hold resolves here (none missing by marker)."""
    names = {dist.metadata["Name"].lower() for dist in manifest.distributions(profile)}
    assert "restrictedpython" in names
    for name in names:
        importlib.metadata.distribution(name)


def test_a_requirement_for_another_platform_is_left_out() -> None:
    """Markers are evaluated here, extras are never requested, plain requirements kept."""
    assert manifest._needed_here('tzdata; sys_platform == "win32"') is None
    assert manifest._needed_here('pytest; extra == "test"') is None
    assert manifest._needed_here("numpy>=1.26") == "numpy"
    assert manifest._needed_here('six; python_version >= "3"') == "six"


def test_the_scientific_root_does_not_ask_for_tzdata_on_linux() -> None:
    """pandas' Windows-only tzdata is not part of the scientific root."""
    names = {d.metadata["Name"].lower() for d in manifest.distributions(RuntimeProfile.SCIENTIFIC)}
    assert "pandas" in names
    assert "tzdata" not in names

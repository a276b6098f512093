"""MST's JAX programs are kept in the platform's persistent compilation cache and loaded
from it by the next process (each run in a fresh interpreter: JAX reads its cache setting
once per process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sandbox.config import Settings

ESTIMATION = """
import sys
from pathlib import Path
import numpy as np
from sandbox.engine.synth import estimate
from sandbox.engine.synth.measure import Measured, NoisyMarginal
estimate.configure_compilation_cache(Path(sys.argv[1]) if sys.argv[1] != "-" else None)
rng = np.random.default_rng(0)
one = tuple(NoisyMarginal((i,), rng.integers(50, 150, s), 3.0) for i, s in enumerate((3, 4)))
two = (NoisyMarginal((0, 1), rng.integers(5, 30, 12), 3.0),)
model = estimate.estimate(("a", "b"), (3, 4), Measured(one, two, ()), iterations=50)
print(len(estimate.sample_codes(model, ("a", "b"), 20)[0]))
"""


def run(directory: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", ESTIMATION, directory],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    return done.stdout.strip()


def test_the_programs_are_cached_under_the_var_dir_and_reused(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    directory = settings.resolved_jax_cache_dir()
    assert directory == (tmp_path / "var" / "jax-cache").resolve()
    assert run(str(directory)) == "20"
    entries = {path.name for path in directory.iterdir()}
    assert entries  # the first process filled it
    assert run(str(directory)) == "20"
    assert {path.name for path in directory.iterdir()} == entries  # the second only read it


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    assert Settings(var_dir=tmp_path, jax_cache=False).resolved_jax_cache_dir() is None
    assert run("-") == "20"
    assert not (tmp_path / "jax-cache").exists()

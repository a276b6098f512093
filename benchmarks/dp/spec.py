"""What every contender computes, and the small helpers they share.

Standard library only: this module is imported by the harness (project venv) and by every
contender's subprocess, each in its own virtualenv.

The query: group by ``district`` (32 public keys), the count of rows, the sum and the mean of
``income`` clipped to ``[0, INCOME_UPPER]``; each person (``person_id``) contributes at most
``MAX_ROWS_PER_PERSON`` rows; total privacy loss ``EPSILON`` (pure DP where the library
allows it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DISTRICTS: tuple[str, ...] = tuple(f"D{i:02d}" for i in range(32))
"""The public group keys (declared categories)."""

EPSILON = 1.0
"""Total privacy loss of the three statistics together."""

INCOME_LOWER = 0.0
INCOME_UPPER = 200_000.0
"""Public clipping bounds of ``income``."""

MAX_ROWS_PER_PERSON = 5
"""Contribution bound: rows per person, across all groups."""

RESULT_KEY = "dp_bench_result"
"""Marks the JSON line holding a contender's result (libraries may print other lines)."""

STATISTICS: tuple[str, ...] = ("count", "sum", "mean")
"""The statistics released per district."""


def dataset_path(data_dir: Path | str, rows: int) -> Path:
    """Where the generated Parquet file of ``rows`` rows is cached."""
    return Path(data_dir) / f"dp-bench-{rows}.parquet"


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (VmHWM, else ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict[str, Any]) -> None:
    """Write a contender's result as the one JSON line the harness reads from stdout."""
    line = json.dumps({RESULT_KEY: True, **result}, allow_nan=True)
    sys.stdout.write("\n" + line + "\n")
    sys.stdout.flush()

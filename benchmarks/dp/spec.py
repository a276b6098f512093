"""What every contender computes, and the small helpers they share.

Standard library only: this module is imported by the harness (project venv) and by every
contender's subprocess, each in its own virtualenv.

The queries (:data:`QUERIES`), each at a total privacy loss of ``EPSILON`` (pure DP where the
library allows it), each person (``person_id``) contributing at most ``MAX_ROWS_PER_PERSON``
rows:

- ``main``: group by ``district`` (32 public keys), the count of rows, the sum and the mean
  of ``income`` clipped to ``[0, INCOME_UPPER]``;
- ``filtered``: the count of rows with ``age >= ELDERLY_AGE`` per district;
- ``crosstab``: the count of rows per district and age band (``AGE_EDGES``, a key derived
  from ``age``: 32 x 3 public groups).

- ``join``: the people file (call it *visits*: 1 to 5 rows per person) joined on the privacy
  unit with a second generated table, *benefits* (``person_id``, ``scheme``, ``amount``: 0 to
  ``BENEFIT_ROWS_PER_PERSON`` records per person), each side truncated first (visits to
  ``JOIN_TRUNCATE[0]`` row per person: the person's district; benefits to
  ``JOIN_TRUNCATE[1]``), the joined rows bounded again after the join to ``JOIN_BOUND`` per
  person (Tumult's truncation semantics), then the sum of ``amount`` clipped to
  ``[0, AMOUNT_UPPER]`` per district (32 public keys).
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
"""The statistics released per district (``main``)."""

QUERIES: tuple[str, ...] = ("main", "filtered", "crosstab", "join")
"""The benchmark's queries; ``main`` is the one the error ratio and the speed ratio use."""

ELDERLY_AGE = 65
"""``filtered``: rows with ``age >= ELDERLY_AGE``."""

AGE_EDGES: tuple[int, ...] = (0, 18, 65, 120)
"""``crosstab``: the public age bands ``[0, 18)``, ``[18, 65)``, ``[65, 120]``."""

AGE_BANDS: tuple[str, ...] = ("0-17", "18-64", "65+")
"""Labels of the age bands, as every contender names them."""


BENEFIT_ROWS_PER_PERSON = 3
"""Most benefit records a person has in the generated ``benefits`` table."""

JOIN_TRUNCATE: tuple[int, int] = (1, BENEFIT_ROWS_PER_PERSON)
"""``join``: rows kept per person on each side before the join (visits, benefits)."""

JOIN_BOUND = JOIN_TRUNCATE[0] * JOIN_TRUNCATE[1]
"""``join``: joined rows kept per person after the join (every release is calibrated at it)."""

AMOUNT_LOWER = 0.0
AMOUNT_UPPER = 2_000.0
"""Public clipping bounds of the benefits' ``amount``."""

SCHEMES: tuple[str, ...] = ("pension", "housing", "care")
"""The benefits' ``scheme`` categories."""


def group_label(district: str, band: str | None = None) -> str:
    """The key a contender reports a group under: ``D03``, or ``D03|18-64`` (crosstab)."""
    return district if band is None else f"{district}|{band}"


def dataset_path(data_dir: Path | str, rows: int) -> Path:
    """Where the generated Parquet file of ``rows`` rows is cached (``v2``: with ``age``)."""
    return Path(data_dir) / f"dp-bench-v2-{rows}.parquet"


def benefits_path(data: Path | str) -> Path:
    """The benefits table generated beside the people file ``data`` (same persons)."""
    data = Path(data)
    return data.with_name(data.name.replace("dp-bench-v2-", "dp-bench-benefits-v1-"))


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

"""One contender of the models benchmark in its own process (its peak memory is its own).

Usage (by the harness)::

    python -m benchmarks.models.contender --path library|sklearn|platform --family F
        --data FILE --epsilons 1,0.1 --repeats R [--work DIR --actor ID,ORG]
    python -m benchmarks.models.contender --path platform-setup --data FILE --work DIR

Prints one JSON line (:func:`benchmarks.models.spec.emit`): the repetitions with their
released values and seconds, and ``peak_mb``. A failure is reported, not raised.
"""

from __future__ import annotations

import argparse
import traceback
from pathlib import Path
from typing import Any

from benchmarks.models.spec import FAMILIES, emit, peak_rss_mb


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", required=True)
    parser.add_argument("--family", choices=FAMILIES)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--actor", default="")
    parser.add_argument("--epsilons", default="1,0.1")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    epsilons = [float(e) for e in args.epsilons.split(",") if e]
    try:
        result: dict[str, Any]
        if args.path == "platform-setup":
            from benchmarks.models import platform

            result = platform.setup(args.data, args.work)
        elif args.path == "platform":
            from benchmarks.models import platform

            actor = [int(a) for a in args.actor.split(",")]
            result = platform.run(args.family, args.data, args.work, actor, epsilons, args.repeats)
        else:
            from benchmarks.models import direct

            result = direct.run(args.path, args.family, str(args.data), epsilons, args.repeats)
            result["peak_mb"] = peak_rss_mb()
    except Exception as exc:  # report, do not crash the harness
        result = {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=12),
            "peak_mb": peak_rss_mb(),
        }
    emit(result)


if __name__ == "__main__":
    main()

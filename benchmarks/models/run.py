"""The DP models benchmark (issue #14): our platform, the library called directly, the floor.

Usage: ``python -m benchmarks.models.run [--rows 1000000] [--repeats 5] [--synth-repeats 10]
[--families linear,logistic,...] [--epsilons 1,0.1]`` (``make bench-models``).

For each family (:mod:`benchmarks.models.spec`) and each epsilon, three contenders fit the
same generated file (:mod:`benchmarks.models.data`, seeded) with the same public bounds,
each in its own process:

- ``platform``: the model call released through the engine (:mod:`benchmarks.models.platform`);
- ``library``: diffprivlib (or the reference MST on ``mbi``) called directly on a pandas
  frame, as a laptop script would (:mod:`benchmarks.models.direct`);
- ``sklearn``: the non-private fit, the floor; its values are the reference every error is
  measured against (:mod:`benchmarks.models.metrics`).

Every DP contender repeats each release ``--repeats`` times (fresh noise each time: the
noise is not seeded and cannot be, the platform's samplers are cryptographically secure);
errors are shown as the mean with its sample standard deviation and min..max over the
repetitions; *seconds* is the median repetition (and its min..max); *peak MB* the
contender process's peak resident memory (the platform's: its whole process tree, Ray's
processes included, sampled).

The last line is ``models accuracy vs library: <worst ratio>``: the largest, over families
and epsilons, of the platform's mean error over the library's. Figures go to
``var/bench/models-results-<rows>.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from benchmarks.models import metrics
from benchmarks.models.data import ensure
from benchmarks.models.spec import (
    CLASSES,
    EPSILONS,
    FAMILIES,
    FEATURES,
    PATHS,
    RESULT_KEY,
    SYNTH_COLUMNS,
    SYNTH_DOMAINS,
)

PRIMARY: dict[str, str] = {
    "linear": "coefficient error",
    "logistic": "coefficient error",
    "kmeans": "excess cost (ratio - 1)",
    "pca": "subspace error",
    "naive_bayes": "1 - accuracy",
    "synth": "mean TVD (1- and 2-way)",
}
"""What each family's error is (see :mod:`benchmarks.models.metrics`)."""


class Truth:
    """What the errors are measured with: the data's features, the held-out rows, the real
    marginals (read once in the harness, never by a contender's clock).
    """

    def __init__(self, data: Path, test: Path) -> None:
        table = pq.read_table(data, columns=[*FEATURES, *SYNTH_COLUMNS])
        self.rows = np.column_stack([table[f].to_numpy() for f in FEATURES])
        codes = np.empty((table.num_rows, len(SYNTH_COLUMNS)), dtype=np.int64)
        for i, column in enumerate(SYNTH_COLUMNS):
            lookup = {v: c for c, v in enumerate(SYNTH_DOMAINS[column])}
            values = table[column].to_pylist()
            codes[:, i] = np.fromiter((lookup[v] for v in values), dtype=np.int64)
        self.sizes = [len(SYNTH_DOMAINS[c]) for c in SYNTH_COLUMNS]
        self.marginals = metrics.marginals(codes, self.sizes)
        held = pq.read_table(test, columns=[*FEATURES, "klass"])
        self.test_rows = np.column_stack([held[f].to_numpy() for f in FEATURES])
        index = {c: i for i, c in enumerate(CLASSES)}
        self.test_classes = np.array([index[c] for c in held["klass"].to_pylist()])


def score(
    family: str, values: dict[str, Any], floor: dict[str, Any], truth: Truth
) -> dict[str, float]:
    """The family's errors of one release (``error`` is the primary one)."""
    if family in ("linear", "logistic"):
        return {
            "error": metrics.coefficient_error(values["coefficients"], floor["coefficients"]),
            "intercept_abs_error": abs(values["intercept"] - floor["intercept"]),
        }
    if family == "kmeans":
        ratio = metrics.kmeans_cost(truth.rows, values["centroids"]) / metrics.kmeans_cost(
            truth.rows, floor["centroids"]
        )
        return {"error": ratio - 1.0, "cost_ratio": ratio}
    if family == "pca":
        released = np.asarray(values["explained_variance_ratio"], dtype=float)
        exact = np.asarray(floor["explained_variance_ratio"], dtype=float)
        return {
            "error": metrics.subspace_error(values["components"], floor["components"]),
            "variance_ratio_abs_error": float(np.max(np.abs(released - exact))),
        }
    if family == "naive_bayes":
        accuracy = metrics.naive_bayes_accuracy(values, truth.test_rows, truth.test_classes)
        return {"error": 1.0 - accuracy, "accuracy": accuracy}
    if family == "synth":
        codes = synthetic_codes(values)
        tvd = metrics.total_variation(truth.marginals, metrics.marginals(codes, truth.sizes))
        return {"error": tvd["tvd_mean"], **tvd}
    raise ValueError(family)


def synthetic_codes(values: dict[str, Any]) -> np.ndarray:
    """A synthetic table (codes, or the platform's rows by column) as integer codes."""
    if "codes" in values:
        return np.asarray(values["codes"], dtype=np.int64)
    rows = values["rows"]
    out = np.empty((len(rows[SYNTH_COLUMNS[0]]), len(SYNTH_COLUMNS)), dtype=np.int64)
    for i, column in enumerate(SYNTH_COLUMNS):
        lookup = {v: c for c, v in enumerate(SYNTH_DOMAINS[column])}
        out[:, i] = [lookup[v] for v in rows[column]]
    return out


def spawn(args: list[str], log: Path, attempts: int = 3) -> dict[str, Any]:
    """Run a contender process, again if it fails (on a loaded machine Ray's start may time
    out: it waits 30 s for its raylet); its JSON result line, or the last failure (every
    attempt's log is kept).
    """
    errors: list[str] = []
    result: dict[str, Any] = {}
    for attempt in range(attempts):
        result = _spawn_once(args, log if attempt == 0 else log.with_suffix(f".retry{attempt}.log"))
        if result.get("ok"):
            if errors:
                result["retried_after"] = [e[:300] for e in errors]
            return result
        errors.append(str(result.get("error")))
    return result


def _spawn_once(args: list[str], log: Path) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.models.contender", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    log.write_text(done.stdout[-20000:] + "\n--- stderr ---\n" + done.stderr[-20000:])
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{") and RESULT_KEY in line:
            result: dict[str, Any] = json.loads(line)
            result["wall_seconds"] = time.perf_counter() - start
            return result
    return {"ok": False, "error": f"exit {done.returncode}: {done.stderr[-600:]}"}


def spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min, max, median and n."""
    return {
        "mean": statistics.fmean(values),
        "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "median": statistics.median(values),
        "n": len(values),
    }


def summarise(
    family: str, path: str, result: dict[str, Any], floor: dict[str, Any], truth: Truth
) -> list[dict[str, Any]]:
    """Per epsilon: the spread of each error and of the seconds, and the peak memory."""
    out: list[dict[str, Any]] = []
    by_epsilon: dict[Any, list[dict[str, Any]]] = {}
    for rep in result["reps"]:
        by_epsilon.setdefault(rep["epsilon"], []).append(rep)
    for epsilon, reps in by_epsilon.items():
        scores = [score(family, r["values"], floor, truth) for r in reps]
        row: dict[str, Any] = {
            "family": family,
            "path": path,
            "epsilon": epsilon,
            "seconds": spread([r["seconds"] for r in reps]),
            "peak_mb": result.get("peak_mb"),
            "errors": {k: spread([s[k] for s in scores]) for k in scores[0]},
            "per_rep_error": [s["error"] for s in scores],
        }
        if "fit_seconds" in reps[0]:
            row["fit_seconds"] = spread([r["fit_seconds"] for r in reps])
        if result.get("cold_seconds") is not None:
            row["cold_seconds"] = result["cold_seconds"]
        out.append(row)
    return out


def _fmt(s: dict[str, float], digits: int = 4) -> str:
    return (
        f"{s['mean']:.{digits}f} ± {s['sd']:.{digits}f} "
        f"[{s['min']:.{digits}f}..{s['max']:.{digits}f}] n={s['n']}"
    )


def print_family(family: str, rows: list[dict[str, Any]]) -> None:
    """One table per family: each contender at each epsilon."""
    print(f"\n## {family} (error: {PRIMARY[family]})")
    print(
        "| contender | epsilon | error mean ± sd [min..max] | other | seconds median [min..max]"
        " | peak MB |"
    )
    print("|---|---:|---|---|---|---:|")
    for row in rows:
        errors = row["errors"]
        other = "; ".join(f"{k} {v['mean']:.4g}" for k, v in errors.items() if k != "error")
        seconds = row["seconds"]
        eps = "-" if row["epsilon"] is None else f"{row['epsilon']:g}"
        peak = f"{row['peak_mb']:.0f}" if row.get("peak_mb") else "?"
        print(
            f"| {row['path']} | {eps} | {_fmt(errors['error'])} | {other} | "
            f"{seconds['median']:.2f} [{seconds['min']:.2f}..{seconds['max']:.2f}] | {peak} |"
        )


HEADLINE: dict[str, str] = {"kmeans": "cost_ratio"}
"""The measure the accuracy ratio compares, where it is not the table's ``error``: k-means
is compared by its cost ratio (the issue's measure of it); the ratio of the excess costs is
printed beside it (it divides by the library's excess, which is near 0 at 1M rows)."""


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per family and epsilon: platform mean error / library mean error, seconds, memory."""
    found: list[dict[str, Any]] = []
    index = {(r["family"], r["path"], r["epsilon"]): r for r in rows}
    for (family, path, epsilon), row in index.items():
        if path != "platform":
            continue
        library = index.get((family, "library", epsilon))
        if library is None:
            continue
        measure = HEADLINE.get(family, "error")
        ours = row["errors"][measure]["mean"]
        theirs = library["errors"][measure]["mean"]
        entry: dict[str, Any] = {
            "family": family,
            "epsilon": epsilon,
            "measure": PRIMARY[family] if measure == "error" else measure,
            "error_ratio": ours / theirs if theirs > 0 else math.inf,
            "error_ratio_se": ratio_standard_error(
                row["errors"][measure], library["errors"][measure]
            ),
            "time_ratio": row["seconds"]["median"] / library["seconds"]["median"],
            "peak_ratio": (row.get("peak_mb") or math.nan) / (library.get("peak_mb") or math.nan),
        }
        if measure != "error":
            excess = row["errors"]["error"]["mean"], library["errors"]["error"]["mean"]
            entry["excess_error_ratio"] = excess[0] / excess[1] if excess[1] > 0 else math.inf
        found.append(entry)
    return found


def _se(entry: dict[str, Any]) -> str:
    se = entry.get("error_ratio_se")
    return "" if se is None or math.isnan(se) else f" ± {se:.3f}"


def ratio_standard_error(ours: dict[str, float], theirs: dict[str, float]) -> float:
    """Standard error of ``ours["mean"] / theirs["mean"]`` (delta method, independent
    samples): how far the ratio of two means of a few noisy releases can be trusted.
    """
    if theirs["mean"] <= 0 or ours["mean"] <= 0:
        return math.nan
    relative = (ours["sd"] / ours["mean"]) ** 2 / ours["n"] + (
        theirs["sd"] / theirs["mean"]
    ) ** 2 / theirs["n"]
    return float(ours["mean"] / theirs["mean"] * math.sqrt(relative))


def report(saved: dict[str, Any]) -> None:
    """Print the tables, the ratios and, last, the accuracy line from saved figures."""
    rows = saved["results"]
    for family in FAMILIES:
        family_rows = [r for r in rows if r["family"] == family]
        if family_rows:
            print_family(family, family_rows)
    for key, error in sorted(saved.get("failures", {}).items()):
        print(f"{key}: failed: {error[:300]}")
    found = ratios(rows)
    print("\n## platform vs library (mean error ratio, median seconds ratio, peak memory ratio)")
    for r in found:
        extra = (
            f" (excess cost x{r['excess_error_ratio']:.3f})" if "excess_error_ratio" in r else ""
        )
        print(
            f"- {r['family']} eps {r['epsilon']:g}: {r['measure']} x{r['error_ratio']:.3f}"
            f"{_se(r)}{extra}, time x{r['time_ratio']:.2f}, peak MB x{r['peak_ratio']:.1f}"
        )
    if saved.get("failures"):
        print("failed: " + ", ".join(sorted(saved["failures"])))
    if found:
        worst = max(found, key=lambda r: r["error_ratio"])
        print(
            f"worst: {worst['family']} at epsilon {worst['epsilon']:g} ({worst['measure']}, "
            f"x{worst['error_ratio']:.3f}{_se(worst)})"
        )
        print(f"models accuracy vs library: {worst['error_ratio']:.3f}")
    else:
        print("models accuracy vs library: n/a (no family measured on both paths)")


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--synth-repeats",
        type=int,
        default=10,
        help="releases of synthetic data per path and epsilon (its TVDs differ by a few "
        "percent: 3 cannot tell the two MSTs apart)",
    )
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--epsilons", default=",".join(f"{e:g}" for e in EPSILONS))
    parser.add_argument("--data-dir", default="var/bench")
    parser.add_argument("--work", type=Path, default=None, help="platform var dir (temporary)")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other families' figures of the saved results file (a partial rerun)",
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="reprint the summary of a saved results file"
    )
    args = parser.parse_args()
    if args.report is not None:
        report(json.loads(args.report.read_text()))
        return
    families = [f for f in args.families.split(",") if f]
    paths = [p for p in args.paths.split(",") if p]
    started = time.perf_counter()
    data = ensure(args.rows, args.data_dir)
    test = ensure(args.rows, args.data_dir, test=True)
    truth = Truth(data, test)
    logs = Path(args.data_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="models-bench-"))
    print(
        f"# models benchmark: {args.rows:,} rows ({data}), epsilons {args.epsilons}, "
        f"repeats {args.repeats} (synth {args.synth_repeats})"
    )
    setup: dict[str, Any] = {}
    if "platform" in paths:
        setup = spawn(
            ["--path", "platform-setup", "--data", str(data), "--work", str(work)],
            logs / "models-platform-setup.log",
        )
        if setup.get("ok"):
            print(
                f"platform setup (registration of the file twice, bounding): "
                f"registration {setup['registration_seconds']:.1f} s, bounding "
                f"{setup['bounding_seconds']:.1f} s, peak {setup['peak_mb']:.0f} MB"
            )
        else:
            print(f"platform setup failed: {setup.get('error')}")
    rows: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    try:
        for family in families:
            repeats = args.synth_repeats if family == "synth" else args.repeats
            floor_result = spawn(
                [
                    "--path",
                    "sklearn",
                    "--family",
                    family,
                    "--data",
                    str(data),
                    "--repeats",
                    str(min(repeats, 3)),
                ],
                logs / f"models-{family}-sklearn.log",
            )
            if not floor_result.get("ok"):
                failures[f"{family}/sklearn"] = str(floor_result.get("error"))
                print(f"\n## {family}: the floor failed: {floor_result.get('error')}")
                continue
            floor = floor_result["reps"][0]["values"]
            family_rows = []
            for path in paths:
                if path == "sklearn":
                    result = floor_result
                elif path == "platform":
                    if not setup.get("ok"):
                        continue
                    actor = ",".join(str(a) for a in setup["actor"])
                    result = spawn(
                        [
                            "--path",
                            "platform",
                            "--family",
                            family,
                            "--data",
                            str(data),
                            "--work",
                            str(work),
                            "--actor",
                            actor,
                            "--epsilons",
                            args.epsilons,
                            "--repeats",
                            str(repeats),
                        ],
                        logs / f"models-{family}-platform.log",
                    )
                else:
                    result = spawn(
                        [
                            "--path",
                            path,
                            "--family",
                            family,
                            "--data",
                            str(data),
                            "--epsilons",
                            args.epsilons,
                            "--repeats",
                            str(repeats),
                        ],
                        logs / f"models-{family}-{path}.log",
                    )
                if not result.get("ok"):
                    failures[f"{family}/{path}"] = str(result.get("error"))
                    continue
                family_rows += summarise(family, path, result, floor, truth)
            print_family(family, family_rows)
            for key, error in failures.items():
                if key.startswith(family + "/"):
                    print(f"{key}: failed: {error[:300]}")
            rows += family_rows
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    out = Path(args.data_dir) / f"models-results-{args.rows}.json"
    saved: dict[str, Any] = {"results": [], "failures": {}}
    if args.merge and out.exists():  # a rerun of some families replaces only theirs
        saved = json.loads(out.read_text())
        rerun = {(r["family"], r["path"]) for r in rows} | set(failures)
        saved["results"] = [r for r in saved["results"] if (r["family"], r["path"]) not in rerun]
        saved["failures"] = {
            k: v for k, v in saved.get("failures", {}).items() if tuple(k.split("/")) not in rerun
        }
    results = saved["results"] + rows
    saved.update(
        {
            "rows": args.rows,
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "repeats": args.repeats,
            "synth_repeats": args.synth_repeats,
            "setup": setup or saved.get("setup", {}),
            "results": results,
            "ratios": ratios(results),
            "failures": {**saved.get("failures", {}), **failures},
            "total_seconds": time.perf_counter() - started,
        }
    )
    out.write_text(json.dumps(saved, indent=1, default=float))
    print(f"\nfigures: {out} ({time.perf_counter() - started:.0f} s in all)")
    print("\n# summary")
    report(saved)


if __name__ == "__main__":
    main()

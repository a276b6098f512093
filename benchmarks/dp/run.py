"""DP query benchmark: the sandbox engine beside exact baselines and other DP libraries.

Every contender answers the same queries on the same generated Parquet files (see
:mod:`benchmarks.dp.spec`): ``main`` (per district, count + clipped sum + mean of income, at
most 5 rows per person, total epsilon 1), ``filtered``, ``crosstab`` and ``join`` (with the
benefits table beside the file, :mod:`benchmarks.dp.join_query`). Each runs in its own
subprocess and virtualenv (``benchmarks/.venvs/<name>/``, created from
``benchmarks/dp/requirements-<name>.txt`` on first use); the sandbox engine runs with the
project's interpreter.

Accuracy: every DP contender releases the query ``--repeats`` times (20 by default), each an
independent release at epsilon 1 (a new session, context, accountant or grant, fresh noise)
in the same subprocess after one setup; its error is the mean over the repetitions, shown
with its spread. The data are seeded; the noise is not (OpenDP's and the engine's samplers
are cryptographically secure and take no seed), so repetitions differ draw by draw.

A contender whose first repetition is still running after ``--cap`` seconds is killed (with
its child processes), reported as timed out, and rerun at ``--fallback-rows`` rows; the
repetitions after the first may run until ``--error-cap`` seconds in all (a contender
stopped there reports the repetitions it finished). The runs share a time budget
(``--budget``) so the benchmark always ends. Installing virtualenvs is not counted in it.

Usage: ``python -m benchmarks.dp.run [--rows N] [--cap 120] [--repeats 20] [--data-dir
var/bench]``. Prints one line per contender (name, query seconds, peak MB, mean relative
error and its spread over the repetitions, notes), then ``engine/exact ratio: <x>`` and
last ``engine/best-peer error ratio: <y>``; writes every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.dp.data import ensure, ensure_benefits
from benchmarks.dp.spec import (
    AGE_BANDS,
    AGE_EDGES,
    DISTRICTS,
    ELDERLY_AGE,
    INCOME_LOWER,
    INCOME_UPPER,
    JOIN_BOUND,
    JOIN_TRUNCATE,
    QUERIES,
    RESULT_KEY,
    group_label,
)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INSTALL_TIMEOUT = 1800
SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class Contender:
    """One line of the benchmark table."""

    name: str
    """Label printed in the table."""
    venv: str | None
    """Virtualenv name (``requirements-<venv>.txt``); ``None``: the project's interpreter."""
    module: str
    """Module run with ``python -m``."""
    args: tuple[str, ...] = ()
    """Arguments before ``--data``."""
    exact: bool = False
    """True for the non-private floor."""
    queries: tuple[str, ...] = ("main",)
    """The benchmark queries it answers (:data:`benchmarks.dp.spec.QUERIES`)."""

    @property
    def private(self) -> bool:
        """A DP contender: its error is measured over repetitions."""
        return not self.exact


CONTENDERS: tuple[Contender, ...] = (
    Contender("pyarrow (exact)", "exact", "benchmarks.dp.contenders", ("exact_pyarrow",), True),
    Contender(
        "polars (exact)", "exact", "benchmarks.dp.contenders", ("exact_polars",), True, QUERIES
    ),
    Contender(
        "duckdb (exact)", "exact", "benchmarks.dp.contenders", ("exact_duckdb",), True, QUERIES
    ),
    Contender("sandbox engine", None, "benchmarks.dp.sandbox_engine", queries=QUERIES),
    Contender(
        "OpenDP Polars", "opendp", "benchmarks.dp.contenders", ("opendp_polars",), queries=QUERIES
    ),
    Contender(
        "Tumult Analytics", "tumult", "benchmarks.dp.contenders", ("tumult",), queries=QUERIES
    ),
    Contender("SmartNoise SQL", "smartnoise", "benchmarks.dp.contenders", ("smartnoise",)),
    Contender("PipelineDP (local)", "pipelinedp", "benchmarks.dp.contenders", ("pipelinedp",)),
)
ENGINE = "sandbox engine"


@dataclass
class Outcome:
    """What one run of one contender gave."""

    status: str
    """ok, timeout, error, unavailable, not installed or skipped."""
    rows: int
    query_seconds: float | None = None
    setup_seconds: float | None = None
    wall_seconds: float | None = None
    """Whole subprocess, interpreter start to exit."""
    peak_mb: float | None = None
    """The larger of the process's own peak RSS and the sampled peak of its process tree."""
    self_peak_mb: float | None = None
    tree_peak_mb: float | None = None
    mean_error: float | None = None
    notes: str = ""
    error: str = ""
    load_before: float | None = None
    """The machine's 1-minute load average when the run started (others' work shows here)."""
    errors: list[float] = field(default_factory=list)
    """Mean relative error of each repetition, in order."""
    repeats: int = 1
    """Repetitions asked for."""

    @property
    def spread(self) -> dict[str, float] | None:
        """Mean, sample standard deviation, min and max of :attr:`errors`."""
        if not self.errors:
            return None
        n = len(self.errors)
        mean = sum(self.errors) / n
        sd = math.sqrt(sum((e - mean) ** 2 for e in self.errors) / (n - 1)) if n > 1 else 0.0
        return {"n": n, "mean": mean, "sd": sd, "min": min(self.errors), "max": max(self.errors)}


@dataclass
class Line:
    """A contender's figures: its run at the requested size, and its fallback run if any."""

    contender: str
    main: Outcome
    fallback: Outcome | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> Outcome:
        """The run whose figures are printed."""
        return self.fallback if self.fallback is not None else self.main


# --- exact answer ----------------------------------------------------------------------------


def exact_answer(path: Path, query: str = "main") -> dict[str, dict[str, float]]:
    """The true statistics, computed once with pyarrow in this process."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if query == "join":
        from benchmarks.dp.join_query import exact_answer as join_answer

        return join_answer(path)
    if query != "main":
        return _exact_counts(path, query)
    table = pq.read_table(path, columns=["district", "income"])
    clipped = pc.min_element_wise(pc.max_element_wise(table["income"], INCOME_LOWER), INCOME_UPPER)
    out = (
        table.set_column(1, "income", clipped)
        .group_by("district")
        .aggregate([([], "count_all"), ("income", "sum")])
    )
    answer = {}
    for d, n, s in zip(
        out["district"].to_pylist(),
        out["count_all"].to_pylist(),
        out["income_sum"].to_pylist(),
        strict=True,
    ):
        answer[d] = {"count": float(n), "sum": float(s), "mean": s / n}
    return answer


def _exact_counts(path: Path, query: str) -> dict[str, dict[str, float]]:
    """The true counts of a shaped query (``filtered``, ``crosstab``), with pyarrow."""
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["district", "age"])
    ages = np.asarray(table["age"].to_numpy())
    districts = np.asarray(table["district"].to_numpy(zero_copy_only=False), dtype=object)
    if query == "filtered":
        kept = table.filter(pc.greater_equal(table["age"], ELDERLY_AGE))
        counts = dict(
            zip(
                *np.unique(
                    np.asarray(kept["district"].to_numpy(zero_copy_only=False), dtype=object),
                    return_counts=True,
                ),
                strict=True,
            )
        )
        return {d: {"count": float(counts.get(d, 0))} for d in DISTRICTS}
    band = np.searchsorted(np.asarray(AGE_EDGES[1:-1]), ages, side="right")
    out: dict[str, dict[str, float]] = {}
    for district in DISTRICTS:
        in_district = districts == district
        for index, name in enumerate(AGE_BANDS):
            out[group_label(district, name)] = {
                "count": float(np.count_nonzero(in_district & (band == index)))
            }
    return out


def mean_relative_error(groups: dict[str, Any], exact: dict[str, dict[str, float]]) -> float:
    """Mean of ``|released - exact| / |exact|`` over every cell of the exact answer (32
    districts x 3 statistics for ``main``; the 32 or 96 groups' counts otherwise).

    A group or value that is missing or not finite counts as an error of 1 (as if 0 had
    been released).
    """
    errors = []
    for label, truth in exact.items():
        released = groups.get(label) or {}
        for stat in truth:
            value = released.get(stat)
            if value is None or not math.isfinite(value):
                errors.append(1.0)
            else:
                errors.append(abs(value - truth[stat]) / abs(truth[stat]))
    return sum(errors) / len(errors)


# --- virtualenvs -----------------------------------------------------------------------------


class InstallError(Exception):
    """A contender's virtualenv could not be created."""


def venv_python(venvs: Path, name: str, install: bool) -> Path:
    """The interpreter of the named virtualenv, created and filled first if needed.

    Raises:
        InstallError: with the concrete reason (last lines of pip's output).
    """
    requirements = HERE / f"requirements-{name}.txt"
    target = venvs / name
    python = target / "bin" / "python"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    marker = target / ".dp-bench-requirements"
    if python.exists() and marker.exists() and marker.read_text() == digest:
        return python
    if not install:
        raise InstallError(f"virtualenv {target} missing or stale (--no-install given)")
    venvs.mkdir(parents=True, exist_ok=True)
    log = venvs / f"{name}.install.log"
    print(
        f"[dp-bench] installing {requirements.name} into {target} (log: {log}) ...",
        file=sys.stderr,
        flush=True,
    )
    commands = [
        [sys.executable, "-m", "venv", "--clear", str(target)],
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
            str(requirements),
        ],
    ]
    with log.open("w") as out:
        for command in commands:
            try:
                done = subprocess.run(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=INSTALL_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise InstallError(f"{command[2]} timed out after {INSTALL_TIMEOUT} s") from exc
            if done.returncode != 0:
                out.flush()
                raise InstallError(f"{' '.join(command[2:4])} failed: {_tail(log)}")
    marker.write_text(digest)
    return python


def _tail(path: Path, lines: int = 3) -> str:
    """The last meaningful lines of a log, on one line."""
    keep = [
        ln.strip()
        for ln in path.read_text(errors="replace").splitlines()
        if ln.strip() and not ln.startswith("WARNING: Location")
    ]
    return " | ".join(keep[-lines:])[-600:]


# --- running one contender -------------------------------------------------------------------


def _process_tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, stack = [], [root]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def _tree_rss_mb(pids: list[int]) -> float:
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    pids = _process_tree(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()


def run_one(
    contender: Contender,
    python: Path,
    data: Path,
    rows: int,
    cap: float,
    exact: dict[str, dict[str, float]],
    logs: Path,
    repeats: int = 1,
    error_cap: float | None = None,
    query: str = "main",
) -> Outcome:
    """Run one contender in a subprocess under the time caps, sampling its memory.

    ``cap`` bounds the time to the first repetition's result; ``error_cap`` (default
    ``cap``) the whole run: a run stopped there keeps the repetitions it finished.
    """
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{contender.module.rsplit('.', 1)[1]}-{'-'.join(contender.args)}-{rows}".strip("-")
    if query != "main":
        stem += f"-{query}"
    out_path, err_path = logs / f"{stem}.out", logs / f"{stem}.err"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("VIRTUAL_ENV", None)
    command = [str(python), "-m", contender.module, *contender.args, "--data", str(data)]
    if repeats > 1:
        command += ["--repeats", str(repeats)]
    if query != "main":
        command += ["--query", query]
    whole_cap = max(cap, error_cap if error_cap is not None else cap)
    tree_peak = 0.0
    stopped = False
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        timed_out = False
        while True:
            tree_peak = max(tree_peak, _tree_rss_mb(_process_tree(proc.pid)))
            try:
                proc.wait(timeout=SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - start
                if elapsed > whole_cap or (elapsed > cap and not _results(out_path)):
                    timed_out = not _results(out_path)
                    stopped = not timed_out
                    _kill_tree(proc)
                    break
        wall = time.monotonic() - start
    if timed_out:
        return Outcome(
            "timeout",
            rows,
            wall_seconds=wall,
            peak_mb=tree_peak,
            tree_peak_mb=tree_peak,
            notes=f"killed after {cap:.0f} s",
            repeats=repeats,
        )
    results = _results(out_path)
    result = _read_result(out_path)
    if result is not None and not result.get("ok") and any(r.get("ok") for r in results):
        result = next(r for r in reversed(results) if r.get("ok"))  # a later rep failed
    if result is None:
        return Outcome(
            "error",
            rows,
            wall_seconds=wall,
            peak_mb=tree_peak,
            tree_peak_mb=tree_peak,
            error=f"exit code {proc.returncode}, no result line: {_tail(err_path)}",
        )
    self_peak = float(result.get("peak_mb") or 0.0)
    peak = max(self_peak, tree_peak)
    notes = str(result.get("notes", ""))
    if result.get("query_peak_mb") is not None:
        # The contender ran its setup in a separate process and sampled its own process
        # tree (Ray included) from the end of setup on: that is its figure. The harness's
        # sample of the whole run, setup included, goes to the notes.
        peak = float(result["query_peak_mb"])
        notes += f"; whole run incl. setup process {max(self_peak, tree_peak):.0f} MB"
    reps = {
        int(r.get("rep", 1)): r["groups"]
        for r in results
        if r.get("ok") and r.get("groups") is not None
    }
    seconds = result.get("query_seconds")
    if seconds is None:  # stopped before its summary: the median repetition
        timed = sorted(float(r["rep_seconds"]) for r in results if r.get("rep_seconds"))
        seconds = timed[len(timed) // 2] if timed else None
    if stopped:
        notes += (
            f"; stopped at the error cap ({whole_cap:.0f} s) after {len(reps)} of "
            f"{repeats} repetitions"
        )
    outcome = Outcome(
        "ok" if result.get("ok") else str(result.get("status", "error")),
        rows,
        query_seconds=seconds,
        setup_seconds=result.get("setup_seconds"),
        wall_seconds=wall,
        peak_mb=peak,
        self_peak_mb=self_peak,
        tree_peak_mb=tree_peak,
        notes=notes,
        error=str(result.get("error", "")),
        repeats=repeats,
    )
    if result.get("ok"):
        outcome.errors = [mean_relative_error(reps[k] or {}, exact) for k in sorted(reps)]
        outcome.mean_error = (
            sum(outcome.errors) / len(outcome.errors)
            if outcome.errors
            else mean_relative_error(result.get("groups") or {}, exact)
        )
    return outcome


def _results(path: Path) -> list[dict[str, Any]]:
    """Every result line of a contender's stdout so far (one per repetition), in order."""
    found = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and RESULT_KEY in line:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and value.get(RESULT_KEY):
                found.append(value)
    return found


def _read_result(path: Path) -> dict[str, Any] | None:
    """The contender's summary: the last JSON line of its stdout that carries the marker."""
    found = _results(path)
    return found[-1] if found else None


# --- the whole benchmark ---------------------------------------------------------------------


class Bench:
    """State of one benchmark run: data files, exact answers, interpreters, time budget."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.deadline = 0.0
        self.files: dict[int, Path] = {}
        self.exact: dict[tuple[int, str], dict[str, dict[str, float]]] = {}
        self.pythons: dict[str, Path | InstallError] = {}
        self.logs = Path(args.logs) if args.logs else Path(args.data_dir) / "logs"

    def data(self, rows: int) -> Path:
        """The file of ``rows`` rows and its exact answer, prepared once."""
        if rows not in self.files:
            print(f"[dp-bench] data: {rows:,} rows ...", file=sys.stderr, flush=True)
            self.files[rows] = ensure(self.args.data_dir, rows)
        return self.files[rows]

    def truth(self, rows: int, query: str) -> dict[str, dict[str, float]]:
        """The exact answer of ``query`` on the file of ``rows`` rows, computed once."""
        if (rows, query) not in self.exact:
            if query == "join":
                ensure_benefits(self.args.data_dir, rows)
            self.exact[(rows, query)] = exact_answer(self.data(rows), query)
        return self.exact[(rows, query)]

    def python(self, contender: Contender) -> Path:
        """The interpreter for a contender (its virtualenv's, or the project's)."""
        if contender.venv is None:
            project = REPO / ".venv" / "bin" / "python"
            return project if project.exists() else Path(sys.executable)
        if contender.venv not in self.pythons:
            try:
                self.pythons[contender.venv] = venv_python(
                    Path(self.args.venvs), contender.venv, not self.args.no_install
                )
            except InstallError as exc:
                self.pythons[contender.venv] = exc
        found = self.pythons[contender.venv]
        if isinstance(found, InstallError):
            raise found
        return found

    def attempt(self, contender: Contender, rows: int, query: str = "main") -> Outcome:
        """One run within the cap and what is left of the budget."""
        try:
            python = self.python(contender)
        except InstallError as exc:
            return Outcome("not installed", rows, error=str(exc))
        data = self.data(rows)
        if query == "join":
            ensure_benefits(self.args.data_dir, rows)
        remaining = self.deadline - time.monotonic()
        if remaining < 5:
            return Outcome("skipped", rows, notes="time budget used up")
        cap = min(self.args.cap, remaining)
        repeats = self.args.repeats if contender.private else 1
        error_cap = min(self.args.error_cap, remaining) if repeats > 1 else cap
        print(
            f"[dp-bench] {query}: {contender.name} at {rows:,} rows, {repeats} repetition(s) "
            f"(cap {cap:.0f} s to the first, {error_cap:.0f} s in all) ...",
            file=sys.stderr,
            flush=True,
        )
        load = os.getloadavg()[0]
        outcome = run_one(
            contender,
            python,
            data,
            rows,
            cap,
            self.truth(rows, query),
            self.logs,
            repeats,
            error_cap,
            query,
        )
        outcome.load_before = load
        return outcome


def fmt_spread(o: Outcome) -> str:
    """``sd 1.2e-05, 3.1e-05..8.0e-05, n=20`` (or ``-`` without repetitions)."""
    spread = o.spread
    if spread is None or spread["n"] < 2:
        return "-"
    return f"sd {spread['sd']:.1e}, {spread['min']:.1e}..{spread['max']:.1e}, n={spread['n']}"


def fmt_line(line: Line, main_rows: int) -> str:
    """One printed line: name, seconds, peak MB, mean error and its spread, notes."""
    o = line.shown
    seconds = f"{o.query_seconds:8.2f} s" if o.query_seconds is not None else "       - s"
    peak = f"{o.peak_mb:7.0f} MB" if o.peak_mb else "      - MB"
    error = f"{o.mean_error:9.2e}" if o.mean_error is not None else "        -"
    error += f" {fmt_spread(o):<34}"
    notes = []
    if line.fallback is not None:
        notes.append(f"TIMED OUT at {main_rows:,} rows ({line.main.notes})")
        notes.append(
            f"figures at {o.rows:,} rows"
            if o.status == "ok"
            else f"at {o.rows:,} rows: {o.status.upper()}"
        )
    elif o.status != "ok":
        notes.append(o.status.upper() + (f" ({o.notes})" if o.notes else ""))
    if o.status == "ok":
        if o.setup_seconds is not None and o.setup_seconds >= 0.05:
            notes.append(f"setup {o.setup_seconds:.1f} s")
        if o.notes:
            notes.append(o.notes)
        if (
            o.self_peak_mb
            and o.tree_peak_mb
            and o.tree_peak_mb > 1.2 * o.self_peak_mb
            and "whole run incl. setup" not in o.notes
        ):
            notes.append("peak incl. child processes")
    elif o.error:
        notes.append(o.error)
    return f"{line.contender:<20} {seconds} {peak} {error}  {'; '.join(notes)}"


def engine_ratio(lines: list[Line]) -> tuple[str, dict[str, Any]]:
    """Engine query seconds over the fastest exact baseline at the same size."""
    engine = next((ln for ln in lines if ln.contender == ENGINE), None)
    if engine is None or engine.shown.status != "ok" or not engine.shown.query_seconds:
        return "n/a", {}
    rows = engine.shown.rows
    exact_names = {c.name for c in CONTENDERS if c.exact}
    exact_times = {
        ln.contender: o.query_seconds
        for ln in lines
        if ln.contender in exact_names
        for o in (ln.main, ln.fallback, *ln.extra.values())
        if o is not None and o.rows == rows and o.status == "ok" and o.query_seconds
    }
    if not exact_times:
        return "n/a", {}
    best = min(exact_times, key=exact_times.__getitem__)
    ratio = engine.shown.query_seconds / exact_times[best]
    return f"{ratio:.2f} (vs {best} at {rows:,} rows)", {
        "ratio": ratio,
        "baseline": best,
        "baseline_seconds": exact_times[best],
        "rows": rows,
    }


def error_ratio(lines: list[Line]) -> tuple[str, dict[str, Any]]:
    """The engine's mean error over the best DP peer's, both at the same number of rows.

    Each peer is compared with the engine's run of its own size (the engine is rerun at a
    peer's fallback size when needed); the best peer is the one with the lowest mean error
    at the engine's main size, else at the largest size where both ran.
    """
    engine = next((ln for ln in lines if ln.contender == ENGINE), None)
    if engine is None:
        return "n/a", {}
    engine_runs = {
        o.rows: o
        for o in (engine.main, engine.fallback, *engine.extra.values())
        if o is not None and o.status == "ok" and o.errors
    }
    peers = {c.name for c in CONTENDERS if c.private and c.name != ENGINE}
    pairs: list[tuple[int, str, Outcome]] = []
    for line in lines:
        if line.contender not in peers:
            continue
        for o in (line.main, line.fallback):
            if o is not None and o.status == "ok" and o.errors and o.rows in engine_runs:
                pairs.append((o.rows, line.contender, o))
    if not pairs:
        return "n/a", {}
    size = max(rows for rows, _, _ in pairs)
    at_size = [(name, o) for rows, name, o in pairs if rows == size]
    best_name, best = min(at_size, key=lambda item: item[1].mean_error or math.inf)
    ours = engine_runs[size]
    assert ours.mean_error is not None and best.mean_error is not None
    ratio = ours.mean_error / best.mean_error
    others = {
        name: {
            "rows": o.rows,
            "ratio": (engine_runs[o.rows].mean_error or 0) / (o.mean_error or math.inf),
            "spread": o.spread,
        }
        for _, name, o in pairs
    }
    text = (
        f"{ratio:.2f} (engine {ours.mean_error:.2e}, {fmt_spread(ours)}; best peer "
        f"{best_name} {best.mean_error:.2e}, {fmt_spread(best)}; at {size:,} rows)"
    )
    return text, {
        "ratio": ratio,
        "peer": best_name,
        "rows": size,
        "engine": ours.spread,
        "best_peer": best.spread,
        "per_peer": others,
    }


def run_query(bench: Bench, chosen: list[Contender], query: str) -> list[Line]:
    """Every chosen contender that answers ``query``, with the fallbacks and the reruns at
    equal size that the ratios need.
    """
    args = bench.args
    chosen = [c for c in chosen if query in c.queries]
    lines = [Line(c.name, bench.attempt(c, args.rows, query)) for c in chosen]
    for line, contender in zip(lines, chosen, strict=True):
        if line.main.status == "timeout" and args.fallback_rows < args.rows:
            line.fallback = bench.attempt(contender, args.fallback_rows, query)
    engine = next((ln for ln in lines if ln.contender == ENGINE), None)
    if engine is not None and engine.shown.status == "ok" and engine.shown.rows != args.rows:
        for line, contender in zip(lines, chosen, strict=True):  # the floor at that size too
            if contender.exact and line.shown.rows != engine.shown.rows:
                line.extra["at_engine_rows"] = bench.attempt(contender, engine.shown.rows, query)
    if engine is not None and engine.main.status == "ok":  # errors compared at equal size
        engine_contender = next(c for c in chosen if c.name == ENGINE)
        sizes = {
            ln.fallback.rows
            for ln in lines
            if ln.fallback is not None and ln.fallback.status == "ok" and ln.contender != ENGINE
        } - {engine.main.rows}
        for rows in sorted(sizes):
            engine.extra[f"at_{rows}_rows"] = bench.attempt(engine_contender, rows, query)
    return lines


QUERY_TITLES = {
    "main": "count, sum and mean of income per district (32 x 3 cells)",
    "filtered": f"count of rows with age >= {ELDERLY_AGE} per district (32 cells)",
    "crosstab": "count per district x age band, a derived key (96 cells)",
    "join": (
        f"visits (1 row/person) x benefits ({JOIN_TRUNCATE[1]} rows/person) on person_id, "
        f"<= {JOIN_BOUND} joined rows/person, sum of amount per district (32 cells)"
    ),
}


def print_table(query: str, lines: list[Line], rows: int) -> None:
    """One query's table: a line per contender, then the engine's reruns at other sizes."""
    print(f"-- {query}: {QUERY_TITLES[query]}")
    print(
        f"{'contender':<20} {'seconds':>10} {'peak':>10} {'mean err':>9} "
        f"{'spread over repetitions':<34}  notes"
    )
    for line in lines:
        print(fmt_line(line, rows))
    for line in lines:
        for label, extra in line.extra.items():
            if line.contender == ENGINE and extra.status == "ok":
                print(
                    f"{'  engine ' + label:<20} {extra.query_seconds or 0:8.2f} s "
                    f"{extra.peak_mb or 0:7.0f} MB {extra.mean_error or 0:9.2e} "
                    f"{fmt_spread(extra):<34}"
                )


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument(
        "--cap",
        type=float,
        default=120.0,
        help="seconds to a contender's first result before it is killed (default 120)",
    )
    parser.add_argument(
        "--fallback-rows",
        type=int,
        default=1_000_000,
        help="size at which a timed-out contender is rerun",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=20,
        help="independent releases per DP contender, for its error (default 20)",
    )
    parser.add_argument(
        "--error-cap",
        type=float,
        default=1800.0,
        help="seconds per DP contender for all its repetitions (default 1800)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=7200.0,
        help="seconds for all runs together, installs excluded (default 7200)",
    )
    parser.add_argument(
        "--queries",
        default=",".join(QUERIES),
        help=f"comma-separated queries to run (default {','.join(QUERIES)})",
    )
    parser.add_argument("--data-dir", default="var/bench")
    parser.add_argument("--venvs", default=str(REPO / "benchmarks" / ".venvs"))
    parser.add_argument(
        "--logs",
        default="",
        help="directory of the contenders' logs (default <data-dir>/logs; give each of "
        "several concurrent runs its own)",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated substrings of contender names to run"
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not create missing virtualenvs (report them instead)",
    )
    parser.add_argument(
        "--out", default="", help="JSON results file (default <data-dir>/dp-results-<rows>.json)"
    )
    args = parser.parse_args()

    wanted = [s.strip().lower() for s in args.only.split(",") if s.strip()]
    chosen = [c for c in CONTENDERS if not wanted or any(w in c.name.lower() for w in wanted)]
    queries = [q for q in QUERIES if q in {x.strip() for x in args.queries.split(",")}]
    bench = Bench(args)
    began = time.monotonic()
    for contender in chosen:  # installs first: not part of the time budget
        try:
            bench.python(contender)
        except InstallError:
            pass
    bench.data(args.rows)
    load_start = os.getloadavg()[0]
    bench.deadline = time.monotonic() + args.budget
    results = {query: run_query(bench, chosen, query) for query in queries}

    size_mb = bench.files[args.rows].stat().st_size / 2**20
    print(
        f"DP benchmark: {args.rows:,} rows ({size_mb:.0f} MB Parquet), 32 districts, "
        f"epsilon 1 per query, <=5 rows/person, cap {args.cap:.0f} s to a first result, "
        f"{args.repeats} repetitions per DP contender (error cap {args.error_cap:.0f} s); "
        f"mean error = mean |released - exact| / |exact| over the cells, averaged over the "
        f"repetitions; load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} "
        f"at end"
    )
    ratios: dict[str, Any] = {}
    for query, lines in results.items():
        print_table(query, lines, args.rows)
        ratio_text, ratio = engine_ratio(lines)
        error_text, errors = error_ratio(lines)
        ratios[query] = {
            "engine_exact_ratio": ratio or None,
            "engine_best_peer_error_ratio": errors or None,
            "texts": (ratio_text, error_text),
        }
        if query != "main":
            print(f"{query}: engine/exact ratio: {ratio_text}")
            print(f"{query}: engine/best-peer error ratio: {error_text}")
    out = Path(args.out or Path(args.data_dir) / f"dp-results-{args.rows}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    main_ratios = ratios.get("main", {})
    out.write_text(
        json.dumps(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "command": " ".join(sys.argv),
                "rows": args.rows,
                "cap_seconds": args.cap,
                "fallback_rows": args.fallback_rows,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "total_seconds": time.monotonic() - began,
                "repeats": args.repeats,
                "error_cap_seconds": args.error_cap,
                "queries": {
                    query: {
                        "contenders": [
                            {
                                "name": ln.contender,
                                "main": asdict(ln.main),
                                "fallback": asdict(ln.fallback) if ln.fallback else None,
                                **{k: asdict(v) for k, v in ln.extra.items()},
                            }
                            for ln in lines
                        ],
                        "engine_exact_ratio": ratios[query]["engine_exact_ratio"],
                        "engine_best_peer_error_ratio": ratios[query][
                            "engine_best_peer_error_ratio"
                        ],
                    }
                    for query, lines in results.items()
                },
                "engine_exact_ratio": main_ratios.get("engine_exact_ratio"),
                "engine_best_peer_error_ratio": main_ratios.get("engine_best_peer_error_ratio"),
            },
            indent=2,
        )
    )
    print(f"results: {out}")
    if "main" in ratios:
        ratio_text, error_text = ratios["main"]["texts"]
        print(f"engine/exact ratio: {ratio_text}")
        print(f"engine/best-peer error ratio: {error_text}")


if __name__ == "__main__":
    main()

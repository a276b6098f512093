"""DP query benchmark: the sandbox engine beside exact baselines and other DP libraries.

Every contender answers the same query on the same generated Parquet file (see
:mod:`benchmarks.dp.spec`): per district, count + clipped sum + mean of income, at most 5 rows
per person, total epsilon 1. Each runs in its own subprocess and virtualenv
(``benchmarks/.venvs/<name>/``, created from ``benchmarks/dp/requirements-<name>.txt`` on
first use); the sandbox engine runs with the project's interpreter.

A contender still running after ``--cap`` seconds is killed (with its child processes),
reported as timed out, and rerun at ``--fallback-rows`` rows; the runs share a time budget
(``--budget``, 30 minutes) so the benchmark always ends. Installing virtualenvs is not
counted in the budget.

Usage: ``python -m benchmarks.dp.run [--rows N] [--cap 120] [--data-dir var/bench]``.
Prints one line per contender (name, query seconds, peak MB, mean relative error, notes),
then ``engine/exact ratio: <x>``; writes every figure to a JSON file.
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

from benchmarks.dp.data import ensure
from benchmarks.dp.spec import DISTRICTS, INCOME_LOWER, INCOME_UPPER, RESULT_KEY, STATISTICS

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


CONTENDERS: tuple[Contender, ...] = (
    Contender("pyarrow (exact)", "exact", "benchmarks.dp.contenders", ("exact_pyarrow",), True),
    Contender("polars (exact)", "exact", "benchmarks.dp.contenders", ("exact_polars",), True),
    Contender("duckdb (exact)", "exact", "benchmarks.dp.contenders", ("exact_duckdb",), True),
    Contender("sandbox engine", None, "benchmarks.dp.sandbox_engine"),
    Contender("OpenDP Polars", "opendp", "benchmarks.dp.contenders", ("opendp_polars",)),
    Contender("Tumult Analytics", "tumult", "benchmarks.dp.contenders", ("tumult",)),
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


def exact_answer(path: Path) -> dict[str, dict[str, float]]:
    """The true statistics, computed once with pyarrow in this process."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["district", "income"])
    clipped = pc.min_element_wise(pc.max_element_wise(table["income"], INCOME_LOWER),
                                  INCOME_UPPER)
    out = table.set_column(1, "income", clipped).group_by("district").aggregate(
        [([], "count_all"), ("income", "sum")]
    )
    answer = {}
    for d, n, s in zip(out["district"].to_pylist(), out["count_all"].to_pylist(),
                       out["income_sum"].to_pylist(), strict=True):
        answer[d] = {"count": float(n), "sum": float(s), "mean": s / n}
    return answer


def mean_relative_error(groups: dict[str, Any], exact: dict[str, dict[str, float]]) -> float:
    """Mean of ``|released - exact| / |exact|`` over 32 districts x 3 statistics.

    A district or value that is missing or not finite counts as an error of 1 (as if 0 had
    been released).
    """
    errors = []
    for district in DISTRICTS:
        truth = exact[district]
        released = groups.get(district) or {}
        for stat in STATISTICS:
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
    print(f"[dp-bench] installing {requirements.name} into {target} (log: {log}) ...",
          file=sys.stderr, flush=True)
    commands = [
        [sys.executable, "-m", "venv", "--clear", str(target)],
        [str(python), "-m", "pip", "install", "--disable-pip-version-check",
         "--no-input", "-r", str(requirements)],
    ]
    with log.open("w") as out:
        for command in commands:
            try:
                done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                                      timeout=INSTALL_TIMEOUT, check=False)
            except subprocess.TimeoutExpired as exc:
                raise InstallError(f"{command[2]} timed out after {INSTALL_TIMEOUT} s") from exc
            if done.returncode != 0:
                out.flush()
                raise InstallError(f"{' '.join(command[2:4])} failed: {_tail(log)}")
    marker.write_text(digest)
    return python


def _tail(path: Path, lines: int = 3) -> str:
    """The last meaningful lines of a log, on one line."""
    keep = [ln.strip() for ln in path.read_text(errors="replace").splitlines()
            if ln.strip() and not ln.startswith("WARNING: Location")]
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


def run_one(contender: Contender, python: Path, data: Path, rows: int, cap: float,
            exact: dict[str, dict[str, float]], logs: Path) -> Outcome:
    """Run one contender in a subprocess under the time cap, sampling its memory."""
    logs.mkdir(parents=True, exist_ok=True)
    stem = f"{contender.module.rsplit('.', 1)[1]}-{'-'.join(contender.args)}-{rows}".strip("-")
    out_path, err_path = logs / f"{stem}.out", logs / f"{stem}.err"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    env.pop("VIRTUAL_ENV", None)
    command = [str(python), "-m", contender.module, *contender.args, "--data", str(data)]
    tree_peak = 0.0
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        timed_out = False
        while True:
            tree_peak = max(tree_peak, _tree_rss_mb(_process_tree(proc.pid)))
            try:
                proc.wait(timeout=SAMPLE_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - start > cap:
                    timed_out = True
                    _kill_tree(proc)
                    break
        wall = time.monotonic() - start
    if timed_out:
        return Outcome("timeout", rows, wall_seconds=wall, peak_mb=tree_peak,
                       tree_peak_mb=tree_peak, notes=f"killed after {cap:.0f} s")
    result = _read_result(out_path)
    if result is None:
        return Outcome("error", rows, wall_seconds=wall, peak_mb=tree_peak,
                       tree_peak_mb=tree_peak,
                       error=f"exit code {proc.returncode}, no result line: {_tail(err_path)}")
    self_peak = float(result.get("peak_mb") or 0.0)
    peak = max(self_peak, tree_peak)
    notes = str(result.get("notes", ""))
    if result.get("query_peak_mb") is not None:
        # The contender ran its setup in a separate process and sampled its own process
        # tree (Ray included) from the end of setup on: that is its figure. The harness's
        # sample of the whole run, setup included, goes to the notes.
        peak = float(result["query_peak_mb"])
        notes += f"; whole run incl. setup process {max(self_peak, tree_peak):.0f} MB"
    outcome = Outcome(
        "ok" if result.get("ok") else str(result.get("status", "error")), rows,
        query_seconds=result.get("query_seconds"), setup_seconds=result.get("setup_seconds"),
        wall_seconds=wall, peak_mb=peak, self_peak_mb=self_peak,
        tree_peak_mb=tree_peak, notes=notes, error=str(result.get("error", "")),
    )
    if result.get("ok"):
        outcome.mean_error = mean_relative_error(result.get("groups") or {}, exact)
    return outcome


def _read_result(path: Path) -> dict[str, Any] | None:
    """The contender's result: the last JSON line of its stdout that carries the marker."""
    for line in reversed(path.read_text(errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{") and RESULT_KEY in line:
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and value.get(RESULT_KEY):
                return value
    return None


# --- the whole benchmark ---------------------------------------------------------------------


class Bench:
    """State of one benchmark run: data files, exact answers, interpreters, time budget."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.deadline = 0.0
        self.files: dict[int, Path] = {}
        self.exact: dict[int, dict[str, dict[str, float]]] = {}
        self.pythons: dict[str, Path | InstallError] = {}
        self.logs = Path(args.data_dir) / "logs"

    def data(self, rows: int) -> Path:
        """The file of ``rows`` rows and its exact answer, prepared once."""
        if rows not in self.files:
            print(f"[dp-bench] data: {rows:,} rows ...", file=sys.stderr, flush=True)
            self.files[rows] = ensure(self.args.data_dir, rows)
            self.exact[rows] = exact_answer(self.files[rows])
        return self.files[rows]

    def python(self, contender: Contender) -> Path:
        """The interpreter for a contender (its virtualenv's, or the project's)."""
        if contender.venv is None:
            project = REPO / ".venv" / "bin" / "python"
            return project if project.exists() else Path(sys.executable)
        if contender.venv not in self.pythons:
            try:
                self.pythons[contender.venv] = venv_python(
                    Path(self.args.venvs), contender.venv, not self.args.no_install)
            except InstallError as exc:
                self.pythons[contender.venv] = exc
        found = self.pythons[contender.venv]
        if isinstance(found, InstallError):
            raise found
        return found

    def attempt(self, contender: Contender, rows: int) -> Outcome:
        """One run within the cap and what is left of the budget."""
        try:
            python = self.python(contender)
        except InstallError as exc:
            return Outcome("not installed", rows, error=str(exc))
        data = self.data(rows)
        remaining = self.deadline - time.monotonic()
        if remaining < 5:
            return Outcome("skipped", rows, notes="time budget used up")
        cap = min(self.args.cap, remaining)
        print(f"[dp-bench] {contender.name} at {rows:,} rows (cap {cap:.0f} s) ...",
              file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        outcome = run_one(contender, python, data, rows, cap, self.exact[rows], self.logs)
        outcome.load_before = load
        return outcome


def fmt_line(line: Line, main_rows: int) -> str:
    """One printed line: name, seconds, peak MB, mean error, notes."""
    o = line.shown
    seconds = f"{o.query_seconds:8.2f} s" if o.query_seconds is not None else "       - s"
    peak = f"{o.peak_mb:7.0f} MB" if o.peak_mb else "      - MB"
    error = f"{o.mean_error:9.2e}" if o.mean_error is not None else "        -"
    notes = []
    if line.fallback is not None:
        notes.append(f"TIMED OUT at {main_rows:,} rows ({line.main.notes})")
        notes.append(f"figures at {o.rows:,} rows" if o.status == "ok"
                     else f"at {o.rows:,} rows: {o.status.upper()}")
    elif o.status != "ok":
        notes.append(o.status.upper() + (f" ({o.notes})" if o.notes else ""))
    if o.status == "ok":
        if o.setup_seconds is not None and o.setup_seconds >= 0.05:
            notes.append(f"setup {o.setup_seconds:.1f} s")
        if o.notes:
            notes.append(o.notes)
        if o.self_peak_mb and o.tree_peak_mb and o.tree_peak_mb > 1.2 * o.self_peak_mb \
                and "whole run incl. setup" not in o.notes:
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
        for ln in lines if ln.contender in exact_names
        for o in (ln.main, ln.fallback, *ln.extra.values())
        if o is not None and o.rows == rows and o.status == "ok" and o.query_seconds
    }
    if not exact_times:
        return "n/a", {}
    best = min(exact_times, key=exact_times.__getitem__)
    ratio = engine.shown.query_seconds / exact_times[best]
    return f"{ratio:.2f} (vs {best} at {rows:,} rows)", {
        "ratio": ratio, "baseline": best, "baseline_seconds": exact_times[best], "rows": rows}


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cap", type=float, default=120.0,
                        help="seconds per contender before it is killed (default 120)")
    parser.add_argument("--fallback-rows", type=int, default=1_000_000,
                        help="size at which a timed-out contender is rerun")
    parser.add_argument("--budget", type=float, default=1800.0,
                        help="seconds for all runs together, installs excluded (default 1800)")
    parser.add_argument("--data-dir", default="var/bench")
    parser.add_argument("--venvs", default=str(REPO / "benchmarks" / ".venvs"))
    parser.add_argument("--only", default="",
                        help="comma-separated substrings of contender names to run")
    parser.add_argument("--no-install", action="store_true",
                        help="do not create missing virtualenvs (report them instead)")
    parser.add_argument("--out", default="", help="JSON results file "
                        "(default <data-dir>/dp-results-<rows>.json)")
    args = parser.parse_args()

    wanted = [s.strip().lower() for s in args.only.split(",") if s.strip()]
    chosen = [c for c in CONTENDERS if not wanted or any(w in c.name.lower() for w in wanted)]
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

    lines = [Line(c.name, bench.attempt(c, args.rows)) for c in chosen]
    for line, contender in zip(lines, chosen, strict=True):
        if line.main.status == "timeout" and args.fallback_rows < args.rows:
            line.fallback = bench.attempt(contender, args.fallback_rows)
    engine = next((ln for ln in lines if ln.contender == ENGINE), None)
    if engine is not None and engine.shown.status == "ok" and engine.shown.rows != args.rows:
        for line, contender in zip(lines, chosen, strict=True):  # the floor at that size too
            if contender.exact and line.shown.rows != engine.shown.rows:
                line.extra["at_engine_rows"] = bench.attempt(contender, engine.shown.rows)

    size_mb = bench.files[args.rows].stat().st_size / 2**20
    print(f"DP benchmark: {args.rows:,} rows ({size_mb:.0f} MB Parquet), 32 districts, "
          f"epsilon 1, <=5 rows/person, cap {args.cap:.0f} s; "
          f"mean error = mean |released - exact| / |exact| over 32 x 3 cells; "
          f"load average {load_start:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print(f"{'contender':<20} {'seconds':>10} {'peak':>10} {'mean err':>9}  notes")
    for line in lines:
        print(fmt_line(line, args.rows))
    ratio_text, ratio = engine_ratio(lines)
    out = Path(args.out or Path(args.data_dir) / f"dp-results-{args.rows}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "rows": args.rows, "cap_seconds": args.cap, "fallback_rows": args.fallback_rows,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "total_seconds": time.monotonic() - began,
        "contenders": [{"name": ln.contender, "main": asdict(ln.main),
                        "fallback": asdict(ln.fallback) if ln.fallback else None,
                        **{k: asdict(v) for k, v in ln.extra.items()}} for ln in lines],
        "engine_exact_ratio": ratio or None,
    }, indent=2))
    print(f"results: {out}")
    print(f"engine/exact ratio: {ratio_text}")


if __name__ == "__main__":
    main()

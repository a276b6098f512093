"""Long accuracy runs of one DP peer, checkpointed release by release, and their summary.

A peer that takes minutes per release (PipelineDP's pure-Python local backend, Tumult on
local Spark at 10M rows) cannot be held to one sitting of :mod:`benchmarks.dp.run`. This
runs it in its own virtualenv, appends every release's result line (the JSON line
:func:`benchmarks.dp.contenders.run` emits as each repetition ends, groups included) to a
checkpoint file the moment it is printed, and on a restart runs only the releases still
missing: a stop loses at most the release in progress. ``--report`` reads one or more
checkpoint files and prints each peer's mean relative error over its releases (with sd,
min..max and n) against the exact answer, then the engine/best-peer error ratio when the
engine's checkpoint is among them.

Usage::

    nice -n 19 .venv/bin/python -m benchmarks.dp.resume pipelinedp --target 20
        --rows 10000000 --checkpoint var/bench/checkpoints-10m/pipelinedp.jsonl
    .venv/bin/python -m benchmarks.dp.resume --report --rows 10000000
        var/bench/checkpoints-10m/*.jsonl

(each one line). A checkpoint's file name (without ``.jsonl``) names the contender in the
report; the engine's must be ``sandbox_engine.jsonl``.

The engine's releases can be checkpointed the same way (``sandbox_engine``: the project's
interpreter, one setup, then the releases).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.dp.data import ensure
from benchmarks.dp.run import CONTENDERS, REPO, exact_answer, mean_relative_error, venv_python
from benchmarks.dp.spec import RESULT_KEY

ENGINE = "sandbox_engine"


def done_lines(checkpoint: Path) -> list[dict[str, Any]]:
    """The successful release lines already in ``checkpoint`` (a torn last line is ignored)."""
    if not checkpoint.exists():
        return []
    lines = []
    for text in checkpoint.read_text().splitlines():
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            continue
        if line.get("ok") and "groups" in line:
            lines.append(line)
    return lines


def command(name: str, data: Path, repeats: int, venvs: Path) -> list[str]:
    """The subprocess that releases ``repeats`` more times."""
    if name == ENGINE:
        python = REPO / ".venv" / "bin" / "python"
        return [str(python), "-m", "benchmarks.dp.sandbox_engine", "--data", str(data),
                "--repeats", str(repeats)]  # fmt: skip
    venv = next(c.venv for c in CONTENDERS if c.args[:1] == (name,))
    assert venv is not None
    python = venv_python(venvs, venv, install=True)
    return [str(python), "-m", "benchmarks.dp.contenders", name, "--data", str(data),
            "--repeats", str(repeats)]  # fmt: skip


def resume(name: str, data: Path, target: int, checkpoint: Path, venvs: Path) -> int:
    """Run the releases of ``name`` still missing from ``checkpoint``; returns how many are done."""
    done = len(done_lines(checkpoint))
    missing = target - done
    if missing <= 0:
        return done
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    print(f"[resume] {name}: {done} of {target} done, running {missing}", file=sys.stderr)
    with subprocess.Popen(
        command(name, data, missing, venvs), cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for text in proc.stdout:
            if not text.startswith("{") or RESULT_KEY not in text:
                continue
            line = json.loads(text)
            if name == ENGINE and "setup_seconds" in line:
                continue  # the engine's closing summary repeats its last release
            with checkpoint.open("a") as out:
                out.write(json.dumps(line) + "\n")
            status = "ok" if line.get("ok") else line.get("status")
            print(f"[resume] {name}: release line ({status}) checkpointed", file=sys.stderr)
    return len(done_lines(checkpoint))


def summary(lines: list[dict[str, Any]], truth: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Mean relative error over the releases, its spread, and the seconds per release."""
    errors = [mean_relative_error(line["groups"], truth) for line in lines]
    seconds = [line.get("rep_seconds") or line.get("query_seconds") for line in lines]
    return {
        "n": len(errors),
        "mean": statistics.fmean(errors),
        "sd": statistics.stdev(errors) if len(errors) > 1 else 0.0,
        "min": min(errors),
        "max": max(errors),
        "seconds": [round(float(s), 1) for s in seconds if s is not None],
    }


def report(files: list[Path], rows: int, data_dir: Path) -> None:
    """Print each checkpoint's summary, then the engine/best-peer error ratio if it can."""
    truth = exact_answer(ensure(data_dir, rows))
    found: dict[str, dict[str, Any]] = {}
    for path in files:
        lines = done_lines(path)
        if lines:
            found[path.stem] = summary(lines, truth)
    for name, s in found.items():
        print(
            f"{name}: mean error {s['mean']:.3g}, sd {s['sd']:.2g}, "
            f"{s['min']:.2e}..{s['max']:.2e}, n={s['n']}; seconds per release {s['seconds']}"
        )
    engine = found.get(ENGINE)
    peers = {k: v for k, v in found.items() if k != ENGINE}
    if engine and peers:
        best, s = min(peers.items(), key=lambda kv: kv[1]["mean"])
        print(
            f"engine/best-peer error ratio: {engine['mean'] / s['mean']:.2f} (engine "
            f"{engine['mean']:.2e}, n={engine['n']}; best peer {best} {s['mean']:.2e}, "
            f"n={s['n']}; at {rows:,} rows)"
        )


def main() -> None:
    """Command line: resume one peer's releases, or report on checkpoint files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", nargs="?", help="a contender (pipelinedp, tumult, ...)")
    parser.add_argument("files", nargs="*", type=Path, help="with --report: checkpoints")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--target", type=int, default=20, help="releases wanted in all")
    parser.add_argument("--checkpoint", type=Path, help="the peer's JSON-lines file")
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--venvs", type=Path, default=REPO / "benchmarks" / ".venvs")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        files = ([Path(args.name)] if args.name else []) + list(args.files)
        report(files, args.rows, args.data_dir)
        return
    if not args.name or args.checkpoint is None:
        parser.error("name a contender and --checkpoint")
    data = ensure(args.data_dir, args.rows)
    done = resume(args.name, data, args.target, args.checkpoint, args.venvs)
    print(f"[resume] {args.name}: {done} of {args.target} releases checkpointed", file=sys.stderr)


if __name__ == "__main__":
    main()

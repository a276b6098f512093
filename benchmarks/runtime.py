"""Job turnaround and throughput per isolation backend, beside the bare costs underneath.

Bare costs (measured in this process):

- ``empty Ray task``: ``ray.get(f.remote())`` of a function that does nothing, warm;
- ``bwrap python``: bubblewrap (the backend's full command line) starting ``python -c pass``;
- ``docker python``: ``docker run`` (the backend's full command line) starting the same.

Per backend, a real server (uvicorn, SQLite, a local Ray, ``SANDBOX_RUNTIME_BACKEND``) with a
conditional dataset and an active grant obtained through the access workflow:

- ``turnaround``: one small DP job (a DP count through the broker and the ledger) from
  ``POST /v1/jobs`` to its result ready (``pending_review``), jobs one after another, after
  warm-up; p50 and p90;
- ``throughput``: 100 such jobs submitted at once; jobs per second until the last is ready;
- ``scientific``: the same job's turnaround in the scientific runtime profile (ordinary
  Python in that profile's larger root), and ``scientific numpy+pandas``: the job importing
  numpy and pandas first, what a scientific model typically pays before its first line.

Usage: ``python -m benchmarks.runtime [--jobs N] [--concurrent N] [--profiles ...]``
(``make bench-runtime``). The last line printed is ``p50 turnaround: bwrap <s> s, docker
<s> s`` (the restricted profile), with the scientific p50s after it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox.client import SandboxClient
from sandbox.config import Settings
from sandbox.demo.access import grant_access
from sandbox.demo.setup import ensure_accounts, port_is_free, start_server, stop_server
from sandbox.demo.synthetic import write_city_residents
from sandbox.demo.walkthrough import CONDITIONAL, residents_metadata
from sandbox.identity.model import Role
from sandbox.platform import Platform
from sandbox.runtime.backends import Backend, Limits, default_registry, run_process

SMALL_JOB = '''"""A small DP job: one count."""


def run(ctx):
    return {"rows": ctx.dataset("city_residents").count(epsilon=0.001)}
'''


SCIENTIFIC_IMPORTS = SMALL_JOB.replace(
    "\n\n\ndef run", "\n\nimport numpy\nimport pandas\n\n\ndef run"
)
"""The small job with numpy and pandas imported (the scientific profile only)."""

MODELS = {
    "restricted": ("restricted", SMALL_JOB),
    "scientific": ("scientific", SMALL_JOB),
    "scientific numpy+pandas": ("scientific", SCIENTIFIC_IMPORTS),
}
"""Turnaround cases: the runtime profile and the model."""


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call of ``fn``, ``repeat`` times after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bare_ray_task(repeat: int) -> list[float]:
    """An empty Ray task on a local Ray, warm."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:

        @ray.remote
        def nothing() -> None:
            return None

        return timed(lambda: ray.get(nothing.remote()), repeat)
    finally:
        ray.shutdown()


def bare_python(backend: Backend, repeat: int) -> list[float]:
    """The backend's full command line starting ``python -c pass``."""
    limits = Limits(wall_seconds=30)

    def once() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            launch = backend.wrap([sys.executable, "-I", "-c", "pass"], Path(scratch), limits)
            outcome = run_process(launch, limits, Path(scratch))
        if outcome.exit_code != 0:
            raise RuntimeError(f"{backend.name} failed to start python: {outcome.stderr!r}")

    return timed(once, repeat)


def wait_ready(client: SandboxClient, job_id: int) -> dict[str, Any]:
    """Poll every 10 ms until the job's result is ready (or it ended otherwise)."""
    return client.wait_for_job(
        job_id,
        interval=0.01,
        timeout=300,
        until=lambda j: bool(j["final"]) or j["state"] == "pending_review",
    )


class BackendRun:
    """A server with one backend, a dataset and a grant."""

    def __init__(self, backend: str, work: Path, rows: int) -> None:
        self.backend = backend
        settings = Settings(var_dir=work / backend / "var")
        platform = Platform.open(settings)
        try:
            self.accounts = ensure_accounts(platform)
        finally:
            platform.close()
        port = next(p for p in range(8700, 8800) if port_is_free(p))
        self.url = f"http://127.0.0.1:{port}"
        self.process = start_server(
            settings, port, work / f"{backend}-server.log", {"SANDBOX_RUNTIME_BACKEND": backend}
        )
        data = write_city_residents(work / "residents.parquet", rows=rows)
        with (
            self.client(Role.PROVIDER) as provider,
            self.client(Role.USER) as user,
            self.client(Role.AUTHORITY) as authority,
        ):
            if not provider.list_datasets():
                provider.register_dataset(data, residents_metadata())
                # catalog review before publication (Qingdao art. 10): the authority passes it
                authority.review_version(CONDITIONAL, 1, "pass", grade="general")
            provider.set_dataset_policy(
                CONDITIONAL, {"job_limits": {"runtime_profiles": ["restricted", "scientific"]}}
            )
            grant_access(
                user,
                authority,
                provider,
                self.accounts[Role.USER].user_id,
                [CONDITIONAL],
                grant_budget=5,
            )

    def client(self, role: Role) -> SandboxClient:
        """A client of one demo account."""
        return SandboxClient(self.url, self.accounts[role].token, timeout=300)

    def one_job(self, client: SandboxClient, case: str = "restricted") -> float:
        """Seconds from one small job's submission (a :data:`MODELS` case) to its result."""
        profile, source = MODELS[case]
        start = time.perf_counter()
        job = client.submit_job([CONDITIONAL], source=source, profile=profile)
        done = wait_ready(client, int(job["id"]))
        took = time.perf_counter() - start
        if done["state"] != "pending_review":
            raise RuntimeError(
                f"a benchmark job ended {done['state']}: {done['state_reason']} {done['errors']}"
            )
        if done["backend"] != self.backend:
            raise RuntimeError(f"the job ran on {done['backend']}, not {self.backend}")
        return took

    def turnaround(self, jobs: int, warmup: int = 5, case: str = "restricted") -> list[float]:
        """``jobs`` turnarounds, one job after another, after ``warmup`` jobs."""
        with self.client(Role.USER) as user:
            for _ in range(warmup):
                self.one_job(user, case)
            return [self.one_job(user, case) for _ in range(jobs)]

    def throughput(self, concurrent: int) -> float:
        """Jobs per second with ``concurrent`` jobs submitted at once."""

        def submit(_index: int) -> int:
            with self.client(Role.USER) as user:
                return int(user.submit_job([CONDITIONAL], source=SMALL_JOB)["id"])

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(submit, range(concurrent)))
        with self.client(Role.USER) as user:
            for job_id in ids:
                done = wait_ready(user, job_id)
                if done["state"] != "pending_review":
                    raise RuntimeError(f"job {job_id} ended {done['state']}")
        return concurrent / (time.perf_counter() - start)

    def close(self) -> None:
        """Stop the server."""
        stop_server(self.process)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30, help="sequential jobs per backend")
    parser.add_argument("--concurrent", type=int, default=100, help="jobs submitted at once")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the dataset")
    parser.add_argument("--backends", default="bwrap,docker")
    parser.add_argument(
        "--profiles",
        default=",".join(MODELS),
        help="turnaround cases beside restricted: " + ", ".join(MODELS),
    )
    args = parser.parse_args(argv)
    registry = default_registry()
    names = [n for n in args.backends.split(",") if n]
    for name in names:
        registry.get(name)  # fail early, with the reason, if a backend is missing
    print(f"{'what':<34}{'p50 s':>9}{'p90 s':>9}{'other':>18}")

    def row(what: str, values: list[float], other: str = "") -> None:
        print(
            f"{what:<34}{statistics.median(values):>9.3f}{percentile(values, 0.9):>9.3f}"
            f"{other:>18}",
            flush=True,
        )

    bare: dict[str, float] = {}
    ray_times = bare_ray_task(50)
    row("bare: empty Ray task", ray_times)
    for name in names:
        times = bare_python(registry.get(name), 20)
        bare[name] = statistics.median(times)
        row(f"bare: {name} starting python", times)
    p50: dict[str, float] = {}
    cases = [c for c in args.profiles.split(",") if c in MODELS and c != "restricted"]
    scientific: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp:
        for name in names:
            run = BackendRun(name, Path(tmp), args.rows)
            try:
                times = run.turnaround(args.jobs)
                p50[name] = statistics.median(times)
                overhead = p50[name] - bare[name] - statistics.median(ray_times)
                row(f"{name}: job turnaround", times, f"+{overhead:.3f} s over bare")
                rate = run.throughput(args.concurrent)
                print(
                    f"{name + f': {args.concurrent} concurrent jobs':<34}{'':>18}"
                    f"{rate:>12.1f} jobs/s",
                    flush=True,
                )
                for case in cases:
                    times = run.turnaround(args.jobs, warmup=2, case=case)
                    scientific[f"{name} {case}"] = statistics.median(times)
                    row(f"{name}: {case}", times)
            finally:
                run.close()
    print(
        "p50 turnaround: "
        + ", ".join(f"{n} {p50[n]:.3f} s" for n in names)
        + "".join(f"; {k} {v:.3f} s" for k, v in scientific.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

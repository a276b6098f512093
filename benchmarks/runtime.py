"""Job turnaround and throughput per store, backend and warm setting, beside bare costs.

On a private local Ray and on a two-node Ray cluster; the bare costs underneath.

Bare costs (measured in this process, or for the cluster in a driver joining it):

- ``empty Ray task``: ``ray.get(f.remote())`` of a function that does nothing, warm (on the
  cluster: from a driver on the head to the worker node);
- ``bwrap python``: bubblewrap (the backend's full command line) starting ``python -c pass``;
- ``docker python``: ``docker run`` (the backend's full command line) starting the same.

Per case, a real server (uvicorn on loopback, the case's store, the case's Ray,
``SANDBOX_RUNTIME_BACKEND``, ``SANDBOX_WARM_SANDBOXES``) with a conditional dataset and an
active grant obtained through the access workflow, one set-up per store shared by its
servers:

- ``turnaround``: one small DP job (a DP count through the broker and the ledger) from
  ``POST /v1/jobs`` to its result ready (``pending_review``), jobs one after another after
  warm-up, the job polled every 10 ms (``GET /v1/jobs/{id}``, fixed interval: it measures
  latency); p50 and p90;
- ``throughput``: ``--concurrent`` such jobs submitted at once (16 submitting threads); jobs
  per second from the first submission to the moment the last one was ready, as the server
  stamped it (the job's ``updated_at``, set by its move to ``pending_review``). The client
  only learns that they are done: it polls the oldest job not yet seen ready every 100 ms,
  one request at a time in submission order, so waiting costs about ten small requests a
  second instead of competing with the jobs for the cores;
- ``scientific``: the same job's turnaround in the scientific runtime profile (ordinary
  Python in that profile's larger root), and ``scientific numpy+pandas``: the job importing
  numpy and pandas first, what a scientific model typically pays before its first line
  (once per backend: on the first store, with the last warm setting).

Cases: every store (``--stores``: ``sqlite``, one file; ``postgresql``, a throwaway cluster
on loopback) times every backend (``--backends``) times every warm setting (``--warm``: the
sandboxes each job-running process keeps started ahead of demand; 0 starts each when its job
arrives); then, with ``--ray-nodes 2``, bwrap on PostgreSQL on a ``ray start`` cluster on
loopback (its own temp dir and ports, token authentication): a head without CPUs and one
worker node, so every job's task and engine task runs on the worker node while the server
joins through ``SANDBOX_RAY_ADDRESS`` and ``SANDBOX_RAY_AUTH_TOKEN``. The per-user rate limit
is off for the runs (the benchmark's own polling would hit it; it measures jobs).

Usage: ``python -m benchmarks.runtime [--stores sqlite,postgresql] [--backends bwrap,docker]
[--warm 0,1] [--ray-nodes 2] [--jobs N] [--concurrent N] [--profiles ...] [--quick]``
(``make bench-runtime`` runs the defaults: all of it). The last two lines printed are
``throughput (N concurrent): <case> <r> jobs/s, ...`` and ``p50 turnaround: <case> <s> s,
...`` (the restricted profile), with the scientific p50s after them.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from sandbox.client import SandboxClient, SandboxClientError
from sandbox.config import Settings
from sandbox.demo.access import grant_access
from sandbox.demo.setup import (
    DemoAccount,
    ensure_accounts,
    start_server,
    stop_server,
)
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

STORES = ("sqlite", "postgresql")

TURNAROUND_POLL = 0.01
"""Seconds between polls of the one job whose turnaround is measured."""

THROUGHPUT_POLL = 0.1
"""Seconds between polls while concurrent jobs run (one small request each)."""

JOB_TIMEOUT = 300.0
"""Seconds a benchmark job (or the concurrent batch) may take before the run fails."""

WIDTH = 50
"""Width of the table's first column."""


@dataclass(frozen=True)
class Case:
    """One server configuration: store, backend, warm sandboxes, local Ray or the cluster."""

    store: str
    backend: str
    warm: int
    cluster: bool = False

    @property
    def label(self) -> str:
        """E.g. ``bwrap/postgresql warm 1`` or ``bwrap/postgresql ray x2 warm 1``."""
        return f"{self.backend}/{self.store}{' ray x2' * self.cluster} warm {self.warm}"


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
    """An empty Ray task on a private local Ray, warm."""
    import ray

    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:

        @ray.remote
        def nothing() -> None:
            return None

        return timed(lambda: ray.get(nothing.remote()), repeat)
    finally:
        ray.shutdown()


CLUSTER_PROBE = """
import json, sys, time
import ray
ray.init(address=sys.argv[1], log_to_driver=False, configure_logging=False)
@ray.remote(num_cpus=0.25)
def nothing():
    return ray.get_runtime_context().get_node_id()
driver = ray.get_runtime_context().get_node_id()
nodes = {ray.get(nothing.remote())}
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    nodes.add(ray.get(nothing.remote()))
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "on_driver_node": driver in nodes}))
"""
"""A driver joining the cluster (its own process: the token is in its environment only)."""


def bare_cluster_task(nodes: Any, repeat: int) -> list[float]:
    """An empty task from a driver on the cluster to its worker node, warm."""
    import json
    import subprocess

    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CLUSTER_PROBE, nodes.address, str(repeat)],
        capture_output=True,
        timeout=300,
        check=False,
        env=nodes.env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the cluster probe failed: {done.stderr.decode()[-2000:]}")
    seen = json.loads(done.stdout.decode().strip().splitlines()[-1])
    if seen["on_driver_node"]:
        raise RuntimeError("a cluster task ran on the driver's node, not the worker node")
    times: list[float] = seen["times"]
    return times


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


def is_ready(job: dict[str, Any]) -> bool:
    """Whether a job has its result (or ended otherwise)."""
    return bool(job["final"]) or job["state"] == "pending_review"


def poll_job(client: SandboxClient, job_id: int, interval: float) -> dict[str, Any]:
    """Poll one job at a fixed interval (no back-off) until :func:`is_ready`."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        job = client.get_job(job_id)
        if is_ready(job):
            return job
        if time.monotonic() > deadline:
            raise SandboxClientError(f"job {job_id} is still {job['state']} after the timeout")
        time.sleep(interval)


def check_done(job: dict[str, Any], backend: str) -> None:
    """Fail the run unless the job reached its result on ``backend``."""
    if job["state"] != "pending_review":
        raise RuntimeError(
            f"benchmark job {job['id']} ended {job['state']}: {job['state_reason']} {job['errors']}"
        )
    if job["backend"] != backend:
        raise RuntimeError(f"job {job['id']} ran on {job['backend']}, not {backend}")


class ServerRun:
    """One live server of a :class:`Case` on its store's prepared deployment."""

    def __init__(self, case: Case, url: str, accounts: dict[Role, DemoAccount]) -> None:
        self.case = case
        self.url = url
        self.accounts = accounts

    def client(self, role: Role) -> SandboxClient:
        """A client of one demo account."""
        return SandboxClient(self.url, self.accounts[role].token, timeout=JOB_TIMEOUT)

    def wait_ready(self) -> None:
        """Wait until the server says it can compute (a cluster's join takes a while)."""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if httpx.get(f"{self.url}/v1/ready", timeout=30).status_code == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.case.label}: the server never became ready")

    def one_job(self, client: SandboxClient, case: str = "restricted") -> float:
        """Seconds from one small job's submission (a :data:`MODELS` case) to its result."""
        profile, source = MODELS[case]
        start = time.perf_counter()
        job = client.submit_job([CONDITIONAL], source=source, profile=profile)
        done = poll_job(client, int(job["id"]), TURNAROUND_POLL)
        took = time.perf_counter() - start
        check_done(done, self.case.backend)
        return took

    def turnaround(self, jobs: int, warmup: int = 5, case: str = "restricted") -> list[float]:
        """``jobs`` turnarounds, one job after another, after ``warmup`` jobs."""
        with self.client(Role.USER) as user:
            for _ in range(warmup):
                self.one_job(user, case)
            return [self.one_job(user, case) for _ in range(jobs)]

    def throughput(self, concurrent: int) -> float:
        """Jobs per second with ``concurrent`` jobs submitted at once (see the module doc)."""

        def submit(_index: int) -> int:
            with self.client(Role.USER) as user:
                return int(user.submit_job([CONDITIONAL], source=SMALL_JOB)["id"])

        start = time.time()
        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(submit, range(concurrent)))
        last = start
        with self.client(Role.USER) as user:
            for job_id in ids:  # in submission order: mostly the order they finish in
                done = poll_job(user, job_id, THROUGHPUT_POLL)
                check_done(done, self.case.backend)
                last = max(last, datetime.fromisoformat(done["updated_at"]).timestamp())
        return concurrent / (last - start)


class Deployment:
    """One store's database and var dir, the demo's accounts, the residents table and a
    grant: prepared once by its first server, reused by the store's later servers.
    """

    def __init__(self, store: str, work: Path, database_url: str, rows: int) -> None:
        self.store = store
        self.work = work
        self.database_url = database_url
        self.rows = rows
        self.settings = Settings(var_dir=work / "var", database_url=database_url)
        platform = Platform.open(self.settings)
        try:
            self.accounts = ensure_accounts(platform)
        finally:
            platform.close()
        self.prepared = False

    @contextmanager
    def server(self, case: Case, ray_env: dict[str, str] | None = None) -> Iterator[ServerRun]:
        """A server of ``case`` on this store, stopped on exit."""
        env = {
            "SANDBOX_RUNTIME_BACKEND": case.backend,
            "SANDBOX_WARM_SANDBOXES": str(case.warm),
            "SANDBOX_RATE_LIMIT_USER_PER_SECOND": "0",
            **({"SANDBOX_DATABASE_URL": self.database_url} if self.database_url else {}),
            **(ray_env or {}),
        }
        port = free_port()
        log = self.work / f"server-{case.label.replace('/', '-').replace(' ', '-')}.log"
        log.unlink(missing_ok=True)
        process = start_server(self.settings, port, log, env)
        try:
            run = ServerRun(case, f"http://127.0.0.1:{port}", self.accounts)
            run.wait_ready()
            if process.poll() is not None or not log.stat().st_size:
                raise RuntimeError(f"{case.label}: another process answers on port {port}")
            if not self.prepared:
                self._prepare(run)
                self.prepared = True
            yield run
        finally:
            stop_server(process)

    def _prepare(self, run: ServerRun) -> None:
        data = write_city_residents(self.work / "residents.parquet", rows=self.rows)
        with (
            run.client(Role.PROVIDER) as provider,
            run.client(Role.USER) as user,
            run.client(Role.AUTHORITY) as authority,
        ):
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


@contextmanager
def deployment(
    store: str, work: Path, rows: int, stack: ExitStack, cache: dict[str, Deployment]
) -> Iterator[Deployment]:
    """The store's deployment, made on first use (a PostgreSQL cluster lives in ``stack``)."""
    if store not in cache:
        url = ""
        if store == "postgresql":
            from tests.support.postgres import running_postgres

            url = stack.enter_context(running_postgres()).create_database()
        (work / store).mkdir(parents=True, exist_ok=True)
        cache[store] = Deployment(store, work / store, url, rows)
    yield cache[store]


def free_port() -> int:
    """A port nothing listens on, chosen by the kernel (not a fixed range others scan)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def parse_list(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    """A comma-separated option's values, checked against ``allowed``."""
    values = [v.strip() for v in text.split(",") if v.strip()]
    if allowed is not None:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)}: choose from {', '.join(allowed)}"
            )
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (``--quick`` shrinks the counts for a look in a minute or two)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20, help="sequential jobs per case")
    parser.add_argument("--warmup", type=int, default=3, help="jobs per case before timing")
    parser.add_argument("--concurrent", type=int, default=100, help="jobs submitted at once")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the dataset")
    parser.add_argument(
        "--stores",
        type=lambda s: parse_list(s, STORES),
        default=list(STORES),
        help="sqlite,postgresql",
    )
    parser.add_argument("--backends", type=parse_list, default=["bwrap", "docker"])
    parser.add_argument(
        "--warm",
        type=lambda s: [int(v) for v in parse_list(s)],
        default=[0, 1],
        help="SANDBOX_WARM_SANDBOXES values, each a case (default 0,1)",
    )
    parser.add_argument(
        "--ray-nodes",
        type=int,
        choices=(0, 2),
        default=2,
        help="2: also bwrap/postgresql on a two-node ray start cluster; 0: not",
    )
    parser.add_argument(
        "--profiles",
        type=lambda s: parse_list(s, tuple(MODELS)),
        default=list(MODELS),
        help="turnaround cases beside restricted: " + ", ".join(MODELS),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="5 jobs, 1 warm-up, 20 concurrent, no scientific cases",
    )
    parser.add_argument("--work", default="", help="keep var dirs and logs here (default: temp)")
    args = parser.parse_args(argv)
    if args.quick:
        args.jobs, args.warmup, args.concurrent, args.profiles = 5, 1, 20, ["restricted"]
    if args.jobs < 1 or args.concurrent < 1 or args.warmup < 0:
        parser.error("--jobs and --concurrent must be at least 1, --warmup at least 0")
    if any(w < 0 for w in args.warm):
        parser.error("--warm values are 0 or more")
    return args


def cases_of(args: argparse.Namespace) -> list[Case]:
    """Every store x backend x warm setting, then the cluster's cases."""
    cases = [
        Case(store, backend, warm)
        for store in args.stores
        for backend in args.backends
        for warm in args.warm
    ]
    if args.ray_nodes == 2:
        cases += [Case("postgresql", "bwrap", warm, cluster=True) for warm in args.warm]
    return cases


class Table:
    """The printed table, and the figures for the summary lines."""

    def __init__(self) -> None:
        self.p50: dict[str, float] = {}
        self.rates: dict[str, float] = {}
        self.scientific: dict[str, float] = {}
        print(f"{'what':<{WIDTH}}{'p50 s':>9}{'p90 s':>9}{'other':>20}", flush=True)

    @staticmethod
    def row(what: str, values: list[float], other: str = "") -> None:
        """A line of p50 and p90 (and a remark)."""
        print(
            f"{what:<{WIDTH}}{statistics.median(values):>9.3f}{percentile(values, 0.9):>9.3f}"
            f"{other:>20}",
            flush=True,
        )

    @staticmethod
    def rate(what: str, jobs_per_second: float) -> None:
        """A line of throughput."""
        print(f"{what:<{WIDTH}}{'':>18}{jobs_per_second:>13.1f} jobs/s", flush=True)

    def summary(self, concurrent: int) -> None:
        """The last two lines."""
        print(
            f"throughput ({concurrent} concurrent): "
            + ", ".join(f"{k} {v:.1f} jobs/s" for k, v in self.rates.items())
        )
        print(
            "p50 turnaround: "
            + ", ".join(f"{k} {v:.3f} s" for k, v in self.p50.items())
            + "".join(f"; {k} {v:.3f} s" for k, v in self.scientific.items())
        )


def run_case(
    run: ServerRun,
    args: argparse.Namespace,
    table: Table,
    bare: float,
    scientific: list[str],
) -> None:
    """One server's rows: turnaround, throughput, and the scientific cases asked of it."""
    label = run.case.label
    times = run.turnaround(args.jobs, warmup=args.warmup)
    table.p50[label] = statistics.median(times)
    table.row(f"{label}: job turnaround", times, f"+{table.p50[label] - bare:.3f} s over bare")
    table.rates[label] = run.throughput(args.concurrent)
    table.rate(f"{label}: {args.concurrent} concurrent jobs", table.rates[label])
    for case in scientific:
        times = run.turnaround(args.jobs, warmup=min(args.warmup, 2), case=case)
        table.scientific[f"{label} {case}"] = statistics.median(times)
        table.row(f"{label}: {case}", times)


def cluster_env(nodes: Any) -> dict[str, str]:
    """What a server needs to join the cluster: its address and token, as settings."""
    return {"SANDBOX_RAY_ADDRESS": nodes.address, "SANDBOX_RAY_AUTH_TOKEN": nodes.token}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    args = parse_args(argv)
    registry = default_registry()
    cases = cases_of(args)
    for name in {case.backend for case in cases}:
        registry.get(name)  # fail early, with the reason, if a backend is missing
    print(f"load average at the start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    table = Table()
    ray_times = bare_ray_task(50)
    table.row("bare: empty Ray task", ray_times)
    bare: dict[str, float] = {}
    for name in sorted({case.backend for case in cases}, key=[*args.backends, "bwrap"].index):
        times = bare_python(registry.get(name), 20)
        bare[name] = statistics.median(times)
        table.row(f"bare: {name} starting python", times)
    extra = [c for c in args.profiles if c != "restricted"]
    scientific_for = {
        backend: Case(args.stores[0], backend, args.warm[-1]) for backend in args.backends
    }
    with ExitStack() as stack:
        work = Path(
            args.work or stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-runtime-"))
        )
        stores: dict[str, Deployment] = {}
        nodes: Any = None
        bare_cluster = 0.0
        for case in cases:
            ray_env: dict[str, str] = {}
            ray_bare = statistics.median(ray_times)
            if case.cluster:
                if nodes is None:
                    from tests.support.ray_nodes import start_ray_nodes

                    (work / "ray-nodes").mkdir(parents=True, exist_ok=True)
                    nodes = start_ray_nodes(work / "ray-nodes")
                    stack.callback(nodes.stop)
                    cluster_times = bare_cluster_task(nodes, 50)
                    table.row("bare: empty Ray task, ray x2 (to the worker)", cluster_times)
                    bare_cluster = statistics.median(cluster_times)
                ray_env, ray_bare = cluster_env(nodes), bare_cluster
            with (
                deployment(case.store, work, args.rows, stack, stores) as store,
                store.server(case, ray_env) as run,
            ):
                wanted = extra if scientific_for.get(case.backend) == case else []
                run_case(run, args, table, bare[case.backend] + ray_bare, wanted)
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    table.summary(args.concurrent)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load: concurrent clients mixing catalog reads and small job submissions, per store.

For each store (SQLite with one API process; PostgreSQL with ``--processes`` API processes
sharing one database, one data root and one ``ray start`` head, as production runs them),
a real deployment is set up on loopback: the demo's accounts, the residents table registered
by its provider, an active grant obtained through the access workflow. Then ``--clients``
clients run for ``--seconds`` (or until ``--max-requests``), each one request after another:
reads (the catalog list, one dataset's entry, its quality report, the client's own jobs, one
of its jobs, its grants) and, with probability ``--job-share``, a small DP job (one count at
epsilon 0.001). Clients spread over the processes round-robin (there is no load balancer on
this machine; each client keeps one connection to its process, a hand-written HTTP/1.1
keep-alive :class:`Connection` so that the load generator takes little of the cores it
shares with the servers: its CPU and the servers' are printed with the load average).

Reported per store: requests per second, read p50/p95, submission p50/p95, errors by status
(429s counted apart: the per-user rate limit is raised for the run, so a 429 means a quota),
and after the run: every submitted job is waited for (bounded) and counted by state, and the
ledger is read directly: a job charged more than once, or charged after it failed, is counted.

Usage: ``python -m benchmarks.load [--stores sqlite,postgresql] [--clients 50] [--seconds
120] [--processes 3]`` (``make bench-load``); loopback only, bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from sandbox.client import SandboxClient
from sandbox.config import Settings
from sandbox.demo.access import grant_access
from sandbox.demo.setup import ensure_accounts, port_is_free, start_server, stop_server
from sandbox.demo.synthetic import write_city_residents
from sandbox.demo.walkthrough import CONDITIONAL, residents_metadata
from sandbox.identity.model import Role
from sandbox.jobs.model import JobState
from sandbox.ledger import ChargeStatus
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import BudgetChargeRow, JobRow

SMALL_JOB = '''"""A small DP job: one count."""


def run(ctx):
    return {"rows": ctx.dataset("city_residents").count(epsilon=0.001)}
'''

READS = (
    "/v1/datasets",
    f"/v1/datasets/{CONDITIONAL}",
    f"/v1/datasets/{CONDITIONAL}/quality",
    "/v1/jobs?limit=20",
    "/v1/grants",
)
"""The read requests a client picks from (plus one of its own jobs once it has one)."""

SETTLE_SECONDS = 600.0
"""How long the submitted jobs get to reach their result after the load ends."""


@dataclass
class Tally:
    """What the clients saw."""

    reads: list[float] = field(default_factory=list)
    submits: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    job_ids: list[int] = field(default_factory=list)
    requests: int = 0


@dataclass(frozen=True)
class StoreRun:
    """One store's deployment: the servers' URLs and the user's token."""

    name: str
    urls: list[str]
    token: str
    settings: Settings
    server_pids: list[int]


@dataclass(frozen=True)
class CpuUse:
    """Where the machine's cores went while the clients ran: the load generator's own
    process, the API processes, and the load average, so a figure is never read without
    what else shared the two cores.
    """

    client_cores: float
    server_cores: float
    load_average: str

    @staticmethod
    def ticks(pids: list[int]) -> float:
        """CPU seconds used so far by ``pids`` (user and system; 0 for a gone process)."""
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values`` (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection, written and parsed by hand.

    The clients share the machine's cores with the servers they measure; httpx spent about
    3.7 ms of CPU per request here (0.14 cores at 38 req/s, a core at 300), so the load
    would have been bounded by its own client. This sends a request line and headers and
    reads the status line, the headers and a ``Content-Length`` (or chunked) body: about a
    tenth of that. A closed connection is opened again for the next request.
    """

    def __init__(self, url: str, token: str) -> None:
        parts = httpx.URL(url)
        self._host, self._port = parts.host, parts.port or 80
        self._head = f"Host: {self._host}:{self._port}\r\nAuthorization: Bearer {token}\r\n"
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request and return its status and body."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        extra = (
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            if body is not None
            else ""
        )
        writer.write(
            f"{method} {path} HTTP/1.1\r\n{self._head}{extra}\r\n".encode() + (body or b"")
        )
        try:
            await writer.drain()
            return await self._response(reader)
        except BaseException:
            self.close()
            raise

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        status_line = await reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, closing = 0, False, False
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                closing = b"close" in value.lower()
        if chunked:
            body = b""
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                body += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            body = await reader.readexactly(length)
        if closing:
            self.close()
        return status, body

    def close(self) -> None:
        """Drop the connection (the next request opens another)."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def one_client(
    url: str,
    token: str,
    index: int,
    deadline: float,
    budget: list[int],
    args: argparse.Namespace,
    tally: Tally,
) -> None:
    """One client: requests one after another until the deadline or the request budget."""
    rng = random.Random(args.seed * 1000 + index)
    own_jobs: list[int] = []
    job = json.dumps({"datasets": [CONDITIONAL], "source": SMALL_JOB, "kind": "dp"}).encode()
    connection = Connection(url, token)
    try:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            submit = rng.random() < args.job_share
            start = time.perf_counter()
            try:
                if submit:
                    status, body = await connection.request("POST", "/v1/jobs", job)
                else:
                    paths = [*READS, *([f"/v1/jobs/{own_jobs[-1]}"] if own_jobs else [])]
                    status, body = await connection.request("GET", rng.choice(paths))
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
                tally.failures[type(error).__name__] += 1
                continue
            took = time.perf_counter() - start
            tally.requests += 1
            tally.statuses[status] += 1
            if status >= 400:
                continue
            (tally.submits if submit else tally.reads).append(took)
            if submit:
                own_jobs.append(int(json.loads(body)["id"]))
                tally.job_ids.append(own_jobs[-1])
    finally:
        connection.close()


async def run_clients(store: StoreRun, args: argparse.Namespace) -> tuple[Tally, float, CpuUse]:
    """All clients at once; returns what they saw, the seconds they ran and the CPU used."""
    tally = Tally()
    budget = [args.max_requests]
    own = resource.getrusage(resource.RUSAGE_SELF)
    servers = CpuUse.ticks(store.server_pids)
    start = time.monotonic()
    deadline = start + args.seconds
    await asyncio.gather(
        *(
            one_client(
                store.urls[i % len(store.urls)], store.token, i, deadline, budget, args, tally
            )
            for i in range(args.clients)
        )
    )
    seconds = time.monotonic() - start
    used = resource.getrusage(resource.RUSAGE_SELF)
    client = used.ru_utime + used.ru_stime - own.ru_utime - own.ru_stime
    cpu = CpuUse(
        client_cores=client / seconds,
        server_cores=(CpuUse.ticks(store.server_pids) - servers) / seconds,
        load_average=" ".join(Path("/proc/loadavg").read_text().split()[:3]),
    )
    return tally, seconds, cpu


def settle(store: StoreRun, job_ids: list[int]) -> Counter[str]:
    """Wait (bounded) until every submitted job has its result or ended; count the states."""
    states: Counter[str] = Counter()
    deadline = time.monotonic() + SETTLE_SECONDS
    with SandboxClient(store.urls[0], store.token, timeout=120) as client:
        for job_id in job_ids:
            left = max(1.0, deadline - time.monotonic())
            try:
                job = client.wait_for_job(
                    job_id,
                    timeout=left,
                    interval=0.25,
                    until=lambda j: bool(j["final"]) or j["state"] == "pending_review",
                )
                states[str(job["state"])] += 1
            except Exception as error:  # noqa: BLE001 - a job that did not settle is counted
                states[f"not settled ({type(error).__name__})"] += 1
    return states


def charge_faults(settings: Settings, job_ids: list[int]) -> tuple[int, int]:
    """From the ledger itself: jobs charged more than once (each makes one count), and failed
    or cancelled jobs holding a charge (legitimate only if the count was released before the
    job failed; the small job has nothing after its count that could fail).
    """
    platform = Platform.open(settings, migrate=False)
    try:
        with transaction(platform.sessions) as session:
            charged = dict(
                session.execute(
                    select(BudgetChargeRow.job_id, func.count())
                    .where(BudgetChargeRow.job_id.in_(job_ids))
                    .where(BudgetChargeRow.status == ChargeStatus.CHARGED.value)
                    .group_by(BudgetChargeRow.job_id)
                ).all()
            )
            ended = session.execute(
                select(JobRow.id)
                .where(JobRow.id.in_(job_ids))
                .where(JobRow.state.in_((JobState.FAILED.value, JobState.CANCELLED.value)))
            ).scalars()
            return (
                sum(1 for count in charged.values() if count > 1),
                sum(1 for job_id in ended if charged.get(job_id)),
            )
    finally:
        platform.close()


@contextmanager
def deployment(
    name: str, work: Path, database_url: str, processes: int, rows: int
) -> Iterator[StoreRun]:
    """Servers on one store with the demo's accounts, the residents table and a grant."""
    settings = Settings(var_dir=work / name / "var", database_url=database_url)
    platform = Platform.open(settings)
    try:
        accounts = ensure_accounts(platform)
    finally:
        platform.close()
    env = {
        "SANDBOX_DATABASE_URL": database_url,
        "SANDBOX_RATE_LIMIT_USER_PER_SECOND": "100000",
        "SANDBOX_RATE_LIMIT_USER_BURST": "100000",
        "SANDBOX_RATE_LIMIT_PROCESSES": str(processes),
        "SANDBOX_RUNTIME_BACKEND": "bwrap",
    }
    with ExitStack() as stack:
        if processes > 1:
            from tests.support.ray_cluster import start_ray_head, stop_ray_head

            head = start_ray_head(work / name)
            stack.callback(stop_ray_head, head)
            env["SANDBOX_RAY_ADDRESS"] = head.address
        urls: list[str] = []
        pids: list[int] = []
        ports = (p for p in range(8800, 8900) if port_is_free(p))
        for index in range(processes):
            port = next(ports)
            server = start_server(settings, port, work / f"{name}-server-{index}.log", env)
            stack.callback(stop_server, server)
            urls.append(f"http://127.0.0.1:{port}")
            pids.append(server.pid)

        def client(role: Role) -> SandboxClient:
            return SandboxClient(urls[0], accounts[role].token, timeout=300)

        data = write_city_residents(work / "residents.parquet", rows=rows)
        with (
            client(Role.PROVIDER) as provider,
            client(Role.USER) as user,
            client(Role.AUTHORITY) as authority,
        ):
            provider.register_dataset(data, residents_metadata())
            # Catalog review before publication (Qingdao art. 10): the authority passes it.
            authority.review_version(CONDITIONAL, 1, "pass", grade="general")
            grant_access(
                user,
                authority,
                provider,
                accounts[Role.USER].user_id,
                [CONDITIONAL],
                grant_budget=1,
            )
        yield StoreRun(name, urls, accounts[Role.USER].token, settings, pids)


def report(
    name: str,
    processes: int,
    tally: Tally,
    seconds: float,
    states: Counter[str],
    faults: tuple[int, int],
    cpu: CpuUse,
) -> None:
    """One store's lines."""
    errors = {code: n for code, n in tally.statuses.items() if code >= 400}
    print(f"{name} ({processes} API process{'es' * (processes > 1)}):")
    print(f"  requests {tally.requests} in {seconds:.1f} s: {tally.requests / seconds:.1f} req/s")
    print(
        f"  reads {len(tally.reads)}: p50 {statistics.median(tally.reads or [0]) * 1000:.0f} ms, "
        f"p95 {percentile(tally.reads, 0.95) * 1000:.0f} ms"
    )
    print(
        f"  submissions {len(tally.submits)}: p50 "
        f"{statistics.median(tally.submits or [0]) * 1000:.0f} ms, "
        f"p95 {percentile(tally.submits, 0.95) * 1000:.0f} ms"
    )
    print(f"  errors: {errors or 'none'}; transport failures: {dict(tally.failures) or 'none'}")
    print(
        f"  CPU: load generator {cpu.client_cores:.2f} cores, API processes "
        f"{cpu.server_cores:.2f} cores; load average {cpu.load_average} (of 2 cores here)"
    )
    print(f"  jobs after the run: {dict(states) or 'none submitted'}")
    print(
        f"  charged more than once: {faults[0]}; failed or cancelled holding a charge: {faults[1]}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run each store's load and print its figures; the last line sums them up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=3, help="API processes on PostgreSQL")
    parser.add_argument("--job-share", type=float, default=0.05)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", default="var/bench/load", help="servers' var dirs and logs")
    args = parser.parse_args(argv)
    summary = []
    for name in [s for s in args.stores.split(",") if s]:
        with ExitStack() as stack:
            work = Path(args.work) / name  # kept: the servers' logs are there
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            if name == "postgresql":
                from tests.support.postgres import running_postgres

                server = stack.enter_context(running_postgres())
                url, processes = server.create_database(), args.processes
            elif name == "sqlite":
                url, processes = "", 1
            else:
                parser.error(f"unknown store {name!r}: sqlite or postgresql")
            store = stack.enter_context(deployment(name, work, url, processes, args.rows))
            tally, seconds, cpu = asyncio.run(run_clients(store, args))
            states = settle(store, tally.job_ids)
            faults = charge_faults(store.settings, tally.job_ids)
            report(name, processes, tally, seconds, states, faults, cpu)
            summary.append(
                f"{name} {tally.requests / seconds:.0f} req/s, read p95 "
                f"{percentile(tally.reads, 0.95) * 1000:.0f} ms"
            )
    print("load: " + "; ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Registration throughput: upload + validate + store + quality report of the demo dataset.

Side by side on the same generated Parquet file:

- ``pyarrow copy``: read the file and write it back as zstd Parquet (the floor: the least
  any ingest that re-encodes the data must do);
- ``register (in process)``: the catalog's ingest called directly (validation against the
  dictionary, Parquet version, quality report);
- ``register over HTTP``: the client streams the file to a real uvicorn server, which
  stages it and registers it.

Usage: ``python -m benchmarks.ingest [--rows N]``; prints one line per contender.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from sandbox.catalog.parsing import parse_metadata
from sandbox.client import SandboxClient
from sandbox.config import Settings
from sandbox.datasets import registry
from sandbox.demo.setup import ensure_accounts, start_server, stop_server
from sandbox.demo.synthetic import write_city_residents
from sandbox.demo.walkthrough import residents_metadata
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a live process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pyarrow_copy(source: Path, work: Path) -> tuple[float, float]:
    """Read and rewrite the file in a subprocess, so its peak memory is its own."""
    code = (
        "import pyarrow.parquet as pq, resource, sys;"
        "t = pq.read_table(sys.argv[1]); pq.write_table(t, sys.argv[2], compression='zstd');"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, str(source), str(work / "copy.parquet")],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, float(out.stdout.strip())


def register_in_process(source: Path, work: Path) -> tuple[float, float]:
    """The catalog's registration called directly, with the file as a bulk-load source."""
    settings = Settings(var_dir=work / "inproc")
    import_root = Path(settings.resolved_import_roots()[0])
    import_root.mkdir(parents=True)
    shutil.copy(source, import_root / source.name)
    platform = Platform.open(settings)
    accounts = ensure_accounts(platform)
    provider = accounts[Role.PROVIDER]
    with platform.sessions() as session:
        from sandbox.identity.service import get_user

        org = get_user(session, provider.user_id).organisation_id
    actor = Actor(provider.user_id, provider.username, Role.PROVIDER, org)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    registry.register_dataset(
        platform,
        actor,
        parse_metadata(residents_metadata()),
        registry.DataSource(path=str(import_root / source.name)),
    )
    elapsed = time.perf_counter() - start
    platform.close()
    return elapsed, max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def register_over_http(source: Path, work: Path, port: int) -> tuple[float, float]:
    """Upload through the client to a real server, then register."""
    settings = Settings(var_dir=work / "http")
    platform = Platform.open(settings)
    accounts = ensure_accounts(platform)
    platform.close()
    server = start_server(settings, port, work / "server.log")
    try:
        start = time.perf_counter()
        with SandboxClient(
            f"http://127.0.0.1:{port}", accounts[Role.PROVIDER].token, timeout=600
        ) as client:
            client.register_dataset(source, residents_metadata())
        elapsed = time.perf_counter() - start
        return elapsed, peak_rss_mb(server.pid)
    finally:
        stop_server(server)


def main() -> None:
    """Run every contender once on the same file and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        source = write_city_residents(work / "residents.parquet", rows=args.rows)
        size_mb = source.stat().st_size / 2**20
        rows = pq.ParquetFile(source).metadata.num_rows
        print(f"ingest benchmark: {rows:,} rows, {size_mb:.1f} MB Parquet")
        results = {
            "pyarrow copy (floor)": pyarrow_copy(source, work),
            "register (in process)": register_in_process(source, work),
            "register over HTTP": register_over_http(source, work, args.port),
        }
        for name, (seconds, peak) in results.items():
            print(
                f"{name:<24} {seconds:7.2f} s  peak {peak:7.0f} MB  "
                f"{rows / seconds / 1e6:6.2f} M rows/s"
            )
        floor = results["pyarrow copy (floor)"][0]
        print(f"register-over-HTTP/floor ratio: {results['register over HTTP'][0] / floor:.2f}")


if __name__ == "__main__":
    main()

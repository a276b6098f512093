"""The cost of encryption at rest (``SANDBOX_ENCRYPT_AT_REST``), plain beside encrypted.

On the demo's conditional ``city_residents`` table, in process, on a local data root, for
each mode: registration (validation, the Parquet version written, its SHA-256, the quality
report, which reads it back), a full read of the version (every column, as the engine's
scans and a raw job's inputs do), and the contribution-bounded copy (partition and bound,
every part and fragment written and read again). Each step runs ``--repeats`` times on a
fresh platform; the median is printed, as CPU seconds of the process (all its threads,
which is the cost, and steadier than wall time on a shared machine) and wall seconds.

Usage: ``python -m benchmarks.encryption [--rows N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.publication import publish
from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import registry
from sandbox.demo.setup import ensure_accounts
from sandbox.demo.synthetic import write_city_residents
from sandbox.demo.walkthrough import residents_metadata
from sandbox.engine.bounding import bounded_version
from sandbox.engine.compute import LocalTaskPool
from sandbox.identity.model import Actor, Role
from sandbox.identity.service import get_user
from sandbox.platform import Platform
from sandbox.storage import encryption
from sandbox.storage.integrity import open_parquet
from sandbox.store.models import DatasetVersionRow

BUCKET_ROWS = 300_000
"""Rows per hash bucket of the bounded copy, so the partition step runs too."""


class Clock:
    """CPU and wall seconds of one step."""

    def __enter__(self) -> Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.cpu, self.wall = time.process_time() - self.cpu, time.perf_counter() - self.wall


def one_run(source: Path, work: Path, encrypt: bool) -> dict[str, float]:
    """Register, read and bound once; CPU and wall seconds per step, the version's MB."""
    settings = Settings(var_dir=work, encrypt_at_rest=encrypt)
    import_root = Path(settings.resolved_import_roots()[0])
    import_root.mkdir(parents=True)
    shutil.copy(source, import_root / source.name)
    platform = Platform.open(settings)
    try:
        provider = ensure_accounts(platform)[Role.PROVIDER]
        with platform.sessions() as session:
            org = get_user(session, provider.user_id).organisation_id
        actor = Actor(provider.user_id, provider.username, Role.PROVIDER, org)
        with Clock() as registered:
            registry.register_dataset(
                platform,
                actor,
                parse_metadata(residents_metadata()),
                registry.DataSource(path=str(import_root / source.name)),
            )
        publish(platform, residents_metadata()["name"])
        with platform.sessions() as session:
            version = session.query(DatasetVersionRow).one()
            path, sha, rows, size = (
                version.storage_path,
                version.sha256,
                version.row_count,
                version.byte_size,
            )
        with Clock() as read, platform.store.filesystem.open_input_file(path) as handle:
            open_parquet(handle).read()
        with Clock() as bounded:
            bounded_version(
                platform.store.filesystem,
                platform.store.root,
                path,
                sha,
                "person_id",
                3,
                rows,
                LocalTaskPool(),
                rows_per_bucket=BUCKET_ROWS,
            )
    finally:
        encryption.uninstall(platform.store.root)
        platform.close()
    steps = {"register": registered, "read": read, "bound": bounded}
    found = {f"{name} cpu": clock.cpu for name, clock in steps.items()}
    found.update({f"{name} wall": clock.wall for name, clock in steps.items()})
    return {**found, "mb": size / 2**20}


def main() -> None:
    """Run both modes ``--repeats`` times, alternating, and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-encryption-") as tmp:
        work = Path(tmp)
        source = write_city_residents(work / "residents.parquet", rows=args.rows)
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for repeat in range(args.repeats):
            for encrypt in (False, True):
                runs[encrypt].append(one_run(source, work / f"{repeat}-{encrypt}", encrypt))
        print(f"encryption at rest: {args.rows:,} rows, median of {args.repeats}")
        medians = {
            encrypt: {key: statistics.median(r[key] for r in found) for key in found[0]}
            for encrypt, found in runs.items()
        }
        steps = ("register", "read", "bound")
        print(
            f"{'':<10} " + "  ".join(f"{s + ' cpu / wall s':>22}" for s in steps) + "  version MB"
        )
        for encrypt, label in ((False, "plain"), (True, "encrypted")):
            m = medians[encrypt]
            cells = "  ".join(f"{m[s + ' cpu']:10.2f} / {m[s + ' wall']:9.2f}" for s in steps)
            print(f"{label:<10} {cells}  {m['mb']:10.1f}")
        plain, sealed = medians[False], medians[True]
        ratios = "  ".join(f"{s} {sealed[s + ' cpu'] / plain[s + ' cpu']:.2f}" for s in steps)
        print(f"encrypted/plain CPU: {ratios}  size {sealed['mb'] / plain['mb']:.3f}")


if __name__ == "__main__":
    main()

"""A job whose dataset version is damaged fails before its model runs: the platform's
reason, nothing charged, no row copied, the damage put on record for the provider; an intact
version is checked once per process, not once per job.

On the orchestration bench (fake runtime, in-memory ledger, synchronous dispatcher): the
files and the integrity record are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.datasets.integrity import DAMAGED_ACTION
from sandbox.jobs import intact
from sandbox.jobs.model import JobState
from sandbox.policies import PrivacyCost
from sandbox.storage import integrity as storage_integrity
from tests.support.jobs import JobBench, finished


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    intact.forget_checked()
    yield
    intact.forget_checked()


def damage(bench: JobBench, name: str, directory: Path) -> None:
    """Point the latest version of ``name`` at a copy of its file cut short (the bench's
    files are shared with other tests: the copy is this test's own)."""
    with bench.session() as session:
        stored = version_row(session, dataset_row(session, name), None)
        with bench.platform.store.filesystem.open_input_file(stored.storage_path) as handle:
            data = handle.read()
        cut = directory / "cut.parquet"
        cut.write_bytes(data[: len(data) // 2])
        stored.storage_path = str(cut)


def damage_records(bench: JobBench, name: str) -> list[str]:
    with bench.platform.sessions() as session:
        return [
            e.detail["found_by"]
            for e in audit.iter_entries(session, AuditQuery(action=DAMAGED_ACTION))
            if e.object_id == name
        ]


@pytest.mark.parametrize(
    ("kind", "dataset", "grant"), [("dp", "people", "dp"), ("raw", "people_raw", "raw")]
)
def test_a_damaged_version_fails_the_job_before_it_runs_and_charges_nothing(
    bench: JobBench, kind: str, dataset: str, grant: str, tmp_path: Path
) -> None:
    charges = len(bench.ledger.charges())
    damage(bench, dataset, tmp_path)
    source = bench.model("Count", lambda run: finished(run.dp("count", dataset, epsilon=0.5)))

    job = bench.submit("user", [dataset], source, kind=kind, grant=grant)

    row = bench.row(job.id)
    assert row.state == JobState.FAILED, row.state_reason
    assert row.state_reason.startswith(f"dataset {dataset!r} version 1 is damaged on the server")
    assert "provider has been told" in row.state_reason and "/" not in row.state_reason
    assert bench.backend.runs == []  # no sandbox, no DP call, no row copied
    assert len(bench.ledger.charges()) == charges
    assert damage_records(bench, dataset) == ["job"]


def test_an_intact_version_is_checked_once_per_process(
    bench: JobBench, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    quick = storage_integrity.quick_check

    def counted(store: object, recorded: storage_integrity.RecordedVersion) -> object:
        checks.append(recorded.path)
        return quick(store, recorded)  # type: ignore[arg-type]

    monkeypatch.setattr("sandbox.datasets.integrity.quick_check", counted)
    source = bench.model("Count", lambda run: finished(run.dp("count", "people", epsilon=0.1)))
    first = bench.submit("user", ["people"], source, grant="dp")
    second = bench.submit("user", ["people"], source, grant="dp")
    assert {bench.row(j.id).state for j in (first, second)} == {JobState.PENDING_REVIEW}, [
        bench.row(j.id).state_reason for j in (first, second)
    ]
    assert len(checks) == 1
    assert sum(c.cost.loss for c in bench.ledger.charges()) == PrivacyCost.of("0.2").loss

"""Job tests run the real pieces: a Ray head (``ray start --head``) that the live uvicorn
server joins through ``SANDBOX_RAY_ADDRESS``, the strongest isolation backend of the machine,
and the world of the access workflow (:func:`tests.support.world.build_world`: a conditional
dataset, an active grant).

The orchestration unit tests (``test_orchestration_*.py``) need none of it: they drive the
job functions in-process with :mod:`tests.support.jobs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.jobs import BenchTemplate, JobBench, build_template, open_bench
from tests.support.ray_cluster import RAY_ENV
from tests.support.server import LiveServer, start_server, stop_server


@pytest.fixture(scope="module")
def job_server(tmp_path_factory: pytest.TempPathFactory, ray_address: str) -> Iterator[LiveServer]:
    """A live server joined to the session's Ray head."""
    server = start_server(
        tmp_path_factory.mktemp("jobs") / "var", {"SANDBOX_RAY_ADDRESS": ray_address, **RAY_ENV}
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def bench_template(tmp_path_factory: pytest.TempPathFactory) -> BenchTemplate:
    """The orchestration tests' platform, built once (:func:`tests.support.jobs.build_template`)."""
    return build_template(tmp_path_factory.mktemp("bench") / "var")


@pytest.fixture
def bench(
    bench_template: BenchTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JobBench]:
    """A fresh copy of the bench for one test: fake runtime, in-memory ledger, synchronous
    dispatcher."""
    yield from open_bench(bench_template, tmp_path / "var", monkeypatch)

"""The dispatcher's link to Ray, with Ray replaced by a switch: connection attempts back off
exponentially, the log gets one line per change of state (never one per attempt), and a
cluster that stops answering two probes running is dropped and reconnected later."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from sandbox.config import Settings
from sandbox.engine import ray_session
from sandbox.jobs import compute_link
from sandbox.jobs.compute_link import ComputeLink, ComputeState


class FakeRay:
    def __init__(self) -> None:
        self.up = False
        self.connected = False
        self.attempts = 0
        self.now = 1000.0

    def ensure(self, _settings: Settings | None = None) -> None:
        self.attempts += 1
        if not self.up:
            raise ConnectionError("10.0.0.7:6379 refused")  # never shown to anyone
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRay:
    ray = FakeRay()
    monkeypatch.setattr(ray_session, "ensure_ray", ray.ensure)
    monkeypatch.setattr(ray_session, "connected", lambda: ray.connected)
    monkeypatch.setattr(ray_session, "cluster_reachable", lambda: ray.up)
    monkeypatch.setattr(ray_session, "disconnect", ray.disconnect)
    clock = SimpleNamespace(monotonic=lambda: ray.now)  # the link's clock only
    monkeypatch.setattr("sandbox.jobs.compute_link.time", clock)
    return ray


def test_attempts_back_off_and_each_state_change_is_logged_once(
    fake: FakeRay, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = ComputeLink(Settings(var_dir=tmp_path, ray_address="head:6379"))
    assert link.eager and link.state is ComputeState.ON_DEMAND
    with caplog.at_level(logging.INFO, logger="sandbox.jobs.compute_link"):
        for _ in range(200):  # 200 dispatcher steps of 0.5 s while Ray is down
            assert not link.connect()
            fake.now += 0.5
        assert link.state is ComputeState.UNAVAILABLE
        assert fake.attempts <= 9  # 1, 2, 4, ... 30 s apart, not every step
        fake.up = True
        fake.now += compute_link.MAX_BACKOFF
        assert link.connect() and link.state is ComputeState.READY
        fake.up = False
        assert not link.lost()  # one missed probe may be a hiccup
        assert link.lost() and not fake.connected and link.state is ComputeState.UNAVAILABLE
        assert not link.connect()  # within the backoff: no attempt
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "compute: Ray is unavailable (ConnectionError); retrying with backoff",
        "compute: connected to Ray",
        "compute: the Ray cluster was lost; retrying",
    ]
    assert all(record.exc_info is None for record in caplog.records)


def test_the_private_ray_keeps_a_worker_for_each_job_that_can_run_at_once() -> None:
    from sandbox.config import Settings
    from sandbox.engine.ray_session import MAX_WORKER_SLOTS, worker_slots

    assert worker_slots(Settings(job_cpus=0.25), 2) == 8
    assert worker_slots(Settings(job_cpus=1.0), 2) == 2
    assert worker_slots(Settings(job_cpus=2.0), 1) == 1
    assert worker_slots(Settings(job_cpus=0.01), 64) == MAX_WORKER_SLOTS

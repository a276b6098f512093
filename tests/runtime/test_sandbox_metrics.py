"""Sandbox starts, run times and failures are counted by backend where the sandbox runs
(:func:`sandbox.runtime.executor.run_model`); a model's own error is not a sandbox failure.
Run on the development ``subprocess`` backend: the counting is the same for every backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.observability import metrics
from sandbox.runtime.backends import Limits
from sandbox.runtime.backends.local import SubprocessBackend
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import run_model

BACKEND = SubprocessBackend()


def _count(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def _broker(_request: DPRequest) -> Any:
    return 1.0


def _snapshot() -> dict[str, float]:
    return {
        "starts": _count("sandbox_sandbox_starts_total", backend="subprocess"),
        "runs": _count("sandbox_sandbox_run_seconds_count", backend="subprocess"),
        "timed_out": _count(
            "sandbox_sandbox_failures_total", backend="subprocess", reason="timed_out"
        ),
        "start_failed": _count(
            "sandbox_sandbox_failures_total", backend="subprocess", reason="start_failed"
        ),
    }


def test_a_run_counts_one_start_and_its_time() -> None:
    before = _snapshot()
    outcome = run_model(BACKEND, '"""d."""\ndef run(ctx):\n    return 1\n', _broker)
    assert outcome.status == "ok", outcome
    after = _snapshot()
    assert after["starts"] == before["starts"] + 1
    assert after["runs"] == before["runs"] + 1
    assert after["timed_out"] == before["timed_out"]


def test_a_model_error_is_not_a_sandbox_failure() -> None:
    before = _snapshot()
    outcome = run_model(BACKEND, '"""d."""\ndef run(ctx):\n    return 1 / 0\n', _broker)
    assert outcome.status == "model_error"
    assert _snapshot()["timed_out"] == before["timed_out"]
    assert _snapshot()["start_failed"] == before["start_failed"]


def test_a_run_stopped_by_its_time_limit_is_counted_as_timed_out() -> None:
    before = _snapshot()
    forever = '"""d."""\ndef run(ctx):\n    while True:\n        pass\n'
    outcome = run_model(BACKEND, forever, _broker, limits=Limits(wall_seconds=1, cpu_seconds=5))
    assert outcome.status == "timed_out"
    assert _snapshot()["timed_out"] == before["timed_out"] + 1


def test_a_sandbox_that_cannot_start_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_wrap(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("no such sandbox tool")

    monkeypatch.setattr(BACKEND, "wrap", broken_wrap)
    before = _snapshot()
    with pytest.raises(OSError):
        run_model(BACKEND, '"""d."""\ndef run(ctx):\n    return 1\n', _broker)
    after = _snapshot()
    assert after["start_failed"] == before["start_failed"] + 1
    assert after["starts"] == before["starts"] + 1

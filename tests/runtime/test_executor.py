"""End to end: a model runs in each available backend against a fake trusted broker."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.runtime.backends import Backend, BackendRegistry, Limits, default_registry
from sandbox.runtime.backends.local import SubprocessBackend
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import BrokerRefusal, run_model

MODEL = '''"""Mean income by region."""

PARAMS = {"upper": {"type": "number", "default": 200000}}

def run(ctx):
    census = ctx.dataset("census")
    total = census.count(epsilon=0.1)
    by_region = census.group_by("region").mean(
        "income", lower=0, upper=ctx.params["upper"], epsilon=0.5
    )
    ctx.log(f"about {total:.0f} rows")
    return {"total": total, "by_region": by_region}
'''


class FakeBroker:
    """Answers DP calls with canned values and records them; refuses unknown datasets."""

    def __init__(self) -> None:
        self.calls: list[DPRequest] = []

    def __call__(self, request: DPRequest) -> Any:
        self.calls.append(request)
        if request.dataset != "census":
            raise BrokerRefusal(f"dataset {request.dataset!r} is not in this job's grant")
        if request.call == "count":
            return 1234.0
        return {"north": 10.5, "south": 20.25}


def test_runs_a_model_end_to_end(backend: Backend) -> None:
    broker = FakeBroker()
    outcome = run_model(backend, MODEL, broker, params={"upper": 1000})
    assert outcome.status == "ok", outcome
    assert outcome.backend == backend.name
    assert outcome.value == {"total": 1234.0, "by_region": {"north": 10.5, "south": 20.25}}
    assert outcome.log == ["about 1234 rows"]
    assert [c.call for c in broker.calls] == ["count", "mean"]
    assert broker.calls[1].group_by == ("region",)
    assert broker.calls[1].args == {"column": "income", "lower": 0, "upper": 1000, "epsilon": 0.5}


def test_reports_compile_errors_with_lines(backend: Backend) -> None:
    outcome = run_model(backend, '"""d."""\nimport os\ndef run(ctx):\n    return 1\n', FakeBroker())
    assert outcome.status == "compile_error"
    assert any(e.startswith("Line 2:") for e in outcome.errors)


def test_reports_model_errors_and_refusals(backend: Backend) -> None:
    source = '"""d."""\ndef run(ctx):\n    return ctx.dataset("secret").count(epsilon=1)\n'
    outcome = run_model(backend, source, FakeBroker())
    assert outcome.status == "model_error"
    assert outcome.errors == ["Line 3: DPError: dataset 'secret' is not in this job's grant"]


def test_cant_exceed_log_size(backend: Backend) -> None:
    """It denies log lines beyond the log size cap."""
    source = '"""d."""\ndef run(ctx):\n    for i in range(100):\n        ctx.log("x" * 50)\n'
    outcome = run_model(backend, source, FakeBroker(), log_max_bytes=200)
    assert outcome.status == "ok"
    assert outcome.log == ["x" * 50] * 4 and outcome.log_truncated  # a fact, not a line


def test_cant_exceed_result_size(backend: Backend) -> None:
    """It denies a result larger than the result size cap."""
    source = '"""d."""\ndef run(ctx):\n    return "x" * 5000\n'
    outcome = run_model(backend, source, FakeBroker(), result_max_bytes=1000)
    assert outcome.status == "output_too_large"


def test_cant_return_non_json(backend: Backend) -> None:
    """It denies results that are not plain JSON data."""
    outcome = run_model(backend, '"""d."""\ndef run(ctx):\n    return ctx\n', FakeBroker())
    assert outcome.status == "model_error" or outcome.status == "crashed"
    assert outcome.value is None


def test_cant_exceed_memory_from_a_model(backend: Backend) -> None:
    """It denies a model allocating past the memory limit (reported as oom)."""
    source = '"""d."""\ndef run(ctx):\n    x = "a" * (2 * 1024 * 1024 * 1024)\n    return 1\n'
    outcome = run_model(backend, source, FakeBroker(), limits=Limits(memory_bytes=256 << 20))
    assert outcome.status == "oom", outcome


def test_cant_run_forever_from_a_model(backend: Backend) -> None:
    """It denies a model looping past the wall time (reported as timed out)."""
    source = '"""d."""\ndef run(ctx):\n    while True:\n        pass\n'
    outcome = run_model(backend, source, FakeBroker(), limits=Limits(wall_seconds=1.0))
    assert outcome.status == "timed_out"
    assert outcome.duration < 5


def test_registry_picks_the_strongest_and_rejects_duplicates() -> None:
    registry = default_registry()
    assert registry.strongest().name == registry.available()[0].name
    assert "subprocess" in [b.name for b in registry.available()]
    with pytest.raises(ValueError):
        registry.register("subprocess", SubprocessBackend)
    with pytest.raises(KeyError):
        registry.get("nope")
    empty = BackendRegistry()
    empty.register("subprocess", SubprocessBackend)
    assert empty.strongest().name == "subprocess"

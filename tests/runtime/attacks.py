"""Shared tools of the adversarial suite (``test_cant_*.py``): models, brokers, hostile workers.

Three ways to attack the runtime:

* :func:`run_attack`: a model through the full path (:func:`run_model`: the worker compiles it
  with RestrictedPython inside the backend and a fake broker answers its DP calls);
* :func:`hostile_worker`: the same path, but the worker runs the model as *plain* Python with
  the real builtins, as if RestrictedPython had a hole: what stops the attack is the OS
  sandbox and the trusted side's strict handling of the channel;
* :func:`run_raw`: a bare Python program in the backend, no worker, no channel (like
  ``test_os_isolation.py``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from sandbox.runtime import executor
from sandbox.runtime.backends import Backend, Limits, Outcome, run_process
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import BrokerRefusal, ModelOutcome, run_model
from sandbox.runtime.profiles import RuntimeProfile

REPO = Path(__file__).resolve().parents[2]
"""The checkout (the sandbox must see none of it but the runtime package)."""

CANARY_ROW = "CANARY-ROW-5b1e"
"""A raw row value only the fake broker holds: it must never appear in an outcome."""

GRANTED = "census"
"""The one dataset the fake broker's grant covers."""

NUMERIC_ARGS = frozenset({"epsilon", "delta", "lower", "upper", "q"})

QUICK = Limits(wall_seconds=10, cpu_seconds=5)
"""Limits for attacks expected to end on their own, well before the deadline."""


class FakeBroker:
    """The trusted side of DP calls: one granted dataset with raw rows, canned answers.

    It records every request it sees and refuses other datasets and numeric arguments that
    are not numbers.
    """

    def __init__(self) -> None:
        self.calls: list[DPRequest] = []
        self.rows = [{"name": CANARY_ROW, "income": 123456.0, "region": "north"}]

    def __call__(self, request: DPRequest) -> Any:
        self.calls.append(request)
        if request.dataset != GRANTED:
            raise BrokerRefusal(f"dataset {request.dataset!r} is not in this job's grant")
        for key in NUMERIC_ARGS & request.args.keys():
            if isinstance(request.args[key], bool) or not isinstance(
                request.args[key], int | float
            ):
                raise BrokerRefusal(f"argument {key!r} must be a number")
        if request.call == "count":
            return 42.0
        if request.call == "histogram":
            return {"north": 3.5, "south": 7.25}
        return 10.5


def model(body: str, prelude: str = "") -> str:
    """Return a model's source: a docstring, ``prelude``, then ``body`` dedented."""
    return '"""An attack."""\n\n' + prelude + textwrap.dedent(body).strip() + "\n"


def run_attack(
    backend: Backend,
    body: str,
    broker: FakeBroker | None = None,
    *,
    limits: Limits | None = None,
    prelude: str = "",
    **kwargs: Any,
) -> ModelOutcome:
    """Run ``body`` (see :func:`model`) through the full model path in ``backend`` (in the
    scientific profile when the backend is a scientific case of the ``backend`` fixture)."""
    source = model(body, prelude)
    profile = getattr(backend, "profile", None)
    if profile is not None:
        kwargs.setdefault("profile", profile)
    return run_model(backend, source, broker or FakeBroker(), limits=limits or QUICK, **kwargs)


# Runs inside the sandbox in place of the worker's entry point: the real worker (channel,
# ctx, DP handles, limits), but the model is compiled and run as plain Python.
_HOSTILE_WORKER = """\
import builtins, sys
import sandbox.runtime.worker as worker
from sandbox.runtime.compiler import CompileResult
worker.compile_model = lambda source, allowed, filename="<model>": CompileResult(
    code=compile(source, filename, "exec"))
worker.safe_globals = lambda allowed, extra=None: {"__builtins__": builtins, "__name__": "model"}
sys.exit(worker.main())
"""

CHANNEL = """\
import json, os, struct, sys

_FDS = []

def channel_fds():
    '''The worker's channel (in_fd, out_fd), found in its frames (call it on the main thread).'''
    if not _FDS:
        frame = sys._getframe()
        while frame.f_code.co_name != "_serve":
            frame = frame.f_back
        _FDS.extend((frame.f_locals["in_fd"], frame.f_locals["out_fd"]))
    return tuple(_FDS)

def raw_frame(payload):
    '''Write bytes as one frame on the channel, past every check of the worker.'''
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "surrogatepass")
    os.write(channel_fds()[1], struct.pack(">I", len(payload)) + payload)

def raw_message(message):
    raw_frame(json.dumps(message, allow_nan=True))

def raw_reply():
    from sandbox.runtime.channel import read_message
    return read_message(channel_fds()[0])

"""
"""Helpers a hostile model can paste in to write frames directly on the channel."""


@contextmanager
def hostile_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within the block, :func:`run_model` runs models as plain Python in the sandbox."""
    with monkeypatch.context() as patch:
        patch.setattr(
            executor, "worker_argv", lambda: [sys.executable, "-I", "-c", _HOSTILE_WORKER]
        )
        yield


def run_hostile(
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    body: str,
    broker: FakeBroker | None = None,
    *,
    limits: Limits | None = None,
    **kwargs: Any,
) -> ModelOutcome:
    """Run ``body`` as plain Python in the real worker in ``backend`` (see the module doc).

    The model can use the :data:`CHANNEL` helpers (``raw_frame``, ``raw_message``). In the
    scientific profile the real worker already runs the model as plain Python, so it runs
    unpatched: what a scientific model can do, it does without any hole being made.
    """
    if getattr(backend, "profile", None) is RuntimeProfile.SCIENTIFIC:
        return run_attack(backend, body, broker, limits=limits, prelude=CHANNEL, **kwargs)
    with hostile_worker(monkeypatch):
        return run_attack(backend, body, broker, limits=limits, prelude=CHANNEL, **kwargs)


def run_raw(backend: Backend, code: str, limits: Limits | None = None) -> Outcome:
    """Run a bare Python program in ``backend``; stdout and stderr are captured raw."""
    limits = limits or QUICK
    argv = [sys.executable, "-I", "-c", textwrap.dedent(code)]
    with tempfile.TemporaryDirectory(prefix="sandbox-test-") as scratch:
        return run_process(backend.wrap(argv, Path(scratch), limits), limits, Path(scratch))


def printed(outcome: Outcome) -> Any:
    """Return the JSON value the raw program printed as its last stdout line."""
    lines = outcome.stdout.decode("utf-8", "replace").strip().splitlines()
    assert lines, f"no output; exit {outcome.exit_code}; stderr: {outcome.stderr[-2000:]!r}"
    return json.loads(lines[-1])


def visible(outcome: ModelOutcome) -> str:
    """Every user-visible field of an outcome, as one string to search for leaks."""
    fields = asdict(outcome)
    return json.dumps(
        {k: fields[k] for k in ("status", "value", "errors", "log", "backend")},
        ensure_ascii=False,
    )


def assert_clean_text(outcome: ModelOutcome) -> None:
    """Every string of the outcome is valid UTF-8 text that storage and HTTP can carry."""
    visible(outcome).encode("utf-8")  # raises on a lone surrogate

"""Resource exhaustion: every attempt ends as ``timed_out``, ``oom``, ``output_too_large`` or a
clean ``model_error``, never hangs the runner and never crashes (or bloats) the trusted side.

Limits are small so that the attacks end fast. Attacks on limits a backend enforces run in
every backend; the ones on the worker's and the runner's own caps run in the strongest
(restricted profile) and in bwrap and docker under the scientific profile (``walled``), where
the model is ordinary Python; numpy's allocations and threads run in the scientific profile.
"""

from __future__ import annotations

import signal
import time

import pytest

from sandbox.runtime.backends import Backend, Limits
from tests.runtime.attacks import printed, run_attack, run_hostile, run_raw
from tests.runtime.conftest import require

SHORT = Limits(wall_seconds=2.5, cpu_seconds=1, memory_bytes=256 << 20)
"""Limits for attacks that run until the CPU or wall-time limit stops them."""

SMALL = Limits(wall_seconds=10, cpu_seconds=5, memory_bytes=256 << 20)
"""Limits for attacks that must end on their own (an error, ``oom``), well before a timeout."""


def test_cant_fill_the_disk(backend: Backend) -> None:
    """It denies filling the sandbox's writable space (``/tmp``, the cwd) past its memory.

    ``RLIMIT_FSIZE`` caps one file; many files must still hit a bound, or a tmpfs eats the
    host's RAM. The program stops itself at 1 GiB (a failure, without exhausting the host).
    """
    require(backend, "files")
    code = """
    import json, os
    block = b"x" * (1 << 20)
    written, error = 0, None
    try:
        for i in range(1024):
            with open(f"/tmp/fill-{i}", "wb") as f:
                f.write(block)
            written += len(block)
    except OSError as exc:
        error = exc.errno
    print(json.dumps([written, error]))
    """
    limits = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=256 << 20)
    outcome = run_raw(backend, code, limits)
    written, _ = printed(outcome)
    assert written <= 2 * limits.memory_bytes, f"wrote {written >> 20} MiB"


def test_cant_start_unbounded_threads(backend: Backend) -> None:
    """It denies a thread bomb (small stacks dodge the address-space limit).

    Threads are tasks: the process limit must bound them. The program stops itself at 2000.
    """
    require(backend, "processes")
    code = """
    import json, threading, time
    threading.stack_size(64 * 1024)
    started, stop = 0, threading.Event()
    try:
        for _ in range(2000):
            threading.Thread(target=stop.wait, daemon=True).start()
            started += 1
    except (RuntimeError, MemoryError):
        pass
    print(json.dumps(started), flush=True)
    stop.set()
    """
    limits = Limits(wall_seconds=10, cpu_seconds=5, max_processes=32)
    outcome = run_raw(backend, code, limits)
    started = printed(outcome)
    assert started <= 4 * limits.max_processes, f"started {started} threads"


@pytest.mark.parametrize(
    "body",
    [
        "def f(n):\n    return f(n + 1)\ndef run(ctx):\n    return f(0)\n",
        "def run(ctx):\n    x = []\n    for i in range(200000):\n        x = [x]\n"
        "    return len(repr(x))\n",
        "import json\ndef run(ctx):\n    x = {}\n    for i in range(200000):\n"
        "        x = {'a': x}\n    return len(json.dumps(x))\n",
    ],
)
def test_cant_recurse_without_bound(walled: Backend, body: str) -> None:
    """It denies unbounded recursion, in Python or in C (``repr``, JSON, iterator chains)."""
    outcome = run_attack(walled, body, allowed_imports=("json",), limits=SMALL)
    assert outcome.status in ("model_error", "oom"), outcome
    if outcome.status == "model_error":
        assert "RecursionError" in outcome.errors[0] or "MemoryError" in outcome.errors[0]


def test_cant_overflow_the_c_stack_outside_the_worker(walled: Backend) -> None:
    """It denies a C stack overflow (a 200000-deep ``map`` chain) any effect but the worker's.

    CPython 3.11 does not count this recursion: the worker dies of ``SIGSEGV`` inside the
    sandbox, reported as ``crashed`` (or a ``RecursionError`` where the interpreter checks).
    """
    outcome = run_attack(
        walled,
        "def run(ctx):\n    g = [1]\n    for i in range(200000):\n        g = map(abs, g)\n"
        "    return list(g)\n",
        limits=SMALL,
    )
    assert outcome.status in ("crashed", "model_error"), outcome
    assert outcome.value is None and outcome.duration < SMALL.wall_seconds


def test_cant_log_a_huge_line(walled: Backend) -> None:
    """It denies a 50 MB log line: dropped, the log marked truncated, the run goes on."""
    outcome = run_attack(
        walled,
        'def run(ctx):\n    ctx.log("x" * 50_000_000)\n    ctx.log("after")\n    return 1\n',
        log_max_bytes=1000,
    )
    assert outcome.status == "ok", outcome
    assert outcome.log == ["after"] and outcome.log_truncated  # the platform says so


def test_cant_flood_the_log_with_empty_lines(walled: Backend) -> None:
    """It denies floods of empty log lines: each costs at least one byte of the cap."""
    outcome = run_attack(
        walled,
        'def run(ctx):\n    for i in range(300_000):\n        ctx.log("")\n    return 1\n',
        log_max_bytes=1000,
    )
    assert outcome.status == "ok", outcome
    assert len(outcome.log) <= 1000 and outcome.log_truncated


def test_cant_flood_the_log_past_the_worker(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) log frames past the cap: the run ends, nothing more is kept."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        import time
        def run(ctx):
            for i in range(100_000):
                raw_message({"op": "log", "line": "x" * 1000})
            time.sleep(10)
        """,
        log_max_bytes=10_000,
    )
    assert outcome.status == "crashed", outcome
    assert "log size cap" in outcome.errors[0]
    assert sum(len(line) for line in outcome.log) <= 10_000
    assert outcome.duration < 5


@pytest.mark.parametrize(
    "value",
    [
        '"x" * 50_000_000',
        "list(range(300_000))",
        "{str(i): i for i in range(150_000)}",
    ],
)
def test_cant_return_a_huge_result(walled: Backend, value: str) -> None:
    """It denies results larger than the result cap: ``output_too_large``, no value."""
    outcome = run_attack(walled, f"def run(ctx):\n    return {value}\n")
    assert outcome.status == "output_too_large", outcome
    assert outcome.value is None


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    x = []\n    for i in range(100):\n        x = [x]\n    return x\n",
        "def run(ctx):\n    x = []\n    for i in range(100000):\n        x = [x]\n    return x\n",
        "def run(ctx):\n    x = []\n    x.append(x)\n    return x\n",
        "def run(ctx):\n    return [10 ** 30, 10 ** 5000]\n",
        "def run(ctx):\n    return {'k': chr(0xD800)}\n",
    ],
)
def test_cant_return_a_result_the_trusted_side_cannot_hold(walled: Backend, body: str) -> None:
    """It denies deep, cyclic, huge-int or invalid-text results: a clean ``model_error``."""
    outcome = run_attack(walled, body, limits=SMALL)
    assert outcome.status == "model_error", outcome
    assert outcome.value is None


def test_cant_drip_a_frame_slowly(walled: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """It denies (hostile) a frame dripped a byte at a time: the deadline still holds."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        import os, time
        def run(ctx):
            out_fd = channel_fds()[1]
            os.write(out_fd, (1000).to_bytes(4, "big"))
            for _ in range(1000):
                os.write(out_fd, b" ")
                time.sleep(0.05)
        """,
        limits=Limits(wall_seconds=1.5, cpu_seconds=5),
    )
    assert outcome.status == "timed_out", outcome
    assert outcome.duration < 5


def test_cant_exhaust_file_descriptors(backend: Backend) -> None:
    """It denies opening more descriptors than the limit (files, pipes, sockets)."""
    code = """
    import json, os, socket
    held = []
    try:
        for i in range(5000):
            kind = i % 3
            if kind == 0:
                held.append(os.open("/dev/null", os.O_RDONLY))
            elif kind == 1:
                held.extend(os.pipe())
            else:
                held.extend(s.detach() for s in socket.socketpair())
    except OSError:
        pass
    print(json.dumps(len(held)))
    """
    limits = Limits(wall_seconds=10, cpu_seconds=5, max_open_files=64)
    assert printed(run_raw(backend, code, limits)) <= limits.max_open_files


@pytest.mark.parametrize(
    "body",
    [
        "def run(ctx):\n    x = [0] * (1024 ** 3)\n    return 1\n",
        "def run(ctx):\n    x = []\n    while True:\n        x.append('ab' * 1_000_000)\n",
    ],
)
def test_cant_exhaust_memory(backend: Backend, body: str) -> None:
    """It denies allocating past the memory limit, at once or bit by bit: ``oom``."""
    require(backend, "memory")
    outcome = run_attack(backend, body, limits=SMALL)
    assert outcome.status == "oom", outcome


def test_cant_spin_the_cpu_in_c_code(backend: Backend) -> None:
    """It denies a CPU burn inside one C call (``pow(10, 10**8)``): no bytecode, no signal
    handler can stop it, only the CPU limit."""
    require(backend, "cpu")
    outcome = run_attack(backend, "def run(ctx):\n    return pow(10, 10 ** 8) > 0\n", limits=SHORT)
    assert outcome.status == "timed_out", outcome
    assert outcome.duration < SHORT.wall_seconds + 3


def test_cant_backtrack_a_regex_forever(walled: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """It denies (hostile) catastrophic regex backtracking: the CPU limit ends it."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        import re
        def run(ctx):
            return bool(re.match(r"(a+)+$", "a" * 64 + "b"))
        """,
        limits=SHORT,
    )
    assert outcome.status == "timed_out", outcome
    assert outcome.duration < SHORT.wall_seconds + 3


def test_cant_stall_the_runner_by_closing_its_pipes(backend: Backend) -> None:
    """It denies stalling the runner by closing stdout/stderr and sleeping: killed on time."""
    require(backend, "wall_time")
    code = """
    import os, time
    os.close(1)
    os.close(2)
    time.sleep(60)
    """
    started = time.monotonic()
    outcome = run_raw(backend, code, Limits(wall_seconds=1, cpu_seconds=5))
    assert outcome.timed_out, outcome
    assert time.monotonic() - started < 8


def test_cant_flood_the_runner_with_output(backend: Backend) -> None:
    """It denies unbounded output: stdout and stderr are kept up to the cap, then dropped."""
    code = """
    import os
    chunk = b"y" * 65536
    for _ in range(300):
        os.write(1, chunk)
        os.write(2, chunk)
    """
    limits = Limits(wall_seconds=10, cpu_seconds=5, max_output_bytes=4096)
    outcome = run_raw(backend, code, limits)
    assert outcome.exit_code == 0, outcome.stderr[-500:]
    assert len(outcome.stdout) <= 4096 and len(outcome.stderr) <= 4096


NUMPY = Limits(wall_seconds=30, cpu_seconds=20, memory_bytes=768 << 20)
"""Room for numpy's import, far below what the attacks below ask for."""


@pytest.mark.parametrize(
    "body",
    [
        "import numpy\ndef run(ctx):\n    return float(numpy.ones(10 ** 10).sum())\n",
        "import numpy\ndef run(ctx):\n    held = []\n    while True:\n"
        "        held.append(numpy.ones(10 ** 7))\n",
        "import numpy\ndef run(ctx):\n    a = numpy.ones(10 ** 6)\n    while True:\n"
        "        a = numpy.concatenate([a, a])\n",
    ],
)
def test_cant_exhaust_memory_with_numpy(scientific: Backend, body: str) -> None:
    """It denies numpy allocating past the memory limit, at once, bit by bit or doubling:
    ``oom``, however the allocation fails inside numpy."""
    require(scientific, "memory")
    outcome = run_attack(scientific, body, limits=NUMPY)
    assert outcome.status == "oom", outcome


def test_cant_spin_the_cpu_in_numpy_threads(scientific: Backend) -> None:
    """It denies threads of numpy work (which releases the GIL) past the CPU limit: the
    limit counts every thread, and it is the CPU limit (``SIGXCPU``), not the wall clock,
    that ends the run."""
    require(scientific, "cpu")
    outcome = run_attack(
        scientific,
        """
        import threading
        import numpy

        def burn():
            a = numpy.arange(100_000.0)
            while True:
                numpy.sqrt(a).sum()

        def run(ctx):
            for _ in range(4):
                threading.Thread(target=burn, daemon=True).start()
            burn()
        """,
        limits=Limits(wall_seconds=60, cpu_seconds=2, memory_bytes=768 << 20),
    )
    assert outcome.status == "timed_out", outcome
    assert outcome.exit_code in (128 + signal.SIGXCPU, -signal.SIGXCPU), outcome


def test_cant_fork_bomb_from_a_model(scientific: Backend) -> None:
    """It denies a scientific model ``os.fork`` (and ``multiprocessing``): the process limit
    and the seccomp filter stop it, the run ends and leaves nothing behind."""
    outcome = run_attack(
        scientific,
        """
        import os

        def run(ctx):
            made, errors = 0, []
            for _ in range(200):
                try:
                    pid = os.fork()
                except OSError as exc:
                    errors.append(exc.errno)
                    break
                if pid == 0:
                    import time
                    time.sleep(30)
                    os._exit(0)
                made += 1
            try:
                import multiprocessing
                multiprocessing.Process(target=print).start()
                errors.append("process started")
            except Exception as exc:
                errors.append(type(exc).__name__)
            return {"made": made, "errors": errors}
        """,
        limits=Limits(wall_seconds=10, cpu_seconds=5, max_processes=32),
    )
    assert outcome.status in ("ok", "model_error", "timed_out", "crashed"), outcome
    if outcome.status == "ok":
        assert outcome.value["made"] <= 32 and "process started" not in outcome.value["errors"]
    assert outcome.duration < 15

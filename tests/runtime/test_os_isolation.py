"""OS-level attack tests: raw Python in the sandbox, as if RestrictedPython had a hole."""

from __future__ import annotations

import socket
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from sandbox.runtime.backends import Backend, Limits, Outcome, run_process
from tests.runtime.conftest import require


def _run_raw(backend: Backend, code: str, limits: Limits | None = None) -> Outcome:
    limits = limits or Limits(wall_seconds=10)
    argv = [sys.executable, "-I", "-c", textwrap.dedent(code)]
    with tempfile.TemporaryDirectory(prefix="sandbox-test-") as scratch:
        return run_process(backend.wrap(argv, Path(scratch), limits), limits, Path(scratch))


def test_runs_raw_python(backend: Backend) -> None:
    outcome = _run_raw(backend, "print('hello')")
    assert outcome.exit_code == 0 and outcome.stdout == b"hello\n", outcome.stderr


def test_cant_read_host_files(backend: Backend, tmp_path: Path) -> None:
    """It denies reading /etc/shadow or a planted file outside the scratch dir."""
    require(backend, "files")
    planted = tmp_path / "canary.txt"
    planted.write_text("CANARY-7f3a")
    code = f"""
    for path in ("/etc/shadow", "/etc/passwd", {str(planted)!r}, "/root/.bashrc"):
        try:
            print(open(path).read())
        except OSError as exc:
            print("denied", type(exc).__name__)
    """
    outcome = _run_raw(backend, code)
    assert outcome.exit_code == 0, outcome.stderr
    assert b"CANARY-7f3a" not in outcome.stdout
    assert b"root:" not in outcome.stdout
    assert outcome.stdout.count(b"denied") == 4


def test_cant_write_outside_scratch(backend: Backend) -> None:
    """It denies writing to the host filesystem (read-only root)."""
    require(backend, "files")
    code = """
    import sys
    try:
        open(sys.executable + ".pwned", "w")
        print("WROTE")
    except OSError:
        print("denied")
    """
    outcome = _run_raw(backend, code)
    assert outcome.stdout == b"denied\n", outcome.stderr
    assert not Path(sys.executable + ".pwned").exists()


def test_cant_open_network(backend: Backend) -> None:
    """It denies connecting to a listener on the host's loopback."""
    require(backend, "network")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            print("CONNECTED")
        except OSError as exc:
            print("denied", type(exc).__name__)
        """
        outcome = _run_raw(backend, code)
    assert b"CONNECTED" not in outcome.stdout
    assert b"denied" in outcome.stdout, outcome.stderr


def test_cant_fork_bomb(backend: Backend) -> None:
    """It denies spawning processes beyond the process limit."""
    require(backend, "processes")
    code = """
    import os, time
    n = 0
    try:
        for _ in range(200):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            n += 1
    except OSError:
        print("denied", n)
    """
    outcome = _run_raw(backend, code, Limits(wall_seconds=5, max_processes=16))
    assert outcome.stdout.startswith(b"denied"), outcome


def test_cant_exceed_memory(backend: Backend) -> None:
    """It denies allocating past the address-space limit."""
    require(backend, "memory")
    code = "b = bytearray(1024 * 1024 * 1024)\nprint('ALLOCATED')"
    outcome = _run_raw(backend, code, Limits(memory_bytes=256 << 20))
    assert b"ALLOCATED" not in outcome.stdout
    assert outcome.exit_code != 0 and b"MemoryError" in outcome.stderr


def test_cant_run_forever(backend: Backend) -> None:
    """It denies running past the wall time, even while sleeping (no CPU used)."""
    require(backend, "wall_time")
    outcome = _run_raw(backend, "import time\ntime.sleep(60)", Limits(wall_seconds=1))
    assert outcome.timed_out
    assert outcome.duration < 5


def test_cant_burn_cpu(backend: Backend) -> None:
    """It denies using more CPU than the CPU limit."""
    require(backend, "cpu")
    outcome = _run_raw(backend, "while True: pass", Limits(wall_seconds=10, cpu_seconds=1))
    assert outcome.cpu_exceeded, outcome


def test_cant_see_env(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """It denies the worker any environment variable of the server."""
    require(backend, "env")
    monkeypatch.setenv("SANDBOX_SECRET_TOKEN", "hunter2")
    outcome = _run_raw(backend, "import os\nprint(sorted(os.environ))")
    assert b"hunter2" not in outcome.stdout and b"SANDBOX_SECRET" not in outcome.stdout
    # Python sets LC_CTYPE itself, bwrap sets PWD; nothing comes from the server.
    names = set(eval(outcome.stdout))  # noqa: S307 - a list literal we printed
    assert names <= {"LC_CTYPE", "PWD"}, names


def test_cant_spawn_subprocesses(backend: Backend) -> None:
    """It denies starting another program (``subprocess``/``posix_spawn``)."""
    require(backend, "processes")
    code = """
    import subprocess
    try:
        subprocess.run(["/usr/bin/id"], check=False)
        print("SPAWNED")
    except OSError as exc:
        print("denied", type(exc).__name__)
    """
    outcome = _run_raw(backend, code)
    assert outcome.stdout.startswith(b"denied"), outcome


def test_cant_use_kernel_surfaces(backend: Backend) -> None:
    """It denies ``unshare`` and ``ptrace``-style kernel surfaces (seccomp)."""
    require(backend, "processes")
    code = """
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    print(libc.unshare(0x10000000), ctypes.get_errno())  # CLONE_NEWUSER
    print(libc.ptrace(0, 0, 0, 0), ctypes.get_errno())   # PTRACE_TRACEME
    """
    outcome = _run_raw(backend, code)
    assert outcome.stdout.split() == [b"-1", b"1", b"-1", b"1"], outcome


def test_threads_still_work(backend: Backend) -> None:
    outcome = _run_raw(
        backend,
        "import threading\nt = threading.Thread(target=print, args=('t',))\nt.start()\nt.join()",
    )
    assert outcome.stdout == b"t\n", outcome

"""No sandbox outlives the process that started it by more than the platform takes to look.

After a ``kill -9`` of the server or of a Ray worker, containers used to stay up until their
own alarm (a job's wall time and more). Every container now carries the platform instance
and the job it runs for, so the platform finds what a dead runner left and removes each one
no live job holds (:func:`sandbox.runtime.backends.reap_orphans`). A bwrap sandbox dies with
its runner (the parent-death signal, ``--die-with-parent``), so nothing of it is left.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.runtime.backends import (
    DockerBackend,
    default_registry,
    reap_orphans,
)

REPO = Path(__file__).resolve().parents[2]

RUNNER = """
import sys
from pathlib import Path
from sandbox.runtime.backends import Limits, SandboxOwner, default_registry, run_process
name, scratch, instance, job = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
backend = default_registry().get(name)
code = "import time\\ntime.sleep(120)"
limits = Limits(wall_seconds=120)
launch = backend.wrap([sys.executable, "-I", "-c", code], scratch, limits,
                      owner=SandboxOwner(instance=instance, job_id=job))
print(launch.argv[launch.argv.index("--name") + 1] if "--name" in launch.argv else "-",
      flush=True)
run_process(launch, limits, scratch)
"""
"""A runner like a job's: one sandbox of two minutes, labelled with its owner."""


@pytest.fixture(scope="module")
def docker(docker_engine: str) -> DockerBackend:
    backend = default_registry().get("docker")
    assert isinstance(backend, DockerBackend)
    return backend


@pytest.fixture
def instance() -> str:
    """A platform instance of this test alone (other sessions share the engine)."""
    return f"test-{secrets.token_hex(6)}"


def start_runner(backend: str, scratch: Path, instance: str, job: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, backend, str(scratch), instance, str(job)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def runners() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for runner in started:
        if runner.poll() is None:
            runner.kill()
        runner.wait()
        if runner.stdout is not None:
            runner.stdout.close()


def containers(docker_cli: str, instance: str, *, running: bool = False) -> dict[str, str]:
    """This instance's containers (or only its running ones): name to the job label."""
    done = subprocess.run(
        [
            docker_cli,
            "ps",
            *([] if running else ["--all"]),
            "--filter",
            f"label=sandbox.instance={instance}",
            "--format",
            '{{.Names}} {{.Label "sandbox.job"}}',
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_killed_runners_container_is_reaped_within_seconds(
    docker: DockerBackend,
    docker_engine: str,
    instance: str,
    tmp_path: Path,
    runners: list[subprocess.Popen[str]],
) -> None:
    runner = start_runner("docker", tmp_path, instance, 41)
    runners.append(runner)
    assert runner.stdout is not None
    name = runner.stdout.readline().strip()
    assert wait_for(lambda: containers(docker_engine, instance, running=True) == {name: "41"}, 30)
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=10)
    time.sleep(1)
    assert containers(docker_engine, instance) == {name: "41"}  # what reaping is for
    started = time.monotonic()
    reaped = reap_orphans([docker], instance, live_jobs=lambda jobs: set())
    assert [s.name for s in reaped] == [name]
    assert wait_for(lambda: containers(docker_engine, instance) == {}, 5)
    assert time.monotonic() - started < 5


def test_only_sandboxes_no_live_job_holds_are_reaped(
    docker: DockerBackend, docker_engine: str, instance: str
) -> None:
    other = f"test-{secrets.token_hex(6)}"
    made = {}
    for owner, job in ((instance, 1), (instance, 2), (other, 1)):
        name = f"sandbox-run-orphan-test-{secrets.token_hex(4)}"
        subprocess.run(
            [
                docker_engine,
                "create",
                "--name",
                name,
                "--label",
                f"sandbox.instance={owner}",
                "--label",
                f"sandbox.job={job}",
                "--network",
                "none",
                docker.image_tag,
            ],
            capture_output=True,
            timeout=30,
            check=True,
        )
        made[(owner, job)] = name
    try:
        asked: list[set[int]] = []

        def live(jobs: set[int]) -> set[int]:
            asked.append(set(jobs))
            return {2}

        reaped = reap_orphans([docker], instance, live_jobs=live)
        assert asked == [{1, 2}]
        assert [s.name for s in reaped] == [made[(instance, 1)]]
        assert containers(docker_engine, instance) == {made[(instance, 2)]: "2"}
        assert containers(docker_engine, other) == {made[(other, 1)]: "1"}  # not ours
    finally:
        subprocess.run(
            [docker_engine, "rm", "--force", *made.values()],
            capture_output=True,
            timeout=30,
            check=False,
        )


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_runners_bwrap_sandbox_dies_with_it(
    tmp_path: Path, runners: list[subprocess.Popen[str]]
) -> None:
    try:
        default_registry().get("bwrap")
    except RuntimeError:
        pytest.skip("bwrap is not available on this machine")
    runner = start_runner("bwrap", tmp_path, "test-bwrap", 7)
    runners.append(runner)
    assert runner.stdout is not None
    assert runner.stdout.readline().strip() == "-"
    assert wait_for(
        lambda: any(
            b"sleep(120)" in _cmdline(pid) and b"bwrap" not in _cmdline(pid)
            for pid in _descendants(runner.pid)
        ),
        30,
    )
    sandbox = _descendants(runner.pid)  # bwrap and the model's interpreter under it
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=10)
    assert wait_for(lambda: not any(_alive(pid) for pid in sandbox), 5), [
        pid for pid in sandbox if _alive(pid)
    ]

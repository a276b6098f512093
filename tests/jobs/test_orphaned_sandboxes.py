"""The platform removes every sandbox of its own that no live job holds, within seconds.

After a ``kill -9`` of the server or of a Ray worker, containers ran on while their jobs read
``failed`` (one for 114 s). Each job's container carries the platform instance and the job
id; the dispatcher removes those of jobs that are not running when it starts (after its
recovery), when a task dies and every little while; and a runner whose job was settled
without it (failed by a recovery) stops its sandbox itself. In-process on the bench
(:mod:`tests.support.jobs`), against the real Docker engine.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.jobs.dispatcher import JobDispatcher, reap_orphaned_sandboxes
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState
from sandbox.jobs.runner import fail_unfinished, sandbox_instance
from sandbox.runtime.backends import DockerBackend, default_registry
from sandbox.runtime.executor import ModelOutcome, RunStatus
from sandbox.store.models import JobRow
from tests.support.jobs import JobBench, ModelRun, finished


@pytest.fixture(scope="module")
def docker(docker_engine: str) -> DockerBackend:
    backend = default_registry().get("docker")
    assert isinstance(backend, DockerBackend)
    return backend


@pytest.fixture
def sandbox_of(
    bench: JobBench, docker: DockerBackend, docker_engine: str
) -> Iterator[Callable[[int], str]]:
    """Starts a running container labelled as the sandbox of a job of the bench."""
    made: list[str] = []

    def start(job_id: int) -> str:
        name = f"sandbox-run-orphan-test-{secrets.token_hex(4)}"
        subprocess.run(
            [
                docker_engine,
                "run",
                "-d",
                "--name",
                name,
                "--label",
                f"sandbox.instance={sandbox_instance(bench.platform.settings)}",
                "--label",
                f"sandbox.job={job_id}",
                "--network",
                "none",
                docker.image_tag,
                "/usr/local/bin/python3",
                "-c",
                "import time; time.sleep(120)",
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
        made.append(name)
        return name

    yield start
    subprocess.run(
        [docker_engine, "rm", "--force", *made], capture_output=True, timeout=60, check=False
    )


def running(docker_cli: str, name: str) -> bool:
    done = subprocess.run(
        [docker_cli, "ps", "--all", "--filter", f"name=^/{name}$", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip() == name


def gone_within(docker_cli: str, name: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not running(docker_cli, name):
            return True
        time.sleep(0.2)
    return False


def job_at(bench: JobBench, state: JobState) -> int:
    """A job of the bench walked to ``state`` (``running`` or ``failed``)."""
    bench.dispatcher.paused = True
    try:
        job_id = bench.submit(
            "user",
            ["people"],
            bench.model(f"Job {state} {secrets.token_hex(3)}", lambda run: finished(1)),
        ).id
    finally:
        bench.dispatcher.paused = False
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        move(session, row, JobState.RUNNING, platform_actor())
        if state is JobState.FAILED:
            fail_unfinished(session, row, "the worker running the job stopped")
    return job_id


def test_a_failed_jobs_living_container_is_reaped_and_a_running_ones_kept(
    bench: JobBench, docker_engine: str, sandbox_of: Callable[[int], str]
) -> None:
    failed, live = job_at(bench, JobState.FAILED), job_at(bench, JobState.RUNNING)
    orphan, kept = sandbox_of(failed), sandbox_of(live)
    reaped = reap_orphaned_sandboxes(bench.platform)
    assert [s.name for s in reaped] == [orphan]
    assert gone_within(docker_engine, orphan, 5)
    assert running(docker_engine, kept)


def test_a_restart_reaps_what_the_old_process_left_within_seconds(
    bench: JobBench, docker_engine: str, sandbox_of: Callable[[int], str]
) -> None:
    """The old server died while its job ran: the recovery fails the job, and the
    dispatcher's start removes its container."""
    interrupted = job_at(bench, JobState.RUNNING)
    name = sandbox_of(interrupted)
    dispatcher = JobDispatcher(bench.platform, poll_seconds=0.1)
    started = time.monotonic()
    dispatcher.start()
    try:
        assert gone_within(docker_engine, name, 5)
        assert time.monotonic() - started < 5
    finally:
        dispatcher.stop()
    assert bench.row(interrupted).state == JobState.FAILED


class DeadWorkerRay:
    """Ray as the dispatcher sees it when a job's worker was killed: the task is done, and
    reading its result raises."""

    def wait(
        self, refs: list[Any], num_returns: int, timeout: float
    ) -> tuple[list[Any], list[Any]]:
        return list(refs), []

    def get(self, ref: Any) -> Any:
        raise RuntimeError("the worker died unexpectedly")

    def cancel(self, ref: Any, force: bool) -> None:
        raise AssertionError("nothing to cancel")


def test_a_dead_workers_container_is_reaped_when_its_task_is_seen_dead(
    bench: JobBench, docker_engine: str, sandbox_of: Callable[[int], str]
) -> None:
    job_id = job_at(bench, JobState.RUNNING)
    name = sandbox_of(job_id)
    dispatcher = JobDispatcher(bench.platform)
    dispatcher._tasks[job_id] = object()  # its Ray task, as the dispatcher holds it
    dispatcher._reap(DeadWorkerRay())
    assert bench.row(job_id).state == JobState.FAILED
    assert gone_within(docker_engine, name, 5)


def test_a_runner_stops_its_sandbox_when_its_job_was_settled_without_it(bench: JobBench) -> None:
    """A recovery elsewhere failed the job while its runner lived on: the runner stops the
    sandbox within a poll, and leaves the job as the recovery left it."""
    seen: dict[str, Any] = {}

    def settled_elsewhere(run: ModelRun) -> ModelOutcome:
        job_id = run_id[0]
        with bench.session() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            fail_unfinished(session, row, "the platform restarted while the job was running")
        assert run.stop is not None
        seen["stopped"] = run.stop.wait(5)
        return ModelOutcome(status=RunStatus.CANCELLED, backend="fake", duration=0.1)

    run_id: list[int] = []
    bench.dispatcher.paused = True
    job = bench.submit("user", ["people"], bench.model("Settled elsewhere", settled_elsewhere))
    run_id.append(job.id)
    bench.dispatcher.paused = False
    worker = threading.Thread(target=bench.dispatcher.drain)
    worker.start()
    worker.join(timeout=30)
    assert seen["stopped"] is True
    row = bench.row(job.id)
    assert row.state == JobState.FAILED
    assert row.state_reason == "the platform restarted while the job was running"

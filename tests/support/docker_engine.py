"""The Docker engine the ``docker`` backend's tests run against: started when none answers.

Like the PostgreSQL server of ``tests/conftest.py``, the engine is a real one. Unlike it, the
engine is a host-wide service (one per machine, shared by every process), so an engine that
already answers is used as it is, and one started here is left running at the end of the
session. Starting it is ``scripts/start-dockerd.sh``, the same script humans and ``make demo``
use (idempotent, serialised by a lock file across parallel test workers).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sandbox.runtime.image import docker_client

START_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-dockerd.sh"
START_TIMEOUT = 90.0


def engine_answers(docker: str) -> bool:
    """Whether the engine answers ``docker version`` within ten seconds."""
    try:
        done = subprocess.run(
            [docker, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def ensure_engine() -> str:
    """Return the Docker client to use, once the engine answers; fail the session otherwise."""
    docker = docker_client()
    if docker is None:
        pytest.fail(
            "no docker client: install the Debian package docker.io "
            "(`make venv` / scripts/install-deps.sh does this)",
            pytrace=False,
        )
    if engine_answers(docker):
        return docker
    try:
        done = subprocess.run(
            ["bash", str(START_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{START_SCRIPT} did not finish within {START_TIMEOUT:.0f}s", pytrace=False)
    if done.returncode != 0 or not engine_answers(docker):
        pytest.fail(
            f"the Docker engine is not running and {START_SCRIPT} could not start it "
            f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}",
            pytrace=False,
        )
    return docker

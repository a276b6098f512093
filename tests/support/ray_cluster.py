"""A Ray head for the tests' live servers: ``ray start --head --block`` on the loopback
interface, joined by each server through ``SANDBOX_RAY_ADDRESS`` (as a production API server
joins its cluster), stopped at the end of the session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RAY = Path(sys.executable).parent / "ray"
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
"""A test cluster on the loopback interface, without token authentication."""


@dataclass
class RayHead:
    """A running head and its address."""

    process: subprocess.Popen[bytes]
    address: str
    log_path: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


START_TIMEOUT = 180.0
"""Seconds a head has to answer ``ray status``: on a loaded machine (parallel test workers,
other builds) one probe alone may take tens of seconds."""


def _answers(address: str, env: dict[str, str], timeout: float) -> bool:
    try:
        probe = subprocess.run(
            [str(RAY), "status", f"--address={address}"],  # noqa: S603
            capture_output=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return False  # slow, not dead: the caller tries again until its deadline
    return probe.returncode == 0


def start_ray_head(directory: Path, cpus: int = 2) -> RayHead:
    """Start a head and wait (up to :data:`START_TIMEOUT`) until ``ray status`` answers."""
    port = _free_port()
    log_path = directory / "ray-head.log"
    env = {**os.environ, **RAY_ENV}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own venv's ray
            [
                str(RAY),
                "start",
                "--head",
                "--block",
                f"--port={port}",
                f"--num-cpus={cpus}",
                "--node-ip-address=127.0.0.1",
                "--include-dashboard=false",
                "--disable-usage-stats",
                f"--temp-dir=/tmp/ray-tests-{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        if _answers(address, env, timeout=min(60.0, max(left, 1.0))):
            return RayHead(process, address, log_path)
        if process.poll() is not None:
            break
        time.sleep(0.5)
    stop_ray_head(RayHead(process, address, log_path))
    raise RuntimeError(f"the Ray head did not come up: {log_path.read_text()[-2000:]}")


def stop_ray_head(head: RayHead) -> None:
    """Stop the head and every process it started."""
    try:
        os.killpg(head.process.pid, signal.SIGTERM)
        head.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(head.process.pid, signal.SIGKILL)
        head.process.wait()
    except ProcessLookupError:
        pass

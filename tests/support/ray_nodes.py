"""A two-node Ray cluster on loopback for the cluster tests: a head without CPUs (so every
task necessarily runs on the worker node) and one worker node, both with token
authentication, in their own temp dir and on their own ports; nodes can be killed and
started again.

Skipped, saying why, by the session fixture when ``ray start`` cannot run here.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ray_cluster import RAY, START_TIMEOUT, _answers, _free_port

WORKER_RESOURCE = "sandbox_test_worker"
"""A custom resource only the worker node has (so a test can name it)."""


class RayStartFailed(RuntimeError):
    """``ray start`` did not bring the node up."""


@dataclass
class RayNodes:
    """The head and worker node processes, their address and the cluster's token."""

    directory: Path
    port: int = field(default_factory=_free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    head: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """The head's GCS address."""
        return f"127.0.0.1:{self.port}"

    @property
    def temp_dir(self) -> Path:
        """The cluster's own temp dir (short: Ray's socket paths are bounded)."""
        return Path(f"/tmp/ray-nodes-{self.port}")

    def env(self) -> dict[str, str]:
        """The environment of a process that talks to this cluster (token mode)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
        clean.pop("RAY_ADDRESS", None)
        return {
            **clean,
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": self.token,
        }

    def _start(self, name: str, arguments: list[str]) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("ab")
        return subprocess.Popen(  # noqa: S603 - our own venv's ray
            [
                str(RAY),
                "start",
                "--block",
                "--node-ip-address=127.0.0.1",
                "--disable-usage-stats",
                "--object-store-memory=80000000",
                *arguments,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env(),
            start_new_session=True,
        )

    def start_head(self) -> None:
        """Start the head (no CPUs) and wait until it answers."""
        self.head = self._start(
            "head",
            [
                "--head",
                f"--port={self.port}",
                "--num-cpus=0",
                "--include-dashboard=false",
                f"--temp-dir={self.temp_dir}",
            ],
        )
        self._wait(lambda: _answers(self.address, self.env(), timeout=60.0), self.head, "head")

    def start_worker(self, cpus: int = 2) -> None:
        """Start the worker node and wait until the cluster counts its CPUs."""
        self.worker = self._start(
            "worker",
            [
                f"--address={self.address}",
                f"--num-cpus={cpus}",
                f"--resources={json.dumps({WORKER_RESOURCE: 100})}",
            ],
        )
        self._wait(self._worker_joined, self.worker, "worker")

    def _worker_joined(self) -> bool:
        probe = subprocess.run(  # noqa: S603
            [str(RAY), "status", f"--address={self.address}"],
            capture_output=True,
            timeout=60,
            check=False,
            env=self.env(),
        )
        return probe.returncode == 0 and WORKER_RESOURCE in probe.stdout.decode()

    def _wait(self, ready: object, process: subprocess.Popen[bytes], name: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if callable(ready) and ready():
                    return
            except subprocess.TimeoutExpired:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.5)
        log = (self.directory / f"{name}.log").read_text(errors="replace")[-2000:]
        raise RayStartFailed(f"the Ray {name} did not come up: {log}")

    @staticmethod
    def _kill(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGKILL) -> None:
        if process is None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def kill_worker(self) -> None:
        """SIGKILL the worker node and every process it started (its raylet, its workers)."""
        self._kill(self.worker)
        self.worker = None

    def kill_head(self) -> None:
        """SIGKILL the head and every process it started."""
        self._kill(self.head)
        self.head = None

    def stop(self) -> None:
        """Stop both nodes."""
        self._kill(self.worker, signal.SIGTERM)
        self._kill(self.head, signal.SIGTERM)
        self.worker = self.head = None


def start_ray_nodes(directory: Path) -> RayNodes:
    """A head and a worker node, both up."""
    nodes = RayNodes(directory)
    try:
        nodes.start_head()
        nodes.start_worker()
    except BaseException:
        nodes.stop()
        raise
    return nodes

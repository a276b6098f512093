"""The docker backend: one throw-away container per run, from the locally built runtime image.

Each run is ``docker run --rm -i`` of the runtime image (:mod:`sandbox.runtime.image`: the
interpreter, its standard library, the worker's packages and the ``sandbox.runtime`` sources,
nothing else) with:

* ``--network none``, ``--read-only`` root, ``--cap-drop ALL``, ``no-new-privileges``, the
  non-root user ``65534:65534`` and Docker's default seccomp profile;
* a pids cgroup limit (the fork-bomb defence that does not depend on the uid), a memory cgroup
  limit without swap, ``--cpus``, and ``RLIMIT_CPU``/``NOFILE``/``FSIZE``/``CORE`` ulimits;
* a small ``noexec`` tmpfs as ``/tmp``, the worker's cwd (the host's scratch dir stays on the
  host); a raw-access job's inputs directory bound read-only at ``/inputs``; no other mount;
* ``--init`` (docker-init as PID 1): the kernel does not deliver ``SIGXCPU`` to a namespace's
  init, so without it the CPU limit would only ever end in the hard limit's ``SIGKILL``.

The container's command first runs a short trampoline with the image's interpreter: it stacks
this project's seccomp filter (:mod:`~sandbox.runtime.backends.seccomp`: no new processes, no
``ptrace``/``unshare``/...) on Docker's profile, sets ``RLIMIT_AS`` (which ``docker --ulimit``
does not offer) so an oversized allocation is a ``MemoryError`` rather than a cgroup kill,
arms an ``alarm`` a little after the wall time (in case the runner is gone), and ``execve``s
the worker with an empty environment (Docker itself sets ``PATH``, ``HOSTNAME`` and ``HOME``).

Killing the ``docker run`` client does not stop its container, so the launch's cleanup is
``docker rm --force <name>``, which :func:`~sandbox.runtime.backends.base.run_process` runs
after a wall-time kill, a protocol error, a cancel or a failed exit. A runner killed with
``SIGKILL`` (its server or its Ray worker was) runs no cleanup, and its container would run on
until its alarm: so each container of a job carries the platform instance and the job
(``sandbox.instance``, ``sandbox.job``), :meth:`DockerBackend.owned_sandboxes` finds them and
the platform removes each one no live job holds (at start, when a task dies, and every little
while: :func:`~sandbox.runtime.backends.orphans.reap_orphans`). Containers also carry a
``sandbox.deadline`` label; :meth:`DockerBackend.reap_expired` removes those past it, whoever
started them (run when the backend is first found available).

The engine must be local: ``/inputs`` is a bind mount of a path on the engine's host. The
files under it must be readable by uid 65534 (world-readable), because that is who reads them.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sandbox.runtime import image, manifest
from sandbox.runtime.backends import seccomp
from sandbox.runtime.backends.base import (
    GUARANTEES,
    INPUTS_MOUNT,
    WARM_IDLE_SECONDS,
    Launch,
    Limits,
    OwnedSandbox,
    SandboxOwner,
    run_process,
)
from sandbox.runtime.backends.docker_parts import (
    _TRAMPOLINE,
    DEADLINE_LABEL,
    INSTANCE_LABEL,
    JOB_LABEL,
    LABEL,
    WAITING,
    owned_of,
)
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["DockerBackend"]

log = logging.getLogger(__name__)

SANDBOX_USER = "65534:65534"
"""The container's user and group (``nobody``/``nogroup``; the image has no passwd file)."""

_TMPFS_BYTES = 64 * 1024 * 1024
_MEMORY_HEADROOM = 16 * 1024 * 1024  # docker-init and the trampoline, beside the worker
_GRACE_SECONDS = 10
_QUERY_TIMEOUT = 15.0
_RETRY_UNAVAILABLE = 30.0
_PROBE_SECONDS = 60.0


class DockerBackend:
    """A container per run, from the locally built runtime image (the strongest backend)."""

    name = "docker"
    strength = 20
    allows_raw_access = True
    profiles = frozenset(RuntimeProfile)
    enforces = GUARANTEES

    def __init__(
        self, docker: str | None = None, host: str | None = None, image_tag: str | None = None
    ) -> None:
        """Configure the client; nothing is checked or built until :meth:`is_available`.

        Args:
            docker: The Docker CLI (default: :func:`sandbox.runtime.image.docker_client`).
            host: The engine's address (``--host``); default: ``DOCKER_HOST`` when it is set
                at the first check, else the CLI's default socket. The CLI runs with an
                empty environment, so the address must be on its command line.
            image_tag: A prebuilt runtime image to use as it is, instead of the one built
                (and rebuilt on change) from this checkout.
        """
        self._docker = docker
        self._host = host
        self._fixed_image = image_tag
        self._image: str | None = None
        self._profile_images: dict[RuntimeProfile, str] = {}
        self._checked_at: float | None = None
        self._lock = threading.Lock()
        self._filter_hex = seccomp.filter_program().hex() if seccomp.supported() else "-"

    # --- availability ------------------------------------------------------------------------

    def _cli(self) -> list[str]:
        docker = self._docker or image.docker_client() or "docker"
        return [docker, "--host", self._host] if self._host else [docker]

    def _resolve_client(self) -> None:
        """Settle the CLI and the engine's address (first use; no engine is asked)."""
        if self._host is None and os.environ.get("DOCKER_HOST"):
            self._host = os.environ["DOCKER_HOST"]
        if self._docker is None:
            self._docker = image.docker_client()

    def _engine_answers(self) -> bool:
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                [*self._cli(), "version", "--format", "{{.Server.Os}}"],
                capture_output=True,
                text=True,
                env={},
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0 and done.stdout.strip() == "linux"

    def is_available(self) -> bool:
        """Whether the engine answers, the image is there (built if needed) and a probe runs.

        The probe is one trivial container with every option a job's container gets. A
        success is remembered for the life of the process; a failure is checked again after
        half a minute (the engine may be starting). Building the image on the first call
        takes seconds; a failure is logged, because it demotes the platform to a weaker
        backend.
        """
        with self._lock:
            if self._image is not None:
                return True
            if self._checked_at is not None and time.monotonic() - self._checked_at < (
                _RETRY_UNAVAILABLE
            ):
                return False
            self._checked_at = time.monotonic()
            self._resolve_client()
            if self._docker is None or not self._engine_answers():
                return False
            try:
                tag = self._fixed_image or image.ensure_image(self._docker, self._host)
                if self._fixed_image and not image.image_exists(tag, self._docker, self._host):
                    raise image.ImageError(f"the configured runtime image {tag} is not there")
            except image.ImageError as exc:
                log.warning("docker backend unavailable: %s", exc)
                return False
            if not self._probe(tag):
                return False
            self._image = tag
        self.reap_expired()
        return True

    def _probe(self, tag: str) -> bool:
        """Run one trivial container exactly as a job's would run: the proof it works here."""
        limits = Limits(wall_seconds=_PROBE_SECONDS)
        argv = [manifest.IMAGE_PYTHON, "-I", "-c", "print('ok')"]
        with tempfile.TemporaryDirectory(prefix="sandbox-docker-probe-") as scratch:
            launch = self._launch(tag, argv, limits, None)
            outcome = run_process(launch, limits, Path(scratch))
        if outcome.exit_code == 0 and outcome.stdout == b"ok\n":
            return True
        log.warning(
            "docker backend unavailable: a probe container failed (exit %s): %s",
            outcome.exit_code,
            outcome.stderr.decode(errors="replace")[-2000:],
        )
        return False

    @property
    def image_tag(self) -> str:
        """The runtime image runs use.

        Raises:
            RuntimeError: When the backend is not available.
        """
        if self._image is None and not self.is_available():
            raise RuntimeError("the docker backend is not available on this machine")
        assert self._image is not None
        return self._image

    def image_for(self, profile: RuntimeProfile) -> str:
        """The image of ``profile``'s runs: :attr:`image_tag` for the restricted profile;
        the scientific one's is built (once, then reused) the first time it is needed.

        Raises:
            RuntimeError: When the backend is not available, or the image cannot be built.
        """
        restricted = self.image_tag
        if profile is RuntimeProfile.RESTRICTED:
            return restricted
        with self._lock:
            tag = self._profile_images.get(profile)
            if tag is None:
                assert self._docker is not None  # is_available settled it
                try:
                    tag = image.ensure_image(self._docker, self._host, profile)
                except image.ImageError as exc:
                    raise RuntimeError(f"the {profile} runtime image: {exc}") from exc
                self._profile_images[profile] = tag
        return tag

    def reap_expired(self) -> list[str]:
        """Remove this backend's containers past their deadline; return their names.

        Only a runner that died without its cleanup leaves one (its ``docker run`` client
        got ``SIGKILL`` with it); the container's own alarm normally ends it soon after.
        """
        try:
            listed = subprocess.run(  # noqa: S603 - fixed argv
                [
                    *self._cli(),
                    "ps",
                    "--all",
                    "--filter",
                    f"label={LABEL}",
                    "--format",
                    f'{{{{.Names}}}} {{{{.Label "{DEADLINE_LABEL}"}}}}',
                ],
                capture_output=True,
                text=True,
                env={},
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        now = time.time()
        expired = []
        for line in listed.stdout.splitlines():
            name, _, deadline = line.partition(" ")
            try:
                if float(deadline) < now:
                    expired.append(name)
            except ValueError:
                continue
        if expired:
            try:
                subprocess.run(  # noqa: S603 - names listed by the engine
                    [*self._cli(), "rm", "--force", *expired],
                    capture_output=True,
                    env={},
                    timeout=_QUERY_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired):
                return []
            log.warning("removed %d abandoned sandbox container(s)", len(expired))
        return expired

    def owned_sandboxes(self, instance: str) -> list[OwnedSandbox]:
        """This instance's containers (running or not), with the job each runs for.

        Needs only the engine, not the image: the platform asks at its start, before any
        job needs the backend. Empty when there is no CLI or the engine does not answer.
        """
        self._resolve_client()  # idempotent; not under the lock a first image build holds
        if self._docker is None:
            return []
        try:
            listed = subprocess.run(  # noqa: S603 - fixed argv, the label value is ours
                [
                    *self._cli(),
                    "ps",
                    "--all",
                    "--no-trunc",
                    "--filter",
                    f"label={INSTANCE_LABEL}={instance}",
                    "--format",
                    f'{{{{.Names}}}} {{{{.Label "{JOB_LABEL}"}}}}',
                ],
                capture_output=True,
                text=True,
                env={},
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        if listed.returncode != 0:
            return []
        return owned_of(listed.stdout)

    def assign(self, launch: Launch, owner: SandboxOwner) -> Launch | None:
        """Name ``owner``'s job on a container started ahead of demand (``docker rename``
        to ``<name>-job<id>``), so that :meth:`owned_sandboxes` finds it as that job's;
        the launch to run it with (its cleanup removes the new name), or ``None`` when the
        engine refused (the caller discards the container and starts its own).
        """
        name = launch.argv[launch.argv.index("--name") + 1]
        renamed = f"{name}-job{owner.job_id}"
        try:
            done = subprocess.run(  # noqa: S603 - both names are ours
                [*self._cli(), "rename", name, renamed],
                capture_output=True,
                env={},
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("naming the job on a waiting container failed: %s", exc)
            return None
        if done.returncode != 0:
            log.warning("naming the job on a waiting container failed: %s", done.stderr[-300:])
            return None
        return replace(launch, cleanup=[*self._cli(), "rm", "--force", renamed])

    def remove_sandboxes(self, sandboxes: Sequence[OwnedSandbox]) -> list[str]:
        """``docker rm --force`` the containers (killed at once if they run)."""
        names = [s.name for s in sandboxes]
        if not names or self._docker is None:
            return []
        try:
            done = subprocess.run(  # noqa: S603 - names listed by the engine
                [*self._cli(), "rm", "--force", *names],
                capture_output=True,
                text=True,
                env={},
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("removing orphaned sandbox containers failed: %s", exc)
            return []
        return [name for name in done.stdout.split() if name in names]

    # --- wrapping ----------------------------------------------------------------------------

    def wrap(
        self,
        argv: Sequence[str],
        scratch: Path,
        limits: Limits,
        inputs: Path | None = None,
        owner: SandboxOwner | None = None,
        profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
    ) -> Launch:
        """Return the ``docker run`` command that runs ``argv`` in a fresh container of
        ``profile``'s image (:meth:`image_for`).

        ``argv[0]`` is the host's interpreter (``sys.executable``); the container runs the
        image's instead, with the same arguments. ``scratch`` stays on the host: the
        container's scratch is its own tmpfs. ``owner`` is labelled on the container.

        Raises:
            ValueError: ``argv`` does not start with a Python interpreter, or ``inputs`` is
                not a directory the container's user can read.
            RuntimeError: The backend is not available.
        """
        if not argv or not Path(argv[0]).name.startswith("python"):
            raise ValueError("the docker backend runs only Python commands (the image's own)")
        return self._launch(self.image_for(RuntimeProfile(profile)), argv, limits, inputs, owner)

    def _launch(
        self,
        tag: str,
        argv: Sequence[str],
        limits: Limits,
        inputs: Path | None,
        owner: SandboxOwner | None = None,
    ) -> Launch:
        name = f"sandbox-run-{secrets.token_hex(8)}"
        # A container started ahead of demand (its owner has no job yet) may wait
        # WARM_IDLE_SECONDS for its run first: its alarm and deadline allow for that, and
        # still give the run its whole wall time.
        waiting = owner is not None and owner.job_id is None
        wall = max(1, math.ceil(limits.wall_seconds + (WARM_IDLE_SECONDS if waiting else 0)))
        memory = limits.memory_bytes + _TMPFS_BYTES + _MEMORY_HEADROOM
        cpu = limits.cpu_seconds
        args = [
            *self._cli(),
            "run",
            "-i",
            "--rm",
            "--pull",
            "never",
            "--name",
            name,
            "--label",
            f"{LABEL}={tag}",
            "--label",
            f"{DEADLINE_LABEL}={int(time.time()) + wall + 3 * _GRACE_SECONDS}",
            *(
                [
                    "--label",
                    f"{INSTANCE_LABEL}={owner.instance}",
                    "--label",
                    f"{JOB_LABEL}={WAITING if owner.job_id is None else owner.job_id}",
                ]
                if owner is not None
                else []
            ),
            "--init",
            "--network",
            "none",
            "--read-only",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--user",
            SANDBOX_USER,
            "--hostname",
            "sandbox",
            "--pids-limit",
            str(limits.max_processes + 1),  # + docker-init
            "--memory",
            str(memory),
            "--memory-swap",
            str(memory),
            "--cpus",
            f"{min(limits.cpus, os.cpu_count() or 1):g}",  # docker refuses more
            "--ulimit",
            f"cpu={cpu}:{cpu + 1}",
            "--ulimit",
            f"nofile={limits.max_open_files}:{limits.max_open_files}",
            "--ulimit",
            f"fsize={limits.max_file_bytes}:{limits.max_file_bytes}",
            "--ulimit",
            "core=0:0",
            "--tmpfs",
            f"/tmp:rw,noexec,nosuid,nodev,mode=1777,size={_TMPFS_BYTES}",  # noqa: S108
            "--workdir",
            "/tmp",  # noqa: S108 - the container's private tmpfs
            "--log-driver",
            "none",
        ]
        if inputs is not None:
            args += [
                "--mount",
                f"type=bind,source={_readable_dir(inputs)},target={INPUTS_MOUNT},readonly",
            ]
        args += [
            tag,
            manifest.IMAGE_PYTHON,
            "-I",
            "-S",
            "-c",
            _TRAMPOLINE,
            self._filter_hex,
            str(limits.memory_bytes),
            str(wall + _GRACE_SECONDS),
            manifest.IMAGE_PYTHON,
            *argv[1:],
        ]
        cleanup = [*self._cli(), "rm", "--force", name]
        return Launch(args, host_rlimits=False, cleanup=cleanup)


def _readable_dir(inputs: Path) -> str:
    """Return ``inputs`` as an absolute path, checked to be a directory uid 65534 can list."""
    path = inputs.resolve()
    if not path.is_dir():
        raise ValueError(f"the inputs directory {inputs} does not exist")
    if path.stat().st_mode & 0o005 != 0o005:
        raise ValueError(
            f"the inputs directory {inputs} must be world-readable (mode o+rx): the "
            f"container reads it as uid {SANDBOX_USER.split(':')[0]}"
        )
    if any(c in str(path) for c in ',="\n'):  # --mount's value is comma-separated fields
        raise ValueError(f"the inputs directory {inputs} has a ',', '=' or quote in its path")
    return str(path)

"""The runtime image of the ``docker`` backend: built locally, tagged by its content.

The image is ``FROM scratch`` (``sandbox/runtime/Dockerfile.runtime``) plus the root filesystem
:mod:`sandbox.runtime.rootfs` stages from the host's own files; its tag is the content hash
of :mod:`sandbox.runtime.manifest`, so a changed runtime rebuilds automatically and an
unchanged one is reused. Concurrent builders (test workers, platform processes) serialise on a
lock file and the second one finds the image built. A new image is run once before it is
trusted.

Run ``python -m sandbox.runtime.image`` to print the tag, building the image if needed
(``--prune`` then removes the images of older runtimes).
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sandbox.runtime import manifest
from sandbox.runtime.manifest import IMAGE_PYTHON, IMAGE_REPOSITORY, image_tag
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.rootfs import ImageError, stage_context

__all__ = [
    "ImageError",
    "build_image",
    "docker_client",
    "ensure_image",
    "image_exists",
    "main",
    "prune_images",
]

log = logging.getLogger(__name__)

_LOCK_PATH = Path(tempfile.gettempdir()) / "sandbox-runtime-image.lock"
_QUERY_TIMEOUT = 30.0
_BUILD_TIMEOUT = 600.0
_LOCK_TIMEOUT = 900.0


def docker_client() -> str | None:
    """Return the Docker CLI to use, or ``None`` when there is none.

    The distribution's ``/usr/bin/docker`` comes first: it is the client packaged with the
    engine (``docker.io``), while some hosts put an unrelated newer client earlier on PATH.
    """
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _cli(docker: str, host: str | None) -> list[str]:
    return [docker, "--host", host] if host else [docker]


def image_exists(tag: str, docker: str, host: str | None = None) -> bool:
    """Whether the engine holds ``tag``."""
    try:
        done = subprocess.run(  # noqa: S603
            [*_cli(docker, host), "image", "inspect", "--format", "{{.Id}}", tag],
            capture_output=True,
            timeout=_QUERY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


_PROBES = {
    RuntimeProfile.RESTRICTED: "import sandbox.runtime.worker, RestrictedPython, pyarrow",
    RuntimeProfile.SCIENTIFIC: "import os, sandbox.runtime.worker, RestrictedPython, pyarrow; "
    "from sandbox.runtime.profiles import SCIENTIFIC_ENVIRONMENT; "
    "os.environ.update(SCIENTIFIC_ENVIRONMENT); import numpy, pandas, "
    "scipy.stats, statsmodels.api, sklearn, matplotlib.pyplot",
}
"""What a new image of each profile must import before it is trusted."""


def _smoke_test(
    tag: str, docker: str, host: str | None, profile: RuntimeProfile = RuntimeProfile.RESTRICTED
) -> None:
    probe = _PROBES[profile]
    argv = [
        *_cli(docker, host),
        "run",
        "--rm",
        "--pull",
        "never",
        "--network",
        "none",
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--user",
        "65534:65534",
        tag,  # noqa: S108
        IMAGE_PYTHON,
        "-I",
        "-c",
        probe,
    ]
    try:
        done = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ImageError(f"the new runtime image {tag} did not start in time") from exc
    if done.returncode != 0:
        raise ImageError(f"the new runtime image {tag} cannot run the worker:\n{done.stderr}")


def build_image(
    tag: str,
    docker: str,
    host: str | None = None,
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
) -> float:
    """Stage the rootfs and build ``tag`` from the runtime's Dockerfile; return the seconds.

    The Dockerfile is :data:`~sandbox.runtime.manifest.DOCKERFILE`, read when the build starts.
    The new image is run once (importing the worker) before it is trusted; a broken one is
    removed again.

    Raises:
        ImageError: When staging, building or the check fails.
    """
    dockerfile = manifest.DOCKERFILE
    if not dockerfile.is_file():
        raise ImageError(f"{dockerfile} is missing: the runtime image is built from it")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sandbox-runtime-image-") as context:
        stage_context(Path(context), profile)
        shutil.copy(dockerfile, Path(context) / "Dockerfile")
        argv = [
            *_cli(docker, host),
            "build",
            "--quiet",
            "--force-rm",
            "--label",
            f"sandbox.runtime.tag={tag}",
            "-t",
            tag,
            context,
        ]
        try:
            done = subprocess.run(  # noqa: S603
                argv, capture_output=True, text=True, timeout=_BUILD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ImageError(f"docker build of {tag} took over {_BUILD_TIMEOUT:.0f}s") from exc
    if done.returncode != 0:
        raise ImageError(f"docker build of {tag} failed:\n{done.stdout}\n{done.stderr}")
    try:
        _smoke_test(tag, docker, host, profile)
    except ImageError:
        subprocess.run(  # noqa: S603
            [*_cli(docker, host), "rmi", "--force", tag],
            capture_output=True,
            timeout=_QUERY_TIMEOUT,
            check=False,
        )
        raise
    took = time.monotonic() - started
    log.info("built the runtime image %s in %.1fs", tag, took)
    return took


def ensure_image(
    docker: str | None = None,
    host: str | None = None,
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
) -> str:
    """Return a profile's runtime image's tag, building it first when the engine lacks it.

    Args:
        docker: The Docker CLI (default: :func:`docker_client`).
        host: The engine's address (``--host``); ``None`` is the CLI's default.
        profile: The runtime profile whose image it is (each has its own).

    Raises:
        ImageError: No Docker client, or the image cannot be built.
    """
    docker = docker or docker_client()
    if docker is None:
        raise ImageError("no docker client found")
    tag = image_tag(profile)
    if image_exists(tag, docker, host):
        return tag
    fd = os.open(_LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:  # a bounded wait: another process may be building the same tag
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ImageError(f"timed out waiting for {_LOCK_PATH}") from None
                time.sleep(0.2)
        if not image_exists(tag, docker, host):
            build_image(tag, docker, host, profile)
    finally:
        os.close(fd)  # releases the lock
    return tag


def prune_images(keep: str | set[str], docker: str, host: str | None = None) -> list[str]:
    """Remove the other ``sandbox-runtime`` tags (older runtimes); return those removed.

    ``keep`` is the tag, or the tags (one per profile), to keep.

    Without ``--force``: a tag a container still uses stays. A process still running an
    older runtime would find its image gone, which is why nothing prunes automatically.
    """
    try:
        listed = subprocess.run(  # noqa: S603
            [
                *_cli(docker, host),
                "image",
                "ls",
                IMAGE_REPOSITORY,
                "--format",
                "{{.Repository}}:{{.Tag}}",
            ],
            capture_output=True,
            text=True,
            timeout=_QUERY_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    kept = {keep} if isinstance(keep, str) else keep
    removed = []
    for tag in listed.stdout.split():
        if tag in kept:
            continue
        try:
            done = subprocess.run(  # noqa: S603 - tags listed by the engine
                [*_cli(docker, host), "rmi", tag],
                capture_output=True,
                timeout=_QUERY_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            removed.append(tag)
    return removed


def main(argv: list[str] | None = None) -> int:
    """Print the runtime image's tag, building it first if needed (the module's CLI)."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.runtime.image",
        description="Print the runtime image's tag, building the image first if needed.",
    )
    parser.add_argument(
        "--prune", action="store_true", help="then remove older sandbox-runtime images"
    )
    parser.add_argument(
        "--profile",
        choices=[p.value for p in RuntimeProfile],
        default="restricted",
        help="the runtime profile whose image it is (default: restricted)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    host = os.environ.get("DOCKER_HOST") or None
    try:
        tag = ensure_image(host=host, profile=RuntimeProfile(args.profile))
    except ImageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if args.prune:
        docker = docker_client()
        assert docker is not None  # ensure_image found it
        keep = {tag} | {image_tag(p) for p in RuntimeProfile}
        for old in prune_images(keep, docker, host):
            log.info("removed %s", old)
    sys.stdout.write(tag + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

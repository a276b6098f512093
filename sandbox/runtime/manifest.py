"""What goes into the runtime's root filesystem, and the content hash that names it.

The ``docker`` backend's image and the ``bwrap`` backend's staged root hold the same files
(:mod:`sandbox.runtime.rootfs` stages them): the running interpreter and its standard library,
the third-party distributions the worker needs (:data:`RUNTIME_DISTRIBUTIONS`) and the
``sandbox/__init__.py`` + ``sandbox/runtime/`` sources. This module names those inputs, where
they go inside the root (:data:`IMAGE_PYTHON`, :data:`IMAGE_SITE`, ...), and hashes them into
the tag (:func:`image_tag`): a changed runtime gets a new tag and is staged and built again,
an unchanged one is reused.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import platform
import re
import sys
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

from sandbox.runtime.profiles import PROFILE_DISTRIBUTIONS, RuntimeProfile

__all__ = [
    "DOCKERFILE",
    "IMAGE_PREFIX",
    "IMAGE_PYTHON",
    "IMAGE_REPOSITORY",
    "IMAGE_SITE",
    "IMAGE_STDLIB",
    "PYTHON_VERSION",
    "REPO_ROOT",
    "RUNTIME_DISTRIBUTIONS",
    "compute_tag",
    "distributions",
    "image_tag",
    "runtime_sources",
]

IMAGE_REPOSITORY = "sandbox-runtime"
"""Repository part of the image's tag; the tag part is the content hash."""

IMAGE_PYTHON = "/usr/local/bin/python3"
"""The interpreter's path inside the image."""

RUNTIME_DISTRIBUTIONS = PROFILE_DISTRIBUTIONS[RuntimeProfile.RESTRICTED]
"""Third-party distributions the worker imports (RestrictedPython) or hands to raw-access
models (pyarrow, to read the Arrow files under ``/inputs``). Their own requirements follow.
The scientific profile's root adds its stack
(:data:`~sandbox.runtime.profiles.PROFILE_DISTRIBUTIONS`)."""

_SANDBOX_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = _SANDBOX_DIR.parent
"""The checkout the runtime sources are read from (their paths in the image are relative
to it)."""

DOCKERFILE = Path(__file__).resolve().parent / "Dockerfile.runtime"
"""The Dockerfile the image is built from (its build context is staged by
:func:`sandbox.runtime.rootfs.stage_context`). It is package data beside this module, so an
installed ``sandbox`` (``pip install .``, the platform image) builds the image too."""

IMAGE_PREFIX = PurePosixPath("/usr/local")
"""The installation prefix of the interpreter inside the image."""

PYTHON_VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"
"""The interpreter's versioned name (``python3.11``), as in its library directory."""

IMAGE_STDLIB = IMAGE_PREFIX / "lib" / PYTHON_VERSION
"""The standard library's directory inside the image."""

IMAGE_SITE = IMAGE_STDLIB / "site-packages"
"""Where the distributions and the ``sandbox`` sources go inside the image."""


def runtime_sources() -> list[Path]:
    """The package files shipped in the image: ``sandbox/__init__.py`` and ``sandbox/runtime``."""
    runtime = _SANDBOX_DIR / "runtime"
    files = [_SANDBOX_DIR / "__init__.py"]
    files += sorted(p for p in runtime.rglob("*.py") if "__pycache__" not in p.parts)
    return files


def distributions(
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
) -> list[importlib.metadata.Distribution]:
    """A profile's runtime distributions and their (non-extra) requirements, each once."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(RUNTIME_DISTRIBUTIONS)  # read at call time: a test may change it
    if profile is not RuntimeProfile.RESTRICTED:
        pending += PROFILE_DISTRIBUTIONS[profile]
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        dist = importlib.metadata.distribution(name)
        seen[key] = dist
        pending += [name for name in map(_needed_here, dist.requires or []) if name]
    return [seen[k] for k in sorted(seen)]


def _needed_here(requirement: str) -> str | None:
    """The distribution a requirement names if this platform needs it, else ``None``.

    Its environment marker is evaluated here, with no extra requested: pandas wants tzdata
    only on Windows and Emscripten, and a checkout without it must still stage a root.
    """
    parsed = Requirement(requirement)
    if parsed.marker is not None and not parsed.marker.evaluate({"extra": ""}):
        return None
    return parsed.name


@functools.cache
def image_tag(profile: RuntimeProfile = RuntimeProfile.RESTRICTED) -> str:
    """Return ``sandbox-runtime:<hash>`` of everything that goes into a profile's image
    (``sandbox-runtime:scientific-<hash>`` for the scientific one).

    Computed once per process, so that it names the runtime this process has loaded.
    """
    return compute_tag(profile)


def compute_tag(profile: RuntimeProfile = RuntimeProfile.RESTRICTED) -> str:
    """Hash the image's inputs now (:func:`image_tag` is the cached value)."""
    digest = hashlib.sha256(b"sandbox-runtime-image v1\n")
    if profile is not RuntimeProfile.RESTRICTED:
        digest.update(f"profile {profile}\n".encode())
    for part in (
        sys.version,
        sys.implementation.cache_tag or "",
        platform.machine(),
        os.path.realpath(sys.executable),
        " ".join(platform.libc_ver()),
    ):
        digest.update(part.encode() + b"\n")
    for dist in distributions(profile):
        digest.update(f"{dist.metadata['Name']}=={dist.version}\n".encode())
    if DOCKERFILE.is_file():
        digest.update(DOCKERFILE.read_bytes())
    for path in runtime_sources():
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    prefix = "" if profile is RuntimeProfile.RESTRICTED else f"{profile}-"
    return f"{IMAGE_REPOSITORY}:{prefix}{digest.hexdigest()[:12]}"

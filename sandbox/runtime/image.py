"""The runtime image of the ``docker`` backend, built locally from the host's own files.

There is no image registry to pull a base image from, so the image is ``FROM scratch``
(``infra/Dockerfile.runtime``) plus a root filesystem staged here from the running interpreter:

* the Python binary at :data:`IMAGE_PYTHON` and its standard library (without tests, IDLE,
  tkinter, ensurepip and the static library);
* the third-party distributions the worker needs (:data:`RUNTIME_DISTRIBUTIONS`) and the
  ``sandbox/__init__.py`` + ``sandbox/runtime/`` sources, in the image's ``site-packages``;
* the shared libraries ``ldd`` lists for all of the above (glibc, libffi, ...).

Nothing else: no shell, no ``/etc``, no other program, no checkout. Everything is byte-compiled
before it is copied in, because the container's root is read-only and a worker that cannot
write ``.pyc`` files would otherwise compile its imports again on every run.

The tag is a content hash of what goes in (the runtime sources, the Dockerfile, the Python
build, the shipped distributions' versions, glibc's version), so a changed runtime rebuilds
automatically and an unchanged one is reused. Concurrent builders (test workers, platform
processes) serialise on a lock file and the second one finds the image built.

Run ``python -m sandbox.runtime.image`` to print the tag, building the image if needed
(``--prune`` then removes the images of older runtimes).
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import functools
import hashlib
import importlib.metadata
import logging
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

__all__ = [
    "DOCKERFILE",
    "IMAGE_PYTHON",
    "IMAGE_REPOSITORY",
    "RUNTIME_DISTRIBUTIONS",
    "ImageError",
    "build_image",
    "compute_tag",
    "docker_client",
    "ensure_image",
    "image_exists",
    "image_tag",
    "main",
    "prune_images",
    "stage_context",
]

log = logging.getLogger(__name__)

IMAGE_REPOSITORY = "sandbox-runtime"
"""Repository part of the image's tag; the tag part is the content hash."""

IMAGE_PYTHON = "/usr/local/bin/python3"
"""The interpreter's path inside the image."""

RUNTIME_DISTRIBUTIONS = ("RestrictedPython", "pyarrow")
"""Third-party distributions the worker imports (RestrictedPython) or hands to raw-access
models (pyarrow, to read the Arrow files under ``/inputs``). Their own requirements follow."""

_SANDBOX_DIR = Path(__file__).resolve().parent.parent
_REPO_ROOT = _SANDBOX_DIR.parent
DOCKERFILE = _REPO_ROOT / "infra" / "Dockerfile.runtime"
"""The Dockerfile the image is built from (its build context is staged by
:func:`stage_context`)."""

_IMAGE_PREFIX = PurePosixPath("/usr/local")
_PYVER = f"python{sys.version_info.major}.{sys.version_info.minor}"
_IMAGE_STDLIB = _IMAGE_PREFIX / "lib" / _PYVER
_IMAGE_SITE = _IMAGE_STDLIB / "site-packages"

# Never copied from the standard library: tests, GUI and terminal toolkits, installers and
# build leftovers. A model imports nothing outside its policy's allow-list anyway.
_STDLIB_SKIP_DIRS = frozenset(
    {
        "test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "ensurepip",
        "lib2to3", "site-packages", "dist-packages", "__phello__",
    }
)
_STDLIB_SKIP_PREFIXES = ("config-",)
_DYNLOAD_SKIP = re.compile(
    r"^(_test|_ctypes_test|_xxtestfuzz|xxlimited|_tkinter|_curses|readline|nis|spwd|"
    r"ossaudiodev|_xxsubinterpreters)"
)
_PACKAGE_SKIP_DIRS = frozenset({"tests", "test", "include", "src", "__pycache__"})
_PACKAGE_SKIP_SUFFIXES = (".pyc", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp", ".a")
_SYSTEM_LIB_ROOTS = ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64")
_ROOT_LINKS = ("lib", "lib64", "lib32", "libx32")

_LOCK_PATH = Path(tempfile.gettempdir()) / "sandbox-runtime-image.lock"
_QUERY_TIMEOUT = 30.0
_BUILD_TIMEOUT = 600.0
_LOCK_TIMEOUT = 900.0


class ImageError(RuntimeError):
    """The runtime image could not be found or built."""


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


# --- the tag -------------------------------------------------------------------------------


def _runtime_sources() -> list[Path]:
    """The package files shipped in the image: ``sandbox/__init__.py`` and ``sandbox/runtime``."""
    runtime = _SANDBOX_DIR / "runtime"
    files = [_SANDBOX_DIR / "__init__.py"]
    files += sorted(p for p in runtime.rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _distributions() -> list[importlib.metadata.Distribution]:
    """The runtime distributions and their (non-extra) requirements, each once."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(RUNTIME_DISTRIBUTIONS)
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        dist = importlib.metadata.distribution(name)
        seen[key] = dist
        for requirement in dist.requires or []:
            if "extra ==" in requirement.replace("extra==", "extra =="):
                continue
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
            if match:
                pending.append(match.group(0))
    return [seen[k] for k in sorted(seen)]


@functools.cache
def image_tag() -> str:
    """Return ``sandbox-runtime:<hash>`` of everything that goes into the image.

    Computed once per process, so that it names the runtime this process has loaded.
    """
    return compute_tag()


def compute_tag() -> str:
    """Hash the image's inputs now (:func:`image_tag` is the cached value)."""
    digest = hashlib.sha256(b"sandbox-runtime-image v1\n")
    for part in (
        sys.version,
        sys.implementation.cache_tag or "",
        platform.machine(),
        os.path.realpath(sys.executable),
        " ".join(platform.libc_ver()),
    ):
        digest.update(part.encode() + b"\n")
    for dist in _distributions():
        digest.update(f"{dist.metadata['Name']}=={dist.version}\n".encode())
    if DOCKERFILE.is_file():
        digest.update(DOCKERFILE.read_bytes())
    for path in _runtime_sources():
        digest.update(str(path.relative_to(_REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{IMAGE_REPOSITORY}:{digest.hexdigest()[:12]}"


# --- staging the rootfs --------------------------------------------------------------------


def _inside(root: Path, image_path: PurePosixPath | str) -> Path:
    """Map an absolute path of the image onto the staged rootfs, refusing to leave it.

    The check matters because the rootfs mirrors the host's ``/lib -> usr/lib`` links: a
    destination must resolve inside the stage, never onto the host.
    """
    dest = root / str(image_path).lstrip("/")
    if not dest.parent.resolve().is_relative_to(root.resolve()):
        raise ImageError(f"{image_path} would be staged outside the rootfs")
    return dest


def _copy_file(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)  # copy2 keeps mtimes, which timestamp-checked .pyc files need


def _stdlib_dir() -> Path:
    return Path(sysconfig.get_path("stdlib")).resolve()


def _dynload_dir() -> Path:
    for entry in sys.path:
        if entry.endswith("lib-dynload") and os.path.isdir(entry):
            return Path(entry).resolve()
    return Path(str(sysconfig.get_config_var("DESTSHARED"))).resolve()


def _stage_python(root: Path) -> list[Path]:
    """Copy the interpreter and its standard library; return the ELF files to resolve."""
    binary = Path(os.path.realpath(sys.executable))
    image_binary = _IMAGE_PREFIX / "bin" / _PYVER
    _copy_file(binary, _inside(root, image_binary))
    _inside(root, IMAGE_PYTHON).symlink_to(_PYVER)
    stdlib, dynload = _stdlib_dir(), _dynload_dir()

    def skip(directory: str, names: list[str]) -> set[str]:
        return {
            n for n in names
            if n in _STDLIB_SKIP_DIRS
            or n.startswith(_STDLIB_SKIP_PREFIXES)
            or n.endswith((".opt-1.pyc", ".opt-2.pyc", ".a", ".exe"))
            or Path(directory, n) == dynload
        }

    shutil.copytree(stdlib, _inside(root, _IMAGE_STDLIB), ignore=skip, symlinks=True)
    elves = [_inside(root, image_binary)]
    target = _inside(root, _IMAGE_STDLIB / "lib-dynload")
    target.mkdir(parents=True, exist_ok=True)
    for module in sorted(dynload.iterdir()):
        if module.suffix == ".so" and not _DYNLOAD_SKIP.match(module.name):
            _copy_file(module, target / module.name)
            elves.append(target / module.name)
    return elves


def _dist_files(dist: importlib.metadata.Distribution) -> Iterator[tuple[Path, str]]:
    """The installed files of ``dist`` (absolute, relative to site-packages) worth shipping."""
    for entry in dist.files or []:
        relative = PurePosixPath(str(entry))
        if ".." in relative.parts or relative.suffix in _PACKAGE_SKIP_SUFFIXES:
            continue
        if _PACKAGE_SKIP_DIRS.intersection(relative.parts[:-1]):
            continue
        if relative.name.endswith((".pth", "INSTALLER", "RECORD", "REQUESTED", "direct_url.json")):
            continue
        source = Path(str(dist.locate_file(entry)))
        if source.is_file():
            yield source, str(relative)


def _stage_packages(root: Path) -> list[Path]:
    """Copy the runtime distributions; return their ELF files."""
    site = _inside(root, _IMAGE_SITE)
    elves: list[Path] = []
    for dist in _distributions():
        for source, relative in _dist_files(dist):
            dest = site / relative
            _copy_file(source, dest)
            if ".so" in dest.suffixes:
                elves.append(dest)
    return elves


def _stage_sources(root: Path) -> None:
    site = _inside(root, _IMAGE_SITE)
    for source in _runtime_sources():
        _copy_file(source, site / source.relative_to(_REPO_ROOT))


_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def _shared_libraries(elves: Iterable[Path]) -> set[str]:
    """Return the absolute paths ``ldd`` resolves for ``elves`` (one call for all of them)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        raise ImageError("ldd is needed to stage the runtime image (Debian package libc-bin)")
    files = [str(e) for e in elves]
    done = subprocess.run(  # noqa: S603 - host tool on our own staged files
        [ldd, *files], capture_output=True, text=True, timeout=120, check=False
    )
    missing = [line.strip() for line in done.stdout.splitlines() if "not found" in line]
    if missing:
        raise ImageError(f"shared libraries not found on this host: {sorted(set(missing))}")
    found: set[str] = set()
    for line in done.stdout.splitlines():
        match = _LDD_LINE.match(line)
        if match:
            found.add(match.group(1))
    return found


def _stage_libraries(root: Path, elves: list[Path]) -> None:
    """Copy every library the staged ELF files need that the stage does not hold yet.

    A system library keeps its path (the loader looks there by default, without a cache);
    any other one (e.g. a ``libpython`` next to a pyenv build) goes next to glibc.
    """
    for link in _ROOT_LINKS:  # mirror the host's merged-/usr links, always relative
        host = Path("/", link)
        if host.is_symlink():
            target = os.readlink(host)
            if os.path.isabs(target):
                target = os.path.relpath(target, "/")
            (root / link).symlink_to(target)
            resolved = (root / link).resolve()
            if not resolved.is_relative_to(root.resolve()):
                raise ImageError(f"/{link} points outside the root: {target}")
            resolved.mkdir(parents=True, exist_ok=True)
    staged = root.resolve()
    libraries = _shared_libraries(elves)
    libc = next((p for p in libraries if Path(p).name.startswith("libc.so")), None)
    if libc is None:
        raise ImageError("ldd did not list glibc for the interpreter")
    libdir = PurePosixPath(libc).parent
    for library in sorted(libraries):
        real = Path(os.path.realpath(library))
        if real.is_relative_to(staged):
            continue  # a library shipped with a package (pyarrow's libarrow), already here
        if library.startswith(tuple(r + "/" for r in _SYSTEM_LIB_ROOTS)):
            image_path = PurePosixPath(library)
        else:
            image_path = libdir / Path(library).name
        dest = _inside(root, image_path)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(real, dest)


def _normalise_modes(root: Path) -> None:
    """Make everything readable (and directories searchable) by the container's non-root user."""
    for directory, dirs, files in os.walk(root):
        os.chmod(directory, 0o755)
        for name in files + dirs:
            path = os.path.join(directory, name)
            if os.path.islink(path) or os.path.isdir(path):
                continue
            mode = os.stat(path).st_mode
            os.chmod(path, 0o755 if mode & stat.S_IXUSR else 0o644)


def _compile(root: Path) -> None:
    """Byte-compile what lacks a current ``.pyc`` and open the modes up.

    The container's root is read-only: without ``.pyc`` files every run would compile its
    imports again.
    """
    ok = compileall.compile_dir(
        str(_inside(root, _IMAGE_STDLIB)), quiet=2, workers=0, stripdir=str(root), prependdir="/"
    )
    if not ok:
        raise ImageError("byte-compiling the runtime image's Python files failed")
    _normalise_modes(root)


def stage_context(context: Path) -> None:
    """Assemble the build context: ``base/`` and ``runtime/``, the image's two layers.

    ``base/`` (interpreter, standard library, packages, libraries) changes only with the
    Python build or the packages, so Docker's build cache reuses its layer when only the
    ``sandbox.runtime`` sources in ``runtime/`` changed: such a rebuild adds a layer of a
    few hundred kilobytes instead of a whole new image.
    """
    base, runtime = context / "base", context / "runtime"
    base.mkdir(parents=True)
    runtime.mkdir()
    elves = _stage_python(base) + _stage_packages(base)
    _stage_libraries(base, elves)
    for mountpoint in ("tmp", "inputs"):
        (base / mountpoint).mkdir()
    _compile(base)
    # Docker gives a tmpfs mounted over an image directory that directory's mode.
    (base / "tmp").chmod(0o1777)
    _stage_sources(runtime)
    _compile(runtime)


# --- building ------------------------------------------------------------------------------


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


def _smoke_test(tag: str, docker: str, host: str | None) -> None:
    probe = "import sandbox.runtime.worker, RestrictedPython, pyarrow"
    argv = [*_cli(docker, host), "run", "--rm", "--pull", "never", "--network", "none",
            "--read-only", "--user", "65534:65534", tag, IMAGE_PYTHON, "-I", "-c", probe]
    try:
        done = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ImageError(f"the new runtime image {tag} did not start in time") from exc
    if done.returncode != 0:
        raise ImageError(f"the new runtime image {tag} cannot run the worker:\n{done.stderr}")


def build_image(tag: str, docker: str, host: str | None = None) -> float:
    """Stage the rootfs and build ``tag`` from :data:`DOCKERFILE`; return the seconds taken.

    The new image is run once (importing the worker) before it is trusted; a broken one is
    removed again.

    Raises:
        ImageError: When staging, building or the check fails.
    """
    if not DOCKERFILE.is_file():
        raise ImageError(f"{DOCKERFILE} is missing: the runtime image is built from it")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sandbox-runtime-image-") as context:
        stage_context(Path(context))
        shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
        argv = [*_cli(docker, host), "build", "--quiet", "--force-rm", "--label",
                f"sandbox.runtime.tag={tag}", "-t", tag, context]
        try:
            done = subprocess.run(  # noqa: S603
                argv, capture_output=True, text=True, timeout=_BUILD_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ImageError(f"docker build of {tag} took over {_BUILD_TIMEOUT:.0f}s") from exc
    if done.returncode != 0:
        raise ImageError(f"docker build of {tag} failed:\n{done.stdout}\n{done.stderr}")
    try:
        _smoke_test(tag, docker, host)
    except ImageError:
        subprocess.run(  # noqa: S603
            [*_cli(docker, host), "rmi", "--force", tag],
            capture_output=True, timeout=_QUERY_TIMEOUT, check=False,
        )
        raise
    took = time.monotonic() - started
    log.info("built the runtime image %s in %.1fs", tag, took)
    return took


def ensure_image(docker: str | None = None, host: str | None = None) -> str:
    """Return the runtime image's tag, building it first when the engine lacks it.

    Args:
        docker: The Docker CLI (default: :func:`docker_client`).
        host: The engine's address (``--host``); ``None`` is the CLI's default.

    Raises:
        ImageError: No Docker client, or the image cannot be built.
    """
    docker = docker or docker_client()
    if docker is None:
        raise ImageError("no docker client found")
    tag = image_tag()
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
            build_image(tag, docker, host)
    finally:
        os.close(fd)  # releases the lock
    return tag


def _root_cache() -> Path:
    if os.geteuid() == 0:
        return Path("/var/cache/sandbox-runtime")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sandbox-runtime"


@functools.cache
def staged_root() -> Path:
    """The runtime's root filesystem as a host directory (for the ``bwrap`` backend): the
    same interpreter, standard library, packages and ``sandbox.runtime`` sources as the
    image, world-readable, staged once per :func:`image_tag` and reused.

    The sandbox then sees nothing of the host's ``/usr`` or of the checkout, and an
    unprivileged uid can read all of it (a Python installed under ``/root`` could not be
    bound for one).
    """
    cache = _root_cache()
    target = cache / image_tag().split(":", 1)[1]
    if (target / ".ready").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)
    fd = os.open(cache / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not (target / ".ready").exists():
            with tempfile.TemporaryDirectory(dir=cache, prefix=".stage-") as tmp:
                context = Path(tmp) / "context"
                stage_context(context)
                root = context / "base"
                shutil.copytree(context / "runtime", root, dirs_exist_ok=True, symlinks=True)
                for mountpoint in ("proc", "dev"):  # bwrap mounts these; docker makes its own
                    (root / mountpoint).mkdir(mode=0o755)
                root.chmod(0o755)
                (root / ".ready").touch()
                if target.exists():
                    shutil.rmtree(target)
                root.rename(target)
    finally:
        os.close(fd)
    return target


def prune_images(keep: str, docker: str, host: str | None = None) -> list[str]:
    """Remove the other ``sandbox-runtime`` tags (older runtimes); return those removed.

    Without ``--force``: a tag a container still uses stays. A process still running an
    older runtime would find its image gone, which is why nothing prunes automatically.
    """
    try:
        listed = subprocess.run(  # noqa: S603
            [*_cli(docker, host), "image", "ls", IMAGE_REPOSITORY, "--format",
             "{{.Repository}}:{{.Tag}}"],
            capture_output=True, text=True, timeout=_QUERY_TIMEOUT, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    removed = []
    for tag in listed.stdout.split():
        if tag == keep:
            continue
        try:
            done = subprocess.run(  # noqa: S603 - tags listed by the engine
                [*_cli(docker, host), "rmi", tag],
                capture_output=True, timeout=_QUERY_TIMEOUT, check=False,
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    host = os.environ.get("DOCKER_HOST") or None
    try:
        tag = ensure_image(host=host)
    except ImageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if args.prune:
        docker = docker_client()
        assert docker is not None  # ensure_image found it
        for old in prune_images(tag, docker, host):
            log.info("removed %s", old)
    sys.stdout.write(tag + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The runtime's root filesystem, staged on the host from the running interpreter's own files.

There is no image registry to pull a base image from, so the ``docker`` backend's image is
``FROM scratch`` (``sandbox/runtime/Dockerfile.runtime``) plus the root staged here, and the
``bwrap`` backend binds the same root read-only (:func:`staged_root`). What goes in is named by
:mod:`sandbox.runtime.manifest`:

* the Python binary at :data:`~sandbox.runtime.manifest.IMAGE_PYTHON` and its standard library
  (without tests, IDLE, tkinter, ensurepip and the static library);
* the third-party distributions the worker needs and the ``sandbox/__init__.py`` +
  ``sandbox/runtime/`` sources, in the image's ``site-packages``;
* the shared libraries ``ldd`` lists for all of the above (glibc, libffi, ...).

Nothing else: no shell, no ``/etc``, no other program, no checkout. Everything is byte-compiled
before it is copied in, because the root is read-only and a worker that cannot write ``.pyc``
files would otherwise compile its imports again on every run.
"""

from __future__ import annotations

import compileall
import fcntl
import functools
import importlib.metadata
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from sandbox.runtime.manifest import (
    IMAGE_PREFIX,
    IMAGE_PYTHON,
    IMAGE_SITE,
    IMAGE_STDLIB,
    PYTHON_VERSION,
    REPO_ROOT,
    distributions,
    image_tag,
    runtime_sources,
)
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["ImageError", "stage_context", "staged_root"]


class ImageError(RuntimeError):
    """The runtime's root filesystem or its image could not be staged, found or built."""


# Never copied from the standard library: tests, GUI and terminal toolkits, installers and
# build leftovers. A model imports nothing outside its policy's allow-list anyway.
_STDLIB_SKIP_DIRS = frozenset(
    {
        "test",
        "tests",
        "idle_test",
        "idlelib",
        "tkinter",
        "turtledemo",
        "ensurepip",
        "lib2to3",
        "site-packages",
        "dist-packages",
        "__phello__",
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
    image_binary = IMAGE_PREFIX / "bin" / PYTHON_VERSION
    _copy_file(binary, _inside(root, image_binary))
    _inside(root, IMAGE_PYTHON).symlink_to(PYTHON_VERSION)
    stdlib, dynload = _stdlib_dir(), _dynload_dir()

    def skip(directory: str, names: list[str]) -> set[str]:
        return {
            n
            for n in names
            if n in _STDLIB_SKIP_DIRS
            or n.startswith(_STDLIB_SKIP_PREFIXES)
            or n.endswith((".opt-1.pyc", ".opt-2.pyc", ".a", ".exe"))
            or Path(directory, n) == dynload
        }

    shutil.copytree(stdlib, _inside(root, IMAGE_STDLIB), ignore=skip, symlinks=True)
    elves = [_inside(root, image_binary)]
    target = _inside(root, IMAGE_STDLIB / "lib-dynload")
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


def _stage_packages(root: Path, profile: RuntimeProfile) -> list[Path]:
    """Copy a profile's runtime distributions; return their ELF files."""
    site = _inside(root, IMAGE_SITE)
    elves: list[Path] = []
    for dist in distributions(profile):
        for source, relative in _dist_files(dist):
            dest = site / relative
            _copy_file(source, dest)
            if ".so" in dest.suffixes:
                elves.append(dest)
    return elves


def _stage_sources(root: Path) -> None:
    site = _inside(root, IMAGE_SITE)
    for source in runtime_sources():
        _copy_file(source, site / source.relative_to(REPO_ROOT))


_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def _shared_libraries(elves: Iterable[Path]) -> set[str]:
    """Return the absolute paths ``ldd`` resolves for ``elves`` (one call for all of them).

    A library ``ldd`` cannot find for one file but that is itself among ``elves`` is no gap:
    wheels bundle their libraries (``scipy.libs/``), and one bundled library needing another
    (libgfortran, libquadmath) is found at run time through the loading module's path.
    """
    elves = list(elves)
    bundled = {e.name for e in elves}
    ldd = shutil.which("ldd")
    if ldd is None:
        raise ImageError("ldd is needed to stage the runtime image (Debian package libc-bin)")
    files = [str(e) for e in elves]
    done = subprocess.run(  # noqa: S603 - host tool on our own staged files
        [ldd, *files], capture_output=True, text=True, timeout=120, check=False
    )
    missing = [
        line.strip()
        for line in done.stdout.splitlines()
        if "not found" in line and line.split("=>")[0].strip() not in bundled
    ]
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
        str(_inside(root, IMAGE_STDLIB)), quiet=2, workers=0, stripdir=str(root), prependdir="/"
    )
    if not ok:
        raise ImageError("byte-compiling the runtime image's Python files failed")
    _normalise_modes(root)


def stage_context(context: Path, profile: RuntimeProfile = RuntimeProfile.RESTRICTED) -> None:
    """Assemble a profile's build context: ``base/`` and ``runtime/``, the image's two layers.

    ``base/`` (interpreter, standard library, packages, libraries) changes only with the
    Python build or the packages, so Docker's build cache reuses its layer when only the
    ``sandbox.runtime`` sources in ``runtime/`` changed: such a rebuild adds a layer of a
    few hundred kilobytes instead of a whole new image.
    """
    base, runtime = context / "base", context / "runtime"
    base.mkdir(parents=True)
    runtime.mkdir()
    elves = _stage_python(base) + _stage_packages(base, profile)
    _stage_libraries(base, elves)
    for mountpoint in ("tmp", "inputs"):
        (base / mountpoint).mkdir()
    _compile(base)
    # Docker gives a tmpfs mounted over an image directory that directory's mode.
    (base / "tmp").chmod(0o1777)
    _stage_sources(runtime)
    _compile(runtime)


def _root_cache() -> Path:
    if os.geteuid() == 0:
        return Path("/var/cache/sandbox-runtime")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sandbox-runtime"


@functools.cache
def staged_root(profile: RuntimeProfile = RuntimeProfile.RESTRICTED) -> Path:
    """A profile's runtime root filesystem as a host directory (for the ``bwrap`` backend):
    the same interpreter, standard library, packages and ``sandbox.runtime`` sources as the
    image, world-readable, staged once per
    :func:`~sandbox.runtime.manifest.image_tag` and reused.

    The sandbox then sees nothing of the host's ``/usr`` or of the checkout, and an
    unprivileged uid can read all of it (a Python installed under ``/root`` could not be
    bound for one).
    """
    cache = _root_cache()
    target = cache / image_tag(profile).split(":", 1)[1]
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
                stage_context(context, profile)
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

"""The client ships alone: its wheel, built from ``client/``, installs into a fresh virtualenv
with httpx and rich only, talks to a live server from there, and none of the server's
packages (nor the pandas/pyarrow extras) come along. Its installed size is printed (README).

pip resolves httpx, rich and their dependencies from the indexes it is configured with,
pinned by ``requirements.lock`` (its cache serves a second run), hence ``slow``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = (
    "sandbox",
    "api",
    "ray",
    "opendp",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "RestrictedPython",
    "pandas",
    "numpy",
)
MAX_INSTALLED_MB = 30.0
"""A ceiling well above what it measures (16 MB with pip's compiled files), far below the
server's 1.1 GB: a dependency that drags in a stack trips it."""

PROBE = textwrap.dedent("""
    import importlib.metadata, importlib.util, json, os, sys

    from sandbox_client import MissingExtraError, Result, SandboxClient

    url, token = sys.argv[1], sys.argv[2]
    with SandboxClient(url, token) as client:
        health = client.health()["status"]
        me = client.me()["username"]
    try:
        Result(1, '[{"a": 1}]').to_pandas()
        extra = "imported"
    except MissingExtraError as exc:
        extra = str(exc)
    sizes = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name in ("pip", "setuptools"):
            continue  # every virtualenv has them
        files = [dist.locate_file(f) for f in dist.files or []]
        sizes[name] = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
    print(json.dumps({
        "absent": {m: importlib.util.find_spec(m) is None for m in sys.argv[3:]},
        "health": health, "me": me, "extra": extra, "sizes": sizes}))
""")


def _run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, f"{args[:4]}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


def test_the_client_wheel_installs_alone_and_reaches_the_server(
    tmp_path: Path, live_server: LiveServer, accounts: Accounts
) -> None:
    source = tmp_path / "client"  # a copy: the build writes build/ and egg-info beside it
    shutil.copytree(
        REPO / "client", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        tmp_path / "wheels",
        source,
        cwd=tmp_path,
    )
    [wheel] = (tmp_path / "wheels").glob("sandbox_client-*.whl")
    venv.create(tmp_path / "venv", with_pip=True)  # no system site-packages: nothing leaks
    python = tmp_path / "venv" / "bin" / "python"
    _run(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "-c",
        REPO / "requirements.lock",
        wheel,
        cwd=tmp_path,
    )
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    out = _run(
        python,
        tmp_path / "probe.py",
        live_server.url,
        accounts["user"].token,
        *SERVER_PACKAGES,
        cwd=tmp_path,
    )
    probe = json.loads(out.splitlines()[-1])
    assert probe["absent"] == dict.fromkeys(SERVER_PACKAGES, True)
    assert probe["health"] == "ok" and probe["me"] == "user"
    assert "pip install 'sandbox-client[pandas]'" in probe["extra"]
    sizes: dict[str, int] = probe["sizes"]
    assert "sandbox-client" in sizes and {"httpx", "rich"} <= set(sizes)
    total_mb = sum(sizes.values()) / 1e6
    report = (
        f"\nsandbox-client installed: {total_mb:.1f} MB in {len(sizes)} packages "
        f"({', '.join(sorted(sizes))})"
    )
    print(report)  # noqa: T201 - the README's figure
    assert total_mb < MAX_INSTALLED_MB

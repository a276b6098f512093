"""A production process refuses to run jobs unisolated (the ``subprocess`` backend)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import Settings
from sandbox.errors import ProductionUnsafe
from sandbox.platform import Platform
from sandbox.runtime.backends import BackendRegistry, SubprocessBackend
from sandbox.runtime.backends.choice import ensure_safe_backend


def test_production_on_subprocess_refuses_to_open_the_platform(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, environment="production", runtime_backend="subprocess")
    with pytest.raises(ProductionUnsafe, match="SANDBOX_ALLOW_SUBPROCESS_BACKEND=true"):
        Platform.open(settings)
    assert not (tmp_path / "sandbox.db").exists()  # nothing was created


def test_production_refuses_a_fallback_to_subprocess() -> None:
    only_subprocess = BackendRegistry()
    only_subprocess.register("subprocess", SubprocessBackend)
    settings = Settings(environment="production")
    with pytest.raises(ProductionUnsafe, match="neither bwrap nor docker"):
        ensure_safe_backend(settings, only_subprocess)


def test_explicit_permission_and_development_are_allowed(tmp_path: Path) -> None:
    allowed = Settings(
        var_dir=tmp_path,
        environment="production",
        runtime_backend="subprocess",
        allow_subprocess_backend=True,
    )
    Platform.open(allowed).close()
    ensure_safe_backend(Settings(runtime_backend="subprocess"))

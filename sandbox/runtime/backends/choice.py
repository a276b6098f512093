"""Which isolation backend a process will run jobs on, and whether production may.

The ``subprocess`` backend isolates nothing: it exists so that development works on a host
without bubblewrap or Docker. Because an empty ``SANDBOX_RUNTIME_BACKEND`` picks the
strongest backend *available*, a production host that lost bwrap (or whose containers lack
the privileges it needs) would silently fall back to it. :func:`ensure_safe_backend` turns
that into a refusal to start, unless the operator explicitly allows it.
"""

from __future__ import annotations

from sandbox.config import Settings
from sandbox.errors import ProductionUnsafe
from sandbox.runtime.backends import BackendRegistry, default_registry

__all__ = ["UNISOLATED", "chosen_backend", "ensure_safe_backend"]

UNISOLATED = "subprocess"
"""The backend that runs a job as a plain child process of its runner."""


def chosen_backend(settings: Settings, registry: BackendRegistry | None = None) -> str:
    """The backend jobs will run on: the configured one, else the strongest available."""
    if settings.runtime_backend:
        return settings.runtime_backend
    return (registry or default_registry()).strongest().name


def ensure_safe_backend(settings: Settings, registry: BackendRegistry | None = None) -> None:
    """Refuse a production process whose jobs would run on the ``subprocess`` backend.

    Development processes are not checked (nothing is probed for them).

    Raises:
        ProductionUnsafe: ``environment`` is ``production``, the backend is ``subprocess``
            and ``allow_subprocess_backend`` is not set.
    """
    if settings.environment != "production" or settings.allow_subprocess_backend:
        return
    name = chosen_backend(settings, registry)
    if name != UNISOLATED:
        return
    how = (
        "SANDBOX_RUNTIME_BACKEND=subprocess"
        if settings.runtime_backend
        else "no SANDBOX_RUNTIME_BACKEND, and neither bwrap nor docker is available here"
    )
    raise ProductionUnsafe(
        f"refusing to start: SANDBOX_ENVIRONMENT=production would run jobs on the "
        f"'subprocess' backend, which isolates nothing ({how}). Set "
        f"SANDBOX_RUNTIME_BACKEND=bwrap or docker (and make it available), or set "
        f"SANDBOX_ALLOW_SUBPROCESS_BACKEND=true to accept running jobs unisolated."
    )

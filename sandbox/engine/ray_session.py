"""This process's connection to Ray: a private local Ray, or the configured cluster.

Without ``SANDBOX_RAY_ADDRESS`` the platform always starts its own local Ray
(``address="local"``), whatever else runs on the host: ``RAY_ADDRESS`` in the environment or
a ``ray start`` cluster in Ray's default temp dir would otherwise be joined (or make
``ray.init(num_cpus=...)`` refuse). Its temp dir is the platform's own (``<var_dir>/ray`` when
the path is short enough for Ray's Unix sockets, else a fresh directory under the system's
temp dir) and it is protected by token authentication with a token made for this process.

With an address the process joins that cluster. ``SANDBOX_RAY_AUTH_TOKEN`` (or
``SANDBOX_RAY_AUTH_TOKEN_PATH``) turns Ray 2.60's token authentication on for the join (Ray
reads ``RAY_AUTH_MODE`` / ``RAY_AUTH_TOKEN`` / ``RAY_AUTH_TOKEN_PATH`` from the environment
only, so they are set here before ``ray.init``); with neither, Ray's own environment applies.

A Ray driver whose cluster disappears kills its process once Ray gives up reconnecting (about
a minute): :func:`cluster_reachable` lets the caller notice first and :func:`disconnect` the
driver, so that losing Ray never takes the API server down.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from sandbox.config import Settings

__all__ = [
    "cluster_reachable",
    "connected",
    "disconnect",
    "ensure_ray",
    "private_temp_dir",
]

log = logging.getLogger(__name__)

_lock = threading.RLock()
_AUTH_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
_saved_environment: dict[str, str | None] | None = None
_gcs_address: str | None = None

SOCKET_PATH_ROOM = 40
"""Longest temp dir Ray's Unix socket paths (``<temp>/session_<time>_<pid>/sockets/plasma_store``,
at most 107 bytes, 62 of them Ray's) leave room for."""


def private_temp_dir(settings: Settings | None) -> Path:
    """The private local Ray's temp dir: ``<var_dir>/ray`` if short enough, else a new one."""
    if settings is not None:
        candidate = settings.var_dir.resolve() / "ray"
        if len(str(candidate)) <= SOCKET_PATH_ROOM:
            candidate.mkdir(parents=True, exist_ok=True)
            return candidate
    return Path(tempfile.mkdtemp(prefix="sandbox-ray-"))


def _read_token(settings: Settings) -> str:
    token = settings.ray_auth_token.get_secret_value()
    if not token and settings.ray_auth_token_path is not None:
        token = settings.ray_auth_token_path.read_text(encoding="utf-8").strip()
    return token


def _set_auth(token: str | None) -> None:
    """Point Ray's token authentication at ``token`` (``None``: leave Ray's environment)."""
    global _saved_environment
    if token is None:
        return
    if _saved_environment is None:
        _saved_environment = {name: os.environ.get(name) for name in _AUTH_VARIABLES}
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = token
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    _refresh_ray_config()


def _restore_auth() -> None:
    global _saved_environment
    if _saved_environment is None:
        return
    for name, value in _saved_environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_environment = None
    _refresh_ray_config()


def _refresh_ray_config() -> None:
    """Make this process's Ray core see the authentication variables just changed (it caches
    its configuration and token, as Ray's own test utilities reset them).
    """
    from ray._raylet import (  # type: ignore[attr-defined]  # compiled, without stubs
        AuthenticationTokenLoader,
        Config,
    )

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


MAX_WORKER_SLOTS = 16
"""The most idle Ray workers kept alive for jobs (each holds the platform's imports)."""


def worker_slots(settings: Settings | None, cpus: float) -> int:
    """How many jobs run at once on ``cpus`` (``job_cpus`` each), and so how many Ray
    workers the private Ray keeps alive when idle (``num_workers_soft_limit``).

    Ray's default keeps one idle worker per CPU and stops the others after a second: with
    jobs of a quarter CPU, every burst of jobs started (and imported the platform in) new
    workers, which cost more CPU than the jobs themselves.
    """
    share = settings.job_cpus if settings is not None else 1.0
    return max(1, min(MAX_WORKER_SLOTS, int(cpus / share)))


def ensure_ray(settings: Settings | None = None, num_cpus: int | None = None) -> None:
    """Start the private local Ray or join the configured cluster, once; later calls do
    nothing while connected.

    Raises:
        Exception: whatever ``ray.init`` raises when the cluster cannot be reached (the
            caller reports compute as unavailable and tries again later).
    """
    import ray

    global _gcs_address
    with _lock:
        if ray.is_initialized():
            return
        address = settings.ray_address if settings is not None else ""
        common: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
        try:
            if address:
                token = _read_token(settings) if settings is not None else ""
                _set_auth(token or None)
                ray.init(address=address, **common)
            else:
                _set_auth(secrets.token_hex(32))
                cpus = num_cpus or os.cpu_count() or 1
                ray.init(
                    address="local",
                    num_cpus=cpus,
                    include_dashboard=False,
                    _temp_dir=str(private_temp_dir(settings)),
                    _system_config={"num_workers_soft_limit": worker_slots(settings, cpus)},
                    **common,
                )
        except BaseException:
            _restore_auth()
            raise
        _gcs_address = ray.get_runtime_context().gcs_address


def connected() -> bool:
    """Whether this process has a Ray driver."""
    import ray

    return bool(ray.is_initialized())


def cluster_reachable(timeout: float = 1.0) -> bool:
    """Whether the connected cluster's GCS still accepts connections (``False`` when not
    connected): a cheap probe that never blocks on Ray itself.
    """
    address = _gcs_address
    if address is None or not connected():
        return False
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def disconnect() -> None:
    """Drop the driver (before Ray's own give-up kills the process); a later
    :func:`ensure_ray` connects afresh.
    """
    import ray

    global _gcs_address
    with _lock:
        _gcs_address = None
        try:
            ray.shutdown()
        except Exception:  # a driver whose cluster is gone may fail to say goodbye
            log.debug("ray.shutdown failed", exc_info=True)
        _restore_auth()

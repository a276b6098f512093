"""The ``sandbox`` command: local administration on the server host and a remote client.

``organisations create``, ``users create`` and ``audit`` work directly on the database named
by the ``SANDBOX_*`` settings (they are how the first accounts come to exist); every other
command talks to a running server over HTTP through :class:`sandbox.client.SandboxClient`.
Each command group is named after the API resource it serves (``api/routers/``).
"""

from sandbox.cli.main import app

__all__ = ["app"]

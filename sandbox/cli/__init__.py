"""The ``sandbox`` command: local administration on the server host and a remote client.

``admin`` and ``audit`` work directly on the database named by the ``SANDBOX_*`` settings
(they are how the first accounts come to exist); every other command talks to a running
server over HTTP through :class:`sandbox.client.SandboxClient`.
"""

from sandbox.cli.main import app

__all__ = ["app"]

"""Direct access to the platform's database for commands run on the server host.

The platform is imported only when a local command runs, so remote commands start fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sandbox.cli._output import reported_errors

if TYPE_CHECKING:
    from sandbox.platform import Platform


@contextmanager
def local_platform() -> Iterator[Platform]:
    """The platform named by the ``SANDBOX_*`` settings, migrated to head and closed after."""
    with reported_errors():
        from sandbox.config import Settings
        from sandbox.platform import Platform

        platform = Platform.open(Settings())
        try:
            yield platform
        finally:
            platform.close()

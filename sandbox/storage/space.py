"""A write that runs out of disk is the server's storage being full, not a bad request.

Python and pyarrow both raise :class:`OSError` with ``errno`` ``ENOSPC`` (or ``EDQUOT``
for a quota) when a filesystem is full; :func:`storage_full_as` turns that into a
:class:`~sandbox.errors.StorageFull` naming which storage filled up, and lets every other
error through unchanged. The caller undoes its partial write as it does for any failure.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.errors import StorageFull

OUT_OF_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})

DATA_STORE = "data store"
STAGING_AREA = "staging area"
TEMPORARY_SPACE = "temporary space"

_WHERE = {
    DATA_STORE: "the data store (SANDBOX_DATA_URI), where dataset versions are kept",
    STAGING_AREA: "the staging area (<SANDBOX_VAR_DIR>/staging), where uploads wait",
    TEMPORARY_SPACE: "the server's temporary space (TMPDIR)",
}


def is_out_of_space(exc: BaseException) -> bool:
    """Whether ``exc``, or an error it was raised from, says the disk or quota is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in OUT_OF_SPACE:
            return True
        current = current.__cause__ or current.__context__
    return False


def storage_full(storage: str, doing: str) -> StorageFull:
    """The error for ``storage`` (one of the names above) filling up while ``doing``."""
    return StorageFull(
        f"{_WHERE[storage]} is full: there was no space left while {doing}; "
        "nothing was changed. Ask the operator to free space, then try again",
        storage=storage,
    )


@contextmanager
def storage_full_as(storage: str, doing: str) -> Iterator[None]:
    """Raise :func:`storage_full` in place of an out-of-space :class:`OSError`."""
    try:
        yield
    except OSError as exc:
        if is_out_of_space(exc):
            raise storage_full(storage, doing) from exc
        raise

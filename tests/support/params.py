"""Test ids that are the same in every process.

``pytest -n`` has each worker collect the suite and compares the test ids: an id built with
``repr`` of a plain object carries its memory address, which differs between workers and
stops the run ("Different tests were collected").
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_id(value: object) -> str:
    """``repr(value)`` without memory addresses."""
    return _ADDRESS.sub("", repr(value))

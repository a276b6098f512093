"""Small parsing helpers shared by the domain packages."""

from __future__ import annotations

import enum
from typing import TypeVar

from sandbox.errors import InvalidRequest

_E = TypeVar("_E", bound=enum.StrEnum)


def parse_enum(kind: type[_E], value: object, label: str) -> _E:
    """``kind(value)``, or an error naming ``label`` and the allowed values."""
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidRequest(f"{label} {value!r} is not one of: {allowed}") from None

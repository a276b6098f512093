"""``rounding``: the platform rounds a verified table's counts to the policy's multiple.

Recorded once per output (passed, not blocking) when any cell was left to round, and the
released output says ``rounded_to``.
"""

from __future__ import annotations

from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.ROUNDING


def rounded(count: int, multiple: int) -> int:
    """``count`` rounded to the nearest multiple of ``multiple``."""
    return multiple * round(count / multiple)


def rounding_line(where: str, multiple: int) -> CheckLine:
    """The line recording that an output's counts were rounded."""
    return CheckLine(
        RULE,
        where,
        multiple,
        True,
        False,
        f"counts rounded to multiples of {multiple} by the platform",
    )

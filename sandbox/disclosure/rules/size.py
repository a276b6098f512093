"""``max_cells`` and ``max_bytes``: a result releasing too much fails (blocking).

The statistics a result releases (every cell of a verified output, every other scalar) are
compared with the policy's ``max_output_cells``; the bytes of its canonical JSON with the
job's result size limit. A result that is not plain JSON fails ``max_bytes``.
"""

from __future__ import annotations

from sandbox.disclosure.model import CheckLine, Rule

MAX_CELLS = Rule.MAX_CELLS
MAX_BYTES = Rule.MAX_BYTES


def max_cells_line(cells: int, limit: int) -> CheckLine:
    """The line of the statistics the result releases."""
    return CheckLine(
        MAX_CELLS,
        "result",
        cells,
        cells <= limit,
        True,
        f"{cells} statistics released; the policy allows at most {limit}",
    )


def max_bytes_line(size: int | None, limit: int) -> CheckLine:
    """The line of the result's size (``None``: it is not plain JSON)."""
    if size is None:
        return CheckLine(MAX_BYTES, "result", None, False, True, "the result is not plain JSON")
    return CheckLine(
        MAX_BYTES,
        "result",
        size,
        size <= limit,
        True,
        f"{size} bytes of JSON; the limit is {limit}",
    )

"""``differencing``: two tables of the same spec that differ by a few rows (non-blocking).

A verified table with the same rows, cols, value and aggregate as an earlier released
output on the same dataset (or as another table of the same result) is flagged when their
populations differ by fewer than ``min_count`` rows, or when the counts of a cell of the
same key differ by 1 to ``min_count - 1``: subtracting one from the other could single
someone out. A reviewer must look.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.disclosure.facts import ReleasedOutputFacts, facts_of, same_table
from sandbox.disclosure.inputs import Matches
from sandbox.disclosure.labels import cell_where, many, where_of
from sandbox.disclosure.model import CheckLine, Rule
from sandbox.disclosure.verified.outputs import VerifiedTable

RULE = Rule.DIFFERENCING


def differencing_lines(
    tables: Sequence[tuple[str, VerifiedTable]],
    earlier: Sequence[ReleasedOutputFacts],
    minimum: int,
    matches: Matches,
) -> list[CheckLine]:
    """The flags of the result's verified ``tables`` (by path) against ``earlier`` outputs
    and against each other, in the order the tables appear.
    """
    if minimum <= 1:
        return []
    lines: list[CheckLine] = []
    seen: list[ReleasedOutputFacts] = list(earlier)
    for path, table in tables:
        new = facts_of(table)
        where = where_of(path)
        for old in seen:
            if old.kind != new.kind or not same_table(old.spec, new.spec):
                continue
            if old.dataset is not None and new.dataset is not None and old.dataset != new.dataset:
                continue
            gap = abs(new.population - old.population)
            if 0 < gap < minimum:
                lines.append(
                    CheckLine(
                        RULE,
                        where,
                        gap,
                        False,
                        False,
                        f"its population differs by {many(gap, 'row')} from an earlier or "
                        "companion output of the same table: a reviewer must check the "
                        "difference discloses no one",
                    )
                )
            for key, count in new.cells.items():
                before = old.cells.get(key)
                if before is None:
                    continue
                diff = abs(count - before)
                if 0 < diff < minimum:
                    lines.append(
                        CheckLine(
                            RULE,
                            cell_where(path, table.key_columns, key, matches),
                            diff,
                            False,
                            False,
                            f"its count differs by {diff} from the same cell of an "
                            "earlier or companion output of the same table",
                        )
                    )
        seen.append(new)
    return lines

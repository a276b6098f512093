"""The automated disclosure checks every result passes before it can be reviewed.

:func:`check_result` walks a job's result (JSON: dicts, lists, scalars) and returns it as
it would be released, after the platform's transformations, with a :class:`CheckReport`.
The walk is the orchestrator; each rule is a module of :mod:`sandbox.disclosure.rules`:

- **Verified outputs** (raw-access jobs). A dict marked ``sdc_output`` whose id names an
  output the platform computed for the job (:mod:`sandbox.disclosure.verified`) and whose
  content is exactly that output's :meth:`~VerifiedOutput.to_output` is checked cell by
  cell against the facts the platform kept: ``redaction``, ``min_count``,
  ``dominance_nk``, ``dominance_p``, ``rounding`` and ``zeros`` (the combinations of key
  values it does not list: flagged for the reviewer, not blocking) for a table,
  ``min_dof`` for a regression. Failing and redacted cells get a line each (at most
  :data:`MAX_CELL_LINES` per rule and output; one more line counts the rest); the cells
  that pass a rule are summarised in one line per output (its statistic the weakest
  passing cell's).
- ``unverifiable`` (raw-access jobs): anything else the result holds fails without
  blocking: a human must look. One line per largest part holding no verified output.
- ``row_level`` (when ``no_row_level_output``): values equal to identifiers or rare
  sensitive values of the input (:mod:`sandbox.disclosure.inputs`), and dumps of input
  rows; in raw-access jobs also what cannot be shown to be aggregate: a computed list or
  dict of many entries, and a verified table whose cells mostly rest on one or two units.
- ``differencing`` (raw-access jobs): tables of the same spec as an earlier released
  output, or a companion, that differ by a few rows.
- ``table`` and ``figure`` (:mod:`sandbox.runtime.result_parts`): a table part's form is
  checked, then its rows as records, like any value the model built (above; in a DP job a
  ``table`` line fails without blocking: no table is released without a reviewer); a figure is
  decoded, refused or cleaned (:mod:`~sandbox.disclosure.rules.figures`) and always fails
  without blocking, in DP jobs too: no figure is released without a reviewer.
- ``max_cells``, ``max_bytes``: the statistics the result releases, and the bytes of its
  canonical JSON, above the limits fail (blocking).
- ``dp`` (DP jobs): the result is post-processing of DP releases; each release of the job
  gets a line with its mechanisms, what was charged and what was suppressed.

Every line names where it applied and the value of the statistic checked, never a data
value: cell labels and paths show identifiers and rare sensitive values as ``<withheld>``.
Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox.disclosure.facts import ReleasedOutputFacts
from sandbox.disclosure.inputs import InputValues, Matches, matches_in
from sandbox.disclosure.labels import cell_where, child_path, many, where_of
from sandbox.disclosure.model import CheckLine, CheckReport, Rule
from sandbox.disclosure.rules import figures, row_level, tables, unverifiable
from sandbox.disclosure.rules.differencing import differencing_lines
from sandbox.disclosure.rules.dominance import DominanceNK, DominanceP, shares_of
from sandbox.disclosure.rules.dp import ReleaseSummary, dp_line
from sandbox.disclosure.rules.min_count import MinCount
from sandbox.disclosure.rules.min_dof import min_dof_line
from sandbox.disclosure.rules.redaction import Redaction
from sandbox.disclosure.rules.rounding import rounded, rounding_line
from sandbox.disclosure.rules.size import max_bytes_line, max_cells_line
from sandbox.disclosure.rules.thresholds import MANY_RECORDS, RECORD_SUPPORT, Thresholds
from sandbox.disclosure.rules.zeros import zeros_lines
from sandbox.disclosure.verified.outputs import (
    VerifiedOutput,
    VerifiedRegression,
    VerifiedTable,
)
from sandbox.policies.model import RowCountRules
from sandbox.runtime.result_parts import FIGURE, PART, TABLE

__all__ = ["MARKER", "MAX_CELL_LINES", "canonical_json", "check_result"]

MARKER = "sdc_output"
"""The key marking a platform-computed output in a result."""
MAX_CELL_LINES = 100
"""Most lines one rule gives the cells of one output; the rest are counted in one line."""


def canonical_json(value: Any) -> bytes:
    """The canonical JSON bytes of a result (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _is_marker(value: Any) -> bool:
    return isinstance(value, Mapping) and MARKER in value


def _is_part(value: Any) -> bool:
    """A table or figure part (:mod:`sandbox.runtime.result_parts`)."""
    return isinstance(value, Mapping) and PART in value


def _has_marker(value: Any) -> bool:
    """Whether ``value`` holds a platform output or a table or figure part."""
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_marker(item) or _is_part(item):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _as_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(item) for item in value]
    return value


def _scalars(value: Any) -> tuple[int, int]:
    """The scalars (not null) and the dict keys a value holds."""
    scalars = keys = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            keys += len(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None:
            scalars += 1
    return scalars, keys


class _CellLines:
    """The cell lines of one output: at most :data:`MAX_CELL_LINES` per rule, the rest
    counted in one line per rule (:meth:`overflow`).
    """

    def __init__(self, lines: list[CheckLine]) -> None:
        self._lines = lines
        self._listed: dict[Rule, int] = {}
        self._unlisted: dict[Rule, tuple[int, CheckLine]] = {}

    def add(self, line: CheckLine | None) -> None:
        if line is None:
            return
        rule = line.rule
        if self._listed.get(rule, 0) < MAX_CELL_LINES:
            self._listed[rule] = self._listed.get(rule, 0) + 1
            self._lines.append(line)
        else:
            more, _ = self._unlisted.get(rule, (0, line))
            self._unlisted[rule] = (more + 1, line)

    def overflow(self, where: str) -> list[CheckLine]:
        return [
            CheckLine(
                rule,
                where,
                more,
                last.passed,
                last.blocking,
                f"{many(more, 'more cell')} like the {MAX_CELL_LINES} above (not listed)",
            )
            for rule, (more, last) in self._unlisted.items()
        ]


class _Walk:
    """One walk of a result: collects lines, counts cells, keeps the tables for differencing."""

    def __init__(
        self,
        *,
        verified: Mapping[str, VerifiedOutput],
        rules: Thresholds,
        matches: Matches,
        columns: Sequence[frozenset[str]],
        raw: bool,
    ) -> None:
        self.verified = verified
        self.rules = rules
        self.matches = matches
        self.columns = columns
        self.raw = raw
        self.lines: list[CheckLine] = []
        self.cells = 0
        self.tables: list[tuple[str, VerifiedTable]] = []
        self._outputs: dict[str, dict[str, Any]] = {}

    def add(self, line: CheckLine | None) -> None:
        if line is not None:
            self.lines.append(line)

    def visit(self, value: Any, path: str) -> Any:
        if _is_part(value):
            return self.part(value, path)
        if self.raw and _is_marker(value):
            return self.marker(value, path)
        if isinstance(value, Mapping | list | tuple) and _has_marker(value):
            items = value.values() if isinstance(value, Mapping) else value
            entries = sum(1 for item in items if not _has_marker(item))
            if self.raw and self.rules.no_row_level and entries >= MANY_RECORDS:
                self.add(row_level.entries_line(where_of(path), entries))
            if isinstance(value, Mapping):
                if self.raw and self.rules.no_row_level:
                    self.add(row_level.key_line(where_of(path), value, self.matches))
                return {
                    key: self.visit(item, child_path(path, key, self.matches))
                    for key, item in value.items()
                }
            return [self.visit(item, f"{path}[{index}]") for index, item in enumerate(value)]
        self.plain(value, path)
        return value

    def plain(self, value: Any, path: str, *, why: str = "") -> None:
        scalars, keys = _scalars(value)
        self.cells += scalars
        if self.raw and (scalars or keys):
            self.add(unverifiable.unverifiable_line(where_of(path), scalars + keys, why))
        if self.rules.no_row_level:
            self.lines += row_level.value_lines(where_of(path), value, self.matches, self.columns)
            if self.raw:
                self.add(row_level.records_line(value, path, self.matches))

    def part(self, value: Mapping[str, Any], path: str) -> Any:
        """A table or figure part: its form checked, then the rules of what it holds; the
        part as it would be released (a figure re-encoded by the platform).
        """
        where = where_of(path)
        if value.get(PART) == FIGURE:
            released, line = figures.check_figure(value, where)
            self.cells += 1
            self.add(line)
            return released if released is not None else value
        if value.get(PART) != TABLE:
            self.add(tables.malformed_line(where, "a part of an unknown kind"))
            return value
        try:
            table = tables.checked_table(value)
        except tables.TableRefused as exc:
            self.add(tables.malformed_line(where, str(exc)))
            return value
        self.plain(tables.records_of(table), path, why=tables.unverified_why(table))
        if not self.raw:  # post-processing of DP releases, yet a person looks at any table
            self.add(tables.reviewed_line(where, table))
        return table

    def marker(self, value: Mapping[str, Any], path: str) -> Any:
        output_id = value.get(MARKER)
        output = self.verified.get(output_id) if isinstance(output_id, str) else None
        if output is None:
            self.plain(value, path, why=unverifiable.NOT_OURS)
            return value
        assert isinstance(output_id, str)
        if output_id not in self._outputs:
            self._outputs[output_id] = output.to_output(output_id)
        if _as_json(value) != self._outputs[output_id]:
            self.plain(value, path, why=unverifiable.ALTERED)
            return value
        if isinstance(output, VerifiedTable):
            return self.table(output, output_id, path)
        if isinstance(output, VerifiedRegression):
            return self.regression(output, output_id, path)
        self.plain(value, path, why=unverifiable.UNKNOWN_KIND)
        return value

    def table(self, table: VerifiedTable, output_id: str, path: str) -> dict[str, Any]:
        """Apply the cell rules to a verified table; return it as it would be released."""
        rules = self.rules
        where = where_of(path)
        self.cells += table.statistics
        self.tables.append((path, table))
        redaction = Redaction(rules.redact)
        min_count = MinCount(rules.min_count, MinCount.basis_of(table.unit))
        nk = DominanceNK(rules.n, rules.k)
        p = DominanceP(rules.p)
        cell_lines = _CellLines(self.lines)
        rows: list[list[Any]] = []
        id_keys = tiny = 0
        for key, facts, cell in zip(table.keys, table.facts, table.cells, strict=True):
            row = [cell[name] for name in table.columns]
            id_keys += row_level.identifier_keys(key, self.matches)
            support = min(facts.count, facts.contributors)
            tiny += support <= RECORD_SUPPORT
            label = cell_where(path, table.key_columns, key, self.matches)
            if redaction.applies(support):
                cell_lines.add(redaction.cell(label, row, len(key)))
                rows.append(row)
                continue
            cell_lines.add(min_count.cell(label, support))
            if table.value is not None:
                share, ratio = shares_of(facts.top, facts.total, facts.contributors, rules.n)
                if share is not None:
                    cell_lines.add(nk.cell(label, share))
                if ratio is not None:
                    cell_lines.add(p.cell(label, ratio))
            count_index = len(key)
            if rules.rounding > 1:
                row[count_index] = rounded(int(row[count_index]), rules.rounding)
            rows.append(row)
        self.lines += cell_lines.overflow(where)
        for rule in (min_count, nk, p):
            self.add(rule.summary(where))
        self.lines += zeros_lines(path, table, self.matches, MAX_CELL_LINES)
        if rules.no_row_level:
            self.add(
                row_level.identifier_keys_line(where, id_keys)
                if id_keys
                else row_level.tiny_cells_line(where, tiny, len(table.cells))
            )
        released: dict[str, Any] = {**table.to_output(output_id), "rows": rows}
        if rules.rounding > 1 and len(rows) > redaction.redacted:
            self.add(rounding_line(where, rules.rounding))
            released["rounded_to"] = rules.rounding
        if redaction.redacted:
            released["redacted_at_or_below"] = rules.redact
        return released

    def regression(self, output: VerifiedRegression, output_id: str, path: str) -> dict[str, Any]:
        self.cells += output.statistics
        self.add(min_dof_line(where_of(path), output.dof_resid, self.rules.min_dof))
        return output.to_output(output_id)


def check_result(
    result: Any,
    *,
    verified: Mapping[str, VerifiedOutput],
    rules: RowCountRules,
    max_bytes: int,
    input_values: InputValues,
    earlier: Sequence[ReleasedOutputFacts],
    kind: str,
    dp_releases: Sequence[Mapping[str, Any]] | None = (),
) -> tuple[Any, CheckReport]:
    """Check a job's result (see the module doc).

    Args:
        result: What the model returned (JSON values).
        verified: The outputs the platform computed for the job, by id.
        rules: The strictest row-count rules of the job's datasets (unset rules take the
            platform defaults).
        max_bytes: Largest canonical JSON the released result may take.
        input_values: The job's input identifier and sensitive values.
        earlier: Facts of the released outputs on the job's datasets.
        kind: ``raw`` or ``dp``.
        dp_releases: A DP job's release reports, as stored (see
            :meth:`~sandbox.disclosure.rules.dp.ReleaseSummary.from_dict`).

    Returns:
        The result as it would be released (the platform's rounding and redaction applied
        to verified outputs) and the report.

    Raises:
        ValueError: ``kind`` is neither, or a release report is malformed.
    """
    if kind not in ("raw", "dp"):
        raise ValueError("kind must be 'raw' or 'dp'")
    releases = (
        [ReleaseSummary.from_dict(release) for release in dp_releases or ()] if kind == "dp" else []
    )
    effective = Thresholds.of(rules)
    matches = matches_in(result, input_values, max(effective.min_count, 2))
    walk = _Walk(
        verified=verified,
        rules=effective,
        matches=matches,
        columns=input_values.columns,
        raw=kind == "raw",
    )
    released = walk.visit(result, "")
    if kind == "raw":
        walk.lines += differencing_lines(walk.tables, earlier, effective.min_count, matches)
    else:
        walk.lines += [dp_line(index, release) for index, release in enumerate(releases)]
    walk.add(max_cells_line(walk.cells, effective.max_cells))
    try:
        size: int | None = len(canonical_json(released))
    except (TypeError, ValueError, RecursionError):
        size = None
    walk.add(max_bytes_line(size, max_bytes))
    return released, CheckReport(tuple(walk.lines))

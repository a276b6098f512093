"""The automated disclosure checks every result passes before it can be reviewed.

:func:`check_result` walks a job's result (JSON: dicts, lists, scalars) and returns it as
it would be released, after the platform's transformations, with a :class:`CheckReport`:

- **Verified outputs** (raw-access jobs). A dict marked ``sdc_output`` whose id names an
  output the platform computed for the job (:mod:`sandbox.disclosure.tables`) and whose
  content is exactly that output's :meth:`~VerifiedOutput.to_output` is checked cell by
  cell against the facts the platform kept:

  - ``min_count``: a cell resting on fewer than ``min_count`` rows fails (blocking). With a
    privacy unit, a cell rests on its rows or its distinct units, whichever is fewer;
  - ``redaction``: a cell resting on ``redact_at_or_below`` rows or fewer has its count and
    value replaced by ``null`` by the platform, and is recorded instead of failing;
  - ``rounding``: counts are rounded to multiples of ``rounding`` (one line per output);
  - ``dominance_nk``: in a sum or mean, the ``dominance_n`` largest contributors holding
    more than ``dominance_k`` percent of the cell's total (of absolute contributions,
    per privacy unit) fails (blocking);
  - ``dominance_p``: in a sum or mean, what the total holds beyond the two largest
    contributions being less than ``dominance_p`` percent of the largest fails (blocking:
    the second largest contributor could estimate the largest too closely);
  - ``min_dof``: a regression with fewer residual degrees of freedom fails (blocking).

  Failing and redacted cells get a line each (at most :data:`MAX_CELL_LINES` per rule and
  output; one more line counts the rest); the cells that pass a rule are summarised in one
  line per output (its statistic the weakest passing cell's).
- ``unverifiable`` (raw-access jobs): anything else the result holds (numbers, texts, a
  dict that is no verified output, a verified output the model altered) fails without
  blocking: a human must look. One line per largest part holding no verified output.
- ``row_level`` (when ``no_row_level_output``): a text equal to an identifier of the input,
  or a text or non-integer number equal to a sensitive value held by fewer than
  ``max(min_count, 2)`` rows of the input (see :func:`input_values`), fails (blocking), as
  does a list of dicts (or a dict of lists) whose keys hold every column of an input table
  (a dump of rows). Keys of verified outputs are only compared with identifiers: a table
  by a sensitive category is what the cell rules are for.
- ``differencing``: a verified table with the same rows, cols, value and aggregate as an
  earlier released output on the same dataset (or as another table of the same result) is
  flagged (non-blocking) when their populations differ by fewer than ``min_count`` rows,
  or when the counts of a cell of the same key differ by 1 to ``min_count - 1``.
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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.disclosure.model import CheckLine, CheckReport
from sandbox.disclosure.tables import (
    VerifiedOutput,
    VerifiedRegression,
    VerifiedTable,
)
from sandbox.policies.layering import platform_defaults
from sandbox.policies.model import RowCountRules

__all__ = [
    "MARKER",
    "WITHHELD",
    "InputValues",
    "ReleasedOutputFacts",
    "canonical_json",
    "check_result",
    "facts_from_dict",
    "facts_of",
    "facts_to_dict",
    "input_values",
]

MARKER = "sdc_output"
"""The key marking a platform-computed output in a result."""
WITHHELD = "<withheld>"
"""Shown in place of a key or label that equals an identifier or a rare sensitive value."""
_LABEL_CHARS = 40
MAX_CELL_LINES = 100
"""Most lines one rule gives the cells of one output; the rest are counted in one line."""


# --- Input values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputValues:
    """What a result is compared with to find row-level output.

    Held as Arrow arrays of distinct values, so memory is bounded by the distinct values
    of the named columns (never more than the input table the trusted side already holds),
    and each lookup is one vectorised set membership per column.
    """

    identifiers: tuple[pa.Array, ...] = ()
    """Distinct identifier values, as text."""
    sensitive_text: tuple[tuple[pa.Array, pa.Array], ...] = ()
    """Distinct sensitive values as text (texts, dates), with the rows holding each."""
    sensitive_numbers: tuple[tuple[pa.Array, pa.Array], ...] = ()
    """Distinct finite non-integer sensitive numbers, with the rows holding each."""
    columns: tuple[frozenset[str], ...] = ()
    """The column names of each input table."""

    def union(self, other: InputValues) -> InputValues:
        """The values of both inputs (a job reading several datasets)."""
        return InputValues(self.identifiers + other.identifiers,
                           self.sensitive_text + other.sensitive_text,
                           self.sensitive_numbers + other.sensitive_numbers,
                           self.columns + other.columns)


def _value_counts(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    counted = pc.value_counts(values.drop_null())
    return counted.field("values"), counted.field("counts")


def input_values(table: pa.Table | None, identifier_columns: Iterable[str],
                 sensitive_columns: Iterable[str]) -> InputValues:
    """The identifier and sensitive values of an input table (``None``: no input).

    Identifiers of any type are kept as text (``123`` as ``"123"``). Sensitive columns of
    text, dates or times are kept as text; of floating or decimal numbers, their finite
    non-integer values (integers would collide with every count); integer sensitive
    columns are not kept. Columns the table lacks are skipped.
    """
    if table is None:
        return InputValues()
    identifiers: list[pa.Array] = []
    text: list[tuple[pa.Array, pa.Array]] = []
    numbers: list[tuple[pa.Array, pa.Array]] = []
    for name in dict.fromkeys(identifier_columns):
        if name not in table.column_names:
            continue
        column = _plain(table.column(name))
        try:
            as_text = column.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        identifiers.append(pc.unique(as_text.drop_null()))
    for name in dict.fromkeys(sensitive_columns):
        if name not in table.column_names:
            continue
        column = _plain(table.column(name))
        kind = column.type
        if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            floats = column.cast(pa.float64())
            keep = pc.and_(pc.fill_null(pc.is_finite(floats), False),
                           pc.not_equal(floats, pc.floor(floats)))
            numbers.append(_value_counts(floats.filter(pc.fill_null(keep, False))))
        elif (pa.types.is_string(kind) or pa.types.is_large_string(kind)
              or pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
            text.append(_value_counts(column.cast(pa.string())))
    return InputValues(tuple(identifiers), tuple(text), tuple(numbers),
                       (frozenset(table.column_names),))


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array


@dataclass(frozen=True)
class _Matches:
    """The texts and numbers of one result that equal input values."""

    identifiers: frozenset[str] = frozenset()
    text: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()

    def bad(self, value: object) -> bool:
        """Whether ``value`` equals an identifier or a rare sensitive value."""
        if isinstance(value, str):
            return value in self.identifiers or value in self.text
        if isinstance(value, float):
            return value in self.numbers
        return False


def _collect(value: Any, texts: set[str], numbers: set[float]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.add(item)
        elif isinstance(item, float):
            if math.isfinite(item) and not item.is_integer():
                numbers.add(item)
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                if isinstance(key, str):
                    texts.add(key)
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _hits(candidates: pa.Array, value_sets: Iterable[pa.Array]) -> set[Any]:
    found: set[Any] = set()
    if len(candidates) == 0:
        return found
    for value_set in value_sets:
        if len(value_set) == 0:
            continue
        found.update(candidates.filter(pc.is_in(candidates, value_set=value_set)).to_pylist())
    return found


def _matches(result: Any, values: InputValues, rare_below: int) -> _Matches:
    texts: set[str] = set()
    numbers: set[float] = set()
    _collect(result, texts, numbers)
    text_array = pa.array(sorted(texts), type=pa.string())
    number_array = pa.array(sorted(numbers), type=pa.float64())

    def rare(pairs: Iterable[tuple[pa.Array, pa.Array]]) -> list[pa.Array]:
        return [values_.filter(pc.less(counts, rare_below)) for values_, counts in pairs]

    return _Matches(
        identifiers=frozenset(_hits(text_array, values.identifiers)),
        text=frozenset(_hits(text_array, rare(values.sensitive_text))),
        numbers=frozenset(_hits(number_array, rare(values.sensitive_numbers))),
    )


# --- Facts of released outputs ------------------------------------------------------------------


@dataclass(frozen=True)
class ReleasedOutputFacts:
    """What differencing needs of a released verified output (kept with its job)."""

    kind: str
    """``crosstab`` or ``regression``."""
    spec: Mapping[str, Any]
    """What was asked for (JSON form: rows, cols, value, agg, where; or y, x, where)."""
    population: int
    """Rows the output rests on."""
    cells: Mapping[tuple[Any, ...], int] = field(default_factory=dict)
    """Each cell's exact row count, by key values."""
    dataset: str | None = None
    """The dataset it was computed from, where known (outputs of other datasets are not
    compared)."""


def facts_of(output: VerifiedOutput, dataset: str | None = None) -> ReleasedOutputFacts:
    """The differencing facts of a verified output."""
    cells: dict[tuple[Any, ...], int] = {}
    if isinstance(output, VerifiedTable):
        cells = {key: facts.count for key, facts in zip(output.keys, output.facts, strict=True)}
        population = output.population
    elif isinstance(output, VerifiedRegression):
        population = output.n
    else:
        raise TypeError("facts_of() takes a verified table or regression")
    return ReleasedOutputFacts(kind=output.kind, spec=output.spec, population=population,
                               cells=cells, dataset=dataset)


def facts_to_dict(facts: ReleasedOutputFacts) -> dict[str, Any]:
    """JSON-ready form of :class:`ReleasedOutputFacts`."""
    return {"kind": facts.kind, "spec": dict(facts.spec), "population": facts.population,
            "cells": [[list(key), count] for key, count in facts.cells.items()],
            "dataset": facts.dataset}


def facts_from_dict(data: Mapping[str, Any]) -> ReleasedOutputFacts:
    """The facts of :func:`facts_to_dict`'s form.

    Raises:
        ValueError: The mapping is not of that form.
    """
    try:
        kind, spec, population = data["kind"], data["spec"], data["population"]
        cells = {tuple(key): int(count) for key, count in data.get("cells", [])}
        dataset = data.get("dataset")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"released output facts are malformed: {type(exc).__name__}"
                         ) from None
    if (not isinstance(kind, str) or not isinstance(spec, Mapping)
            or type(population) is not int or not (dataset is None or isinstance(dataset, str))):
        raise ValueError("released output facts are malformed")
    return ReleasedOutputFacts(kind=kind, spec=dict(spec), population=population,
                               cells=cells, dataset=dataset)


def _same_table(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(a.get(name) == b.get(name) for name in ("rows", "cols", "value", "agg"))


# --- The walk -----------------------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The canonical JSON bytes of a result (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _is_marker(value: Any) -> bool:
    return isinstance(value, Mapping) and MARKER in value


def _has_marker(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_marker(item):
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


def _bad_values(value: Any, matches: _Matches) -> int:
    found = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            found += sum(1 for key in item if matches.bad(key))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif matches.bad(item):
            found += 1
    return found


def _row_dumps(value: Any, tables: Sequence[frozenset[str]]) -> int:
    """Rows of an input table the value holds: dicts in a list (or a dict of lists) whose
    keys cover every column of a table of at least two columns.
    """
    tables = [columns for columns in tables if len(columns) >= 2]
    if not tables:
        return 0

    def covers(keys: Iterable[Any]) -> bool:
        names = {key for key in keys if isinstance(key, str)}
        return any(columns <= names for columns in tables)

    found = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if covers(item) and any(isinstance(v, list | tuple) for v in item.values()):
                found += 1
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            found += sum(1 for x in item if isinstance(x, Mapping) and covers(x))
            stack.extend(item)
    return found


def _label(value: Any, matches: _Matches) -> str:
    if matches.bad(value):
        return WITHHELD
    text = "null" if value is None else json.dumps(value) if isinstance(value, bool) else (
        value if isinstance(value, str) else str(value))
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS] + "..."


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _share(value: float) -> float:
    return round(value, 2)


def _rounded(count: int, multiple: int) -> int:
    return multiple * round(count / multiple)


@dataclass
class _Rules:
    min_count: int
    rounding: int
    max_cells: int
    no_row_level: bool
    n: int
    k: int
    p: int
    min_dof: int
    redact: int

    @classmethod
    def of(cls, rules: RowCountRules) -> _Rules:
        default = platform_defaults().row_count

        def get(name: str) -> Any:
            value = getattr(rules, name)
            return getattr(default, name) if value is None else value

        return cls(min_count=get("min_count"), rounding=get("rounding"),
                   max_cells=get("max_output_cells"), no_row_level=get("no_row_level_output"),
                   n=get("dominance_n"), k=get("dominance_k"), p=get("dominance_p"),
                   min_dof=get("min_dof"), redact=get("redact_at_or_below"))


class _Walk:
    """One walk of a result: collects lines, counts cells, keeps the tables for differencing."""

    def __init__(self, *, verified: Mapping[str, VerifiedOutput], rules: _Rules,
                 matches: _Matches, columns: Sequence[frozenset[str]], raw: bool) -> None:
        self.verified = verified
        self.rules = rules
        self.matches = matches
        self.columns = columns
        self.raw = raw
        self.lines: list[CheckLine] = []
        self.cells = 0
        self.tables: list[tuple[str, VerifiedTable]] = []
        self._outputs: dict[str, dict[str, Any]] = {}

    # Paths -------------------------------------------------------------------------------------

    def child(self, path: str, key: Any) -> str:
        label = _label(key, self.matches)
        return label if not path else f"{path}.{label}"

    @staticmethod
    def where(path: str) -> str:
        return path or "result"

    def line(self, rule: str, where: str, statistic: Any, passed: bool, blocking: bool,
             note: str) -> None:
        self.lines.append(CheckLine(rule, where, statistic, passed, blocking, note))

    # Walking -----------------------------------------------------------------------------------

    def visit(self, value: Any, path: str) -> Any:
        if self.raw and _is_marker(value):
            return self.marker(value, path)
        if self.raw and isinstance(value, Mapping | list | tuple) and _has_marker(value):
            if isinstance(value, Mapping):
                self.row_level_keys(value, path)
                return {key: self.visit(item, self.child(path, key))
                        for key, item in value.items()}
            return [self.visit(item, f"{path}[{index}]") for index, item in enumerate(value)]
        self.plain(value, path)
        return value

    def row_level_keys(self, value: Mapping[str, Any], path: str) -> None:
        if not self.rules.no_row_level:
            return
        found = sum(1 for key in value if self.matches.bad(key))
        if found:
            self.line("row_level", self.where(path), found, False, True,
                      f"{_many(found, 'key')} equal to identifiers or rare sensitive values of "
                      "the input")

    def plain(self, value: Any, path: str, *, why: str = "") -> None:
        scalars, keys = _scalars(value)
        self.cells += scalars
        if self.raw and (scalars or keys):
            self.line("unverifiable", self.where(path), scalars + keys, False, False,
                      why or f"{_many(scalars + keys, 'value')} the platform did not "
                      "compute: a reviewer must check them")
        if not self.rules.no_row_level:
            return
        found = _bad_values(value, self.matches)
        if found:
            self.line("row_level", self.where(path), found, False, True,
                      f"{_many(found, 'value')} equal to identifiers or rare sensitive "
                      "values of the input")
        dumps = _row_dumps(value, self.columns)
        if dumps:
            self.line("row_level", self.where(path), dumps, False, True,
                      f"{_many(dumps, 'row')} holding every column of an input table")

    def marker(self, value: Mapping[str, Any], path: str) -> Any:
        output_id = value.get(MARKER)
        output = self.verified.get(output_id) if isinstance(output_id, str) else None
        if output is None:
            self.plain(value, path, why="marked as a platform output, but not one this job's "
                       "helpers computed: a reviewer must check it")
            return value
        assert isinstance(output_id, str)
        if output_id not in self._outputs:
            self._outputs[output_id] = output.to_output(output_id)
        if _as_json(value) != self._outputs[output_id]:
            self.plain(value, path, why="a platform output the model altered: it can no "
                       "longer be verified; a reviewer must check it")
            return value
        if isinstance(output, VerifiedTable):
            return self.table(output, output_id, path)
        if isinstance(output, VerifiedRegression):
            return self.regression(output, output_id, path)
        self.plain(value, path, why="an output of a kind the checks do not know")
        return value

    # Verified outputs --------------------------------------------------------------------------

    def cell_where(self, table: VerifiedTable, key: tuple[Any, ...], path: str) -> str:
        where = self.where(path)
        if not key:
            return f"{where}[all rows]"
        labels = ", ".join(f"{column}={_label(value, self.matches)}"
                           for column, value in zip(table.key_columns, key, strict=True))
        return f"{where}[{labels}]"

    def table(self, table: VerifiedTable, output_id: str, path: str) -> dict[str, Any]:
        rules = self.rules
        where = self.where(path)
        self.cells += table.statistics
        self.tables.append((path, table))
        basis = "rows" if table.unit is None else "rows or units (the fewer)"
        rows: list[list[Any]] = []
        redacted = 0
        passing_counts: list[int] = []
        shares: list[float] = []
        ratios: list[float] = []
        id_keys = 0
        listed: dict[str, int] = {}
        unlisted: dict[str, tuple[int, CheckLine]] = {}

        def cell_line(rule: str, label: str, statistic: Any, passed: bool, blocking: bool,
                      note: str) -> None:
            line = CheckLine(rule, label, statistic, passed, blocking, note)
            if listed.get(rule, 0) < MAX_CELL_LINES:
                listed[rule] = listed.get(rule, 0) + 1
                self.lines.append(line)
            else:
                more, _ = unlisted.get(rule, (0, line))
                unlisted[rule] = (more + 1, line)

        for key, facts, cell in zip(table.keys, table.facts, table.cells, strict=True):
            row = [cell[name] for name in table.columns]
            id_keys += sum(1 for v in key if isinstance(v, str) and v in self.matches.identifiers)
            support = min(facts.count, facts.contributors)
            label = self.cell_where(table, key, path)
            if support <= rules.redact:
                redacted += 1
                for index in range(len(key), len(row)):
                    row[index] = None
                cell_line("redaction", label, rules.redact, True, False,
                          f"count at or below {rules.redact}: count and value redacted by "
                          "the platform")
                rows.append(row)
                continue
            if support < rules.min_count:
                cell_line("min_count", label, support, False, True,
                          f"rests on {support} {basis}; the policy asks at least "
                          f"{rules.min_count}")
            else:
                passing_counts.append(support)
            if table.value is not None:
                share, ratio = self.dominance(facts.top, facts.total, facts.contributors)
                if share is not None:
                    if share > rules.k:
                        cell_line("dominance_nk", label, _share(share), False, True,
                                  f"the {rules.n} largest contributors hold {_share(share)}% "
                                  f"of the cell; the policy allows at most {rules.k}%")
                    else:
                        shares.append(share)
                if ratio is not None:
                    if ratio < rules.p:
                        cell_line("dominance_p", label, _share(ratio), False, True,
                                  "beyond the two largest contributions the cell holds "
                                  f"{_share(ratio)}% of the largest; the policy asks at least "
                                  f"{rules.p}%")
                    else:
                        ratios.append(ratio)
            count_index = len(key)
            if rules.rounding > 1:
                row[count_index] = _rounded(int(row[count_index]), rules.rounding)
            rows.append(row)
        for rule, (more, last) in unlisted.items():
            self.line(rule, where, more, last.passed, last.blocking,
                      f"{_many(more, 'more cell')} like the {MAX_CELL_LINES} above (not listed)")
        if passing_counts:
            self.line("min_count", where, min(passing_counts), True, True,
                      f"{_many(len(passing_counts), 'cell')} resting on at least "
                      f"{rules.min_count} {basis}")
        if shares:
            self.line("dominance_nk", where, _share(max(shares)), True, True,
                      f"{_many(len(shares), 'cell')}: the {rules.n} largest contributors "
                      f"hold at most {rules.k}%")
        if ratios:
            self.line("dominance_p", where, _share(min(ratios)), True, True,
                      f"{_many(len(ratios), 'cell')}: beyond the two largest contributions "
                      f"at least {rules.p}% of the largest")
        if id_keys and rules.no_row_level:
            self.line("row_level", where, id_keys, False, True,
                      f"{_many(id_keys, 'key value')} equal to identifiers of the input")
        released: dict[str, Any] = {**table.to_output(output_id), "rows": rows}
        if rules.rounding > 1 and len(rows) > redacted:
            self.line("rounding", where, rules.rounding, True, False,
                      f"counts rounded to multiples of {rules.rounding} by the platform")
            released["rounded_to"] = rules.rounding
        if redacted:
            released["redacted_at_or_below"] = rules.redact
        return released

    def dominance(self, top: tuple[float, ...], total: float | None, contributors: int
                  ) -> tuple[float | None, float | None]:
        """The top-n share of the total and the p% ratio, in percent (``None``: no total)."""
        if total is None or total <= 0 or not top:
            return None, None
        n = self.rules.n
        top_n = sum(top[:n])
        if n > len(top) and contributors > len(top):
            top_n += (n - len(top)) * top[-1]  # an upper bound: the rest are no larger
        share = min(100.0, 100.0 * top_n / total)
        top1 = top[0]
        top2 = top[1] if len(top) > 1 else 0.0
        remainder = max(0.0, total - top1 - top2)
        ratio = 100.0 * remainder / top1 if top1 > 0 else None
        return share, ratio

    def regression(self, output: VerifiedRegression, output_id: str, path: str
                   ) -> dict[str, Any]:
        self.cells += output.statistics
        dof = output.dof_resid
        passed = dof >= self.rules.min_dof
        self.line("min_dof", self.where(path), dof, passed, True,
                  f"{dof} residual degrees of freedom; the policy asks at least "
                  f"{self.rules.min_dof}")
        return output.to_output(output_id)


def _differencing(walk: _Walk, earlier: Sequence[ReleasedOutputFacts], minimum: int) -> None:
    if minimum <= 1:
        return
    seen: list[ReleasedOutputFacts] = list(earlier)
    for path, table in walk.tables:
        new = facts_of(table)
        where = walk.where(path)
        for old in seen:
            if old.kind != new.kind or not _same_table(old.spec, new.spec):
                continue
            if old.dataset is not None and new.dataset is not None and old.dataset != new.dataset:
                continue
            gap = abs(new.population - old.population)
            if 0 < gap < minimum:
                walk.line("differencing", where, gap, False, False,
                          f"its population differs by {_many(gap, 'row')} from an earlier or "
                          "companion output of the same table: a reviewer must check the "
                          "difference discloses no one")
            for key, count in new.cells.items():
                before = old.cells.get(key)
                if before is None:
                    continue
                diff = abs(count - before)
                if 0 < diff < minimum:
                    walk.line("differencing", walk.cell_where(table, key, path), diff, False,
                              False, f"its count differs by {diff} from the same cell of an "
                              "earlier or companion output of the same table")
        seen.append(new)


def _dp_line(index: int, release: Mapping[str, Any]) -> CheckLine:
    dataset = str(release.get("dataset", "?"))
    operation = str(release.get("operation", "?"))
    mechanisms = []
    for mechanism in release.get("mechanisms") or ():
        if isinstance(mechanism, Mapping):
            name = str(mechanism.get("mechanism", "?"))
            part = mechanism.get("part")
            mechanisms.append(f"{name} ({part})" if part else name)
        else:
            mechanisms.append(str(mechanism))
    charged = release.get("charged")
    if charged is None and "loss" in release:
        charged = f"epsilon {release.get('loss')}, delta {release.get('delta', 0)}"
    suppressed = release.get("suppressed", 0)
    truncated = release.get("truncated", 0)
    note = (f"{dataset} {operation}: mechanisms {', '.join(mechanisms) or 'none reported'}; "
            f"charged {charged}; suppressed groups {suppressed}")
    if truncated:
        note += f"; groups dropped to fit max_output_cells {truncated}"
    statistic = str(charged) if charged is not None else None
    return CheckLine("dp", f"release {index + 1}", statistic, True, False, note)


def check_result(result: Any, *, verified: Mapping[str, VerifiedOutput], rules: RowCountRules,
                 max_bytes: int, input_values: InputValues,
                 earlier: Sequence[ReleasedOutputFacts], kind: str,
                 dp_releases: Sequence[Mapping[str, Any]] | None = ()
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
        dp_releases: A DP job's release reports.

    Returns:
        The result as it would be released (the platform's rounding and redaction applied
        to verified outputs) and the report.
    """
    if kind not in ("raw", "dp"):
        raise ValueError("kind must be 'raw' or 'dp'")
    effective = _Rules.of(rules)
    matches = _matches(result, input_values, max(effective.min_count, 2))
    walk = _Walk(verified=verified, rules=effective, matches=matches,
                 columns=input_values.columns, raw=kind == "raw")
    released = walk.visit(result, "")
    if kind == "raw":
        _differencing(walk, earlier, effective.min_count)
    else:
        for index, release in enumerate(dp_releases or ()):
            walk.lines.append(_dp_line(index, release))
    walk.line("max_cells", "result", walk.cells, walk.cells <= effective.max_cells, True,
              f"{walk.cells} statistics released; the policy allows at most "
              f"{effective.max_cells}")
    try:
        size: int | None = len(canonical_json(released))
    except (TypeError, ValueError, RecursionError):
        size = None
    if size is None:
        walk.line("max_bytes", "result", None, False, True, "the result is not plain JSON")
    else:
        walk.line("max_bytes", "result", size, size <= max_bytes, True,
                  f"{size} bytes of JSON; the limit is {max_bytes}")
    return released, CheckReport(tuple(walk.lines))

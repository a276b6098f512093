"""Planning a query's joins: their arguments, the joined columns and their stability.

Two joins, following Tumult Analytics' ``join_private`` and ``join_public``:

*Private join* of two conditional datasets of the same grant on their shared privacy unit
(``visits.join(benefits, on="person_id", truncate=2)``). Each side is first truncated to at
most ``k`` rows per unit (``truncate``: one ``k`` for both or ``[k_left, k_right]``, each at
most its dataset's contribution bound, which is the default); a unit's ``k_left`` rows then
meet at most its ``k_right`` rows, so it has at most ``k_left * k_right`` joined rows, and
no other unit's rows change when it is added or removed (the key *is* the unit). ``bound``
bounds the joined rows per unit again, after the join (contribution bounding applied to the
joined rows, as Tumult's ``MaxRowsPerID`` after a join); the plan calibrates every
measurement at ``min(bound, k_left * k_right)``. Both datasets' budgets are charged.

*Public join* with a lookup table: an unconditional, open dataset of the catalog, joined on
a column both have (``inner``, or ``left`` to keep rows without a match). Each row meets at
most ``m`` rows of the table, ``m`` the table's most rows per key (public: the table is
unconditional), so a unit's ``c`` rows become at most ``c * m`` (Tumult's ``PublicJoin``
stability, ``d_in`` times the largest count of a key); with one row per key the join is
1-stable. The table's columns join the rows; its text columns' values are public, so they
become declared categories (public group keys, no partition selection).

Columns both sides have besides the key are renamed ``<name>_left`` and ``<name>_right``
(Tumult's rule). Joins come first: a handle with a filter, derived columns or group keys is
not joined (filter, derive and group the joined rows instead), and one private join per
query.

OpenDP ships the truncation and join stability maps only in its Polars API, which this
project does not install; the two bounds above are therefore the documented ones (the
arguments are the ones of OpenDP's ``make_stable_truncate`` and Tumult's join stability
functions), stated in each release's ``transformations`` with the bound that was used.
Every refusal here names the call, the column and the rule, and is decided before anything
is read or charged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.catalog.dictionary import (
    COLUMN_NAME,
    MAX_CATEGORIES,
    ColumnSpec,
    ColumnType,
    DataDictionary,
)
from sandbox.engine.joining import Renaming
from sandbox.engine.stability import StabilityStep
from sandbox.engine.validation import InvalidQuery, column_name

MAX_PUBLIC_ROWS = 1_000_000
"""Most rows of a public table: every join task reads it whole."""
MAX_MULTIPLICITY = 100
"""Most rows of a public table per key: each multiplies the noise a release needs."""
HOWS = ("inner", "left")
SUFFIXES = ("_left", "_right")

PRIVATE = "join"
PUBLIC = "join_public"
"""The calls' names, which every refusal starts with."""


def refuse(call: str, text: str) -> InvalidQuery:
    """A refusal of ``call`` (``join(): ...``)."""
    return InvalidQuery(f"{call}(): {text}")


def key_column(call: str, on: object, dictionary: DataDictionary, dataset: str) -> ColumnSpec:
    """The join key ``on`` in the dictionary of ``dataset``."""
    if on is None:
        raise refuse(call, "needs on=<the column to join on>")
    try:
        name = column_name(on, "on")
    except InvalidQuery as exc:
        raise refuse(call, exc.message) from None
    spec = dictionary.by_name.get(name)
    if spec is None:
        raise refuse(call, f"dataset {dataset!r} has no column {name!r}")
    return spec


def same_key_type(
    call: str, left: ColumnSpec, right: ColumnSpec, datasets: tuple[str, str]
) -> None:
    """Refuse a key whose two columns have different types (they would never match)."""
    if left.type is not right.type:
        raise refuse(
            call,
            f"column {left.name!r} is {left.type} in {datasets[0]!r} and "
            f"{right.type} in {datasets[1]!r}: the key must have one type",
        )


def truncation_of(
    value: object, bounds: tuple[int, int], datasets: tuple[str, str]
) -> tuple[int, int]:
    """``truncate``: ``None`` (each side's contribution bound), ``k`` or ``[k_l, k_r]``."""
    if value is None:
        return bounds
    if type(value) is int:
        chosen: tuple[object, ...] = (value, value)
    elif type(value) in (list, tuple) and len(value) == 2:  # type: ignore[arg-type]
        chosen = tuple(value)  # type: ignore[arg-type]
    else:
        raise refuse(
            PRIVATE, "truncate must be a number of rows per unit, or a list of two (one per side)"
        )
    out: list[int] = []
    for k, most, name in zip(chosen, bounds, datasets, strict=True):
        if type(k) is not int or k < 1:
            raise refuse(PRIVATE, "truncate takes whole numbers of rows of at least 1")
        if k > most:
            raise refuse(
                PRIVATE,
                f"truncate for {name!r} may be at most its policy's contribution bound ({most})",
            )
        out.append(k)
    return out[0], out[1]


def bound_of(value: object) -> int | None:
    """``bound``: joined rows kept per unit after the join, or ``None``."""
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise refuse(PRIVATE, "bound must be a whole number of joined rows of at least 1")
    return value


def how_of(value: object) -> str:
    """``how`` of a public join: ``inner`` or ``left``."""
    if type(value) is not str or value not in HOWS:
        raise refuse(PUBLIC, "how must be 'inner' or 'left'")
    return value


def merged(
    call: str, left: DataDictionary, right: Sequence[ColumnSpec], on: str
) -> tuple[DataDictionary, Renaming, Renaming]:
    """The joined rows' dictionary: the left columns, then the right ones but its key.

    Returns the dictionary and the two sides' renamings (``(stored, joined)`` names).
    """
    right = [spec for spec in right if spec.name != on]
    shared = {spec.name for spec in left.columns} & {spec.name for spec in right}
    taken = {spec.name for spec in left.columns} | {spec.name for spec in right}
    columns: list[ColumnSpec] = []
    renamings: list[list[tuple[str, str]]] = [[], []]
    for side, (specs, suffix) in enumerate(((left.columns, SUFFIXES[0]), (right, SUFFIXES[1]))):
        for spec in specs:
            name = spec.name
            if name in shared:
                name = spec.name + suffix
                if name in taken or not COLUMN_NAME.match(name):
                    raise refuse(
                        call,
                        f"column {spec.name!r} is on both sides and cannot "
                        f"be renamed {name!r} (that name is taken or too "
                        "long)",
                    )
            columns.append(replace(spec, name=name))
            renamings[side].append((spec.name, name))
    return (DataDictionary(tuple(columns)), tuple(renamings[0]), tuple(renamings[1]))


def private_steps(
    datasets: tuple[str, str], unit: str, truncate: tuple[int, int], bound: int | None
) -> tuple[StabilityStep, ...]:
    """The private join's transformations, each with the most rows a unit has after it."""
    k_left, k_right = truncate
    most = k_left * k_right
    detail: dict[str, Any] = {"datasets": list(datasets), "on": unit, "truncate": [k_left, k_right]}
    steps = [
        StabilityStep(
            f"truncate {datasets[0]} to {k_left} rows per {unit}",
            k_left,
            f"contribution bounding keeps at most {k_left} rows per unit",
        ),
        StabilityStep(
            f"truncate {datasets[1]} to {k_right} rows per {unit}",
            k_right,
            f"contribution bounding keeps at most {k_right} rows per unit",
        ),
        StabilityStep(
            f"join {datasets[0]} and {datasets[1]} on {unit}",
            most,
            f"documented bound (OpenDP's truncation and join maps are in its "
            f"Polars API, not installed): a unit's {k_left} rows meet at most its "
            f"{k_right}, {most} joined rows; no other unit's rows change",
            detail,
        ),
    ]
    if bound is not None and bound < most:
        steps.append(
            StabilityStep(
                f"bound joined rows by {unit}",
                bound,
                f"contribution bounding keeps at most {bound} joined rows per unit",
                {"bound": bound},
            )
        )
    return tuple(steps)


def public_step(distance: int, table: str, on: str, how: str, multiplicity: int) -> StabilityStep:
    """The public join's transformation: ``distance`` rows become ``distance * m``."""
    rows = distance * multiplicity
    return StabilityStep(
        f"join_public {table} on {on} ({how})",
        rows,
        f"documented bound (Tumult's PublicJoin stability; no OpenDP map without Polars): "
        f"each row meets at most {multiplicity} rows of {table} (its most rows per key, "
        f"public), so {distance} rows per unit become at most {rows}",
        {"table": table, "on": on, "how": how, "rows_per_key": multiplicity},
    )


def multiplicity_of(keys: pa.ChunkedArray, table: str, on: str) -> int:
    """The public table's most rows per (non-null) key; at least 1, at most the cap."""
    valid = pc.drop_null(keys)
    counts = pc.value_counts(valid).field("counts") if len(valid) else pa.array([], pa.int64())
    most = max(1, int(pc.max(counts).as_py() or 1)) if len(counts) else 1
    if most > MAX_MULTIPLICITY:
        raise refuse(
            PUBLIC,
            f"table {table!r} has up to {most} rows per value of {on!r}; "
            f"a public table may have at most {MAX_MULTIPLICITY}",
        )
    return most


def public_columns(
    dictionary: DataDictionary, values: Mapping[str, pa.ChunkedArray]
) -> tuple[ColumnSpec, ...]:
    """The public table's columns, its text columns' values as declared categories.

    ``values`` holds the text columns without declared categories, read from the table
    (public data); a column with more than the dictionary's limit of categories, or none,
    keeps none (it is grouped with partition selection, as any undeclared key).
    """
    out: list[ColumnSpec] = []
    for spec in dictionary.columns:
        column = values.get(spec.name)
        if spec.type is ColumnType.STRING and spec.categories is None and column is not None:
            found = sorted(str(v) for v in pc.unique(pc.drop_null(column)).to_pylist())
            if 0 < len(found) <= MAX_CATEGORIES:
                spec = replace(spec, categories=tuple(found))
        out.append(spec)
    return tuple(out)

"""Tables and figures in a model's result: their wire form, made on the untrusted side.

The channel carries JSON only (:mod:`sandbox.runtime.channel`), so a result holding a pandas
DataFrame, a pyarrow Table or a matplotlib Figure is encoded here, inside the sandbox, into
plain *parts* the trusted side decodes and checks again from scratch
(:mod:`sandbox.disclosure.rules.tables`, :mod:`sandbox.disclosure.rules.figures`): nothing
this side writes is trusted.

- A **table part**: ``{"result_part": "table", "schema": [{"name", "type"}], "columns",
  "rows"}``: the Arrow schema's names and types, and the rows as lists in column order
  (JSON columnar enough for the client's ``to_pandas``/``to_arrow``, the server's CSV and
  Parquet downloads, and a reviewer reading it). Dates and times travel as ISO text, NaN
  as ``null``; nested and binary columns are refused.
- A **figure part**: ``{"result_part": "figure", "name", "media_type", "base64"}``: PNG or
  SVG bytes as matplotlib wrote them, at most :data:`MAX_FIGURE_BYTES` and
  :data:`MAX_FIGURE_SIDE` pixels a side. ``ctx.figure(fig, name="income.png")`` makes one;
  a bare Figure in a result is drawn as PNG, named after where it sits.
- A DataFrame made by ``ctx.crosstab(..., as_frame=True)`` and returned unchanged travels as
  the platform's own output (``sdc_output``), so its cells are still checked one by one.

The module imports only the standard library at its top: the restricted profile's root has
no pandas, numpy or matplotlib, and values of those types cannot exist there.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "FIGURE",
    "FIGURE_NAME",
    "MAX_FIGURE_BYTES",
    "MAX_FIGURE_SIDE",
    "MEDIA_TYPES",
    "PART",
    "TABLE",
    "TABLE_TYPES",
    "encode_result",
    "figure_part",
    "helper_names",
    "plain_value",
    "table_part",
]

PART = "result_part"
"""The key marking a table or figure part of a result."""
TABLE = "table"
FIGURE = "figure"
MEDIA_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
"""A figure's name suffix and its media type: the only figure kinds a result may hold."""
MAX_FIGURE_BYTES = 1024 * 1024
"""Largest figure file (PNG or SVG bytes, before base64)."""
MAX_FIGURE_SIDE = 4096
"""Most pixels a figure may have on a side (a PNG's width and height; an SVG's canvas)."""
DEFAULT_DPI = 100
FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.,()+-]{0,199}$")
"""A figure's name: a file name of letters, digits and simple punctuation (it becomes the
downloaded file's name)."""
TABLE_TYPES = frozenset(
    {"null", "bool", "string", "large_string", "double", "float", "halffloat", "date32[day]"}
    | {f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)}
)
"""Arrow types a table part's columns may have (timestamps are named by their unit and zone,
``timestamp[...]``, and accepted too)."""


def _kind(value: object) -> str:
    """The module and class of ``value``: its library's types are recognised by name, so that
    none of them need be imported to tell (the restricted root has none).
    """
    cls = type(value)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def plain_value(value: Any) -> Any:
    """A NumPy scalar or array as plain Python (``numpy.float64(3.5)`` is ``3.5``); anything
    else as it is.
    """
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def _is_frame(value: object) -> bool:
    return _kind(value) in ("pandas.DataFrame", "pandas.Series")


def _is_arrow_table(value: object) -> bool:
    return _kind(value) in ("pyarrow.Table", "pyarrow.RecordBatch")


def _is_figure(value: object) -> bool:
    return _kind(value) in ("matplotlib.Figure", "matplotlib.SubFigure")


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (pandas' missing value) and infinities are JSON's null
    return value


def _arrow_of(value: Any) -> Any:
    import pyarrow as pa

    if _is_arrow_table(value):
        return pa.table(value) if _kind(value) == "pyarrow.RecordBatch" else value
    frame = value.to_frame() if _kind(value) == "pandas.Series" else value
    if not _default_index(frame):
        frame = frame.reset_index()
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError("a table in the result has two columns of the same name")
    frame = frame.set_axis(names, axis=1)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _default_index(frame: Any) -> bool:
    import pandas as pd

    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def table_part(value: Any) -> dict[str, Any]:
    """The table part of a pandas DataFrame or Series (its index kept as columns unless it
    is the default one) or a pyarrow Table.

    Raises:
        TypeError: A column holds nested or binary values (no part can carry them).
        ValueError: Two columns share a name.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = _arrow_of(value)
    schema, columns = [], []
    for field, column in zip(table.schema, table.columns, strict=True):
        kind = field.type
        if pa.types.is_dictionary(kind):
            kind, column = kind.value_type, column.cast(kind.value_type)
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_time(kind):
            values = [None if v is None else v.isoformat() for v in column.to_pylist()]
        elif pa.types.is_decimal(kind):
            kind, values = pa.float64(), pc.cast(column, pa.float64()).to_pylist()
        elif str(kind) in TABLE_TYPES:
            values = [_cell(v) for v in column.to_pylist()]
        else:
            raise TypeError(
                f"column {field.name!r} of a table in the result is of type {kind}: "
                "a table may hold numbers, text, booleans, dates and times"
            )
        schema.append({"name": str(field.name), "type": str(kind)})
        columns.append(values)
    rows = [list(row) for row in zip(*columns, strict=True)] if columns else []
    return {
        PART: TABLE,
        "schema": schema,
        "columns": [field["name"] for field in schema],
        "rows": rows,
    }


def _png_side_check(figure: Any, dpi: float) -> None:
    width, height = (float(v) * dpi for v in figure.get_size_inches())
    if max(width, height) > MAX_FIGURE_SIDE:
        raise ValueError(
            f"the figure would be {width:.0f} x {height:.0f} pixels: at most "
            f"{MAX_FIGURE_SIDE} pixels a side are released (make it smaller or lower its dpi)"
        )


def figure_part(figure: Any, name: str = "figure.png", dpi: float | None = None) -> dict[str, Any]:
    """The figure part of a matplotlib Figure drawn as ``name``'s kind (``.png`` or ``.svg``),
    or of PNG or SVG bytes (an SVG also as text) the model drew itself.

    Raises:
        TypeError: ``figure`` is none of those, or ``name`` is not text.
        ValueError: ``name`` has another suffix, or the figure exceeds
            :data:`MAX_FIGURE_BYTES` or :data:`MAX_FIGURE_SIDE`.
    """
    if not isinstance(name, str):
        raise TypeError("a figure's name is text, such as 'income.png'")
    if FIGURE_NAME.fullmatch(name) is None:
        raise ValueError(
            "a figure's name is a plain file name of at most 200 letters, digits, spaces "
            "and . _ , ( ) + -, such as 'income.png'"
        )
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    media_type = MEDIA_TYPES.get(suffix)
    if media_type is None:
        raise ValueError(f"a figure's name ends in .png or .svg, not {name[-20:]!r}")
    if _is_figure(figure):
        resolution = float(dpi if dpi is not None else figure.get_dpi() or DEFAULT_DPI)
        _png_side_check(figure, resolution)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix[1:], dpi=resolution, metadata=_no_metadata(suffix))
        data = buffer.getvalue()
    elif isinstance(figure, bytes | bytearray | memoryview):
        data = bytes(figure)
    elif isinstance(figure, str) and suffix == ".svg":
        data = figure.encode("utf-8")
    else:
        raise TypeError(
            "ctx.figure() takes a matplotlib Figure, or the PNG or SVG bytes of one, "
            f"not {type(figure).__name__}"
        )
    if len(data) > MAX_FIGURE_BYTES:
        raise ValueError(
            f"figure {name[:80]!r} is {len(data)} bytes: at most {MAX_FIGURE_BYTES} are "
            "released (make it smaller, or save it as PNG)"
        )
    return {
        PART: FIGURE,
        "name": name,
        "media_type": media_type,
        "base64": base64.b64encode(data).decode("ascii"),
    }


def _no_metadata(suffix: str) -> dict[str, Any]:
    """Matplotlib's metadata keys set to nothing: a PNG without its Software text, an SVG
    without its date and creator (the trusted side strips what is left anyway).
    """
    if suffix == ".png":
        return {"Software": None}
    return {"Date": None, "Creator": None, "Format": None, "Type": None}


def _verified_frame(frame: Any) -> dict[str, Any] | None:
    """The platform output a DataFrame of ``ctx.crosstab(..., as_frame=True)`` came from,
    when the frame still holds exactly its cells (``None``: it was changed, or is no such
    frame).
    """
    output = frame.attrs.get("sdc_output") if _kind(frame) == "pandas.DataFrame" else None
    if not isinstance(output, Mapping) or not _default_index(frame):
        return None
    columns = [str(c) for c in frame.columns]
    rows = [[_cell(plain_value(v)) for v in row] for row in frame.itertuples(index=False)]
    if columns != output.get("columns") or rows != output.get("rows"):
        return None
    return dict(output)


def encode_result(value: Any, where: str = "result", depth: int = 0) -> Any:
    """A model's result with its tables and figures made parts and NumPy values made plain
    Python; dicts, lists and everything else as they are (the channel refuses what it
    cannot carry, naming the rule).
    """
    if depth > 64:
        return value  # the channel's depth rule refuses it, with its own message
    if _is_frame(value) or _is_arrow_table(value):
        verified = _verified_frame(value) if _is_frame(value) else None
        return verified if verified is not None else table_part(value)
    if _is_figure(value):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", where.rsplit(".", 1)[-1]).strip("-.")
        return figure_part(value, f"{name[:190] or 'figure'}.png")
    value = plain_value(value)
    if isinstance(value, dict):
        return {k: encode_result(v, f"{where}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode_result(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    return value


def helper_names(value: Any, what: str) -> list[str]:
    """Column names a raw-access helper takes (``rows``, ``cols``, ``x``) from a list of
    names, one name, or a pandas Index, Series (its name) or DataFrame (its columns).
    """
    kind = _kind(value)
    if kind == "pandas.DataFrame":
        return [str(c) for c in value.columns]
    if kind == "pandas.Series":
        return [helper_name(value, what)]
    if kind.startswith("pandas.") and hasattr(value, "tolist"):  # an Index
        return [str(c) for c in value.tolist()]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [helper_name(v, what) for v in value]
    raise TypeError(f"{what} takes column names (a list, or a pandas Index or DataFrame)")


def helper_name(value: Any, what: str) -> str:
    """One column name from a name or a pandas Series (its name)."""
    if _kind(value) == "pandas.Series":
        if not isinstance(value.name, str):
            raise TypeError(f"{what}: a Series passed for a column must be named after it")
        return value.name
    if not isinstance(value, str):
        raise TypeError(f"{what} takes a column name or a pandas Series, not {_kind(value)}")
    return value

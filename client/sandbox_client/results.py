"""Released results as Python values, pandas DataFrames and Arrow tables (``/v1/results``).

A result is downloaded once, as JSON (one audited download), and every view is built from
that text on the researcher's machine: :meth:`Result.to_pandas` and :meth:`Result.to_arrow`
read the same tables the server's CSV and Parquet downloads are made of (a list of flat row
objects, as a DP group release is, a verified raw table's ``columns`` and ``rows``, or a
scientific model's DataFrame with its ``schema``), so a notebook sees exactly what a download
would hold; :meth:`Result.figures` decodes the PNG and SVG figures as they were reviewed.
pandas and pyarrow are optional extras of this distribution, imported only when a view needs
them.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sandbox_client._http import ClientBase
from sandbox_client.errors import SandboxClientError

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["Figure", "MissingExtraError", "Result", "ResultsMixin", "Table"]

Table = tuple[list[str], list[list[Any]]]
"""A table of a result: its column names and its rows, each a list in column order."""


class MissingExtraError(SandboxClientError, ImportError):
    """A view of a result needs an optional package (pandas, pyarrow) that is not installed."""

    code = "missing_extra"


FIGURE_PART = "result_part"
"""The key marking a table or figure part of a result (the server's wire form)."""


@dataclass(frozen=True)
class Figure:
    """A figure of a result (PNG or SVG bytes), exactly as it was reviewed and released.

    Attributes:
        name: Its file name (``income.png``), unique within the result.
        media_type: ``image/png`` or ``image/svg+xml``.
        data: Its bytes.
        where: Where it sits in the result (``result.plot``).
    """

    name: str
    media_type: str
    data: bytes
    where: str = "result"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the figure to ``path`` (a directory: under its own name); return the file."""
        target = Path(path)
        if target.is_dir():
            target = target / self.name
        target.write_bytes(self.data)
        return target

    def _repr_png_(self) -> bytes | None:
        """Shown inline in a notebook (PNG figures)."""
        return self.data if self.media_type == "image/png" else None


def figures_of(value: Any) -> list[Figure]:
    """The figure parts of a result's value, in order (names made unique as the server does)."""
    found: list[Figure] = []
    taken: set[str] = set()
    stack: list[tuple[Any, str]] = [(value, "result")]
    while stack:
        item, where = stack.pop(0)
        if isinstance(item, dict) and item.get(FIGURE_PART) == "figure":
            name = _unique(str(item.get("name", "figure.png")), taken)
            taken.add(name)
            data = base64.b64decode(str(item.get("base64", "")))
            found.append(Figure(name, str(item.get("media_type", "")), data, where))
        elif isinstance(item, dict):
            stack[:0] = [(v, f"{where}.{k}") for k, v in item.items()]
        elif isinstance(item, list):
            stack[:0] = [(v, f"{where}[{i}]") for i, v in enumerate(item)]
    return found


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    number = 2
    while f"{stem}-{number}{dot}{suffix}" in taken:
        number += 1
    return f"{stem}-{number}{dot}{suffix}"


def _optional(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import ``module`` or say which extra of this distribution brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{needed_by} needs {module}, which is not installed: "
            f"pip install 'sandbox-client[{extra}]' (or pip install {module})"
        ) from exc


def table_of(value: Any) -> Table | None:
    """``value`` as a table, or ``None`` when it is not one (the server's own rule)."""
    if (
        isinstance(value, dict)
        and isinstance(value.get("columns"), list)
        and isinstance(value.get("rows"), list)
    ):
        return [str(c) for c in value["columns"]], [list(r) for r in value["rows"]]
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        if any(isinstance(v, dict | list) for row in value for v in row.values()):
            return None
        columns: list[str] = []
        for row in value:
            columns.extend(str(k) for k in row if str(k) not in columns)
        return columns, [[row.get(c) for c in columns] for row in value]
    return None


class Result:
    """The released result of one job: its JSON text, the value it holds, and its tables.

    Args:
        job_id: The job whose result this is.
        text: The result as the server sent it (JSON).
    """

    def __init__(self, job_id: int, text: str) -> None:
        self.job_id = job_id
        self.json = text
        """The result as the server released it, JSON text."""
        self.value: Any = json.loads(text)
        """The result as a Python value: dicts, lists, numbers, strings."""

    def __repr__(self) -> str:
        parts = self.tabular_parts()
        return f"<Result of job {self.job_id}; tabular parts: {', '.join(parts) or 'none'}>"

    def tabular_parts(self) -> list[str]:
        """The top-level keys of a dict result that hold a table."""
        if not isinstance(self.value, dict):
            return []
        return sorted(str(k) for k, v in self.value.items() if table_of(v) is not None)

    def table(self, part: str | None = None) -> Table:
        """The result's table: the whole result, its ``part``, or its only tabular part.

        Raises:
            SandboxClientError: There is no such part, or it is not a table (the message names
                the tabular parts there are).
        """
        if part is not None:
            if not isinstance(self.value, dict) or part not in self.value:
                raise SandboxClientError(f"the result of job {self.job_id} has no part {part!r}")
            found = table_of(self.value[part])
            if found is None:
                raise SandboxClientError(
                    f"part {part!r} of the result of job {self.job_id} is not a table{self._hint()}"
                )
            return found
        found = table_of(self.value)
        if found is not None:
            return found
        parts = self.tabular_parts()
        if len(parts) == 1:
            return self.table(parts[0])
        raise SandboxClientError(
            f"the result of job {self.job_id} is not one table: name a part{self._hint()}"
        )

    def _hint(self) -> str:
        parts = self.tabular_parts()
        return f"; its tabular parts: {', '.join(parts)}" if parts else "; it has no table"

    def to_pandas(self, part: str | None = None) -> pandas.DataFrame:
        """The table (see :meth:`table`) as a pandas DataFrame; needs the ``pandas`` extra."""
        pd = _optional("pandas", "pandas", "Result.to_pandas()")
        columns, rows = self.table(part)
        frame: pandas.DataFrame = pd.DataFrame(rows, columns=columns)
        return frame

    def to_arrow(self, part: str | None = None) -> pyarrow.Table:
        """The table (see :meth:`table`) as a pyarrow Table; needs the ``pyarrow`` extra.

        A column whose values Arrow cannot hold in one type becomes JSON text, as in the
        server's Parquet download.
        """
        pa = _optional("pyarrow", "pyarrow", "Result.to_arrow()")
        columns, rows = self.table(part)
        types = self._schema(part)
        arrays = {}
        for index, name in enumerate(columns):
            values = [row[index] if index < len(row) else None for row in rows]
            try:
                arrays[name] = _typed(pa, values, types.get(name))
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                arrays[name] = pa.array([None if v is None else json.dumps(v) for v in values])
        return pa.table(arrays)

    def _schema(self, part: str | None) -> dict[str, str]:
        """A table part's column types by name (a model's DataFrame or Arrow table)."""
        value = self.value.get(part) if part is not None and isinstance(self.value, dict) else None
        if value is None:
            value = self.value if table_of(self.value) is not None else None
        if value is None and len(self.tabular_parts()) == 1:
            value = self.value[self.tabular_parts()[0]]
        schema = value.get("schema") if isinstance(value, dict) else None
        if not isinstance(schema, list):
            return {}
        return {str(f.get("name")): str(f.get("type")) for f in schema if isinstance(f, dict)}

    def figures(self) -> list[Figure]:
        """The figures of the result (a scientific model's matplotlib figures, PNG or SVG),
        with their names, media types and bytes as they were reviewed; ``.save(path)``
        writes one.
        """
        return figures_of(self.value)


def _typed(pa: ModuleType, values: list[Any], kind: str | None) -> Any:
    """An Arrow array of ``values`` in the column's type when the table part named one
    (dates and times travel as ISO text and are parsed back).
    """
    if kind is None or kind == "null":
        return pa.array(values)
    if kind.startswith(("timestamp", "date", "time")):
        text = pa.array(values, pa.string())
        target = pa.date32() if kind.startswith("date") else None
        if kind.startswith("timestamp"):
            unit = kind[kind.index("[") + 1 :].split(",")[0].rstrip("]")
            target = pa.timestamp(unit)
        try:
            return text.cast(target) if target is not None else text
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return text  # a zone or a time of day: kept as its ISO text
    return pa.array(values, type=pa.type_for_alias(kind))


class ResultsMixin(ClientBase):
    """Released results as objects with DataFrame and Arrow views."""

    def result(self, job: int | Mapping[str, Any]) -> Result:
        """The released result of ``job`` (its id, or the job as the API returned it).

        One JSON download, audited by the server; only the job's owner (and its reviewers)
        may download it, and only once it is released.
        """
        job_id = int(job["id"]) if isinstance(job, Mapping) else int(job)
        response = self._send("GET", f"/results/{job_id}", params={"format": "json"})
        return Result(job_id, response.text)

"""Released results as Python values, pandas DataFrames and Arrow tables (``/v1/results``).

A result is downloaded once, as JSON (one audited download), and every view is built from
that text on the researcher's machine: :meth:`Result.to_pandas` and :meth:`Result.to_arrow`
read the same tables the server's CSV and Parquet downloads are made of (a list of flat row
objects, as a DP group release is, or a verified raw table's ``columns`` and ``rows``), so a
notebook sees exactly what a download would hold. pandas and pyarrow are optional extras of
this distribution, imported only when a view needs them.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Figure:
    """A figure part of a result (PNG or SVG bytes), as it was released."""

    name: str
    media_type: str
    data: bytes


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
        arrays = {}
        for index, name in enumerate(columns):
            values = [row[index] if index < len(row) else None for row in rows]
            try:
                arrays[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays[name] = pa.array([None if v is None else json.dumps(v) for v in values])
        return pa.table(arrays)

    def figures(self) -> list[Figure]:
        """The figure parts of the result.

        The platform releases no figures yet (a result is JSON values and tables), so this is
        always empty; it is here so that notebooks written now keep working when figures of
        the scientific runtime profile are released.
        """
        return []


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

"""The code that runs INSIDE the sandbox: compile the model, run it, talk over the channel.

Run as ``python -I -m sandbox.runtime.worker``. The trusted side writes one ``start`` message on
stdin; the worker answers on stdout with ``dp`` requests (each waits for a ``reply``), ``log``
lines and finally one ``result`` or ``error``. Stdout is taken over at start-up so nothing but
framed messages reaches it. This process holds no dataset and no secret: a DP handle here is a
proxy that only sends messages; the trusted broker applies the policy and charges the budget.

The start message names the runtime profile (:mod:`sandbox.runtime.profiles`): ``restricted``
compiles the model with RestrictedPython and runs it among vetted wrappers; ``scientific``
compiles it with the built-in ``compile`` and runs it as ordinary Python, with the scientific
stack importable and ``ctx.table`` giving the Arrow table itself. Either way the model's file
name is :data:`MODEL_FILENAME`, so the line of an error is the model's line.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.runtime.channel import (
    HEADER,
    MAX_MESSAGE_BYTES,
    ChannelError,
    ErrorKind,
    HelperCall,
    Op,
    encode,
    read_message,
    write_message,
)
from sandbox.runtime.compiler import compile_model, safe_globals
from sandbox.runtime.conditions import Column
from sandbox.runtime.handles import DPArgumentError, DPError, DPHandle, Send, check_sendable
from sandbox.runtime.profiles import SCIENTIFIC_ENVIRONMENT, RuntimeProfile
from sandbox.runtime.result_parts import (
    encode_result,
    figure_part,
    helper_name,
    helper_names,
    plain_value,
)

__all__ = [
    "OOM_EXIT_CODE",
    "DPArgumentError",
    "DPError",
    "DPHandle",
    "ModelContext",
    "RawTable",
    "main",
]

OOM_EXIT_CODE = 3
"""Exit status of a worker whose model ran out of memory."""

MODEL_FILENAME = "<model>"

MODEL_EXCEPTIONS = {"DPError": DPError, "DPArgumentError": DPArgumentError}
"""The runtime's exceptions, by name in the model's globals so that it can catch them."""


class RawTable:
    """A raw-access job's read-only view of a dataset's rows (hardened sandbox only).

    Values come out as plain Python lists and dicts; the Arrow table itself is never handed
    to the model (its objects reach far more than a model needs).
    """

    __slots__ = ("_name", "_table")

    def __init__(self, name: str, table: Any) -> None:
        self._name = name
        self._table = table

    @property
    def num_rows(self) -> int:
        """How many rows the table holds."""
        return int(self._table.num_rows)

    @property
    def column_names(self) -> list[str]:
        """The table's column names, in order."""
        return [str(n) for n in self._table.column_names]

    def column(self, name: str) -> list[Any]:
        """One column's values as a list."""
        if not isinstance(name, str) or name not in self._table.column_names:
            raise KeyError(f"table {self._name!r} has no column {name!r}")
        values: list[Any] = self._table.column(name).to_pylist()
        return values

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The rows as dicts (the first ``limit`` of them when given)."""
        table = self._table if limit is None else self._table.slice(0, max(0, int(limit)))
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def __repr__(self) -> str:
        return f"<raw table {self._name!r}: {self.num_rows} rows>"


def _open_table(path: str) -> Any:
    import pyarrow as pa  # only raw-access jobs pay for it

    with pa.memory_map(path, "r") as source:
        return pa.ipc.open_file(source).read_all()


class ModelContext:
    """The ``ctx`` a model's ``run`` receives: ``dataset``, ``col``, ``table``, ``params`` and
    ``log``.
    """

    __slots__ = (
        "_arrow",
        "_log_left",
        "_log_truncated",
        "_max_bytes",
        "_opened",
        "_post",
        "_send",
        "_tables",
        "params",
    )

    def __init__(
        self,
        params: Mapping[str, Any],
        send: Send,
        post: Callable[[dict[str, Any]], None],
        log_max_bytes: int,
        tables: Mapping[str, str] | None = None,
        max_bytes: int = MAX_MESSAGE_BYTES,
        arrow_tables: bool = False,
    ) -> None:
        self.params = dict(params)
        self._arrow = arrow_tables
        self._send = send
        self._post = post
        self._log_left = log_max_bytes
        self._log_truncated = False
        self._tables = dict(tables or {})
        self._max_bytes = max_bytes
        self._opened: dict[int, tuple[str, Any]] = {}

    def table(self, name: str) -> Any:
        """The raw rows of a dataset of this job, read-only (raw-access jobs only): a
        :class:`RawTable` in the restricted profile, the ``pyarrow.Table`` itself (immutable,
        memory-mapped from a read-only file; ``.to_pandas()`` works) in the scientific one.
        """
        if not isinstance(name, str) or not name:
            raise TypeError("table() takes a dataset name")
        if not self._tables:
            raise PermissionError(
                "this is a DP job: it has no raw access; use "
                "ctx.dataset(name) for differentially private queries"
            )
        path = self._tables.get(name)
        if path is None:
            raise KeyError(f"dataset {name!r} is not one of this job's datasets")
        table = _open_table(path)
        given = table if self._arrow else RawTable(name, table)
        self._opened[id(given)] = (name, given)  # kept alive: the helpers know it by id
        return given

    def crosstab(
        self,
        dataset: Any,
        rows: Any,
        cols: Any = None,
        value: Any = None,
        agg: str = "count",
        where: list[list[Any]] | None = None,
        as_frame: bool = False,
    ) -> Any:
        """An exact table the platform computes from the raw rows (raw-access jobs): counts,
        or the ``sum``/``mean`` of ``value``, per combination of ``rows`` and ``cols``, over
        the rows matching ``where`` (``[column, op, literal]`` triples).

        The platform keeps the counts and contributions behind each cell, so the output
        checks can verify the table if it is returned as it is; values a model computes
        itself cannot be verified and always go to a human reviewer.

        ``dataset`` is a name or the table :meth:`table` gave; column arguments may be
        pandas objects (an Index or DataFrame for several names, a named Series for one).
        ``as_frame=True`` (scientific profile) gives the table as a pandas DataFrame, still
        verified when returned unchanged.
        """
        output = self._helper(
            HelperCall.CROSSTAB,
            self._dataset_name(dataset),
            {
                "rows": helper_names(rows, "rows"),
                "cols": helper_names(cols, "cols") if cols is not None else [],
                "value": helper_name(value, "value") if value is not None else None,
                "agg": agg,
                "where": _plain_where(where),
            },
        )
        return _as_frame(output) if as_frame else output

    def regression(self, dataset: Any, y: Any, x: Any, where: list[list[Any]] | None = None) -> Any:
        """An ordinary least squares summary the platform computes from the raw rows (raw-
        access jobs): coefficients, standard errors, n and residual degrees of freedom.

        Arguments as :meth:`crosstab`'s: ``y`` a name or a named Series, ``x`` names or a
        DataFrame (its columns).
        """
        return self._helper(
            HelperCall.REGRESSION,
            self._dataset_name(dataset),
            {
                "y": helper_name(y, "y"),
                "x": helper_names(x, "x"),
                "where": _plain_where(where),
            },
        )

    def figure(self, figure: Any, name: str = "figure.png", dpi: float | None = None) -> Any:
        """A figure to return in the result: a matplotlib Figure drawn as PNG or SVG (after
        ``name``'s suffix, at ``dpi``), or PNG or SVG bytes. The platform checks it again
        and a human reviewer always sees it before it is released
        (:mod:`sandbox.runtime.result_parts` gives the caps).
        """
        return figure_part(figure, name, dpi)

    def _helper(self, call: HelperCall, dataset: str, args: dict[str, Any]) -> Any:
        if not self._tables:
            raise PermissionError(
                f"{call}() is for raw-access jobs; a DP job uses ctx.dataset(name)"
            )
        if not isinstance(dataset, str) or dataset not in self._tables:
            raise KeyError(f"dataset {dataset!r} is not one of this job's datasets")
        message = {"op": Op.SDC, "call": call, "dataset": dataset, "args": args}
        parts = {"the dataset name": dataset, **{f"argument {k!r}": v for k, v in args.items()}}
        check_sendable(call.value, parts, message, self._max_bytes, TypeError)
        reply = self._send(message)
        if reply.get("ok") is not True:
            raise ValueError(str(reply.get("error", f"{call}() was refused")))
        return reply.get("value")

    def _dataset_name(self, dataset: Any) -> Any:
        """A dataset name, or the name of a table :meth:`table` gave (by identity)."""
        if isinstance(dataset, str):
            return dataset
        opened = self._opened.get(id(dataset))
        if opened is not None and opened[1] is dataset:
            return opened[0]
        raise TypeError(
            "a helper computes on a dataset of this job: pass its name or ctx.table(name); "
            "a table the model changed cannot be verified (filter with where=...)"
        )

    def col(self, name: str) -> Column:
        """A column to compare in ``where``: ``ctx.col("age") >= 65``
        (:mod:`sandbox.runtime.conditions`).
        """
        return Column(name)

    def dataset(self, name: str) -> DPHandle:
        """Return the DP handle of a dataset (the broker checks the job's grant)."""
        if not isinstance(name, str) or not name:
            raise TypeError("dataset() takes a dataset name")
        return DPHandle(name, self._send, self._max_bytes)

    def log(self, line: object) -> None:
        """Append one line to the job log.

        Lines beyond the log size cap are dropped, and a line larger than one message is
        cut to fit; either way the trusted side is told once that the log was truncated
        (the platform says so in the log's record, never a line of the model's).
        """
        # Lone surrogates would not cross the channel: replace them. Every line costs at
        # least one byte, so empty lines cannot flood the trusted side either.
        text = str(line).encode("utf-8", "replace").decode("utf-8")
        size = max(1, len(text.encode("utf-8")))
        if size > self._log_left:
            self._truncated()
            return
        fitted = _fit_line(text, self._max_bytes)
        if len(fitted) < len(text):
            size = max(1, len(fitted.encode("utf-8")))
        self._log_left -= size
        self._post({"op": Op.LOG, "line": fitted})
        if len(fitted) < len(text):
            self._truncated()

    def _truncated(self) -> None:
        if not self._log_truncated:
            self._log_truncated = True
            self._post({"op": Op.LOG, "truncated": True})


def _plain_where(where: list[list[Any]] | None) -> list[list[Any]] | None:
    """A helper's conditions with NumPy literals made plain Python."""
    return [[plain_value(item) for item in w] for w in where] if where else None


def _as_frame(output: Any) -> Any:
    """A crosstab's output as a pandas DataFrame that remembers it (``attrs``), so that it
    is still the platform's output when the model returns it unchanged.
    """
    try:
        import pandas as pd
    except ImportError:
        raise TypeError("as_frame=True needs pandas: use the scientific profile") from None
    frame = pd.DataFrame(output["rows"], columns=output["columns"])
    frame.attrs["sdc_output"] = output
    return frame


def _fit_line(text: str, max_bytes: int) -> str:
    """``text``, or its longest beginning whose ``log`` message fits in ``max_bytes``.

    A message's size is its JSON's, where a control character or a non-ASCII one takes six
    bytes or more: the text's own size does not tell.
    """
    empty = len(encode({"op": Op.LOG, "line": ""}, max_bytes)) - HEADER.size
    room = max_bytes - empty + len('""')

    def fits(length: int) -> bool:
        return len(json.dumps(text[:length])) <= room

    if fits(len(text)):
        return text
    low, high = 0, len(text)  # fits(low) holds, fits(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return text[:low]


def _describe(exc: BaseException) -> str:
    """Return ``Type: message`` for a model's exception, even when ``str(exc)`` fails."""
    try:
        text = str(exc)
    except Exception:  # e.g. a huge int or a deeply nested argument: unprintable
        text = "<unprintable message>"
    described = f"{type(exc).__name__}: {text}"[:2000]
    return described.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates


def _model_line(exc: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == MODEL_FILENAME]
    return frames[-1].lineno if frames else None


def _compile_plain(source: str) -> tuple[Any, list[str]]:
    """The scientific profile's compile: ordinary Python, every error with its line."""
    try:
        return compile(source, MODEL_FILENAME, "exec", dont_inherit=True), []
    except SyntaxError as exc:
        return None, [f"Line {exc.lineno}: SyntaxError: {exc.msg}"]
    except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
        return None, [_describe(exc)]


def _prepare(
    profile: RuntimeProfile, source: str, allowed: list[str]
) -> tuple[Any, list[str], dict[str, Any]]:
    """The model's code (or its compile errors) and the globals it runs in."""
    if profile is RuntimeProfile.SCIENTIFIC:
        os.environ.update(SCIENTIFIC_ENVIRONMENT)
        code, errors = _compile_plain(source)
        namespace: dict[str, Any] = {
            "__name__": "__model__",
            "__builtins__": builtins,
            **MODEL_EXCEPTIONS,
        }
        return code, errors, namespace
    compiled = compile_model(source, allowed, MODEL_FILENAME)
    if not compiled.ok or compiled.code is None:
        return None, list(compiled.errors), {}
    return compiled.code, [], safe_globals(allowed, MODEL_EXCEPTIONS)


def _serve(in_fd: int, out_fd: int) -> int:
    # Until the start message says otherwise, the channel's default largest message.
    limit = [MAX_MESSAGE_BYTES]

    def post(message: dict[str, Any]) -> None:
        write_message(out_fd, message, limit[0])

    def send(message: dict[str, Any]) -> dict[str, Any]:
        post(message)
        reply = read_message(in_fd, limit[0])
        if reply.get("op") != Op.REPLY:
            raise ChannelError("expected a reply")
        return reply

    start = read_message(in_fd)
    if start.get("op") != Op.START or not isinstance(start.get("source"), str):
        post({"op": Op.ERROR, "kind": ErrorKind.PROTOCOL, "message": "expected a start message"})
        return 2
    # The trusted side's largest message: what this side sends is checked against it, so a
    # value it would refuse is the model's error rather than the end of the run.
    limit[0] = max(1024, int(start.get("max_message_bytes", MAX_MESSAGE_BYTES)))
    allowed = [str(m) for m in start.get("allowed_imports", [])]
    try:
        profile = RuntimeProfile(start.get("profile", RuntimeProfile.RESTRICTED))
    except ValueError:
        post({"op": Op.ERROR, "kind": ErrorKind.PROTOCOL, "message": "unknown runtime profile"})
        return 2
    code, errors, namespace = _prepare(profile, start["source"], allowed)
    if code is None:
        post({"op": Op.ERROR, "kind": ErrorKind.COMPILE, "errors": errors})
        return 1
    tables = start.get("tables") or {}
    ctx = ModelContext(
        start.get("params") or {},
        send,
        post,
        int(start.get("log_max_bytes", 64 * 1024)),
        {str(k): str(v) for k, v in tables.items()} if isinstance(tables, dict) else {},
        limit[0],
        arrow_tables=profile is RuntimeProfile.SCIENTIFIC,
    )
    try:
        exec(code, namespace)  # noqa: S102 - the model's code, in the OS sandbox
        value = namespace["run"](ctx)
        if profile is RuntimeProfile.SCIENTIFIC:
            value = encode_result(value)  # tables and figures as parts (result_parts)
    except MemoryError:
        raise
    except BaseException as exc:  # the model's own failure (SystemExit too), reported as data
        post(
            {
                "op": Op.ERROR,
                "kind": ErrorKind.MODEL,
                "message": _describe(exc),
                "line": _model_line(exc),
            }
        )
        return 1
    result_max = int(start.get("result_max_bytes", 1024 * 1024))
    try:
        frame = encode({"op": Op.RESULT, "value": value}, result_max)
    except ChannelError as exc:
        kind = ErrorKind.OUTPUT_TOO_LARGE if "exceeds" in str(exc) else ErrorKind.BAD_RESULT
        post({"op": Op.ERROR, "kind": kind, "message": str(exc)})
        return 1
    os.write(out_fd, frame)
    return 0


def main() -> int:
    """Serve one job over stdin/stdout and return the exit status."""
    # Take the channel fds over and point fd 1 at stderr so no stray write corrupts framing.
    in_fd, out_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    oom = encode({"op": Op.ERROR, "kind": ErrorKind.OOM, "message": "the model ran out of memory"})
    try:
        return _serve(in_fd, out_fd)
    except MemoryError:
        try:
            os.write(out_fd, oom)
        finally:
            os._exit(OOM_EXIT_CODE)
    except ChannelError as exc:
        sys.stderr.write(f"channel error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The model's DP handles and the errors they raise, inside the sandbox.

A DP handle holds no data: each aggregate is one ``dp`` message to the trusted broker, which
applies the policy and charges the budget. Before a message leaves, it is checked against
the channel's own rules (:func:`~sandbox.runtime.channel.unsendable` and the trusted side's
largest message): what cannot cross is :class:`DPArgumentError` in the model, naming the
argument and the rule but never the value, and nothing is sent, so nothing is charged. The
trusted side would refuse the same message as a protocol error and end the run.

A handle also carries the query's row-level shape, built as data and sent with each call:
``where(...)`` conditions (lists, dicts, or ``ctx.col`` comparisons,
:mod:`sandbox.runtime.conditions`), derived columns (``bin``, ``map``, ``date_part``) and
``group_by`` keys; each call returns a new handle, so a handle can be reused as a base.
Joins (``join`` with another dataset of the grant, ``join_public`` with a lookup table) come
first and travel as data too. Nothing is checked here beyond what the channel needs and the
order of the calls: the trusted side refuses a bad filter, derived column or join, before
anything is read or charged.

Imported by the worker inside the sandbox: standard library and the channel only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.runtime.channel import ChannelError, DPCall, DPRequest, encode, unsendable
from sandbox.runtime.conditions import as_filter_data

__all__ = ["DPArgumentError", "DPError", "DPHandle", "Send", "check_sendable"]

Send = Callable[[dict[str, Any]], dict[str, Any]]
"""Writes one message to the trusted side and returns its reply."""

MAX_NAME_CHARS = 64
"""Longest argument name an error quotes (a model picks the names of ``**kwargs``)."""


class DPError(Exception):
    """A DP call the trusted broker refused (budget, policy, unknown dataset, bad arguments)."""


class DPArgumentError(DPError, TypeError):
    """A DP call's argument the channel cannot carry, refused before anything was sent.

    A ``TypeError`` too, as a value of the wrong type always was: models that caught that
    keep working.
    """


def _quoted(name: str) -> str:
    shown = name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 3] + "..."
    return repr(shown.encode("utf-8", "replace").decode("utf-8"))


def check_sendable(
    call: str,
    parts: Mapping[str, object],
    message: dict[str, Any],
    max_bytes: int,
    error: type[Exception] = DPArgumentError,
) -> None:
    """Raise ``error`` unless ``message`` crosses the channel, naming the part at fault.

    Args:
        call: The call's name, for the message (``count``).
        parts: What the message is made of, by the words that name each (``argument
            'epsilon'``, ``the dataset name``); every value of the message is in one.
        message: The message as it would be sent.
        max_bytes: The trusted side's largest message.
        error: The exception to raise.
    """
    for words, value in parts.items():
        rule = unsendable(value)
        if rule is not None:
            raise error(f"{call}(): {words} cannot be sent to the platform: {rule}")
    try:
        encode(message, max_bytes)
    except ChannelError:
        largest = max(parts, key=lambda words: len(json.dumps(parts[words])))
        verb = "are" if largest.endswith(("keys", "columns", "conditions")) else "is"
        raise error(
            f"{call}(): {largest} {verb} too large to send (a call's message is "
            f"limited to {max_bytes} bytes)"
        ) from None


def call_parts(
    dataset: str,
    group_by: tuple[str, ...],
    args: Mapping[str, Any],
    where: tuple[Any, ...] = (),
    derive: tuple[dict[str, Any], ...] = (),
    join: tuple[dict[str, Any], ...] = (),
) -> dict[str, object]:
    """The parts of a DP call's message, by the words an error names each with."""
    parts: dict[str, object] = {"the dataset name": dataset}
    if join:
        parts["the joins"] = list(join)
    if group_by:
        parts["the group keys"] = list(group_by)
    if where:
        parts["the where() conditions"] = list(where)
    if derive:
        parts["the derived columns"] = list(derive)
    for name, value in args.items():
        if unsendable(name) is not None:
            parts["an argument's name"] = name
        else:
            parts[f"argument {_quoted(name)}"] = value
    return parts


class DPHandle:
    """The model's view of a dataset: every aggregate is a message to the trusted broker."""

    __slots__ = ("_dataset", "_derive", "_group_by", "_join", "_max_bytes", "_send", "_where")

    def __init__(
        self,
        dataset: str,
        send: Send,
        max_bytes: int,
        group_by: tuple[str, ...] = (),
        where: tuple[Any, ...] = (),
        derive: tuple[dict[str, Any], ...] = (),
        join: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self._dataset = dataset
        self._send = send
        self._max_bytes = max_bytes
        self._group_by = group_by
        self._where = where
        self._derive = derive
        self._join = join

    def _call(self, call: DPCall, args: dict[str, Any]) -> Any:
        request = DPRequest(
            call=call,
            dataset=self._dataset,
            args=args,
            group_by=self._group_by,
            where=self._where,
            derive=self._derive,
            join=self._join,
        )
        message = request.to_message()
        check_sendable(
            call.value,
            call_parts(self._dataset, self._group_by, args, self._where, self._derive, self._join),
            message,
            self._max_bytes,
        )
        reply = self._send(message)
        if reply.get("ok") is not True:
            raise DPError(str(reply.get("error", "the DP call was refused")))
        return reply.get("value")

    def _with(
        self,
        group_by: tuple[str, ...] = (),
        where: tuple[Any, ...] = (),
        derive: tuple[dict[str, Any], ...] = (),
        join: tuple[dict[str, Any], ...] = (),
    ) -> DPHandle:
        return DPHandle(
            self._dataset,
            self._send,
            self._max_bytes,
            self._group_by + group_by,
            self._where + where,
            self._derive + derive,
            self._join + join,
        )

    def join(
        self, other: DPHandle, on: str, truncate: Any = None, bound: int | None = None
    ) -> DPHandle:
        """Return a handle on this dataset's rows joined with ``other`` (another dataset of
        the grant, as ``ctx.dataset`` gives it) on their shared privacy unit ``on``: each
        side keeps at most ``truncate`` rows per unit (one number, or ``[left, right]``;
        default each one's contribution bound), and with ``bound`` at most that many joined
        rows per unit. Columns both have become ``<name>_left`` and ``<name>_right``. Each
        release charges both datasets.
        """
        if not isinstance(other, DPHandle):
            raise TypeError("join() takes another dataset's handle (ctx.dataset(name))")
        if other._group_by or other._where or other._derive or other._join:
            raise TypeError(
                "join(): the other handle must be a dataset as ctx.dataset "
                "gives it (filter, derive and group the joined rows instead)"
            )
        self._joinable("join")
        spec = {
            "kind": "private",
            "dataset": other._dataset,
            "on": on,
            "truncate": _listed(truncate),
            "bound": bound,
        }
        return self._with(join=({k: v for k, v in spec.items() if v is not None},))

    def join_public(self, table: str, on: str, how: str = "inner") -> DPHandle:
        """Return a handle on the rows joined with the public lookup table ``table`` (an
        unconditional dataset of the catalog) on the column ``on`` both have; ``how="left"``
        keeps rows without a match. The table's text columns are public group keys.
        """
        self._joinable("join_public")
        return self._with(join=({"kind": "public", "table": table, "on": on, "how": how},))

    def _joinable(self, call: str) -> None:
        if self._group_by or self._where or self._derive:
            raise TypeError(
                f"{call}(): join before where(), bin(), map(), date_part() and "
                "group_by(): they then apply to the joined rows"
            )

    def group_by(self, *keys: str | list[str]) -> DPHandle:
        """Return a handle whose aggregates are computed per group of ``keys`` (several
        names, or one list): stored columns or derived ones (``bin``, ``map``,
        ``date_part``).
        """
        names: tuple[Any, ...] = keys
        if len(keys) == 1 and isinstance(keys[0], list | tuple):
            names = tuple(keys[0])
        if not names or not all(isinstance(k, str) for k in names):
            raise TypeError("group_by() takes one or more column names")
        return self._with(group_by=names)

    def where(self, *conditions: Any) -> DPHandle:
        """Return a handle on the rows meeting every condition: ``["age", ">=", 65]``,
        ``["district", "in", [...]]``, ``["age", "between", [18, 64]]``,
        ``["income", "is_null"]``, ``{"and"|"or": [...]}``, ``{"not": ...}``, or
        ``ctx.col`` comparisons such as ``(col("age") >= 65) & ~col("income").is_null()``.
        """
        if not conditions:
            raise TypeError("where() takes one or more conditions")
        return self._with(where=tuple(as_filter_data(c) for c in conditions))

    def bin(self, column: str, edges: Any, name: str | None = None, labels: Any = None) -> DPHandle:
        """Return a handle with a column ``name`` (default ``<column>_bin``): the bin of the
        numeric ``column`` among the public ``edges`` (``[0, 18, 65, 120]``: ``"[0, 18)"``,
        ``"[18, 65)"``, ``"[65, 120]"``, or ``labels``); outside the edges: no bin.
        """
        return self._derived(
            {
                "kind": "bin",
                "column": column,
                "edges": _listed(edges),
                "name": name,
                "labels": _listed(labels),
            }
        )

    def map(
        self, column: str, mapping: Any, name: str | None = None, default: str | None = None
    ) -> DPHandle:
        """Return a handle with a column ``name`` (default ``<column>_group``): the coarser
        category ``mapping`` gives the text ``column`` (``{"North": "N", ...}``); a value it
        does not name goes to ``default``, or to no category.
        """
        return self._derived(
            {"kind": "map", "column": column, "mapping": mapping, "name": name, "default": default}
        )

    def date_part(
        self, column: str, part: str, name: str | None = None, years: Any = None
    ) -> DPHandle:
        """Return a handle with a column ``name`` (default ``<column>_<part>``): the
        ``year`` (give the public ``years=[first, last]``), ``quarter``, ``month`` or
        ``weekday`` (Monday 1 to Sunday 7) of a date or timestamp ``column``.
        """
        return self._derived(
            {
                "kind": "date_part",
                "column": column,
                "part": part,
                "name": name,
                "years": _listed(years),
            }
        )

    def _derived(self, spec: dict[str, Any]) -> DPHandle:
        return self._with(derive=({k: v for k, v in spec.items() if v is not None},))

    def count(self, **kwargs: Any) -> Any:
        """DP count (``epsilon``)."""
        return self._call(DPCall.COUNT, kwargs)

    def sum(self, column: str, **kwargs: Any) -> Any:
        """DP sum of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.SUM, {"column": column, **kwargs})

    def mean(self, column: str, **kwargs: Any) -> Any:
        """DP mean of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.MEAN, {"column": column, **kwargs})

    def variance(self, column: str, **kwargs: Any) -> Any:
        """DP variance of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.VARIANCE, {"column": column, **kwargs})

    def quantile(self, column: str, **kwargs: Any) -> Any:
        """DP quantile of ``column`` (``q``, ``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.QUANTILE, {"column": column, **kwargs})

    def histogram(self, column: str, **kwargs: Any) -> Any:
        """DP histogram of ``column`` (``epsilon``)."""
        return self._call(DPCall.HISTOGRAM, {"column": column, **kwargs})

    def min(self, column: str, **kwargs: Any) -> Any:
        """DP minimum of ``column``, its 0-quantile (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.MIN, {"column": column, **kwargs})

    def max(self, column: str, **kwargs: Any) -> Any:
        """DP maximum of ``column``, its 1-quantile (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.MAX, {"column": column, **kwargs})

    def median(self, column: str, **kwargs: Any) -> Any:
        """DP median of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.MEDIAN, {"column": column, **kwargs})

    def count_distinct(self, column: str, **kwargs: Any) -> Any:
        """DP number of distinct values of ``column`` (``epsilon``)."""
        return self._call(DPCall.COUNT_DISTINCT, {"column": column, **kwargs})

    def agg(self, statistics: Any, **kwargs: Any) -> Any:
        """Several statistics released jointly and charged once: ``statistics`` names some
        of ``count``, ``sum``, ``mean`` and ``variance`` (``column``, ``lower``, ``upper``,
        ``epsilon``). Ungrouped: a dict by statistic; grouped: a row per group.
        """
        return self._call(DPCall.AGG, {"statistics": statistics, **kwargs})

    def synthesize(self, columns: Any, **kwargs: Any) -> Any:
        """A DP synthetic table of ``columns`` by MST (``rows``, ``epsilon``, ``bins``,
        ``bounds={column: [lower, upper]}``), after this handle's ``where()`` and derived
        columns: ``{"columns", "rows" (a list of records), "utility", "mechanism",
        "epsilon"}``.
        """
        if self._group_by:
            raise TypeError("synthesize() makes whole rows: call it before group_by()")
        return self._call(DPCall.SYNTHESIZE, {"columns": _listed(columns), **kwargs})

    # --- DP models, fitted on the trusted side (sandbox.engine.models) -------------------

    def _model(self, call: DPCall, args: dict[str, Any]) -> Any:
        if self._group_by:
            raise DPArgumentError(
                f"{call.value}(): a model is fitted on rows: call it before group_by()"
            )
        for name in ("x", "columns"):
            if name in args:
                args[name] = _column_names(call.value, name, args[name])
        if "y" in args and not isinstance(args["y"], str):
            raise DPArgumentError(f"{call.value}(): argument 'y' must be a column name")
        if isinstance(args.get("bounds"), dict):
            args["bounds"] = {k: _listed(v) for k, v in args["bounds"].items()}
        return self._call(call, args)

    def linear_regression(self, y: str, x: Any, **kwargs: Any) -> Any:
        """DP least squares of ``y`` on the columns ``x`` (``bounds={column: [lower,
        upper]}`` for numeric columns without declared bounds, ``epsilon``); categorical
        columns are one-hot over their declared categories. Returns ``{"coefficients",
        "intercept", "standard_errors", "r_squared", "residual_std", "noisy_rows",
        "features"}``.
        """
        return self._model(DPCall.LINEAR_REGRESSION, {"y": y, "x": x, **kwargs})

    def logistic_regression(self, y: str, x: Any, **kwargs: Any) -> Any:
        """DP logistic regression of the categorical ``y`` (``positive=`` the category
        modelled against the rest, needed beyond two) on ``x`` (``bounds``, ``epsilon``,
        ``C``, ``max_iter``). Returns ``{"coefficients", "intercept", "classes",
        "positive", "features"}``.
        """
        return self._model(DPCall.LOGISTIC_REGRESSION, {"y": y, "x": x, **kwargs})

    def kmeans(self, columns: Any, **kwargs: Any) -> Any:
        """DP k-means of ``columns`` (``k``, ``bounds``, ``epsilon``): centroids and DP
        cluster sizes.
        """
        return self._model(DPCall.KMEANS, {"columns": columns, **kwargs})

    def pca(self, columns: Any, **kwargs: Any) -> Any:
        """DP principal components of ``columns`` (``n_components``, ``bounds``,
        ``epsilon``): components and explained variance.
        """
        return self._model(DPCall.PCA, {"columns": columns, **kwargs})

    def naive_bayes(self, y: str, x: Any, **kwargs: Any) -> Any:
        """DP Gaussian naive Bayes of the categorical ``y`` on ``x`` (``bounds``,
        ``epsilon``).
        """
        return self._model(DPCall.NAIVE_BAYES, {"y": y, "x": x, **kwargs})

    def __repr__(self) -> str:
        return f"<DP handle {self._dataset!r}>"


def _column_names(call: str, name: str, value: Any) -> Any:
    """One column name or a list of them, as the channel sends it (else refused here)."""
    names = [value] if isinstance(value, str) else _listed(value)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DPArgumentError(
            f"{call}(): argument {name!r} must be a column name or a list of them"
        )
    return names


def _listed(value: Any) -> Any:
    """A range or tuple as a list (what the channel sends); anything else as it is."""
    return list(value) if isinstance(value, range | tuple) else value

"""Filter conditions a model builds with ``ctx.col``: sugar for the data form of ``where``.

Inside the sandbox (standard library only). A filter crosses the channel as plain data, and
the trusted side checks it strictly (``sandbox.engine.filters``); this module only lets a
model write it the way it reads::

    col = ctx.col
    old = ctx.dataset("census").where(col("age") >= 65)
    mixed = people.where((col("age") >= 18) & col("district").isin(["North", "South"]))
    rest = people.where(~col("income").is_null() | (col("employed") == False))

is the same as ``where(["age", ">=", 65])``, ``where({"and": [["age", ">=", 18],
["district", "in", ["North", "South"]]]})`` and so on. Combine conditions with ``&``, ``|``
and ``~`` (Python's ``and``/``or``/``not`` cannot be overloaded: using a condition as a truth
value raises, and so does a chained comparison such as ``18 <= col("age") < 65``; write
``col("age").between(18, 64)``). A column is compared with a constant, never with another
column, and no condition holds a callable: there is no way to send code.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Column", "Condition", "as_filter_data"]

_TRUTH = (
    "a condition has no truth value: combine conditions with & | ~ (not and/or/not), "
    "and compare a column once (col('age').between(18, 64))"
)


def _constant(value: object, operation: str) -> object:
    if isinstance(value, Column | Condition):
        raise TypeError(
            f"{operation}: compare a column with a constant, not with a column or a condition"
        )
    if callable(value):
        raise TypeError(f"{operation}: a filter is data, never a function")
    return value


class Condition:
    """One filter condition (or several combined), held as its data form."""

    __slots__ = ("_data",)

    def __init__(self, data: Any) -> None:
        self._data = data

    def to_data(self) -> Any:
        """The data form sent to the platform (a fresh copy)."""
        return _copy(self._data)

    def _join(self, other: object, key: str) -> Condition:
        if not isinstance(other, Condition):
            raise TypeError(
                f"a condition combines with another condition (col(...) ...), "
                f"not with a {type(other).__name__}"
            )
        parts: list[Any] = []
        for side in (self._data, other._data):
            if isinstance(side, dict) and list(side) == [key]:
                parts.extend(_copy(side[key]))
            else:
                parts.append(_copy(side))
        return Condition({key: parts})

    def __and__(self, other: object) -> Condition:
        return self._join(other, "and")

    def __or__(self, other: object) -> Condition:
        return self._join(other, "or")

    def __invert__(self) -> Condition:
        return Condition({"not": _copy(self._data)})

    def __bool__(self) -> bool:
        raise TypeError(_TRUTH)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<condition {self._data!r}>"


class Column:
    """A column named in a filter: compare it with a constant to get a :class:`Condition`."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("col() takes a column name")
        self._name = name

    def _compare(self, op: str, value: object) -> Condition:
        return Condition([self._name, op, _constant(value, f"col({self._name!r}) {op}")])

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("!=", value)

    def __lt__(self, value: object) -> Condition:
        return self._compare("<", value)

    def __le__(self, value: object) -> Condition:
        return self._compare("<=", value)

    def __gt__(self, value: object) -> Condition:
        return self._compare(">", value)

    def __ge__(self, value: object) -> Condition:
        return self._compare(">=", value)

    def isin(self, values: object) -> Condition:
        """The column's value is one of ``values`` (a list)."""
        if not isinstance(values, list | tuple | set | frozenset):
            raise TypeError("isin() takes a list of values")
        items = sorted(values, key=repr) if isinstance(values, set | frozenset) else values
        return Condition([self._name, "in", [_constant(v, "isin()") for v in items]])

    def between(self, lower: object, upper: object) -> Condition:
        """``lower <= value <= upper`` (both ends included)."""
        return Condition(
            [self._name, "between", [_constant(lower, "between()"), _constant(upper, "between()")]]
        )

    def is_null(self) -> Condition:
        """The value is missing (null, or NaN for a floating column)."""
        return Condition([self._name, "is_null"])

    def not_null(self) -> Condition:
        """The value is present."""
        return Condition([self._name, "not_null"])

    def __bool__(self) -> bool:
        raise TypeError(_TRUTH)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<column {self._name!r}>"


def _copy(value: Any) -> Any:
    if isinstance(value, Condition):
        return value.to_data()
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def as_filter_data(condition: object) -> Any:
    """A ``where`` argument as plain data: a condition's form, or a list or dict as given
    (conditions inside converted too). Callables and other objects are refused here, so
    nothing is sent; the platform checks the rest.
    """
    if isinstance(condition, Condition | list | tuple | dict):
        return _copy(condition)
    if isinstance(condition, Column):
        raise TypeError("where() takes a condition: compare the column, e.g. col('age') >= 65")
    if callable(condition):
        raise TypeError(
            "where() takes conditions as data, never a function: "
            "[column, operator, value] or col('age') >= 65"
        )
    raise TypeError(
        f"where() takes conditions ([column, operator, value] lists, dicts or "
        f"col(...) comparisons), not a {type(condition).__name__}"
    )

"""Normalising the values a verification compares, and refusing inputs that are not one
whole exact value.

Both sides pass through the same function of the field: the caller's input and the
dataset's stored value become one canonical text (Unicode NFKC, trimmed, case-folded
where the field declares its case insensitive; integers in decimal, dates in ISO form,
booleans as ``true``/``false``), and only those texts are ever compared (as keyed hashes,
:mod:`sandbox.verification.index`).

An input is refused, before any quota is used, when it could read as a pattern or a
fragment instead of one value (Qingdao art. 13 opens an interface "for verification", not
a search): empty, holding a wildcard character (``*``, ``%``, ``?``, and ``_`` where the
field declares it), or shorter than the field's declared minimum. Refusals name the record
and the field, never the value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sandbox.catalog.dictionary import ColumnType
from sandbox.errors import InvalidRequest
from sandbox.verification.model import (
    ALWAYS_WILDCARDS,
    MAX_VALUE_CHARS,
    UNDERSCORE,
    CasePolicy,
    FieldSpec,
)

MATCHABLE_TYPES = frozenset({ColumnType.STRING, ColumnType.INT64, ColumnType.DATE, ColumnType.BOOL})
"""Column types compared exactly; floats and timestamps have no exact value to verify."""
KEY_TYPES = frozenset({ColumnType.STRING, ColumnType.INT64})
"""Types an identifier key field may have."""

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


class InvalidRecord(InvalidRequest):
    """A submitted record cannot be verified as it is; the message names the record and
    the field (never the value). Nothing was answered or counted.
    """

    code = "invalid_record"


def _text(value: str, spec: FieldSpec, kind: ColumnType) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if kind is ColumnType.STRING and spec.case is CasePolicy.INSENSITIVE:
        text = text.casefold()
    return text


def stored_value(spec: FieldSpec, kind: ColumnType, value: object) -> str | None:
    """The canonical text of a stored value (``None`` for a missing one: it matches
    nothing).
    """
    if value is None:
        return None
    if kind is ColumnType.BOOL:
        return "true" if value else "false"
    if kind is ColumnType.INT64:
        return str(int(value))  # type: ignore[call-overload]
    if kind is ColumnType.DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return None
    return _text(str(value), spec, kind)


def input_value(spec: FieldSpec, kind: ColumnType, value: object, where: str) -> str:
    """The canonical text of one input, or :class:`InvalidRecord` saying why not."""
    label = f"{where}: field {spec.name!r}"
    if value is None:
        raise InvalidRecord(f"{label} is missing; every field of the service is required")
    if kind is ColumnType.BOOL and isinstance(value, bool):
        return "true" if value else "false"
    if kind is ColumnType.INT64 and type(value) is int:
        return str(value)
    if not isinstance(value, str):
        raise InvalidRecord(f"{label} must be given as text")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidRecord(f"{label} is longer than {MAX_VALUE_CHARS} characters")
    wildcards = sorted(set(value) & (ALWAYS_WILDCARDS | _extra(spec)))
    if wildcards:
        shown = " ".join(repr(c) for c in wildcards)
        raise InvalidRecord(
            f"{label} holds the wildcard character {shown}: a verification matches whole "
            "exact values only, so give the value itself (Qingdao art. 13)"
        )
    text = _text(value, spec, kind)
    if not text:
        raise InvalidRecord(f"{label} is empty")
    if len(text) < spec.min_length:
        raise InvalidRecord(
            f"{label} is shorter than its minimum of {spec.min_length} characters: partial "
            "values are refused"
        )
    return _typed(text, kind, label)


def _extra(spec: FieldSpec) -> frozenset[str]:
    return frozenset(UNDERSCORE) if spec.refuse_underscore else frozenset()


def _typed(text: str, kind: ColumnType, label: str) -> str:
    if kind is ColumnType.INT64:
        body = text[1:] if text[:1] in "+-" else text
        if not body.isascii() or not body.isdigit():
            raise InvalidRecord(f"{label} must be a whole number")
        return str(int(text))
    if kind is ColumnType.DATE:
        try:
            return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date(label)
        except ValueError:
            return _bad_date(label)
    if kind is ColumnType.BOOL:
        lowered = text.casefold()
        if lowered in _TRUE:
            return "true"
        if lowered in _FALSE:
            return "false"
        raise InvalidRecord(f"{label} must be true or false")
    return text


def _bad_date(label: str) -> str:
    raise InvalidRecord(f"{label} must be a date written YYYY-MM-DD")


def input_record(
    fields: Sequence[FieldSpec],
    kinds: Sequence[ColumnType],
    record: object,
    where: str,
) -> tuple[str, ...]:
    """The canonical texts of one record's fields, in the service's field order."""
    if not isinstance(record, Mapping):
        raise InvalidRecord(f"{where} must be an object of field names to values")
    names = [spec.name for spec in fields]
    unknown = sorted(str(key) for key in record if key not in names)
    if unknown:
        raise InvalidRecord(
            f"{where} holds unknown fields {', '.join(repr(n) for n in unknown)}; "
            f"this service takes: {', '.join(names)}"
        )
    return tuple(
        input_value(spec, kind, record.get(spec.name), where)
        for spec, kind in zip(fields, kinds, strict=True)
    )

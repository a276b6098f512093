"""Which columns a DP model reads, with which public bounds: checked before anything is read.

A model call names its target ``y`` (supervised families) and its features ``x`` (or
``columns``); each is a stored column or a derived one of the handle's shape. The checks
here use only public facts (the data dictionary, the derived columns' definitions, the
call's arguments), so a refusal costs nothing and never quotes a data value:

* an identifier column or the privacy unit is never a model column;
* a numeric feature needs public bounds, from the call's ``bounds={"col": [lower, upper]}``
  or the dictionary's declared ``lower``/``upper`` (never the data's range: that leaks);
* a categorical feature (declared categories, a boolean, a derived ``bin``/``map``/
  ``date_part``) is one-hot over its public categories, each indicator bounded by [0, 1];
* any other column (free text, dates) cannot be a feature;
* a numeric target is bounded like a feature; a categorical one is class indices into its
  public categories (made binary, ``positive`` against the rest, for a binary family).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.catalog.dictionary import Classification, ColumnType, DataDictionary
from sandbox.engine.columns import ColumnInfo
from sandbox.engine.models.family import Family, Target
from sandbox.engine.validation import MAX_BOUND, InvalidQuery, column_name, number_of

MAX_FEATURES = 64
"""Most features (after one-hot encoding) one model may have."""


@dataclass(frozen=True)
class Feature:
    """One column of the feature matrix."""

    name: str
    """``age``, or ``region=North`` for one indicator of a one-hot column."""
    source: str
    """The column it is read from (stored or derived)."""
    bounds: tuple[float, float]
    category: Any = None
    """The category this indicator is 1 for; ``None`` for a numeric feature."""
    categories: tuple[Any, ...] = ()
    """All declared categories of a one-hot source (a row with another value is dropped)."""


@dataclass(frozen=True)
class ModelSpec:
    """What a model call reads (see the module docstring)."""

    call: str
    features: tuple[Feature, ...]
    columns: tuple[str, ...]
    """The feature columns as the call named them."""
    target: str | None = None
    target_bounds: tuple[float, float] | None = None
    target_categories: tuple[Any, ...] = ()
    """The target's declared values, in class order (``classes`` as their text)."""
    classes: tuple[str, ...] = ()
    positive: Any = None
    """A binary family's positive class value (class 1; every other category is class 0)."""

    @property
    def sources(self) -> tuple[str, ...]:
        """Every column read, each once (features, then the target)."""
        names = [f.source for f in self.features]
        if self.target is not None:
            names.append(self.target)
        return tuple(dict.fromkeys(names))

    def describe(self) -> dict[str, Any]:
        """The public facts of the spec, for the release report."""
        out: dict[str, Any] = {
            "features": [f.name for f in self.features],
            "bounds": {f.name: list(f.bounds) for f in self.features},
        }
        if self.target is not None:
            out["target"] = self.target
        if self.target_bounds is not None:
            out["target_bounds"] = list(self.target_bounds)
        if self.classes:
            out["classes"] = list(self.classes)
        return out


def _names(call: str, value: object, label: str) -> tuple[str, ...]:
    if type(value) is str:
        items: list[object] = [value]
    elif type(value) in (list, tuple):
        items = list(value)  # type: ignore[call-overload]
    else:
        raise InvalidQuery(f"{call}(): {label} must be a column name or a list of column names")
    if not items:
        raise InvalidQuery(f"{call}(): {label} needs at least one column")
    names = tuple(column_name(item, f"{label} (each)") for item in items)
    for index, name in enumerate(names):
        if name in names[:index]:
            raise InvalidQuery(f"{call}(): column {name!r} is named twice in {label}")
    return names


def _bounds_arg(call: str, value: object) -> dict[str, tuple[float, float]]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise InvalidQuery(f"{call}(): bounds must be a dict of column name to [lower, upper]")
    out: dict[str, tuple[float, float]] = {}
    for key, pair in value.items():
        name = column_name(key, "a bounds key")
        if type(pair) not in (list, tuple) or len(pair) != 2:
            raise InvalidQuery(f"{call}(): bounds[{name!r}] must be [lower, upper]")
        low = number_of(pair[0], f"bounds[{name!r}] lower")
        high = number_of(pair[1], f"bounds[{name!r}] upper")
        if abs(low) > MAX_BOUND or abs(high) > MAX_BOUND:
            raise InvalidQuery(f"{call}(): bounds[{name!r}] must be within +/- 2**52")
        if not low < high:
            raise InvalidQuery(f"{call}(): bounds[{name!r}] needs lower below upper")
        out[name] = (low, high)
    return out


class _Columns:
    """The columns a call may name, and the checks common to features and the target."""

    def __init__(
        self,
        call: str,
        columns: Mapping[str, ColumnInfo],
        dictionary: DataDictionary,
        privacy_unit: str | None,
        bounds: dict[str, tuple[float, float]],
    ) -> None:
        self.call = call
        self.columns = columns
        self.dictionary = dictionary
        self.privacy_unit = privacy_unit
        self.bounds = bounds

    def info(self, name: str, role: str) -> ColumnInfo:
        info = self.columns.get(name)
        if info is None:
            raise InvalidQuery(f"{self.call}(): the dataset has no column {name!r} ({role})")
        if info.classification is Classification.IDENTIFIER or name == self.privacy_unit:
            raise InvalidQuery(
                f"{self.call}(): column {name!r} is an identifier (or the privacy unit): "
                "it cannot be a model column"
            )
        return info

    def numeric_bounds(self, info: ColumnInfo, role: str) -> tuple[float, float]:
        if info.name in self.bounds:
            return self.bounds[info.name]
        spec = None if info.derived else self.dictionary.by_name.get(info.name)
        if spec is not None and spec.lower is not None and spec.upper is not None:
            if spec.lower < spec.upper:
                return (float(spec.lower), float(spec.upper))
        raise InvalidQuery(
            f"{self.call}(): the {role} column {info.name!r} needs public bounds: give "
            f"bounds={{{info.name!r}: [lower, upper]}} or declare them in the data dictionary"
        )

    @staticmethod
    def categorical(info: ColumnInfo) -> bool:
        return info.categories is not None and len(info.categories) > 0


def _features(family: Family, cols: _Columns, names: Sequence[str]) -> list[Feature]:
    out: list[Feature] = []
    for name in names:
        info = cols.info(name, "feature")
        if info.type.is_numeric and not info.derived:
            out.append(Feature(name, name, cols.numeric_bounds(info, "feature")))
        elif cols.categorical(info) and info.type is not ColumnType.DATE:
            if not family.one_hot:
                raise InvalidQuery(
                    f"{cols.call}(): column {name!r} is categorical: this model takes "
                    "numeric features only"
                )
            categories = tuple(info.categories or ())
            kept = categories[1:] if family.drop_first else categories
            out += [
                Feature(f"{name}={value}", name, (0.0, 1.0), value, categories) for value in kept
            ]
        else:
            raise InvalidQuery(
                f"{cols.call}(): column {name!r} is {info.type} without declared categories: "
                "a model feature must be numeric or categorical"
            )
    if len(out) > MAX_FEATURES:
        raise InvalidQuery(
            f"{cols.call}(): at most {MAX_FEATURES} features (after one-hot encoding) "
            f"may be used, not {len(out)}"
        )
    return out


def model_spec(
    family: Family,
    *,
    columns: Mapping[str, ColumnInfo],
    dictionary: DataDictionary,
    privacy_unit: str | None,
    x: object,
    y: object = None,
    bounds: object = None,
    positive: object = None,
) -> ModelSpec:
    """The checked spec of one model call (see the module docstring)."""
    call = family.operation.value
    cols = _Columns(call, columns, dictionary, privacy_unit, _bounds_arg(call, bounds))
    label = "columns" if family.target is Target.NONE else "x"
    names = _names(call, x, label)
    target: str | None = None
    target_bounds: tuple[float, float] | None = None
    categories: tuple[Any, ...] = ()
    classes: tuple[str, ...] = ()
    chosen: Any = None
    if family.target is Target.NONE:
        if y is not None:
            raise InvalidQuery(f"{call}(): this model has no target y")
    else:
        if y is None:
            raise InvalidQuery(f"{call}(): the target column y is required")
        target = column_name(y, "y")
        if target in names:
            raise InvalidQuery(f"{call}(): the target {target!r} cannot also be a feature")
        info = cols.info(target, "target")
        if family.target is Target.NUMERIC:
            if not info.type.is_numeric or info.derived:
                raise InvalidQuery(f"{call}(): the target {target!r} must be a numeric column")
            target_bounds = cols.numeric_bounds(info, "target")
        else:
            categories, classes, chosen = _classes(family, cols, info, positive)
    if positive is not None and not family.binary_target:
        raise InvalidQuery(f"{call}(): unknown parameter 'positive'")
    features = _features(family, cols, names)
    for name in cols.bounds:  # a typo or a non-numeric column is refused; others may wait
        bounded = columns.get(name)
        if bounded is None or not bounded.type.is_numeric or bounded.derived:
            raise InvalidQuery(f"{call}(): bounds names {name!r}, which is not a numeric column")
    return ModelSpec(
        call=call,
        features=tuple(features),
        columns=names,
        target=target,
        target_bounds=target_bounds,
        target_categories=categories,
        classes=classes,
        positive=chosen,
    )


def _classes(
    family: Family, cols: _Columns, info: ColumnInfo, positive: object
) -> tuple[tuple[Any, ...], tuple[str, ...], Any]:
    call, name = cols.call, info.name
    if not cols.categorical(info):
        raise InvalidQuery(
            f"{call}(): the target {name!r} must be categorical (declared categories or a boolean)"
        )
    categories = tuple(info.categories or ())
    if len(categories) < 2:
        raise InvalidQuery(f"{call}(): the target {name!r} needs at least two categories")
    if not family.binary_target:
        return categories, tuple(str(c) for c in categories), None
    if positive is None:
        if len(categories) > 2:
            raise InvalidQuery(
                f"{call}(): the target {name!r} has {len(categories)} categories: give "
                "positive=<the category modelled against the rest>"
            )
        chosen = categories[1]
    else:
        matches = [c for c in categories if c == positive and type(c) is type(positive)]
        if not matches:
            raise InvalidQuery(
                f"{call}(): positive must be one of the declared categories of {name!r}"
            )
        chosen = matches[0]
    negative = (
        str(next(c for c in categories if c != chosen)) if len(categories) == 2 else f"not {chosen}"
    )
    return categories, (negative, str(chosen)), chosen

"""The data dictionary: what each column of a dataset is, declared by its provider.

The dictionary is the contract an upload is checked against, the source of the synthetic
preview, and later the source of public group keys (declared categories) and bounds for the
DP engine. It is pure data with validation; no I/O here.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sandbox._parse import parse_enum
from sandbox.errors import InvalidRequest

COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MAX_CATEGORIES = 10_000


class ColumnType(enum.StrEnum):
    """Logical column types and the Arrow type each one is stored as."""

    INT64 = "int64"
    FLOAT64 = "float64"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"

    def arrow_type(self) -> pa.DataType:
        """The Arrow type a stored column of this type has."""
        return _ARROW_TYPES[self]

    @property
    def is_numeric(self) -> bool:
        """Whether bounds make sense for this type."""
        return self in (ColumnType.INT64, ColumnType.FLOAT64)


_ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.INT64: pa.int64(),
    ColumnType.FLOAT64: pa.float64(),
    ColumnType.STRING: pa.string(),
    ColumnType.BOOL: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
}


class Classification(enum.StrEnum):
    """How disclosive a column is; decides what the platform may ever release about it."""

    IDENTIFIER = "identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE = "sensitive"
    PUBLIC = "public"


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the data dictionary."""

    name: str
    """Column name as it appears in the data file."""
    type: ColumnType
    """Logical type; the stored Parquet column has the matching Arrow type."""
    description: str
    """What the column means, for users reading the catalog."""
    classification: Classification
    """Identifier, quasi-identifier, sensitive or public."""
    categories: tuple[str, ...] | None = None
    """Declared categories of a categorical column: public keys, never read from the data."""
    lower: float | None = None
    """Declared lower bound of a numeric column, if the provider states one."""
    upper: float | None = None
    """Declared upper bound of a numeric column, if the provider states one."""
    nullable: bool = True
    """Whether missing values are expected (nulls are counted either way)."""

    def __post_init__(self) -> None:
        if not COLUMN_NAME.match(self.name):
            raise InvalidRequest(
                f"column name {self.name!r} must be a letter or '_' followed by up to 62 "
                "letters, digits or '_'"
            )
        if self.categories is not None:
            if self.type is not ColumnType.STRING:
                raise InvalidRequest(
                    f"column {self.name!r}: categories can only be declared on string columns"
                )
            if not self.categories:
                raise InvalidRequest(f"column {self.name!r}: the category list is empty")
            if len(self.categories) > MAX_CATEGORIES:
                raise InvalidRequest(
                    f"column {self.name!r}: at most {MAX_CATEGORIES} categories may be declared"
                )
            if len(set(self.categories)) != len(self.categories):
                raise InvalidRequest(f"column {self.name!r}: categories repeat a value")
        for bound_name, bound in (("lower", self.lower), ("upper", self.upper)):
            if bound is None:
                continue
            if not self.type.is_numeric:
                raise InvalidRequest(
                    f"column {self.name!r}: a {bound_name} bound needs a numeric column, "
                    f"not {self.type}"
                )
            if not math.isfinite(bound):
                raise InvalidRequest(f"column {self.name!r}: the {bound_name} bound is not finite")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise InvalidRequest(
                f"column {self.name!r}: lower bound {self.lower} is above upper bound {self.upper}"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as stored in the catalog and returned by the API."""
        return {
            "name": self.name,
            "type": str(self.type),
            "description": self.description,
            "classification": str(self.classification),
            "categories": list(self.categories) if self.categories is not None else None,
            "lower": self.lower,
            "upper": self.upper,
            "nullable": self.nullable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        """Parse one column, naming the field that is wrong."""
        name = data.get("name")
        label = f"column {name!r}" if isinstance(name, str) else "a column"
        if not isinstance(name, str):
            raise InvalidRequest("every column of the dictionary needs a string 'name'")
        unknown = set(data) - {
            "name",
            "type",
            "description",
            "classification",
            "categories",
            "lower",
            "upper",
            "nullable",
        }
        if unknown:
            raise InvalidRequest(f"{label}: unknown field(s) {sorted(unknown)}")
        col_type = parse_enum(ColumnType, data.get("type"), f"{label}: type")
        classification = parse_enum(
            Classification, data.get("classification"), f"{label}: classification"
        )
        description = data.get("description", "")
        if not isinstance(description, str):
            raise InvalidRequest(f"{label}: description must be a string")
        categories = data.get("categories")
        if categories is not None and (
            not isinstance(categories, list) or not all(isinstance(c, str) for c in categories)
        ):
            raise InvalidRequest(f"{label}: categories must be a list of strings")
        nullable = data.get("nullable", True)
        if not isinstance(nullable, bool):
            raise InvalidRequest(f"{label}: nullable must be true or false")
        return cls(
            name=name,
            type=col_type,
            description=description,
            classification=classification,
            categories=tuple(categories) if categories is not None else None,
            lower=_bound(data.get("lower"), f"{label}: lower"),
            upper=_bound(data.get("upper"), f"{label}: upper"),
            nullable=nullable,
        )


def _bound(value: object, label: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"{label} bound must be a number")
    return float(value)


@dataclass(frozen=True)
class DataDictionary:
    """The ordered columns of a dataset."""

    columns: tuple[ColumnSpec, ...]
    """Columns in file order."""
    by_name: dict[str, ColumnSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.columns:
            raise InvalidRequest("the data dictionary must declare at least one column")
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidRequest(f"the data dictionary declares {duplicates} more than once")
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    def arrow_schema(self) -> pa.Schema:
        """The schema every stored version of the dataset has."""
        return pa.schema(
            [pa.field(c.name, c.type.arrow_type(), nullable=True) for c in self.columns]
        )

    def to_list(self) -> list[dict[str, Any]]:
        """JSON form."""
        return [c.to_dict() for c in self.columns]

    @classmethod
    def from_list(cls, data: object) -> DataDictionary:
        """Parse a dictionary given as a list of column objects."""
        if not isinstance(data, Sequence) or isinstance(data, str | bytes):
            raise InvalidRequest("the data dictionary must be a list of columns")
        columns = []
        for item in data:
            if not isinstance(item, Mapping):
                raise InvalidRequest("each column of the data dictionary must be an object")
            columns.append(ColumnSpec.from_dict(item))
        return cls(columns=tuple(columns))

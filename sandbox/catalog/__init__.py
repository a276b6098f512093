"""The catalog: data dictionaries, entries, versions, open attributes and their rules.

- :mod:`dictionary`, :mod:`model`, :mod:`rules`, :mod:`preview`, :mod:`parsing`: pure value
  types and rules;
- :mod:`queries`, :mod:`permissions`, :mod:`suspension`, :mod:`changes`: the catalog's rows in
  the store, who sees what, suspensions, and attribute changes.

What needs the platform (registering versions, reading data) is :mod:`sandbox.datasets`,
one layer up.
"""

from sandbox.catalog.dictionary import Classification, ColumnSpec, ColumnType, DataDictionary
from sandbox.catalog.model import (
    AttributeChange,
    CatalogEntry,
    ChangeStatus,
    DatasetMetadata,
    OpenAttribute,
    SourceFormat,
    UpdateFrequency,
)

__all__ = [
    "AttributeChange",
    "CatalogEntry",
    "ChangeStatus",
    "Classification",
    "ColumnSpec",
    "ColumnType",
    "DataDictionary",
    "DatasetMetadata",
    "OpenAttribute",
    "SourceFormat",
    "UpdateFrequency",
]

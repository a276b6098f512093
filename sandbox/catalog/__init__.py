"""The catalog: data dictionaries, entries, versions, open attributes and their rules.

- :mod:`dictionary`, :mod:`model`, :mod:`rules`, :mod:`preview`: pure value types and rules;
- :mod:`registry`: registering datasets and versions (ingest through :mod:`sandbox.storage`);
- :mod:`access`: reads enforced by open attribute; :mod:`changes`: attribute changes.
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

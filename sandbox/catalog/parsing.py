"""Turn loosely typed registration input (JSON, CLI flags) into validated catalog values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox._parse import parse_enum
from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import DatasetMetadata, OpenAttribute, SourceFormat, UpdateFrequency

__all__ = ["parse_enum", "parse_format", "parse_metadata"]


def parse_format(value: str | None) -> SourceFormat | None:
    """A declared source format, or None to detect it from the file."""
    return None if value is None else parse_enum(SourceFormat, value, "format")


def parse_metadata(data: Mapping[str, Any]) -> DatasetMetadata:
    """Validate a registration's metadata fields (the data source is separate)."""
    return DatasetMetadata(
        name=str(data["name"]),
        title=str(data["title"]),
        description=str(data.get("description", "")),
        open_attribute=parse_enum(OpenAttribute, data["open_attribute"], "open_attribute"),
        open_conditions=str(data.get("open_conditions", "")),
        data_format=str(data.get("data_format", "parquet")),
        data_type=str(data.get("data_type", "table")),
        update_frequency=parse_enum(
            UpdateFrequency, data.get("update_frequency", "irregular"), "update_frequency"
        ),
        contact=str(data["contact"]),
        legal_basis=str(data.get("legal_basis", "")),
        privacy_unit=data.get("privacy_unit"),
        dictionary=DataDictionary.from_list(data["dictionary"]),
    )

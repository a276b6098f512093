"""Dataset storage: staged uploads, immutable Parquet versions, ingest and quality reports."""

from sandbox.storage.datastore import DataStore
from sandbox.storage.ingest import IngestResult, ingest
from sandbox.storage.readers import SourceFile
from sandbox.storage.staging import StagedFile, StagingArea

__all__ = ["DataStore", "IngestResult", "SourceFile", "StagedFile", "StagingArea", "ingest"]

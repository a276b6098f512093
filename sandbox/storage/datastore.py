"""Where dataset versions live: a pyarrow filesystem rooted at ``SANDBOX_DATA_URI``.

A local path is the embedded default; ``s3://bucket/prefix`` (or any URI pyarrow
understands) goes through pyarrow's own filesystem for it. Files are written once and never
changed: a new version is a new file.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from sandbox.errors import InvalidRequest

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class DataStore:
    """A filesystem plus the root path under it that holds every dataset version."""

    filesystem: pafs.FileSystem
    root: str

    @classmethod
    def from_uri(cls, uri: str) -> DataStore:
        """Open the data root named by a local path or a filesystem URI."""
        if "://" not in uri:
            path = Path(uri).resolve()
            path.mkdir(parents=True, exist_ok=True)
            return cls(pafs.LocalFileSystem(), str(path))
        try:
            filesystem, root = pafs.FileSystem.from_uri(uri)
        except Exception as exc:  # pyarrow raises several types for a bad URI
            raise InvalidRequest(f"cannot open data root {uri!r}: {exc}") from exc
        filesystem.create_dir(root, recursive=True)
        return cls(filesystem, root.rstrip("/"))

    def new_version_path(self, dataset: str, version: int) -> str:
        """A fresh, never-used path for a version file (unique even if two writers race)."""
        directory = f"{self.root}/{dataset}"
        self.filesystem.create_dir(directory, recursive=True)
        return f"{directory}/v{version:05d}-{uuid.uuid4().hex[:12]}.parquet"

    def delete(self, path: str) -> None:
        """Remove a file if it exists (used to undo a failed ingest)."""
        info = self.filesystem.get_file_info(path)
        if info.type != pafs.FileType.NotFound:
            self.filesystem.delete_file(path)

    def size(self, path: str) -> int:
        """Size of a stored file in bytes."""
        return int(self.filesystem.get_file_info(path).size or 0)

    def sha256(self, path: str) -> str:
        """Hex SHA-256 of a stored file, read in chunks."""
        digest = hashlib.sha256()
        for chunk in self.iter_bytes(path):
            digest.update(chunk)
        return digest.hexdigest()

    def iter_bytes(self, path: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
        """Stream a stored file in bounded chunks."""
        with self.filesystem.open_input_stream(path) as stream:
            while chunk := stream.read(chunk_size):
                yield bytes(chunk)

    def list_files(self) -> list[str]:
        """Every file under the root (used by tests to prove nothing was left behind)."""
        selector = pafs.FileSelector(self.root, recursive=True, allow_not_found=True)
        return sorted(
            info.path
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
        )

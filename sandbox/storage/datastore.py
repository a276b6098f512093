"""Where dataset versions live: a pyarrow filesystem rooted at ``SANDBOX_DATA_URI``.

A local path is the embedded default; ``s3://bucket/prefix`` (or any URI pyarrow
understands) goes through pyarrow's own filesystem for it. With ``SANDBOX_S3_*`` settings an
``s3://`` root is opened with exactly those endpoint and credentials
(:meth:`DataStore.from_settings`), the same in the server and in every Ray task, which gets
them with its settings; the filesystem object the engine hands its own tasks carries them
too. Files are written once, under their final names, and never changed: a new version is
a new file, committed by its catalog row; a derived copy is committed by its manifest
(:mod:`sandbox.storage.committed`). Nothing is ever moved or renamed, which S3 cannot do.

A store that cannot be reached, or refuses this process (no or wrong credentials), is a
:class:`~sandbox.errors.StorageUnavailable`, not whatever pyarrow raised.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

from sandbox.config import Settings
from sandbox.errors import InvalidRequest, StorageUnavailable

log = logging.getLogger(__name__)

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class DataStore:
    """A filesystem plus the root path under it that holds every dataset version."""

    filesystem: pafs.FileSystem
    root: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DataStore:
        """Open the data root of ``settings``, with its S3 endpoint and credentials if set."""
        uri = settings.resolved_data_uri()
        if uri.startswith("s3://") and (settings.s3_access_key_id or settings.s3_endpoint_url):
            return cls._opened(s3_filesystem(settings), uri.removeprefix("s3://"), uri)
        return cls.from_uri(uri)

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
        return cls._opened(filesystem, root, uri)

    @classmethod
    def _opened(cls, filesystem: pafs.FileSystem, root: str, uri: str) -> DataStore:
        """The store, once its root answers: created if missing, then listed."""
        root = root.rstrip("/")
        if "?" in root:
            raise InvalidRequest(
                f"data root {uri!r}: give the S3 endpoint and credentials as SANDBOX_S3_* "
                "settings, not in the URI"
            )
        try:
            filesystem.create_dir(root, recursive=True)
            filesystem.get_file_info(pafs.FileSelector(root, allow_not_found=True))
        except OSError as exc:
            raise storage_unavailable(uri, exc) from exc
        return cls(filesystem, root)

    def probe(self) -> None:
        """Raise :class:`StorageUnavailable` unless the root can be listed now."""
        try:
            self.filesystem.get_file_info(pafs.FileSelector(self.root, allow_not_found=True))
        except OSError as exc:
            raise storage_unavailable(self.root, exc) from exc

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


def s3_filesystem(settings: Settings) -> pafs.S3FileSystem:
    """The S3 filesystem of pyarrow with the endpoint and credentials of ``settings``."""
    options: dict[str, object] = {}
    endpoint = settings.s3_endpoint_url
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        if not host:
            scheme, host = "https", endpoint
        options["endpoint_override"] = host.rstrip("/")
        options["scheme"] = scheme
    if settings.s3_region:
        options["region"] = settings.s3_region
    if settings.s3_access_key_id:
        options["access_key"] = settings.s3_access_key_id
        options["secret_key"] = settings.s3_secret_access_key.get_secret_value()
        token = settings.s3_session_token.get_secret_value()
        if token:
            options["session_token"] = token
    return pafs.S3FileSystem(**options)


def storage_unavailable(where: str, exc: OSError) -> StorageUnavailable:
    """The error for a data store that did not answer. Its cause (the store's own words)
    is logged for the operator; the error says only what a caller may know.
    """
    log.error("the data store %s is unavailable: %s", where, exc)
    return StorageUnavailable(
        "the data store is unavailable (storage unavailable): the platform cannot reach its "
        "data root or lacks its credentials; the operator must check SANDBOX_DATA_URI and "
        "SANDBOX_S3_*, then try again"
    )

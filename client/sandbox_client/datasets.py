"""The client's side of ``/v1/datasets`` (``api/routers/datasets.py``).

Registration and new versions upload first (:class:`UploadsMixin`); reading pages rows
and streams downloads to disk without holding them whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from sandbox_client._http import JSON, drop_none
from sandbox_client._transfer import (
    CHUNK_BYTES,
    DownloadFormat,
    DownloadResult,
    SourceFormat,
    maybe_progress,
)
from sandbox_client.uploads import UploadsMixin


class DatasetsMixin(UploadsMixin):
    """The catalog: register, add versions, read, page, download; provider records."""

    def register_dataset(
        self,
        path: str | os.PathLike[str],
        metadata: Mapping[str, Any],
        format: SourceFormat | None = None,  # noqa: A002 - the API's field name
        progress: bool = False,
    ) -> JSON:
        """Upload a local file and register it as a new dataset's first version (provider).

        ``metadata`` holds the registration fields (name, title, open_attribute, contact,
        dictionary, ...); ``format`` is detected from the file when not given.
        """
        return self._from_upload(
            path, progress, lambda source: self._register(source, metadata, format)
        )

    def register_dataset_from_path(
        self,
        server_path: str,
        metadata: Mapping[str, Any],
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Register a file the server reads itself from an allowed import root (bulk loads)."""
        return self._register({"path": server_path}, metadata, format)

    def _register(
        self, source: JSON, metadata: Mapping[str, Any], fmt: SourceFormat | None
    ) -> JSON:
        body = {**metadata, "source": source, "format": fmt}
        return self._obj("POST", "/datasets", json=body)

    def add_version(
        self,
        name: str,
        path: str | os.PathLike[str],
        format: SourceFormat | None = None,  # noqa: A002
        note: str = "",
        progress: bool = False,
    ) -> JSON:
        """Upload a local file and store it as the dataset's next version (provider)."""
        return self._from_upload(
            path, progress, lambda source: self._add_version(name, source, format, note)
        )

    def add_version_from_path(
        self,
        name: str,
        server_path: str,
        format: SourceFormat | None = None,  # noqa: A002
        note: str = "",
    ) -> JSON:
        """Store a server-side file as the dataset's next version (bulk loads)."""
        return self._add_version(name, {"path": server_path}, format, note)

    def _add_version(self, name: str, source: JSON, fmt: SourceFormat | None, note: str) -> JSON:
        return self._obj(
            "POST",
            f"/datasets/{name}/versions",
            json={"source": source, "format": fmt, "note": note},
        )

    def list_datasets(self) -> list[JSON]:
        """The whole catalog as you may see it."""
        return cast(list[JSON], self._obj("GET", "/datasets")["data"])

    def get_dataset(self, name: str) -> JSON:
        """One catalog entry."""
        return self._obj("GET", f"/datasets/{name}")

    def list_versions(self, name: str) -> list[JSON]:
        """A dataset's versions, oldest first."""
        return self._list("GET", f"/datasets/{name}/versions")

    def quality(self, name: str, version: int | None = None) -> JSON:
        """A version's quality report (counts only); the newest version by default."""
        return self._obj("GET", f"/datasets/{name}/quality", params=drop_none({"version": version}))

    def preview(self, name: str, rows: int = 10) -> JSON:
        """Preview rows: synthetic for conditional data (``synthetic`` says which)."""
        return self._obj("GET", f"/datasets/{name}/preview", params={"rows": rows})

    def make_synthetic_preview(
        self,
        name: str,
        epsilon: float,
        rows: int = 1000,
        columns: list[str] | None = None,
        bins: int | None = None,
        bounds: dict[str, list[float]] | None = None,
    ) -> JSON:
        """Replace your conditional dataset's uniform mock preview with a DP synthetic
        sample (MST), charged to its lifetime budget: the catalog record and the report.
        """
        body = drop_none(
            {"epsilon": epsilon, "rows": rows, "columns": columns, "bins": bins, "bounds": bounds}
        )
        return self._obj("POST", f"/datasets/{name}/synthetic-preview", json=body)

    def withdraw_synthetic_preview(self, name: str) -> JSON:
        """Serve the uniform mock preview again (the budget spent stays spent)."""
        return self._obj("DELETE", f"/datasets/{name}/synthetic-preview")

    def rows(
        self,
        name: str,
        offset: int = 0,
        limit: int = 100,
        version: int | None = None,
        *,
        columns: Sequence[str] | None = None,
        filters: Sequence[str] = (),
        sort: Sequence[str] = (),
        cursor: str | None = None,
    ) -> JSON:
        """One page of rows of unconditional data, of a query when given one.

        ``filters`` are ``column:op:value`` strings (``"age:ge:65"``, ``"district:in:a,b"``,
        ``"age:between:18,64"``, ``"income:null"``), joined by *and*; ``sort`` names columns,
        ``"-income"`` descending; ``cursor`` is a page's ``next_cursor`` (alone: it carries the
        version and the offset).
        """
        params: dict[str, Any] = drop_none(
            {
                "limit": limit,
                "columns": ",".join(columns) if columns is not None else None,
                "sort": ",".join(sort) or None,
                "cursor": cursor,
            }
        )
        if cursor is None:
            params |= drop_none({"offset": offset, "version": version})
        if filters:
            params["filter"] = list(filters)
        return self._obj("GET", f"/datasets/{name}/rows", params=params)

    def iter_rows(
        self,
        name: str,
        page_size: int = 1000,
        version: int | None = None,
        *,
        columns: Sequence[str] | None = None,
        filters: Sequence[str] = (),
        sort: Sequence[str] = (),
    ) -> Iterator[JSON]:
        """Every row of unconditional data (matching a query), page by page by cursor.

        The first page fixes the version, so a version added meanwhile never mixes in.
        """
        query: dict[str, Any] = {"columns": columns, "filters": filters, "sort": sort}
        page = self.rows(name, limit=page_size, version=version, **query)
        offset = 0
        while True:
            rows = cast(list[JSON], page["rows"])
            yield from rows
            offset += len(rows)
            if "next_cursor" in page:
                if not page["next_cursor"]:
                    return
                page = self.rows(name, limit=page_size, cursor=str(page["next_cursor"]), **query)
                continue
            # A server without cursors pages by offset, pinned to the first page's version.
            if not rows or offset >= int(
                page["matched_rows"] if "matched_rows" in page else page["total_rows"]
            ):
                return
            pinned = int(page["version"])
            page = self.rows(name, offset=offset, limit=page_size, version=pinned, **query)

    def download(
        self,
        name: str,
        dest_path: str | os.PathLike[str],
        format: DownloadFormat = "parquet",  # noqa: A002
        version: int | None = None,
        progress: bool = False,
    ) -> DownloadResult:
        """Stream unconditional data to ``dest_path`` as Parquet or CSV.

        The body goes to a ``.part`` file beside the destination, renamed into place only
        once complete, so a refused or broken transfer never leaves a half file behind.
        """
        dest = Path(dest_path)
        partial = dest.with_name(dest.name + ".part")
        params = drop_none({"format": format, "version": version})
        written = 0
        try:
            with (
                self._stream("GET", f"/datasets/{name}/download", params=params) as response,
                maybe_progress(progress) as bar,
                partial.open("wb") as out,
            ):
                task = None
                if bar is not None:
                    length = response.headers.get("Content-Length")
                    task = bar.add_task(f"download {name}", total=int(length) if length else None)
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
                    if bar is not None and task is not None:
                        bar.advance(task, len(chunk))
                served = response.headers.get("X-Dataset-Version")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return DownloadResult(path=dest, version=int(served) if served else None, byte_size=written)

    def record_desensitisation(
        self, name: str, method: str, description: str = "", version: int | None = None
    ) -> JSON:
        """Add to a dataset's desensitisation record (provider)."""
        body = {"method": method, "description": description, "version": version}
        return self._obj("POST", f"/datasets/{name}/desensitisations", json=body)

    def request_attribute_change(
        self,
        name: str,
        to_attribute: str,
        *,
        legal_basis: str = "",
        desensitisation_id: int | None = None,
        consent_reference: str = "",
        reason: str = "",
    ) -> JSON:
        """Ask the authority to change a dataset's open attribute (provider)."""
        body = {
            "to_attribute": to_attribute,
            "legal_basis": legal_basis,
            "desensitisation_id": desensitisation_id,
            "consent_reference": consent_reference,
            "reason": reason,
        }
        return self._obj("POST", f"/datasets/{name}/attribute-changes", json=body)

"""The client's side of the verification services (``api/routers/verification.py``).

A provider publishes a service on its conditional dataset; a grant holder verifies records
against it, a few at a time (:meth:`VerificationMixin.verify`) or a whole CSV/NDJSON file
streamed up with the answers streamed back (:meth:`VerificationMixin.verify_file`). Answers
are match booleans, never values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sandbox_client._http import JSON, ClientBase, drop_none
from sandbox_client._transfer import read_chunks
from sandbox_client.errors import SandboxClientError

BATCH_MEDIA = {
    ".csv": "text/csv",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
}


class VerificationMixin(ClientBase):
    """Publish, read and withdraw verification services; verify records against them."""

    def publish_verification_service(
        self,
        dataset: str,
        name: str,
        fields: Sequence[Mapping[str, Any]],
        *,
        answer: str = "match",
        description: str = "",
    ) -> JSON:
        """Publish a service on your conditional dataset (a provider). ``fields`` are
        ``{"name", "column", "case", "min_length", "refuse_underscore"}``; the first is the
        key (an identifier column). ``answer``: ``match`` or ``per_field``.
        """
        body = {"name": name, "fields": list(fields), "answer": answer, "description": description}
        return self._obj(
            "POST", f"/datasets/{quote(dataset, safe='')}/verification-services", json=body
        )

    def verification_services(self, dataset: str, status: str | None = None) -> list[JSON]:
        """A dataset's services (optionally ``published`` or ``withdrawn`` only)."""
        return self._list(
            "GET",
            f"/datasets/{quote(dataset, safe='')}/verification-services",
            params=drop_none({"status": status}),
        )

    def verification_service(self, service_id: int) -> JSON:
        """One service."""
        return self._obj("GET", f"/verification-services/{service_id}")

    def withdraw_verification_service(self, service_id: int, reason: str) -> JSON:
        """Withdraw a service of your dataset, with a reason (a provider)."""
        return self._obj(
            "POST", f"/verification-services/{service_id}/withdraw", json={"reason": reason}
        )

    def verification_quota(self, service_id: int, grant: str | None = None) -> JSON:
        """What your grant may still verify today against the service's dataset."""
        return self._obj(
            "GET",
            f"/verification-services/{service_id}/quota",
            params=drop_none({"grant": grant}),
        )

    def verify(
        self,
        service_id: int,
        records: Sequence[Mapping[str, str | int | bool]],
        *,
        grant: str | None = None,
    ) -> JSON:
        """Verify up to 100 records; ``answers`` holds one ``{record, match, fields}`` each,
        in order, and ``quota`` what your grant has left today.
        """
        body: dict[str, Any] = {"records": [dict(r) for r in records]}
        if grant is not None:
            body["grant"] = grant
        return self._obj("POST", f"/verification-services/{service_id}/verify", json=body)

    def verify_file(
        self,
        service_id: int,
        path: str | os.PathLike[str],
        *,
        grant: str | None = None,
        media_type: str | None = None,
    ) -> Iterator[JSON]:
        """Verify every record of a CSV (header row naming the fields) or NDJSON file,
        streamed up; yields the answers as they stream back, in the file's order. The whole
        batch is refused (before any answer) if one record is bad or the batch exceeds what
        your grant has left today.
        """
        source = Path(path)
        kind = media_type or BATCH_MEDIA.get(source.suffix.lower())
        if kind is None:
            raise SandboxClientError(
                f"cannot tell the format of {source.name}: name it .csv or .ndjson, or give "
                "media_type"
            )
        with (
            source.open("rb") as handle,
            self._stream(
                "POST",
                f"/verification-services/{service_id}/batch",
                content=read_chunks(handle, None),
                headers={"Content-Type": kind},
                params=drop_none({"grant": grant}),
            ) as response,
        ):
            for line in response.iter_lines():
                if line.strip():
                    yield json.loads(line)

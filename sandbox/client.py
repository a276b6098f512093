"""A typed Python client for the sandbox HTTP API (``/v1``), built on httpx.

One method per endpoint, plus conveniences that compose them (upload-then-register,
iterate every page of rows, stream a download to disk). Responses come back as the plain
JSON the server sent, so the client never lags behind a field the API adds.

Files move in fixed-size chunks both ways: an upload is read from disk as it is sent and a
download is written to disk as it arrives, so neither is ever held whole in memory. Every
non-2xx answer raises :class:`SandboxAPIError` carrying the server's ``error`` code and
message; a server that cannot be reached raises :class:`SandboxConnectionError`.

Example::

    with SandboxClient("http://127.0.0.1:8000", token) as client:
        entry = client.register_dataset("census.parquet", metadata, progress=True)
        client.download("bus_stops", "stops.csv", format="csv")
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Literal, cast

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sandbox.errors import SandboxError

__all__ = [
    "CHUNK_BYTES",
    "DownloadResult",
    "SandboxAPIError",
    "SandboxClient",
    "SandboxClientError",
    "SandboxConnectionError",
]

CHUNK_BYTES = 1024 * 1024
"""Transfer unit for uploads and downloads: large enough to be fast, small enough to stream."""

DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for the server between bytes; registration of a large file may need more."""

JSON = dict[str, Any]
DownloadFormat = Literal["parquet", "csv"]
SourceFormat = Literal["parquet", "csv", "arrow"]


class SandboxClientError(SandboxError):
    """Root of the errors this client raises, so a caller can catch them all at once."""

    code = "client_error"


class SandboxConnectionError(SandboxClientError):
    """The server could not be reached or the connection broke mid-request."""

    code = "connection_error"


class SandboxAPIError(SandboxClientError):
    """The server answered with a non-2xx status; ``code`` is its stable ``error`` field."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass(frozen=True)
class DownloadResult:
    """Where a download landed and what it was."""

    path: Path
    version: int | None
    """The dataset version served (from ``X-Dataset-Version``), when the server said."""
    byte_size: int


def _progress_bar() -> Progress:
    """A transfer bar on stderr, so stdout stays clean for scripts."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


def _read_chunks(handle: BinaryIO, advance: Callable[[float], None] | None) -> Iterator[bytes]:
    """Yield ``handle`` chunk by chunk, reporting each chunk's size to ``advance``."""
    while chunk := handle.read(CHUNK_BYTES):
        if advance is not None:
            advance(len(chunk))
        yield chunk


def _error_from(response: httpx.Response) -> SandboxAPIError:
    """Build the error of a non-2xx response from its ``{"error", "message"}`` body."""
    code, message = "http_error", response.reason_phrase or "request failed"
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if text:
            message = text[:500]
    else:
        if isinstance(body, dict):
            code = str(body.get("error", code))
            message = str(body.get("message", body.get("detail", message)))
    return SandboxAPIError(response.status_code, code, message)


def _drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones, so server defaults apply."""
    return {k: v for k, v in params.items() if v is not None}


class SandboxClient:
    """A connection to one sandbox server, authenticated by one bearer token.

    Args:
        base_url: The server's root, e.g. ``http://127.0.0.1:8000`` (``/v1`` is added here).
        token: A sandbox API token (``sbx_...``); ``None`` reaches only ``health()``.
        timeout: Seconds to wait for the server between bytes, or ``None`` for no limit.
        transport: An httpx transport to use instead of the network (for tests).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float | None = DEFAULT_TIMEOUT,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url + "/v1",
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    # ---- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request, turning transport failures and non-2xx answers into errors."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise SandboxConnectionError(
                f"cannot reach the sandbox server at {self.base_url}: {exc}"
            ) from exc
        if response.is_error:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _obj(self, method: str, path: str, **kwargs: Any) -> JSON:
        return cast(JSON, self._json(method, path, **kwargs))

    def _list(self, method: str, path: str, **kwargs: Any) -> list[JSON]:
        return cast(list[JSON], self._json(method, path, **kwargs))

    @contextlib.contextmanager
    def _stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response whose status was checked before the body is read."""
        try:
            with self._http.stream(method, path, **kwargs) as response:
                if response.is_error:
                    response.read()  # error bodies are small JSON
                    raise _error_from(response)
                yield response
        except httpx.TransportError as exc:
            raise SandboxConnectionError(
                f"connection to the sandbox server at {self.base_url} failed: {exc}"
            ) from exc

    # ---- health ------------------------------------------------------------------------

    def health(self) -> JSON:
        """Liveness; needs no token."""
        return self._obj("GET", "/health")

    # ---- organisations -----------------------------------------------------------------

    def create_organisation(self, name: str, kind: str) -> JSON:
        """Create an organisation (admin); ``kind`` is provider, user, authority or other."""
        return self._obj("POST", "/organisations", json={"name": name, "kind": kind})

    def list_organisations(self) -> list[JSON]:
        """Every organisation."""
        return self._list("GET", "/organisations")

    # ---- users -------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        role: str,
        *,
        display_name: str = "",
        organisation_id: int | None = None,
        with_token: bool = True,
    ) -> JSON:
        """Create an account (admin); the answer's ``token`` is its first secret, shown once."""
        body = {"username": username, "role": role, "display_name": display_name,
                "organisation_id": organisation_id, "with_token": with_token}
        return self._obj("POST", "/users", json=body)

    def list_users(self) -> list[JSON]:
        """Every account (admin, authority, auditor)."""
        return self._list("GET", "/users")

    def me(self) -> JSON:
        """The account this client's token belongs to."""
        return self._obj("GET", "/users/me")

    def get_user(self, user_id: int) -> JSON:
        """One account: your own, or any for admin, authority and auditor."""
        return self._obj("GET", f"/users/{user_id}")

    def set_eligibility(self, user_id: int, fact: str, value: str, note: str = "") -> JSON:
        """Record an eligibility fact on an account (authority or admin)."""
        return self._obj("POST", f"/users/{user_id}/eligibility",
                         json={"fact": fact, "value": value, "note": note})

    def deactivate_user(self, user_id: int) -> JSON:
        """Disable an account; its tokens stop working at once (admin)."""
        return self._obj("POST", f"/users/{user_id}/deactivate")

    # ---- tokens ------------------------------------------------------------------------

    def create_token(
        self, name: str = "default", days: int = 90, user_id: int | None = None
    ) -> JSON:
        """Issue a token; the answer's ``token`` is the secret, shown this once."""
        return self._obj("POST", "/tokens",
                         json={"name": name, "days": days, "user_id": user_id})

    def list_tokens(self, user_id: int | None = None) -> list[JSON]:
        """Your tokens' metadata (an admin may name another account)."""
        return self._list("GET", "/tokens", params=_drop_none({"user_id": user_id}))

    def revoke_token(self, token_id: int) -> JSON:
        """Revoke a token at once."""
        return self._obj("DELETE", f"/tokens/{token_id}")

    # ---- uploads -----------------------------------------------------------------------

    def upload(
        self, path: str | os.PathLike[str], *, filename: str | None = None,
        progress: bool = False,
    ) -> JSON:
        """Stage a data file (provider), streaming it from disk; returns its ``upload_id``.

        The exact Content-Length is sent so the server can refuse an oversized file at once
        and tell a truncated transfer from a complete one.
        """
        source = Path(path)
        size = source.stat().st_size
        name = filename or source.name
        headers = {"X-Filename": name, "Content-Length": str(size),
                   "Content-Type": "application/octet-stream"}
        with source.open("rb") as handle, self._maybe_progress(progress) as bar:
            advance = None
            if bar is not None:
                advance = functools.partial(bar.advance, bar.add_task(f"upload {name}",
                                                                      total=size))
            return self._obj("POST", "/uploads", content=_read_chunks(handle, advance),
                             headers=headers)

    def discard_upload(self, upload_id: str) -> None:
        """Discard a staged upload you no longer mean to register."""
        self._send("DELETE", f"/uploads/{upload_id}")

    # ---- datasets: registration --------------------------------------------------------

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
        return self._from_upload(path, progress,
                                 lambda source: self._register(source, metadata, format))

    def register_dataset_from_path(
        self,
        server_path: str,
        metadata: Mapping[str, Any],
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Register a file the server reads itself from an allowed import root (bulk loads)."""
        return self._register({"path": server_path}, metadata, format)

    def _from_upload(
        self, path: str | os.PathLike[str], progress: bool, use: Callable[[JSON], JSON]
    ) -> JSON:
        """Upload ``path`` and hand its source to ``use``; a refused use discards the upload.

        The caller never saw the upload id, so a staged file left behind after a refusal
        could only waste the server's disk.
        """
        upload_id = self.upload(path, progress=progress)["upload_id"]
        try:
            return use({"upload_id": upload_id})
        except SandboxAPIError:
            with contextlib.suppress(SandboxClientError):
                self.discard_upload(upload_id)
            raise

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
        return self._from_upload(path, progress,
                                 lambda source: self._add_version(name, source, format, note))

    def add_version_from_path(
        self,
        name: str,
        server_path: str,
        format: SourceFormat | None = None,  # noqa: A002
        note: str = "",
    ) -> JSON:
        """Store a server-side file as the dataset's next version (bulk loads)."""
        return self._add_version(name, {"path": server_path}, format, note)

    def _add_version(
        self, name: str, source: JSON, fmt: SourceFormat | None, note: str
    ) -> JSON:
        return self._obj("POST", f"/datasets/{name}/versions",
                         json={"source": source, "format": fmt, "note": note})

    # ---- datasets: reading -------------------------------------------------------------

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
        return self._obj("GET", f"/datasets/{name}/quality",
                         params=_drop_none({"version": version}))

    def preview(self, name: str, rows: int = 10) -> JSON:
        """Preview rows: synthetic for conditional data (``synthetic`` says which)."""
        return self._obj("GET", f"/datasets/{name}/preview", params={"rows": rows})

    def rows(
        self, name: str, offset: int = 0, limit: int = 100, version: int | None = None
    ) -> JSON:
        """One page of rows of unconditional data."""
        params = _drop_none({"offset": offset, "limit": limit, "version": version})
        return self._obj("GET", f"/datasets/{name}/rows", params=params)

    def iter_rows(
        self, name: str, page_size: int = 1000, version: int | None = None
    ) -> Iterator[JSON]:
        """Every row of unconditional data, page by page.

        The first page fixes the version, so a version added meanwhile never mixes in.
        """
        offset = 0
        while True:
            page = self.rows(name, offset=offset, limit=page_size, version=version)
            version = int(page["version"])
            rows = cast(list[JSON], page["rows"])
            yield from rows
            offset += len(rows)
            if not rows or offset >= int(page["total_rows"]):
                return

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
        params = _drop_none({"format": format, "version": version})
        written = 0
        try:
            with self._stream("GET", f"/datasets/{name}/download", params=params) as response, \
                    self._maybe_progress(progress) as bar, partial.open("wb") as out:
                task = None
                if bar is not None:
                    length = response.headers.get("Content-Length")
                    task = bar.add_task(f"download {name}",
                                        total=int(length) if length else None)
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
                    if bar is not None and task is not None:
                        bar.advance(task, len(chunk))
                served = response.headers.get("X-Dataset-Version")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return DownloadResult(path=dest, version=int(served) if served else None,
                              byte_size=written)

    # ---- desensitisation and attribute changes -----------------------------------------

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
        body = {"to_attribute": to_attribute, "legal_basis": legal_basis,
                "desensitisation_id": desensitisation_id,
                "consent_reference": consent_reference, "reason": reason}
        return self._obj("POST", f"/datasets/{name}/attribute-changes", json=body)

    def list_attribute_changes(
        self, status: str | None = None, dataset: str | None = None
    ) -> list[JSON]:
        """Attribute-change requests, optionally only those of one status or dataset."""
        return self._list("GET", "/attribute-changes",
                          params=_drop_none({"status": status, "dataset": dataset}))

    def decide_attribute_change(self, change_id: int, approve: bool, note: str = "") -> JSON:
        """Approve or reject an attribute-change request (authority)."""
        return self._obj("POST", f"/attribute-changes/{change_id}/decision",
                         json={"approve": approve, "note": note})

    # ---- audit -------------------------------------------------------------------------

    def audit_page(
        self,
        after_seq: int = 0,
        limit: int = 100,
        *,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        actor: str | None = None,
    ) -> JSON:
        """Audit entries after ``after_seq`` (auditor, admin): ``{"data": [...], "count"}``."""
        params = _drop_none({"after_seq": after_seq, "limit": limit, "action": action,
                             "object_type": object_type, "object_id": object_id,
                             "actor": actor})
        return self._obj("GET", "/audit", params=params)

    def audit_export(self, dest_path: str | os.PathLike[str]) -> int:
        """Stream the whole audit log to ``dest_path`` as JSON lines; returns the line count."""
        dest = Path(dest_path)
        partial = dest.with_name(dest.name + ".part")
        lines = 0
        try:
            with self._stream("GET", "/audit/export") as response, partial.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    lines += chunk.count(b"\n")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return lines

    def audit_verify(self) -> JSON:
        """Have the server walk the whole chain: ``ok``, ``entries_checked``, ``problems``."""
        return self._obj("GET", "/audit/verify")

    # ---- applications and grants -------------------------------------------------------

    def submit_application(
        self,
        *,
        title: str,
        reason: str,
        datasets: list[str],
        period_start: str,
        period_end: str,
        results_form: str,
        scenario: str,
        security_measures: str,
        commitment_signed: bool,
        type: str = "dataset",  # noqa: A002
    ) -> JSON:
        """Apply for conditional datasets (an eligible user). Dates are ``YYYY-MM-DD``."""
        return self.submit_application_fields({
            "title": title, "reason": reason, "type": type, "datasets": datasets,
            "period_start": period_start, "period_end": period_end,
            "results_form": results_form, "scenario": scenario,
            "security_measures": security_measures, "commitment_signed": commitment_signed})

    def submit_application_fields(self, fields: Mapping[str, Any]) -> JSON:
        """Apply with the application's fields as a mapping (say, read from a JSON file)."""
        return self._obj("POST", "/applications", json=dict(fields))

    def list_applications(self, status: str | None = None) -> list[JSON]:
        """The applications you may see, newest first."""
        return self._list("GET", "/applications", params=_drop_none({"status": status}))

    def get_application(self, application_id: int) -> JSON:
        """One application with its stages, deadlines and time left."""
        return self._obj("GET", f"/applications/{application_id}")

    def review_application_form(self, application_id: int, passed: bool,
                                reason: str = "") -> JSON:
        """The authority's form review: pass, or return with the reason."""
        return self._obj("POST", f"/applications/{application_id}/form-review",
                         json={"outcome": "pass" if passed else "return", "reason": reason})

    def approve_application(
        self,
        application_id: int,
        *,
        grant_budget: float | str | Mapping[str, Any],
        datasets: list[str] | None = None,
        job_kinds: list[str] | None = None,
        policy: Mapping[str, Any] | str | None = None,
        period_start: str | None = None,
        period_end: str | None = None,
        note: str = "",
    ) -> JSON:
        """Approve with a scope (the datasets' provider); the answer names the new grant."""
        body = _drop_none({"outcome": "approve", "reason": note, "grant_budget": grant_budget,
                           "datasets": datasets, "job_kinds": job_kinds, "policy": policy,
                           "period_start": period_start, "period_end": period_end})
        return self._obj("POST", f"/applications/{application_id}/decision", json=body)

    def refuse_application(self, application_id: int, *, reason: str,
                           legal_basis: str) -> JSON:
        """Refuse with the reason and its legal basis (the datasets' provider)."""
        return self._obj("POST", f"/applications/{application_id}/decision",
                         json={"outcome": "refuse", "reason": reason,
                               "legal_basis": legal_basis})

    def list_grants(self, status: str | None = None) -> list[JSON]:
        """The grants you may see; ``status`` as of now (``expired`` finds lapsed ones)."""
        return self._list("GET", "/grants", params=_drop_none({"status": status}))

    def get_grant(self, grant_id: int) -> JSON:
        """One grant, its status as of now."""
        return self._obj("GET", f"/grants/{grant_id}")

    def grant_agreement(self, grant_id: int) -> JSON:
        """The agreement to accept: ``version``, ``sha256`` and ``text``."""
        return self._obj("GET", f"/grants/{grant_id}/agreement")

    def accept_grant(self, grant_id: int, version: str | None = None,
                     sha256: str | None = None) -> JSON:
        """Accept the grant's agreement (its holder); without ``version``, the text in
        force is fetched first and its version and hash are accepted.
        """
        if version is None:
            shown = self.grant_agreement(grant_id)
            version, sha256 = str(shown["version"]), str(shown["sha256"])
        return self._obj("POST", f"/grants/{grant_id}/accept",
                         json=_drop_none({"agreement_version": version,
                                          "agreement_sha256": sha256}))

    def suspend_grant(self, grant_id: int, reason: str) -> JSON:
        """Suspend an active grant (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/suspend", json={"reason": reason})

    def resume_grant(self, grant_id: int, reason: str = "") -> JSON:
        """Resume a suspended grant (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/resume", json={"reason": reason})

    def revoke_grant(self, grant_id: int, reason: str) -> JSON:
        """Revoke a grant for good (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/revoke", json={"reason": reason})

    # ---- requests for data not yet open and deadlines ----------------------------------

    def submit_demand(self, description: str, dataset: str = "",
                      provider_org_id: int | None = None) -> JSON:
        """Ask for data not yet open (a user)."""
        return self._obj("POST", "/demands",
                         json=_drop_none({"description": description, "dataset": dataset,
                                          "provider_org_id": provider_org_id}))

    def list_demands(self, status: str | None = None) -> list[JSON]:
        """The requests for unopened data you may see, newest first."""
        return self._list("GET", "/demands", params=_drop_none({"status": status}))

    def get_demand(self, demand_id: int) -> JSON:
        """One request with its stages, deadlines and time left."""
        return self._obj("GET", f"/demands/{demand_id}")

    def review_demand_form(self, demand_id: int, passed: bool, reason: str = "",
                           provider_org_id: int | None = None) -> JSON:
        """The authority's form review of a request; passing names the provider."""
        return self._obj("POST", f"/demands/{demand_id}/form-review",
                         json=_drop_none({"outcome": "pass" if passed else "return",
                                          "reason": reason,
                                          "provider_org_id": provider_org_id}))

    def answer_demand(self, demand_id: int, agree: bool, reason: str = "",
                      legal_basis: str = "") -> JSON:
        """The provider's answer: agree, or refuse with the reason."""
        return self._obj("POST", f"/demands/{demand_id}/answer",
                         json={"outcome": "agree" if agree else "refuse", "reason": reason,
                               "legal_basis": legal_basis})

    def mark_demand_opened(self, demand_id: int, dataset: str) -> JSON:
        """Record that the requested data is open as catalog dataset ``dataset``."""
        return self._obj("POST", f"/demands/{demand_id}/opened", json={"dataset": dataset})

    def overdue(self, on: str | None = None) -> JSON:
        """Open stages past their deadline (authority, oversight): ``{"on", "data", ...}``."""
        return self._obj("GET", "/deadlines/overdue", params=_drop_none({"on": on}))

    # ---- complaints, suspensions and the leak trace ------------------------------------

    def file_complaint(self, dataset: str, kind: str, description: str,
                       evidence_text: str = "") -> JSON:
        """Complain that a dataset infringes ``privacy`` or a ``trade_secret`` (any
        account); the provider answers within 10 working days.
        """
        return self._obj("POST", "/complaints",
                         json={"dataset": dataset, "kind": kind, "description": description,
                               "evidence_text": evidence_text})

    def list_complaints(self, status: str | None = None,
                        dataset: str | None = None) -> list[JSON]:
        """The complaints you may see, newest first."""
        return self._list("GET", "/complaints",
                          params=_drop_none({"status": status, "dataset": dataset}))

    def get_complaint(self, complaint_id: int) -> JSON:
        """One complaint with its evidence and answer stage."""
        return self._obj("GET", f"/complaints/{complaint_id}")

    def add_complaint_evidence(self, complaint_id: int, content: bytes | str | os.PathLike[str],
                               filename: str | None = None) -> JSON:
        """Attach an evidence file (bytes, or a path to read) to your open complaint."""
        if isinstance(content, bytes):
            data, name = content, filename or "evidence.bin"
        else:
            source = Path(content)
            data, name = source.read_bytes(), filename or source.name
        return self._obj("POST", f"/complaints/{complaint_id}/evidence", content=data,
                         headers={"X-Filename": name,
                                  "Content-Type": "application/octet-stream"})

    def complaint_evidence(self, complaint_id: int, evidence_id: int) -> bytes:
        """The bytes of an evidence file."""
        return self._send("GET", f"/complaints/{complaint_id}/evidence/{evidence_id}").content

    def answer_complaint(
        self,
        complaint_id: int,
        outcome: Literal["restore", "reprocess", "end"],
        answer: str,
        *,
        upload_id: str | None = None,
        method: str = "",
        description: str = "",
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Answer a complaint (the dataset's provider); ``reprocess`` stores the staged
        ``upload_id`` as a new desensitised version recorded with ``method``.
        """
        return self._obj("POST", f"/complaints/{complaint_id}/answer", json=_drop_none({
            "outcome": outcome, "answer": answer, "upload_id": upload_id, "method": method,
            "description": description, "format": format}))

    def suspend_dataset(self, name: str, reason: str,
                        complaint_id: int | None = None) -> JSON:
        """Suspend a dataset at once (its provider)."""
        return self._obj("POST", f"/datasets/{name}/suspend",
                         json=_drop_none({"reason": reason, "complaint_id": complaint_id}))

    def resolve_suspension(
        self,
        name: str,
        outcome: Literal["restore", "reprocess", "end"],
        note: str = "",
        *,
        upload_id: str | None = None,
        method: str = "",
        description: str = "",
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Restore, reprocess (from a staged ``upload_id``) or end a suspended dataset."""
        return self._obj("POST", f"/datasets/{name}/suspension/resolve", json=_drop_none({
            "outcome": outcome, "note": note, "upload_id": upload_id, "method": method,
            "description": description, "format": format}))

    def list_suspensions(self, name: str) -> list[JSON]:
        """A dataset's suspensions, newest first."""
        return self._list("GET", f"/datasets/{name}/suspensions")

    def trace_dataset(self, name: str, version: int | None = None) -> JSON:
        """Everything that touched a dataset (version), in order (provider, oversight)."""
        return self._obj("GET", f"/datasets/{name}/trace",
                         params=_drop_none({"version": version}))

    # ---- objections --------------------------------------------------------------------

    def file_objection(self, dataset: str, kind: str, description: str) -> JSON:
        """Object to an ``error`` or ``omission`` in a dataset (any account)."""
        return self._obj("POST", "/objections",
                         json={"dataset": dataset, "kind": kind, "description": description})

    def list_objections(self, status: str | None = None,
                        dataset: str | None = None) -> list[JSON]:
        """The objections you may see, newest first."""
        return self._list("GET", "/objections",
                          params=_drop_none({"status": status, "dataset": dataset}))

    def get_objection(self, objection_id: int) -> JSON:
        """One objection with its answer stage."""
        return self._obj("GET", f"/objections/{objection_id}")

    def answer_objection(self, objection_id: int, outcome: Literal["corrected", "rejected"],
                         answer: str, version: int | None = None) -> JSON:
        """Answer an objection (the dataset's provider), naming the corrected version."""
        return self._obj("POST", f"/objections/{objection_id}/answer",
                         json=_drop_none({"outcome": outcome, "answer": answer,
                                          "version": version}))

    # ---- usage and risk reports, enforcement -------------------------------------------

    def file_report(self, grant_id: int, kind: Literal["usage", "risk"],
                    **fields: str) -> JSON:
        """File a report on your grant: ``use``/``results``/``benefits`` for ``usage``,
        ``data_used``/``processing``/``risks``/``measures`` for ``risk``.
        """
        return self._obj("POST", "/usage-reports",
                         json={"grant_id": grant_id, "kind": kind, **fields})

    def list_reports(self, grant_id: int | None = None, kind: str | None = None
                     ) -> list[JSON]:
        """Reports on the grants you may see, newest first."""
        return self._list("GET", "/usage-reports",
                          params=_drop_none({"grant_id": grant_id, "kind": kind}))

    def get_report(self, report_id: int) -> JSON:
        """One report."""
        return self._obj("GET", f"/usage-reports/{report_id}")

    def reports_due(self, missing: bool = False) -> JSON:
        """When each report is due: ``{"data", "count", "missing"}``."""
        return self._obj("GET", "/usage-reports/due",
                         params={"missing": "true" if missing else "false"})

    def request_rectification(self, user_id: int, reason: str) -> JSON:
        """Suspend a user's active grants on your data pending rectification (provider)."""
        return self._obj("POST", "/enforcement/rectification",
                         json={"user_id": user_id, "reason": reason})

    def terminate_user(self, user_id: int, reason: str) -> JSON:
        """Revoke a user's suspended grants on your data (provider)."""
        return self._obj("POST", "/enforcement/termination",
                         json={"user_id": user_id, "reason": reason})

    # ---- data products and figures -----------------------------------------------------

    def publish_data_product(
        self,
        title: str,
        sources: list[str | Mapping[str, Any]],
        *,
        description: str = "",
        grant_id: int | None = None,
        payload: Any = None,
        job_id: int | None = None,
    ) -> JSON:
        """Publish a data product (a user); ``sources`` are dataset names or
        ``{"dataset", "version"}`` mappings; with ``job_id`` the product publishes that
        released result (sources may then be empty).
        """
        listed = [{"dataset": s} if isinstance(s, str) else dict(s) for s in sources]
        return self._obj("POST", "/data-products", json=_drop_none({
            "title": title, "description": description, "sources": listed,
            "grant_id": grant_id, "payload": payload, "job_id": job_id}))

    def list_data_products(self, dataset: str | None = None) -> list[JSON]:
        """Published products (without payloads), newest first."""
        return self._list("GET", "/data-products", params=_drop_none({"dataset": dataset}))

    def get_data_product(self, product_id: int) -> JSON:
        """One product with its payload."""
        return self._obj("GET", f"/data-products/{product_id}")

    def stats(self) -> JSON:
        """The platform's figures."""
        return self._obj("GET", "/stats")

    # ---- policies --------------------------------------------------------------------------

    def get_dataset_policy(self, name: str) -> JSON:
        """A dataset's floor, own and effective policy."""
        return self._obj("GET", f"/datasets/{name}/policy")

    def set_dataset_policy(self, name: str, document: Mapping[str, Any] | str) -> JSON:
        """Set a dataset's policy (its provider): a mapping, or YAML/JSON text."""
        body = dict(document) if isinstance(document, Mapping) else document
        return self._obj("PUT", f"/datasets/{name}/policy", json={"document": body})

    # ---- jobs ----------------------------------------------------------------------------

    def submit_job(
        self,
        datasets: list[str],
        *,
        source: str | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        kind: str = "dp",
        grant: str | None = None,
    ) -> JSON:
        """Submit a job: a model's ``source`` or the name of a vetted ``model``, with its
        parameters, under the active grant that covers ``datasets`` (or the named ``grant``).
        """
        return self._obj("POST", "/jobs", json=_drop_none({
            "datasets": list(datasets), "source": source, "model": model,
            "params": dict(params or {}), "kind": kind, "grant": grant}))

    def list_jobs(self, state: str | None = None, limit: int = 100) -> list[JSON]:
        """The jobs you may see, newest first."""
        return self._list("GET", "/jobs", params=_drop_none({"state": state, "limit": limit}))

    def get_job(self, job_id: int) -> JSON:
        """One job with its state and progress."""
        return self._obj("GET", f"/jobs/{job_id}")

    def job_log(self, job_id: int) -> JSON:
        """A job's log lines (``held`` for a raw-access job until review)."""
        return self._obj("GET", f"/jobs/{job_id}/log")

    def cancel_job(self, job_id: int) -> JSON:
        """Cancel a job (its owner)."""
        return self._obj("POST", f"/jobs/{job_id}/cancel")

    def wait_for_job(
        self,
        job_id: int,
        *,
        timeout: float = 600.0,
        interval: float = 0.1,
        until: Callable[[JSON], bool] | None = None,
        on_update: Callable[[JSON], None] | None = None,
    ) -> JSON:
        """Poll a job until it is final or has left the running part of its lifecycle
        (``pending_review`` included), or ``until`` says so; ``on_update`` sees each state.

        Raises:
            SandboxClientError: The job did not get there within ``timeout`` seconds.
        """
        done = until or (lambda job: bool(job["final"]) or job["state"] == "pending_review")
        deadline = time.monotonic() + timeout
        delay = interval
        while True:
            job = self.get_job(job_id)
            if on_update is not None:
                on_update(job)
            if done(job):
                return job
            if time.monotonic() >= deadline:
                raise SandboxClientError(f"job {job_id} is still {job['state']} after "
                                         f"{timeout:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def review_queue(self) -> list[JSON]:
        """Results waiting for your review (reviewers and providers; all for oversight)."""
        return self._list("GET", "/reviews")

    def get_review(self, job_id: int) -> JSON:
        """A result under review: source, parameters, result, check report, budget spent,
        earlier releases of the same user.
        """
        return self._obj("GET", f"/reviews/{job_id}")

    def decide_review(self, job_id: int, outcome: str, reason: str = "") -> JSON:
        """``approve``, ``reject`` (with a reason) or ``return`` for changes (with one)."""
        return self._obj("POST", f"/reviews/{job_id}/decision",
                         json={"outcome": outcome, "reason": reason})

    def download_result(self, job_id: int, dest_path: str | os.PathLike[str] | None = None,
                        *, format: str = "json",  # noqa: A002 - the API's name
                        part: str | None = None) -> bytes:
        """A released result as JSON, CSV or Parquet bytes (also written to ``dest_path``
        when given).
        """
        response = self._send("GET", f"/results/{job_id}",
                              params=_drop_none({"format": format, "part": part}))
        if dest_path is not None:
            Path(dest_path).write_bytes(response.content)
        return response.content

    def list_algorithms(self) -> list[JSON]:
        """The vetted algorithm models a job may name."""
        return self._list("GET", "/algorithms")

    def get_algorithm(self, name: str) -> JSON:
        """One vetted model with its source."""
        return self._obj("GET", f"/algorithms/{name}")

    # ---- helpers -----------------------------------------------------------------------

    @staticmethod
    @contextlib.contextmanager
    def _maybe_progress(enabled: bool) -> Iterator[Progress | None]:
        if not enabled:
            yield None
            return
        with _progress_bar() as bar:
            yield bar

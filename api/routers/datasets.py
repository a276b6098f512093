"""The catalog: registration, entries, versions, quality, previews and open-data access."""

import base64
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.query_parameters import reject_unknown_parameters
from api.schemas.attribute_changes import AttributeChangeCreate, AttributeChangePublic
from api.schemas.datasets import (
    DatasetCreate,
    DatasetPublic,
    DatasetsPublic,
    DesensitisationCreate,
    DesensitisationPublic,
    PreviewPublic,
    QualityPublic,
    RowsPage,
    VersionCreate,
    VersionPublic,
    dataset_public,
)
from api.schemas.integrity import IntegrityPublic
from api.types import Offset, Version
from sandbox.catalog import changes
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.parsing import parse_enum, parse_format, parse_metadata
from sandbox.catalog.permissions import sees_details
from sandbox.catalog.publication import visible_entry
from sandbox.catalog.queries import list_entries
from sandbox.datasets import integrity, reads, registry
from sandbox.datasets.open_query import parse_query
from sandbox.identity.model import Actor, Role
from sandbox.storage.export import table_arrow_stream, table_csv

router = APIRouter(prefix="/datasets", tags=["datasets"])

PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


@router.post(
    "", response_model=DatasetPublic, status_code=201, responses=error_responses(404, 409, 410, 507)
)
def register(body: DatasetCreate, platform: PlatformDep, actor: ProviderDep) -> DatasetPublic:
    """Register a dataset with its first version (provider). The entry is submitted: it
    is yours and oversight's to see until the authority passes it
    (``POST /v1/datasets/{name}/versions/1/review``).
    """
    metadata = parse_metadata(body.model_dump(exclude={"source", "format", "grade"}))
    source = registry.DataSource(upload_id=body.source.upload_id, path=body.source.path)
    entry = registry.register_dataset(
        platform, actor, metadata, source, parse_format(body.format), grade=body.grade
    )
    return dataset_public(entry, details=True)


@router.get("", response_model=DatasetsPublic)
def catalog(session: ReadSession, actor: ActorDep) -> DatasetsPublic:
    """The whole catalog as the caller may see it."""
    entries = [shown for e in list_entries(session) if (shown := visible_entry(actor, e))]
    data = [dataset_public(e, details=sees_details(actor, e)) for e in entries]
    return DatasetsPublic(data=data, count=len(data))


@router.get("/{name}", response_model=DatasetPublic)
def entry(name: str, platform: PlatformDep, actor: ActorDep) -> DatasetPublic:
    """One catalog entry."""
    found = reads.view_entry(platform, actor, name)
    return dataset_public(found, details=sees_details(actor, found))


@router.post(
    "/{name}/versions",
    response_model=DatasetPublic,
    status_code=201,
    responses=error_responses(409, 410, 507),
)
def add_version(
    name: str, body: VersionCreate, platform: PlatformDep, actor: ProviderDep
) -> DatasetPublic:
    """Store new data as the next version; old versions stay readable (provider). The
    version is submitted: the previous passed version stays current until the authority
    passes it.
    """
    source = registry.DataSource(upload_id=body.source.upload_id, path=body.source.path)
    updated = registry.add_version(
        platform, actor, name, source, parse_format(body.format), body.note
    )
    return dataset_public(updated, details=True)


@router.get("/{name}/versions", response_model=list[VersionPublic])
def versions(name: str, platform: PlatformDep, actor: ActorDep) -> list[VersionPublic]:
    """The versions of a dataset (not shown for not-open data outside its oversight)."""
    found = reads.view_entry(platform, actor, name)
    if not sees_details(actor, found):
        return []
    return [VersionPublic.model_validate(v) for v in found.versions]


@router.get("/{name}/quality", response_model=QualityPublic, responses=error_responses(503))
def quality(
    name: str, platform: PlatformDep, actor: ActorDep, version: Version | None = None
) -> QualityPublic:
    """A version's quality report (counts only)."""
    number, report = reads.quality_report(platform, actor, name, version)
    return QualityPublic(dataset=name, version=number, report=report)


@router.get("/{name}/preview", response_model=PreviewPublic, responses=error_responses(503))
def preview(
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    rows: Annotated[int, Query(ge=1, le=100)] = 10,
) -> PreviewPublic:
    """Preview rows: synthetic for conditional data, real for unconditional data. When the
    provider replaced the uniform mock by a DP synthetic sample, ``dp_synthetic`` says so
    (mechanism, epsilon, rows) and the rows are the sample's.
    """
    synthetic, table, sample = reads.preview_of(platform, actor, name, rows)
    return PreviewPublic(
        dataset=name,
        synthetic=synthetic,
        columns=table.column_names,
        rows=_rows(table),
        dp_synthetic=sample,
    )


ROWS_QUERY_PARAMETERS = frozenset(
    {"offset", "limit", "version", "columns", "filter", "sort", "cursor", "format"}
)
ARROW_STREAM_MEDIA_TYPE = "application/vnd.apache.arrow.stream"


@router.get(
    "/{name}/rows",
    response_model=RowsPage,
    responses={
        200: {"content": {"text/csv": {}, ARROW_STREAM_MEDIA_TYPE: {}}},
        **error_responses(503),
    },
)
def rows(
    name: str,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=reads.MAX_PAGE_ROWS)] = 100,
    version: Version | None = None,
    columns: Annotated[str | None, Query(max_length=10_000)] = None,
    filter: Annotated[list[str] | None, Query()] = None,  # noqa: A002
    sort: Annotated[str | None, Query(max_length=10_000)] = None,
    cursor: Annotated[str | None, Query(max_length=1_000)] = None,
    format: Annotated[str, Query(pattern="^(json|csv|arrow)$")] = "json",  # noqa: A002
) -> RowsPage | Response:
    """Query unconditional data (refused for every other attribute): ``columns=a,b``,
    ``filter=column:op:value`` (repeatable, joined by *and*; op ``eq ne lt le gt ge in
    between null notnull``), ``sort=a,-b``, pages by ``offset``/``limit`` or by the
    ``next_cursor`` of the previous page (it pins the version and the query), as JSON, CSV or
    an Arrow IPC stream (the page's figures then in ``X-Matched-Rows``, ``X-Next-Cursor``).
    An unknown query parameter is refused (422) rather than ignored.
    """
    reject_unknown_parameters(request, ROWS_QUERY_PARAMETERS)
    query = parse_query(columns, filter, sort)
    page = reads.query_rows(platform, actor, name, version, offset, limit, query, cursor)
    if format == "json":
        return RowsPage(
            dataset=name,
            version=page.version,
            total_rows=page.total_rows,
            matched_rows=page.matched_rows,
            offset=page.offset,
            limit=limit,
            columns=page.table.column_names,
            rows=_rows(page.table),
            next_cursor=page.next_cursor,
        )
    headers = {
        "X-Dataset-Version": str(page.version),
        "X-Total-Rows": str(page.total_rows),
        "X-Matched-Rows": str(page.matched_rows),
        "X-Offset": str(page.offset),
    }
    if page.next_cursor is not None:
        headers["X-Next-Cursor"] = page.next_cursor
    if format == "csv":
        return Response(table_csv(page.table), media_type="text/csv", headers=headers)
    return Response(
        table_arrow_stream(page.table), media_type=ARROW_STREAM_MEDIA_TYPE, headers=headers
    )


@router.get(
    "/{name}/download",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/vnd.apache.parquet": {}, "text/csv": {}}},
        **error_responses(503),
    },
)
def download(
    name: str,
    platform: PlatformDep,
    actor: ActorDep,
    format: Annotated[str, Query(pattern="^(parquet|csv)$")] = "parquet",  # noqa: A002
    version: Version | None = None,
) -> StreamingResponse:
    """Stream unconditional data as Parquet or CSV; refused for every other attribute.

    A damaged version is refused with 503 before the first byte. A Parquet download states
    its SHA-256 in ``Repr-Digest`` (RFC 9530); one larger than the server's full-check limit
    is hashed as it streams and cut short, below its ``Content-Length``, if the hash fails.
    A version stored encrypted (its dataset was conditional then) comes as a plain Parquet
    re-encoding, without ``Content-Length`` or ``Repr-Digest`` (they are the stored file's).
    """
    plan = reads.plan_download(platform, actor, name, version, format)
    headers = {
        "Content-Disposition": f'attachment; filename="{plan.filename}"',
        "X-Dataset-Version": str(plan.version),
    }
    media = "text/csv"
    if plan.format == "parquet":
        media = PARQUET_MEDIA_TYPE
    if plan.format == "parquet" and not plan.reencoded:  # the stored file itself
        headers["Content-Length"] = str(plan.byte_size)
        digest = base64.b64encode(bytes.fromhex(plan.sha256)).decode("ascii")
        headers["Repr-Digest"] = f"sha-256=:{digest}:"
    return StreamingResponse(
        reads.download_body(platform, actor, plan), media_type=media, headers=headers
    )


@router.get("/{name}/integrity", response_model=IntegrityPublic)
def check_integrity(name: str, platform: PlatformDep, actor: ActorDep) -> IntegrityPublic:
    """Hash every version's file in full now and say which are damaged (the dataset's
    provider and oversight). A version on record as damaged whose file is intact again is
    served again from here on; the check is audited.
    """
    return IntegrityPublic.model_validate(integrity.check_dataset(platform, actor, name))


@router.post("/{name}/desensitisations", response_model=DesensitisationPublic, status_code=201)
def record_desensitisation(
    name: str, body: DesensitisationCreate, session: WriteSession, actor: ProviderDep
) -> DesensitisationPublic:
    """Add to a dataset's desensitisation record (provider)."""
    return DesensitisationPublic.model_validate(
        changes.record_desensitisation(
            session,
            actor,
            name,
            method=body.method,
            description=body.description,
            version=body.version,
        )
    )


@router.post(
    "/{name}/attribute-changes",
    response_model=AttributeChangePublic,
    status_code=201,
    responses=error_responses(409),
)
def request_attribute_change(
    name: str, body: AttributeChangeCreate, session: WriteSession, actor: ProviderDep
) -> AttributeChangePublic:
    """Ask the authority to change the open attribute (provider)."""
    target = parse_enum(OpenAttribute, body.to_attribute, "to_attribute")
    return AttributeChangePublic.model_validate(
        changes.request_change(
            session,
            actor,
            name,
            to_attribute=target,
            legal_basis=body.legal_basis,
            desensitisation_id=body.desensitisation_id,
            consent_reference=body.consent_reference,
            reason=body.reason,
        )
    )


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    encoded: list[dict[str, Any]] = jsonable_encoder(table.to_pylist())
    return encoded

"""Data products made from opened data, published with their sources and dates (Qingdao
art. 20; Xi'an art. 29).

A user publishes a product: a title, a description, the source datasets (each with the
version used, the newest by default; the version's date is attached), the grant it
worked under (required for conditional sources, which the grant must cover) and a small
JSON payload (at most :data:`MAX_PAYLOAD_BYTES`). Closed, suspended and withdrawn
datasets are refused as sources. Published products are public to every account.

A product may publish a released job result (``job_id``): the job must be the
publisher's and ``released``; its payload is then the released result exactly as it was
released (a payload of the publisher's own is refused beside it), its sources are the job's
datasets at the versions the job read, and its grant the job's grant.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import GrantStatus
from sandbox.access.rules import grant_status_at
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.queries import version_row
from sandbox.catalog.suspension import refuse_if_suspended
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.oversight.common import clean_text, dataset_by_name, now_or, username
from sandbox.oversight.model import DataProduct, ProductSource
from sandbox.store.models import DataProductRow, GrantRow, JobRow

MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest payload (its compact JSON encoding)."""
MAX_SOURCES = 20


def _payload(payload: Any) -> tuple[Any, str]:
    try:
        encoded = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"the payload is not plain JSON: {exc}") from None
    if len(encoded) > MAX_PAYLOAD_BYTES:
        raise InvalidRequest(
            f"the payload takes {len(encoded)} bytes as JSON; at most "
            f"{MAX_PAYLOAD_BYTES} are published"
        )
    return payload, hashlib.sha256(encoded).hexdigest()


def publish(
    session: Session,
    actor: Actor,
    *,
    title: str,
    description: str,
    sources: Sequence[tuple[str, int | None]],
    grant_id: int | None = None,
    payload: Any = None,
    job_id: int | None = None,
    now: datetime | None = None,
) -> DataProduct:
    """Publish a data product (a user); see the module docstring for the checks."""
    now = now_or(now)
    if actor.role is not Role.USER or actor.user_id is None:
        raise PermissionDenied("data products are published by user accounts")
    job: JobRow | None = None
    if job_id is not None:
        job = session.get(JobRow, job_id)
        if job is None or job.owner_id != actor.user_id or job.state != "released":
            raise NotFound(f"you have no released result of job {job_id}")
        if payload is not None:
            raise InvalidRequest(
                "a product of a released result publishes that result; "
                "give no payload of your own beside job_id"
            )
        if grant_id is not None and grant_id != job.grant_id:
            raise InvalidRequest(f"job {job_id} ran under another grant")
        listed = {name for name, _version in sources}
        if listed and listed != set(job.datasets):
            raise InvalidRequest(
                f"the sources of job {job_id}'s result are {', '.join(sorted(job.datasets))}"
            )
        sources = [(name, version) for name, version in sorted(job.datasets.items())]
        grant_id, payload = job.grant_id, job.release
    title = clean_text(title, "title", required=True, limit=300)
    description = clean_text(description, "description")
    if not sources:
        raise InvalidRequest(
            "name the source datasets the product was made from, or the "
            "released job result it publishes (job_id)"
        )
    if len(sources) > MAX_SOURCES:
        raise InvalidRequest(f"a product names at most {MAX_SOURCES} source datasets")
    names = [name for name, _version in sources]
    if len(set(names)) != len(names):
        raise InvalidRequest("the sources name a dataset twice")
    grant: GrantRow | None = None
    if grant_id is not None:
        grant = session.get(GrantRow, grant_id)
        if grant is None or grant.holder_id != actor.user_id:
            raise NotFound(f"you hold no grant {grant_id}")
        status = grant_status_at(GrantStatus(grant.status), grant.valid_until, now)
        if status not in (GrantStatus.ACTIVE, GrantStatus.EXPIRED):
            raise Conflict(
                f"grant {grant.ref} is {status}: nothing made under it may be published now"
            )
    resolved = []
    for name, version in sources:
        dataset = dataset_by_name(session, name)
        attribute = OpenAttribute(dataset.open_attribute)
        if attribute is OpenAttribute.CLOSED:
            raise InvalidRequest(f"dataset {name!r} is not open; no product is made from it")
        refuse_if_suspended(session, name)
        if attribute is OpenAttribute.CONDITIONAL and (grant is None or name not in grant.datasets):
            raise PermissionDenied(
                f"dataset {name!r} is conditional: name the grant that covers it (grant_id)"
            )
        stored = version_row(session, dataset, version)
        resolved.append(
            {
                "dataset": name,
                "version": stored.version,
                "version_created_at": stored.created_at.isoformat(),
                "open_attribute": str(attribute),
            }
        )
    value, digest = _payload(payload)
    row = DataProductRow(
        publisher_id=actor.user_id,
        title=title,
        description=description,
        sources=resolved,
        grant_id=grant.id if grant else None,
        payload=value,
        payload_sha256=digest,
        published_at=now,
        job_id=job.id if job else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "data_product.publish",
        object_type="data_product",
        object_id=row.id,
        detail={
            "title": title,
            "sources": resolved,
            "grant": grant.ref if grant else None,
            "payload_sha256": digest,
            "job_id": job.id if job else None,
        },
    )
    return product_of(session, row)


def get_product(session: Session, actor: Actor, product_id: int) -> DataProduct:
    """One published product, with its payload (any account; the read is audited)."""
    row = session.get(DataProductRow, product_id)
    if row is None:
        raise NotFound(f"data product {product_id} does not exist")
    audit.record(session, actor, "data_product.read", object_type="data_product", object_id=row.id)
    return product_of(session, row)


def list_products(session: Session, *, dataset: str | None = None) -> list[DataProduct]:
    """Every published product, newest first; with ``dataset``, those made from it."""
    rows = session.execute(select(DataProductRow).order_by(DataProductRow.id.desc())).scalars()
    found = [product_of(session, row) for row in rows]
    if dataset is not None:
        found = [p for p in found if any(s.dataset == dataset for s in p.sources)]
    return found


def count_products(session: Session) -> int:
    """How many products were published."""
    return int(session.execute(select(func.count()).select_from(DataProductRow)).scalar_one())


def product_of(session: Session, row: DataProductRow) -> DataProduct:
    """A product row as the domain sees it."""
    grant = session.get(GrantRow, row.grant_id) if row.grant_id else None
    return DataProduct(
        id=row.id,
        publisher=username(session, row.publisher_id) or "?",
        title=row.title,
        description=row.description,
        sources=tuple(
            ProductSource(
                dataset=s["dataset"],
                version=int(s["version"]),
                version_created_at=datetime.fromisoformat(s["version_created_at"]),
                open_attribute=s["open_attribute"],
            )
            for s in row.sources
        ),
        grant_ref=grant.ref if grant else None,
        payload=row.payload,
        payload_sha256=row.payload_sha256,
        published_at=row.published_at,
        job_id=row.job_id,
    )

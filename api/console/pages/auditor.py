"""The auditor's pages: the audit log with filters and paging, the chain's verification,
the export, and a dataset version's trace as a timeline.

The same services and roles as ``/v1/audit`` (auditor, admin) and ``/v1/datasets/{name}/
trace`` (its provider and oversight). Every read here is itself audited, as the API's are.
The export is the API's own streamed download (``GET /v1/audit/export``), which a signed-in
browser fetches with its session cookie.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox import audit
from sandbox.audit.chain import AuditEntry, AuditQuery, iter_entries, record
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.oversight import trace
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = console_router()

AuditorViewer = Annotated[Viewer, require_console_roles(Role.AUDITOR, Role.ADMIN)]
TraceViewer = Annotated[
    Viewer, require_console_roles(Role.PROVIDER, Role.AUTHORITY, Role.AUDITOR, Role.ADMIN)
]

_AUDIT = frozenset({Role.AUDITOR, Role.ADMIN})
nav.add(nav.NavItem("nav.audit_log", "/console/audit", 60, _AUDIT))
nav.add(nav.NavItem("nav.audit_verify", "/console/audit/verify", 61, _AUDIT))
nav.add(nav.NavItem("nav.audit_trace", "/console/audit/trace", 62, _AUDIT))

PAGE_SIZES = (25, 50, 100, 200)
FILTERS = ("action", "actor", "object_type", "object_id")


def _day(value: str, label: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{label} must be a date as YYYY-MM-DD, not {text!r}") from None


def _whole(value: str, label: str, default: int) -> int:
    text = value.strip()
    if not text:
        return default
    if not text.isdigit():
        raise InvalidRequest(f"{label} must be a whole number, not {text!r}")
    return int(text)


def _read_page(
    platform: Platform, actor: Actor, query: AuditQuery, since: date | None, until: date | None
) -> tuple[list[AuditEntry], bool]:
    """A page of matching entries from ``since`` (00:00 UTC) to ``until`` (its end, UTC),
    and whether more follow; the read recorded after it, with its filters, as
    ``audit.read_entries`` records the API's.
    """
    start = datetime.combine(since, time.min).isoformat() if since else None
    end = datetime.combine(until + timedelta(days=1), time.min).isoformat() if until else None
    page: list[AuditEntry] = []
    more = False
    with transaction(platform.sessions) as session:
        for entry in iter_entries(session, query):
            moment = entry.at[:26]
            if start is not None and moment < start:
                continue
            if end is not None and moment >= end:
                break
            if len(page) == query.limit:
                more = True
                break
            page.append(entry)
        detail: dict[str, object] = {
            "after_seq": query.after_seq,
            "limit": query.limit,
            "console": True,
        }
        detail.update({k: v for k, v in asdict(query).items() if k in FILTERS and v})
        detail.update({"since": str(since)} if since else {})
        detail.update({"until": str(until)} if until else {})
        record(session, actor, "audit.read", object_type="audit", object_id="log", detail=detail)
    return page, more


@router.get("/console/audit")
def audit_log_page(request: Request, platform: PlatformDep, viewer: AuditorViewer) -> HTMLResponse:
    """The log, filtered by action, actor, object and date range, page by page."""
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in (*FILTERS, "since", "until")}
    problem: tuple[str, str] | None = None
    entries: list[AuditEntry] = []
    more = False
    limit = PAGE_SIZES[1]
    field = "limit"
    try:
        limit = _whole(params.get("limit", ""), "limit", PAGE_SIZES[1])
        if limit not in PAGE_SIZES:
            raise InvalidRequest(f"limit must be one of {', '.join(map(str, PAGE_SIZES))}")
        field = "after_seq"
        after = _whole(params.get("after_seq", ""), "after_seq", 0)
        field = "since"
        since = _day(values["since"], "since")
        field = "until"
        until = _day(values["until"], "until")
        if since and until and until < since:
            raise InvalidRequest("until must not be before since")
        field = "filters"
        query = AuditQuery(
            after_seq=after,
            limit=limit,
            action=values["action"] or None,
            object_type=values["object_type"] or None,
            object_id=values["object_id"] or None,
            actor=values["actor"] or None,
        )
        entries, more = _read_page(platform, viewer.actor, query, since, until)
    except InvalidRequest as error:
        problem = (field, error.message)
    keep = {k: v for k, v in values.items() if v}
    keep["limit"] = str(limit)
    context = {
        "values": values,
        "limit": limit,
        "page_sizes": PAGE_SIZES,
        "entries": entries,
        "next_query": {**keep, "after_seq": str(entries[-1].seq)} if more and entries else None,
        "first_query": keep if params.get("after_seq") else None,
        "problem": problem,
    }
    status = 422 if problem else 200
    return render(request, "pages/audit_log.html", viewer, context, status_code=status)


@router.get("/console/audit/verify")
def verify_page(request: Request, platform: PlatformDep, viewer: AuditorViewer) -> HTMLResponse:
    """Walk the whole chain now and show the verdict, every break, and the anchoring."""
    with transaction(platform.sessions) as session:
        report = audit.verify_chain(session, viewer.actor)
    return render(request, "pages/audit_verify.html", viewer, {"report": report})


@router.get("/console/audit/trace")
def trace_page(request: Request, platform: PlatformDep, viewer: TraceViewer) -> HTMLResponse:
    """A dataset (version)'s trace as a timeline: everything that touched it, in order."""
    name = request.query_params.get("dataset", "").strip()
    version_text = request.query_params.get("version", "").strip()
    found = None
    problem: str | None = None
    if name:
        try:
            version = _whole(version_text, "version", 0) or None
            with transaction(platform.sessions) as session:
                found = trace.trace(session, viewer.actor, name, version=version)
        except InvalidRequest as error:
            problem = error.message
    context = {"dataset": name, "version": version_text, "trace": found, "problem": problem}
    return render(
        request, "pages/audit_trace.html", viewer, context, status_code=422 if problem else 200
    )

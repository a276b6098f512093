"""Submitting a job: everything is checked before anything is stored or queued.

A job names its model (source, or a vetted model of ``algorithms/``), its parameters, the
datasets it reads and its kind (``dp`` or ``raw``). Before the job is stored:

1. the submitter must hold an active grant whose scope, job kinds and period cover every
   dataset (:func:`sandbox.access.grants.active_grant_for`; one grant for the whole job, as
   its DP calls are charged to that grant's budget);
2. the model is inspected on the trusted side without running it (docstring, ``PARAMS``,
   ``run(ctx)``), its parameters are validated against ``PARAMS``, and it is compiled with
   RestrictedPython under the import allow-list of the effective policies: a rejection names
   the line;
3. the isolation backend is chosen (configured, or the strongest available) and must be able
   to run the kind (the development ``subprocess`` backend refuses raw-access jobs);
4. the submitter and the grant must each have a place left under the policy's job quotas
   (:mod:`sandbox.jobs.quotas`): a job over one is refused with nothing stored or charged.

The job is stored as ``submitted`` and moved to ``queued`` in a second transaction; the
dispatcher picks up what is queued (and recovery requeues what was left ``submitted``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sandbox import audit, policy_store
from sandbox._parse import parse_enum
from sandbox.access.grants import active_grant_for
from sandbox.access.model import Grant, JobKind
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.jobs.limits import combine_limits
from sandbox.jobs.model import JobState
from sandbox.jobs.quotas import check_job_quotas
from sandbox.observability.context import current_request_id
from sandbox.policies import Policy
from sandbox.runtime.backends import Backend, BackendRegistry
from sandbox.runtime.compiler import MAX_SOURCE_BYTES, compile_model
from sandbox.runtime.model_info import ModelInfo, inspect_model
from sandbox.runtime.param_spec import ModelSpecError
from sandbox.runtime.params import ParamsError, validate_params
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.vetted import UnknownModel, VettedModels
from sandbox.store.models import JobRow

__all__ = [
    "MAX_DATASETS",
    "CheckedRequest",
    "JobRequest",
    "check_request",
    "choose_backend",
    "submit_job",
]

MAX_DATASETS = 10
"""Most datasets one job reads."""


@dataclass(frozen=True)
class JobRequest:
    """What a user submits."""

    datasets: Sequence[str]
    kind: str = "dp"
    source: str | None = None
    model: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    grant: str | None = None
    profile: str = "restricted"
    """The runtime profile (:class:`~sandbox.runtime.profiles.RuntimeProfile`)."""


def choose_backend(
    registry: BackendRegistry,
    configured: str,
    kind: JobKind,
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
) -> Backend:
    """The configured backend, or the strongest available; it must be able to run ``kind``
    in ``profile`` (the scientific profile only in a hardened backend).

    Raises:
        InvalidRequest: The configured backend is unknown or unavailable, or cannot run a
            raw-access job.
    """
    if configured:
        try:
            backend = registry.get(configured)
        except KeyError:
            raise InvalidRequest(
                f"the configured runtime backend {configured!r} is unknown; "
                f"use one of {', '.join(registry.names())}"
            ) from None
        except RuntimeError as exc:
            raise InvalidRequest(str(exc)) from None
    else:
        available = registry.available()
        if kind is JobKind.RAW:
            available = [b for b in available if getattr(b, "allows_raw_access", False)]
        available = [b for b in available if profile in _profiles(b)]
        if not available:
            raise InvalidRequest(f"no isolation backend on this platform can run a {kind} job")
        backend = available[0]
    if kind is JobKind.RAW and not getattr(backend, "allows_raw_access", False):
        raise InvalidRequest(
            f"the {backend.name} backend does not run raw-access jobs; "
            "only hardened backends (docker, bwrap) do"
        )
    if profile not in _profiles(backend):
        raise InvalidRequest(
            f"the {backend.name} backend does not run the {profile} runtime "
            "profile; only hardened backends (docker, bwrap) do"
        )
    return backend


def _profiles(backend: Backend) -> frozenset[str]:
    return frozenset(getattr(backend, "profiles", {RuntimeProfile.RESTRICTED}))


def _profile(request: JobRequest, limits: dict[str, Any]) -> RuntimeProfile:
    """The request's runtime profile, refused unless every effective policy allows it."""
    profile = parse_enum(RuntimeProfile, request.profile, "profile")
    allowed = limits.get("runtime_profiles", [RuntimeProfile.RESTRICTED])
    if profile not in allowed:
        raise InvalidRequest(
            f"the policy of these datasets does not allow the {profile} "
            f"runtime profile (allowed: {', '.join(allowed) or 'none'})"
        )
    return profile


def compile_check(source: str, profile: RuntimeProfile, allowed_imports: list[str]) -> None:
    """Refuse a model that does not compile in its profile (RestrictedPython under the
    import allow-list, or plain Python in the scientific profile), naming the line.
    """
    if profile is RuntimeProfile.SCIENTIFIC:
        try:
            compile(source, "<model>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise InvalidRequest(
                f"the model does not compile: Line {exc.lineno}: SyntaxError: {exc.msg}"
            ) from None
        except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
            raise InvalidRequest(f"the model does not compile: {exc}") from None
        return
    compiled = compile_model(source, allowed_imports)
    if not compiled.ok:
        raise InvalidRequest("the model does not compile: " + "; ".join(compiled.errors))


def _datasets(names: Sequence[str]) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise InvalidRequest("datasets must be a non-empty list of dataset names")
    if not all(isinstance(n, str) and n for n in names):
        raise InvalidRequest("datasets must be a non-empty list of dataset names")
    if len(set(names)) != len(names):
        raise InvalidRequest("datasets lists a dataset twice")
    if len(names) > MAX_DATASETS:
        raise InvalidRequest(f"a job reads at most {MAX_DATASETS} datasets")
    return list(names)


def _grant_for(
    session: Session,
    actor: Actor,
    names: list[str],
    kind: JobKind,
    grant_ref: str | None,
    now: datetime,
) -> Grant:
    assert actor.user_id is not None
    grant = active_grant_for(session, actor.user_id, names[0], kind, now, grant_ref=grant_ref)
    for name in names[1:]:
        active_grant_for(session, actor.user_id, name, kind, now, grant_ref=grant.ref)
    return grant


def _source(request: JobRequest, models: VettedModels) -> tuple[str, str | None]:
    if (request.source is None) == (request.model is None):
        raise InvalidRequest(
            "a job gives either its model's source or the name of a vetted model (model), not both"
        )
    if request.model is not None:
        try:
            return models.get(request.model).source, request.model
        except UnknownModel as exc:
            raise InvalidRequest(str(exc.args[0]) if exc.args else "unknown model") from None
    source = request.source
    if not isinstance(source, str) or not source.strip():
        raise InvalidRequest("source must be the model's Python source")
    if len(source.encode("utf-8", "replace")) > MAX_SOURCE_BYTES:
        raise InvalidRequest(f"a model's source may hold at most {MAX_SOURCE_BYTES} bytes")
    return source, None


@dataclass(frozen=True)
class CheckedRequest:
    """A job request that passed the checks of a submission up to its compilation (steps
    1 and 2 of the module docstring but the compile): what a job and a dry run
    (:mod:`sandbox.jobs.dry_run`) both need.
    """

    kind: JobKind
    datasets: list[str]
    grant: Grant
    source: str
    model_name: str | None
    info: ModelInfo
    params: dict[str, Any]
    limits: dict[str, Any]
    """The job limits of the effective policies (:func:`~sandbox.jobs.limits.combine_limits`)."""
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED
    """The runtime profile, one the effective policies allow."""
    policies: dict[str, Policy] = field(default_factory=dict)
    """The effective policy of each dataset under the grant, as the checks read it
    (:func:`~sandbox.policy_store.effective_under_grant`), for the rest of the submission."""


def check_request(
    session: Session,
    actor: Actor,
    request: JobRequest,
    *,
    models: VettedModels,
    now: datetime | None = None,
) -> CheckedRequest:
    """The checks of a submission before its compilation: the submitter, the request, the
    grant, the policy's kinds and the model's parameters.

    Raises:
        PermissionDenied: The submitter is not a user account, or holds no grant covering it.
        InvalidRequest: The request, the model or its parameters are unfit; the message
            names what is wrong.
    """
    moment = now or utc_now()
    if actor.role is not Role.USER or actor.user_id is None:
        raise PermissionDenied("jobs are submitted by user accounts under their grants")
    kind = parse_enum(JobKind, request.kind, "kind")
    names = _datasets(request.datasets)
    if request.grant is not None and not isinstance(request.grant, str):
        raise InvalidRequest("grant must be a grant reference")
    source, model_name = _source(request, models)
    grant = _grant_for(session, actor, names, kind, request.grant, moment)
    effective = policy_store.effective_under_grant(session, grant.id, names)
    limits = combine_limits(list(effective.values()))
    if kind is JobKind.RAW and not limits["raw_access_allowed"]:
        raise InvalidRequest("the policy of these datasets does not allow raw-access jobs")
    try:
        info = inspect_model(source)
        params = validate_params(info, request.params if request.params is not None else {})
    except (ModelSpecError, ParamsError) as exc:
        raise InvalidRequest(str(exc)) from None
    profile = _profile(request, limits)
    return CheckedRequest(
        kind=kind,
        datasets=names,
        grant=grant,
        source=source,
        model_name=model_name,
        info=info,
        params=params,
        limits=limits,
        profile=profile,
        policies=effective,
    )


def submit_job(
    session: Session,
    actor: Actor,
    request: JobRequest,
    *,
    models: VettedModels,
    registry: BackendRegistry,
    configured_backend: str = "",
    now: datetime | None = None,
) -> JobRow:
    """Check and store a job as ``submitted`` (see the module docstring).

    Raises:
        PermissionDenied: The submitter is not a user account, or holds no grant covering it.
        InvalidRequest: The request, the model, its parameters or the backend are unfit;
            the message names what is wrong.
    """
    moment = now or utc_now()
    checked = check_request(session, actor, request, models=models, now=moment)
    assert actor.user_id is not None
    kind, names, grant, source = checked.kind, checked.datasets, checked.grant, checked.source
    model_name, info, params, limits = (
        checked.model_name,
        checked.info,
        checked.params,
        checked.limits,
    )
    compile_check(source, checked.profile, limits["allowed_imports"])
    backend = choose_backend(registry, configured_backend, kind, checked.profile)
    versions = {
        name: version_row(session, dataset_row(session, name), None).version for name in names
    }
    row = JobRow(
        owner_id=actor.user_id,
        grant_id=grant.id,
        grant_ref=grant.ref,
        kind=str(kind),
        datasets=versions,
        model_name=model_name,
        source=source,
        source_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest(),
        description=info.description or "",
        params=params,
        backend=backend.name,
        profile=str(checked.profile),
        limits=limits,
        state=str(JobState.SUBMITTED),
        state_reason="",
        cancel_requested=False,
        attempt=0,
        outcome=None,
        progress={"dp_calls": 0, "log_lines": 0},
        log=[],
        errors=[],
        result=None,
        releases=[],
        verified={},
        auto_released=False,
        submitted_at=moment,
        updated_at=moment,
        request_id=current_request_id(),
    )
    session.add(row)
    session.flush()
    audit.record_at_commit(  # appended with the commit, after the quota's lock below
        session,
        actor,
        "job.submit",
        object_type="job",
        object_id=row.id,
        detail={
            "datasets": versions,
            "kind": str(kind),
            "grant": grant.ref,
            "model": model_name,
            "source_sha256": row.source_sha256,
            "backend": backend.name,
            "profile": str(checked.profile),
        },
    )
    check_job_quotas(  # last: the lock it takes is held until the commit
        session,
        user_id=actor.user_id,
        grant_id=grant.id,
        grant_ref=grant.ref,
        policies=list(checked.policies.values()),
        stored_job_id=row.id,
    )
    return row

"""A provider's DP synthetic preview of its conditional dataset (make it, withdraw it)."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import PlatformDep, require_roles
from api.errors import error_responses
from api.schemas.synthetic import (
    SyntheticPreviewCreate,
    SyntheticPreviewPublic,
    SyntheticSamplePublic,
    SyntheticWithdrawalPublic,
)
from sandbox.catalog.synthetic import SyntheticSample
from sandbox.engine.synth.preview import make_synthetic_preview, withdraw_synthetic_preview
from sandbox.identity.model import Actor, Role

router = APIRouter(tags=["datasets"])

ProviderDep = Annotated[Actor, require_roles(Role.PROVIDER)]


def _public(sample: SyntheticSample) -> SyntheticSamplePublic:
    return SyntheticSamplePublic(
        id=sample.id,
        dataset=sample.dataset,
        version=sample.version,
        rows=sample.rows,
        epsilon=sample.epsilon,
        accounting=sample.accounting,
        charged=sample.charged,
        charge_id=sample.charge_id,
        created_at=sample.created_at.isoformat(),
    )


@router.post(
    "/datasets/{name}/synthetic-preview",
    response_model=SyntheticPreviewPublic,
    responses=error_responses(404, 409, 503),
)
def make_preview(
    name: str, body: SyntheticPreviewCreate, platform: PlatformDep, actor: ProviderDep
) -> SyntheticPreviewPublic:
    """Replace the dataset's uniform mock preview (and the mock tables of dry runs) with a
    DP synthetic sample made by MST from its latest version, charged to its lifetime
    budget before it is computed; a provider of the dataset's organisation only. Refused
    (nothing charged, nothing stored) if the lifetime budget or the per-query cap cannot
    pay it. Audited as ``dataset.synthetic_preview``.
    """
    made = make_synthetic_preview(
        platform,
        actor,
        name,
        epsilon=body.epsilon,
        rows=body.rows,
        columns=body.columns,
        bins=body.bins,
        bounds=body.bounds,
    )
    return SyntheticPreviewPublic(dataset=name, sample=_public(made.sample), report=made.report)


@router.delete(
    "/datasets/{name}/synthetic-preview",
    response_model=SyntheticWithdrawalPublic,
    responses=error_responses(404),
)
def withdraw_preview(
    name: str, platform: PlatformDep, actor: ProviderDep
) -> SyntheticWithdrawalPublic:
    """Serve the uniform mock preview again (the budget the sample cost stays spent);
    idempotent. Audited as ``dataset.synthetic_preview_withdrawn`` when one was in force.
    """
    withdrawn = withdraw_synthetic_preview(platform, actor, name)
    return SyntheticWithdrawalPublic(
        dataset=name, withdrawn=_public(withdrawn) if withdrawn is not None else None
    )

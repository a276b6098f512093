"""Data products published with their sources and dates."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, PlatformDep, require_roles
from api.schemas_access import PathId
from api.schemas_oversight import ProductCreate, ProductPublic
from sandbox.identity.model import Actor, Role
from sandbox.oversight import products
from sandbox.store.db import transaction

router = APIRouter(prefix="/data-products", tags=["data-products"])


@router.post("", response_model=ProductPublic, status_code=201)
def publish(
    body: ProductCreate,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ProductPublic:
    """Publish a data product (a user): conditional sources need the grant that covers
    them.
    """
    with transaction(platform.sessions) as session:
        made = products.publish(
            session, actor, title=body.title, description=body.description,
            sources=[(s.dataset, s.version) for s in body.sources], grant_id=body.grant_id,
            payload=body.payload, job_id=body.job_id)
    return ProductPublic.of(made, with_payload=True)


@router.get("", response_model=list[ProductPublic])
def list_products(platform: PlatformDep, _actor: ActorDep,
                  dataset: str | None = None) -> list[ProductPublic]:
    """Every published product (without payloads), newest first."""
    with platform.sessions() as session:
        found = products.list_products(session, dataset=dataset)
    return [ProductPublic.of(p, with_payload=False) for p in found]


@router.get("/{product_id}", response_model=ProductPublic)
def get_product(product_id: PathId, platform: PlatformDep, actor: ActorDep) -> ProductPublic:
    """One product with its payload (any account)."""
    with transaction(platform.sessions) as session:
        return ProductPublic.of(products.get_product(session, actor, product_id),
                                with_payload=True)

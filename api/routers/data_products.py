"""Data products published with their sources and dates."""

from typing import Annotated

from fastapi import APIRouter

from api.deps import ActorDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.data_products import (
    ProductCreate,
    ProductListing,
    ProductPublic,
    product_public,
)
from api.types import Id
from sandbox.identity.model import Actor, Role
from sandbox.oversight import products

router = APIRouter(prefix="/data-products", tags=["data-products"])
public_router = APIRouter(prefix="/public/data-products", tags=["data-products"])
"""What everyone reads without a token."""


@router.post("", response_model=ProductPublic, status_code=201, responses=error_responses(404, 409))
def publish(
    body: ProductCreate,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.USER)],
) -> ProductPublic:
    """Publish a data product (a user): conditional sources need the grant that covers
    them.
    """
    made = products.publish(
        session,
        actor,
        title=body.title,
        description=body.description,
        sources=[(s.dataset, s.version) for s in body.sources],
        grant_id=body.grant_id,
        payload=body.payload,
        job_id=body.job_id,
    )
    return product_public(made, with_payload=True)


@router.get("", response_model=list[ProductPublic])
def list_products(
    session: ReadSession, _actor: ActorDep, dataset: str | None = None
) -> list[ProductPublic]:
    """Every published product (without payloads), newest first."""
    found = products.list_products(session, dataset=dataset)
    return [product_public(p, with_payload=False) for p in found]


@router.get("/{product_id}", response_model=ProductPublic)
def get_product(product_id: Id, session: WriteSession, actor: ActorDep) -> ProductPublic:
    """One product with its payload (any account)."""
    return product_public(products.get_product(session, actor, product_id), with_payload=True)


@public_router.get("", response_model=list[ProductListing])
def public_list(session: ReadSession, dataset: str | None = None) -> list[ProductListing]:
    """Every published product with its sources and dates, for everyone (no token): never a
    payload, which only accounts read (Qingdao art. 20; Xi'an art. 29).
    """
    return [
        ProductListing.model_validate(p) for p in products.list_products(session, dataset=dataset)
    ]

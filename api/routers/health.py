"""Liveness: the one endpoint without a token."""

from fastapi import APIRouter

from api.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Answer as long as the server is up."""
    return Health(status="ok")

"""Request and response schemas of enforcement on a user: rectification, then termination."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from api.schemas.grants import GrantPublic
from api.types import Id


class EnforcementRequest(Strict):
    """Body of the enforcement steps: the user and the reason."""

    user_id: Id
    reason: str = Field(max_length=2000)


class EnforcementPublic(BaseModel):
    """The grants an enforcement step changed (validate it from ``{"user_id", "step",
    "grants"}`` with the changed domain grants).
    """

    user_id: int
    step: Literal["rectification", "termination"]
    grants: list[GrantPublic]

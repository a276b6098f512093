"""Bodies of a re-review (复核, Chengdu art. 34): the applicant's request, the authority's
answer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.common import Strict

TEXT_CHARS = 20_000


class ReReviewRequest(Strict):
    """Why the refusal should be reviewed again (required)."""

    reason: str = Field(min_length=1, max_length=TEXT_CHARS)


class ReReviewAnswerBody(Strict):
    """``uphold`` the refusal (final) or ``overturn`` it, with the authority's opinion (the
    expert committee's assessment, where it asked for one).
    """

    outcome: Literal["uphold", "overturn"]
    opinion: str = Field(min_length=1, max_length=TEXT_CHARS)

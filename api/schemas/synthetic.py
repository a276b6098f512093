"""A provider's DP synthetic preview of a dataset: the request and what was made."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import FromDomain


class SyntheticPreviewCreate(BaseModel):
    """Replace a conditional dataset's uniform mock preview with a DP synthetic sample.

    Charged to the dataset's lifetime budget (``epsilon``; rho = epsilon^2 / 2 under zCDP)
    before anything is computed; refused with nothing charged or stored if it cannot pay.
    """

    model_config = ConfigDict(extra="forbid")

    epsilon: float = Field(gt=0, le=10, description="Privacy loss of the whole synthesis.")
    rows: int = Field(1000, ge=1, le=10_000, description="Rows of the synthetic sample.")
    columns: list[str] | None = Field(
        None,
        min_length=1,
        max_length=16,
        description="Columns to synthesize (default: every one MST can); the others keep "
        "the uniform mock's dictionary-only values.",
    )
    bins: int | None = Field(None, ge=2, le=64, description="Equal public bins per numeric column.")
    bounds: dict[str, list[float]] | None = Field(
        None, description="Public [lower, upper] of numeric columns without declared bounds."
    )


class SyntheticSamplePublic(FromDomain):
    """The DP synthetic sample in force (or withdrawn), as the catalog records it."""

    id: int
    dataset: str
    version: int
    rows: int
    epsilon: str
    accounting: str
    charged: str
    charge_id: int
    created_at: str


class SyntheticPreviewPublic(BaseModel):
    """The DP synthetic preview made: the catalog record and the release's report (its
    mechanism, budget split, bins, rows per unit, spanning tree and utility).
    """

    dataset: str
    sample: SyntheticSamplePublic
    report: dict[str, Any]


class SyntheticWithdrawalPublic(BaseModel):
    """Which sample was withdrawn (``None``: none was in force); the uniform mock is back."""

    dataset: str
    withdrawn: SyntheticSamplePublic | None

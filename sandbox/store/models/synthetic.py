"""DP synthetic previews: a provider's DP synthetic sample standing in for the uniform mock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class SyntheticPreviewRow(Base):
    """One DP synthetic sample of a dataset version, made at its provider's choice.

    The newest row of a dataset whose ``withdrawn_at`` is null is the one served as its
    preview and mock table; older rows stay as the history of what was released, and at
    what cost (``charge_id``: the ledger charge against the dataset's lifetime budget).
    """

    __tablename__ = "synthetic_previews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    epsilon: Mapped[str] = mapped_column(String(64))
    accounting: Mapped[str] = mapped_column(String(16))
    charged: Mapped[str] = mapped_column(String(200))
    charge_id: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

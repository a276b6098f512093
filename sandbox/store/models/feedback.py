"""Ratings and comments on datasets by their users (Lianyungang art. 18; Chengdu art. 35;
Wuxi art. 26).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandbox.store.models.base import Base
from sandbox.store.types import UTCDateTime


class DatasetRatingRow(Base):
    """One account's rating of one dataset (1-5): one row per pair, changed in place."""

    __tablename__ = "dataset_ratings"
    __table_args__ = (UniqueConstraint("dataset_id", "user_id", name="uq_dataset_ratings_user"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stars: Mapped[int] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DatasetCommentRow(Base):
    """A comment on a dataset, shown publicly only once its provider approved it."""

    __tablename__ = "dataset_comments"
    __table_args__ = (Index("ix_dataset_comments_dataset_status", "dataset_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

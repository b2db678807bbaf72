"""A rating year and everything a branch's assessment in it collects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

__all__ = ["Answer", "Assessment", "Claim", "Cycle", "Evidence", "ReviewScore"]


class Cycle(Base):
    """A town's rating year, pinned to the rubric text it started with.

    Keeping the YAML itself (not a path) means editing the rubric file later never changes a
    running cycle; the SHA-256 lets a process cache the parsed rubric.
    """

    __tablename__ = "cycle"
    __table_args__ = (UniqueConstraint("town_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    year: Mapped[int]
    deadline_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))
    rubric_text: Mapped[str] = mapped_column(Text)
    rubric_sha256: Mapped[str] = mapped_column(String(64))
    reminder_days: Mapped[list[int]]
    created_at: Mapped[datetime]


class Assessment(Base):
    """One branch in one cycle: its state, and where its secretary stands in the questions."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("branch_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    declared_stars: Mapped[int | None]
    current_item_id: Mapped[str | None] = mapped_column(String(100))
    # The one message edited in place as the secretary answers.
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped on every change, so a stale button press can be recognised and refused.
    version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # A branch the town reopened after the deadline takes answers until this instant.
    reopened_until: Mapped[datetime | None]
    # The named result (统一命名): stars after the quota and the committee, and the total.
    final_stars: Mapped[int | None]
    final_total: Mapped[Decimal | None]
    named_at: Mapped[datetime | None]


class Answer(Base):
    """The current answer to one item: a level key (self) or a score (reviewer)."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    item_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    level_key: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[Decimal | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answered_at: Mapped[datetime]


class Evidence(Base):
    """A photo, document or note proving an item (佐证材料).

    Only Telegram's `file_id` is kept, never a download URL: those carry the bot token.
    """

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("assessment_id", "item_id", "file_unique_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    item_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    file_id: Mapped[str | None] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(100))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(255))
    caption: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    added_at: Mapped[datetime]


class Claim(Base):
    """A declared bonus (加分项) or deduction (减分项), and the town's decision on it."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    direction: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(60))
    points_claimed: Mapped[Decimal]
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    points_awarded: Mapped[Decimal | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class ReviewScore(Base):
    """The review score (评议项), entered directly or converted from ballot counts."""

    __tablename__ = "review_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), unique=True)
    score: Mapped[Decimal]
    ballots: Mapped[dict[str, Any] | None]
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    entered_at: Mapped[datetime]

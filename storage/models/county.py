"""The town's publicity (公示), objections, the county's re-check and its spot check (抽查)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

__all__ = [
    "CheckOutcome",
    "CountyDecision",
    "CountyOpinion",
    "CountyVerdict",
    "Objection",
    "ObjectionOutcome",
    "Publicity",
    "SpotCheck",
    "SpotCheckItem",
]


class ObjectionOutcome(StrEnum):
    """How an objection (异议) ended; an objection without one is open."""

    UPHELD = "upheld"  # the objection stands: the branch is not named this year
    DISMISSED = "dismissed"  # checked and found groundless: the branch may be named


class CountyVerdict(StrEnum):
    """The county's decision on a five-star recommendation."""

    APPROVED = "approved"
    REJECTED = "rejected"


class CheckOutcome(StrEnum):
    """What a spot check found."""

    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


class Publicity(Base):
    """A town's publicity period for a cycle: from its first to its last working day.

    `ends_at` is the instant after the last day (midnight Beijing time, kept in UTC): the
    closing job acts on every period whose `ends_at` has passed and `closed_at` is empty.
    `calendars` says which calendar each year's days were counted on.
    """

    __tablename__ = "publicity"
    __table_args__ = (Index("ix_publicity_closed_at_ends_at", "closed_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    ends_at: Mapped[datetime]
    working_days: Mapped[int]
    calendars: Mapped[dict[str, Any]]
    contact: Mapped[str] = mapped_column(String(200))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Objection(Base):
    """An objection raised during publicity against one branch, and its outcome."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    raised_by: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    resolved_at: Mapped[datetime | None]


class CountyOpinion(Base):
    """An opinion on a recommended branch: the discipline-inspection organ's or a department's."""

    __tablename__ = "county_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    department: Mapped[str] = mapped_column(String(100))
    opinion: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime]


class CountyDecision(Base):
    """The county's approval or rejection of a five-star recommendation, with its reason."""

    __tablename__ = "county_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), unique=True)
    verdict: Mapped[str] = mapped_column(String(20))
    stars: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime]


class SpotCheck(Base):
    """One county's spot-check draw for a year, with the seed that redraws it."""

    __tablename__ = "spot_check"
    __table_args__ = (UniqueConstraint("county_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"))
    year: Mapped[int]
    seed: Mapped[int]
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    drawn_at: Mapped[datetime]


class SpotCheckItem(Base):
    """A branch drawn for the spot check, the level it was drawn at, and what the check found."""

    __tablename__ = "spot_check_item"
    __table_args__ = (UniqueConstraint("spot_check_id", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    drawn_stars: Mapped[int]
    outcome: Mapped[str | None] = mapped_column(String(20))
    corrected_stars: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    checked_at: Mapped[datetime | None]

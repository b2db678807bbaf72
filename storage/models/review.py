"""The town's review (镇党委考评): each branch's reviewed level, and the committee's decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

__all__ = ["CommitteeDecision", "DecisionKind", "ReviewFocus", "ReviewOutcome"]


class DecisionKind(StrEnum):
    """What the town committee (党委会议) decided, always with a written reason.

    `tie`: one of the branches tied at a quota cut-off keeps the level. `gate_exception`: a
    branch a gate blocks keeps the gated level ("in principle", 原则上). `quota_override`: the
    county approved a higher share for the top capped level (the reference names the approval).
    """

    TIE = "tie"
    GATE_EXCEPTION = "gate_exception"
    QUOTA_OVERRIDE = "quota_override"


class ReviewOutcome(Base):
    """The level the town's last finalising run gave one assessment, after gates and quota."""

    __tablename__ = "review_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), unique=True)
    total: Mapped[Decimal | None]
    # The stars after the gates (and any gate exception), before the quota.
    stars_before_quota: Mapped[int | None]
    reviewed_stars: Mapped[int | None]
    # Reason codes joined by commas: gates, `over_quota`, `tie_at_cutoff`, decisions applied.
    reasons: Mapped[str | None] = mapped_column(String(200))
    tie_at_cutoff: Mapped[bool] = mapped_column(default=False)
    finalized_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    finalized_at: Mapped[datetime]


class CommitteeDecision(Base):
    """A decision of the town committee on a tie, a gate exception or a higher quota.

    One current decision per (cycle, assessment, kind); a new one replaces it and the audit
    trail keeps the old. `assessment_id` is None for a quota override, which is the cycle's.
    """

    __tablename__ = "committee_decision"
    __table_args__ = (Index("ix_committee_decision_cycle_id_kind", "cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # The level kept (tie, gate exception) or the share approved (quota override).
    stars: Mapped[int | None]
    share: Mapped[Decimal | None]
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(String(200))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime]


class ReviewFocus(Base):
    """The branch a town officer last opened in the bot: what `/score` or `/return` act on.

    Kept in the database, not in the process, so a restart mid-review keeps the officer's place.
    """

    __tablename__ = "review_focus"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id"), primary_key=True, autoincrement=False
    )
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    set_at: Mapped[datetime]

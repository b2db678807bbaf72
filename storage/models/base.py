"""The declarative base shared by every table, and the value sets stored in string columns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, MetaData
from sqlalchemy.orm import DeclarativeBase

from storage.types import ExactDecimal, UTCDateTime

__all__ = [
    "AnswerSource",
    "AssessmentState",
    "Base",
    "ClaimDirection",
    "ClaimStatus",
    "CycleState",
    "DeliveryKind",
    "DeliveryState",
    "EvidenceKind",
    "Role",
]

# Named constraints make migrations reproducible: SQLite can only alter a table by copying it,
# and Alembic's batch mode needs names to find the constraints again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table; `datetime` and `Decimal` annotations get the cross-database types."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute as is)
        datetime: UTCDateTime(),
        Decimal: ExactDecimal(),
        dict[str, Any]: JSON(),
        list[int]: JSON(),
    }


# Values live in plain string columns rather than database enums, so adding a state later is a
# code change, not a PostgreSQL type migration.


class Role(StrEnum):
    """Who may do what, and over which organisation."""

    SECRETARY = "secretary"  # of a branch
    TOWN = "town"  # reviewer of a town
    COUNTY = "county"  # reviewer of a county


class CycleState(StrEnum):
    """Whether a rating year still takes answers."""

    OPEN = "open"
    CLOSED = "closed"


class AssessmentState(StrEnum):
    """The procedure steps of DOMAIN.md, in order."""

    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"  # the deadline passed before it was submitted: locked like a submission
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REVIEWED = "reviewed"
    TOWN_DECIDED = "town_decided"
    RECOMMENDED = "recommended"
    COUNTY_APPROVED = "county_approved"
    COUNTY_REJECTED = "county_rejected"
    NAMED = "named"


class AnswerSource(StrEnum):
    """Whose answer: the secretary's own, or the town reviewer's re-score."""

    SELF = "self"
    REVIEWER = "reviewer"


class EvidenceKind(StrEnum):
    """What a piece of evidence is."""

    PHOTO = "photo"
    DOCUMENT = "document"
    NOTE = "note"


class ClaimDirection(StrEnum):
    """A bonus (加分项) or a deduction (减分项)."""

    BONUS = "bonus"
    DEDUCTION = "deduction"


class ClaimStatus(StrEnum):
    """Where a declared bonus or deduction stands."""

    CLAIMED = "claimed"
    AWARDED = "awarded"
    REJECTED = "rejected"


class DeliveryKind(StrEnum):
    """Messages the bot owes someone."""

    REMINDER = "reminder"  # to a secretary before the deadline
    OVERDUE = "overdue"  # to a secretary the day after a missed deadline
    DIGEST = "digest"  # to a town's reviewers: who is behind
    RESULT = "result"  # to a secretary when the branch is named
    REVIEW_EVENT = "review_event"  # to a secretary: returned for revision, a claim decided
    # To a town's officers (publicity ended, the county decided) or a secretary (spot check).
    PROCEDURE_EVENT = "procedure_event"


class DeliveryState(StrEnum):
    """pending → sending → sent, or one of the ends below.

    `unknown`: the process died while sending; Telegram may have shown it, so it is never sent
    again. `unreachable`: Telegram answered 403 (blocked, deactivated). `cancelled`: no longer
    owed (the deadline moved, the secretary submitted). `expired`: too late to be worth sending.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED_PERMANENT = "failed_permanent"
    UNKNOWN = "unknown"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

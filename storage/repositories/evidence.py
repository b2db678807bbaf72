"""Evidence (佐证材料) on items, and declared bonus and deduction claims."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, select
from sqlalchemy.orm import Session

from storage.models import Claim, ClaimDirection, ClaimStatus, Evidence, EvidenceKind
from storage.repositories._dialect import insert_for

__all__ = [
    "add_claim",
    "add_evidence",
    "claims_of",
    "drop_pending_claim",
    "evidence_counts",
    "note_unique_id",
    "pending_claim",
    "set_claim_reason",
]


def note_unique_id(text: str) -> str:
    """Returns the stand-in `file_unique_id` of a text note: the same text twice is one note."""
    return "note:" + hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:40]


def add_evidence(
    session: Session,
    assessment_id: int,
    item_id: str,
    kind: EvidenceKind,
    file_unique_id: str,
    added_by: int | None,
    now: datetime,
    *,
    file_id: str | None = None,
    mime_type: str | None = None,
    file_size: int | None = None,
    file_name: str | None = None,
    caption: str | None = None,
) -> bool:
    """Attaches evidence to an item in one statement.

    Returns:
        False when the same file (same `file_unique_id`) is already on that item.
    """
    statement = (
        insert_for(session, Evidence)
        .values(
            assessment_id=assessment_id,
            item_id=item_id,
            kind=kind,
            file_id=file_id,
            file_unique_id=file_unique_id,
            mime_type=mime_type,
            file_size=file_size,
            file_name=file_name,
            caption=caption,
            added_by=added_by,
            added_at=now,
        )
        .on_conflict_do_nothing(index_elements=["assessment_id", "item_id", "file_unique_id"])
        .returning(Evidence.id)
    )
    return session.scalar(statement) is not None


# Read on every press, to show the card's evidence count (built once: see `_dialect`).
_EVIDENCE_COUNTS = (
    select(Evidence.item_id, func.count())
    .where(Evidence.assessment_id == bindparam("assessment_id"))
    .group_by(Evidence.item_id)
)


def evidence_counts(session: Session, assessment_id: int) -> dict[str, int]:
    """Returns `{item_id: number of pieces of evidence}` for the items that have any."""
    rows = session.connection().execute(_EVIDENCE_COUNTS, {"assessment_id": assessment_id})
    return {item_id: int(count) for item_id, count in rows}


def add_claim(
    session: Session,
    assessment_id: int,
    direction: ClaimDirection,
    kind: str,
    points_claimed: Decimal,
    reason: str | None,
    created_by: int | None,
    now: datetime,
) -> Claim:
    """Declares a bonus or a deduction, awaiting the town's decision."""
    claim = Claim(
        assessment_id=assessment_id,
        direction=direction,
        kind=kind,
        points_claimed=points_claimed,
        reason=reason,
        status=ClaimStatus.CLAIMED,
        created_by=created_by,
        created_at=now,
    )
    session.add(claim)
    session.flush()
    return claim


def claims_of(
    session: Session, assessment_id: int, direction: ClaimDirection | None = None
) -> list[Claim]:
    """Returns the assessment's claims (of one direction, or both) in the order declared."""
    query = select(Claim).where(Claim.assessment_id == assessment_id)
    if direction is not None:
        query = query.where(Claim.direction == direction)
    return list(session.scalars(query.order_by(Claim.created_at, Claim.id)).all())


def _pending(assessment_id: int, person_id: int) -> ColumnElement[bool]:
    """The condition of a claim this person declared that still waits for its reason."""
    return and_(
        Claim.assessment_id == assessment_id,
        Claim.created_by == person_id,
        Claim.reason.is_(None),
    )


def pending_claim(session: Session, assessment_id: int, person_id: int) -> Claim | None:
    """Returns the person's claim on the assessment still waiting for its reason, if any.

    A declared claim without a reason is the question the secretary's next text answers.
    """
    return session.scalar(
        select(Claim).where(_pending(assessment_id, person_id)).order_by(Claim.id).limit(1)
    )


def drop_pending_claim(session: Session, assessment_id: int, person_id: int) -> bool:
    """Deletes the person's claims still waiting for their reason; True when there was one."""
    deleted = session.execute(
        delete(Claim).where(_pending(assessment_id, person_id)).returning(Claim.id)
    )
    return bool(deleted.all())


def set_claim_reason(session: Session, claim: Claim, reason: str) -> None:
    """Gives a declared claim its reason, which completes the declaration."""
    claim.reason = reason
    session.flush()

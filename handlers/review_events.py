"""What a secretary is told of the town's review: a return for revision, a claim decided.

No callback-data kinds: the sweep sends these (`delivery` rows of kind `review_event`, owed by
`storage.repositories.review`). Rendered when sent, so a return the secretary has already
answered by submitting again is no longer owed and is dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from handlers.cards import format_points
from handlers.catalogue import text
from handlers.outbox import OutgoingMessage
from storage.models import (
    Assessment,
    AssessmentState,
    Branch,
    Claim,
    ClaimDirection,
    ClaimStatus,
    Cycle,
    Delivery,
)
from storage.repositories import cycle_rubric

__all__ = ["render_review_event"]


def render_review_event(
    session: Session, delivery: Delivery, now: datetime
) -> OutgoingMessage | None:
    """Renders a review event for the branch's secretary; None when it is no longer owed."""
    payload = delivery.payload
    assessment = session.get(Assessment, payload.get("assessment_id"))
    branch = session.get(Branch, assessment.branch_id) if assessment is not None else None
    if assessment is None or branch is None:
        return None
    event = payload.get("event")
    if event == "returned":
        if assessment.state != AssessmentState.RETURNED:
            return None  # submitted again meanwhile: the news is old
        return OutgoingMessage(
            text("review.event.returned", branch=branch.name, reason=payload.get("reason") or "")
        )
    if event == "claim_decided":
        return _claim_decided(session, assessment, branch, payload.get("claim_id"))
    return None


def _claim_decided(
    session: Session, assessment: Assessment, branch: Branch, claim_id: object
) -> OutgoingMessage | None:
    """The decision as the claim stands now (a later decision supersedes an earlier)."""
    claim = session.get(Claim, claim_id) if isinstance(claim_id, int) else None
    cycle = session.get(Cycle, assessment.cycle_id)
    if claim is None or cycle is None or claim.status == ClaimStatus.CLAIMED:
        return None
    rubric = cycle_rubric(cycle)
    kinds = rubric.deductions.kinds
    if claim.direction == ClaimDirection.BONUS:
        kinds = rubric.bonus.kinds if rubric.bonus is not None else ()
    names = {
        "branch": branch.name,
        "direction": text(f"review.event.direction.{claim.direction}"),
        "kind": next((k.label for k in kinds if k.key == claim.kind), claim.kind),
    }
    if claim.status == ClaimStatus.AWARDED:
        return OutgoingMessage(
            text(
                "review.event.claim_awarded",
                claimed=format_points(claim.points_claimed),
                awarded=format_points(claim.points_awarded or claim.points_claimed),
                **names,
            )
        )
    return OutgoingMessage(text("review.event.claim_refused", **names))

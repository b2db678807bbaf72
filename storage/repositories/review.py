"""The town's review actions on one submitted assessment, each audited with old and new value.

Re-score an item, decide a claimed bonus, record a deduction the secretary did not declare,
enter the review score (述职评议), return the assessment for revision, mark it reviewed, and
record a committee decision. Every action locks the assessment row, checks its state, writes,
bumps its version (so a keyboard built before the change is recognised as stale) and adds an
audit entry; an action that would change nothing writes nothing and returns False, so a
re-imported file or a repeated press leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    AnswerSource,
    Assessment,
    AssessmentState,
    Branch,
    Claim,
    ClaimDirection,
    ClaimStatus,
    CommitteeDecision,
    Cycle,
    DecisionKind,
    DeliveryKind,
    Person,
    Publicity,
    ReviewScore,
    Role,
    RoleGrant,
)
from storage.repositories.assessments import answers_of, get_assessment_for_update, set_answer
from storage.repositories.audit import record_audit
from storage.repositories.deliveries import owe_delivery

if TYPE_CHECKING:
    from scoring import Rubric

__all__ = [
    "REVIEWABLE_STATES",
    "REVIEW_SCORE_STATES",
    "ReviewError",
    "ReviewTarget",
    "decide_claim",
    "enter_review_score",
    "mark_reviewed",
    "record_decision",
    "record_deduction",
    "rescore_item",
    "return_for_revision",
]

# Re-scores and claim decisions need the secretary's submission and stop once the town's
# publicity (town_decided) starts.
REVIEWABLE_STATES = frozenset({AssessmentState.SUBMITTED, AssessmentState.REVIEWED})
# The review score comes from the report meeting, which may be held while the branch revises.
REVIEW_SCORE_STATES = REVIEWABLE_STATES | {AssessmentState.RETURNED}
_CENT_EXPONENT = -2


class ReviewError(ValueError):
    """An action the assessment's state or the rubric does not allow; the message says why."""


@dataclass(frozen=True)
class ReviewTarget:
    """An assessment locked for a review action, with its branch (for the town and category)."""

    assessment: Assessment
    branch: Branch


def _lock(
    session: Session, assessment_id: int, allowed: frozenset[AssessmentState]
) -> ReviewTarget:
    """Locks the assessment and checks its state; ReviewError names the state otherwise."""
    assessment = get_assessment_for_update(session, assessment_id)
    if assessment is None:
        raise ReviewError(f"no assessment {assessment_id}")
    if assessment.state not in allowed:
        allowed_names = ", ".join(sorted(allowed))
        raise ReviewError(
            f"assessment {assessment_id} is {assessment.state}: this needs {allowed_names}"
        )
    # Once the town publicises its results, the figures behind them are what the public saw.
    publicity = select(Publicity.id).where(Publicity.cycle_id == assessment.cycle_id)
    if session.scalar(publicity) is not None:
        raise ReviewError("the town's publicity has started: the review is closed")
    branch = session.get(Branch, assessment.branch_id)
    if branch is None:  # pragma: no cover - the foreign key guarantees it
        raise ReviewError(f"assessment {assessment_id} has no branch")
    return ReviewTarget(assessment, branch)


def _touch(assessment: Assessment, now: datetime) -> None:
    """Moves the version on, so buttons built before this change are refused as stale."""
    assessment.version += 1
    assessment.updated_at = now


def _audit(
    session: Session,
    actor_id: int | None,
    action: str,
    entity: tuple[str, int],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    reason: str | None,
    now: datetime,
) -> None:
    entity_type, entity_id = entity
    record_audit(session, actor_id, action, entity_type, entity_id, old, new, reason, now)
    session.flush()


def _required_reason(reason: str | None, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ReviewError(f"{what} needs a reason")
    return cleaned


def _check_cents(value: Decimal, what: str) -> None:
    if not value.is_finite() or value.as_tuple().exponent < _CENT_EXPONENT:  # type: ignore[operator]
        raise ReviewError(f"{what}: expected a number to the cent, got {value}")


def rescore_item(
    session: Session,
    assessment_id: int,
    rubric: Rubric,
    item_id: str,
    score: Decimal,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """Sets the reviewer's score of one item (0 to its points, to the cent).

    Returns False when the item already has that reviewer score (nothing written).
    """
    target = _lock(session, assessment_id, REVIEWABLE_STATES)
    items = {item.id: item for item in rubric.items_for(target.branch.category)}
    item = items.get(item_id)
    if item is None:
        raise ReviewError(f"item {item_id!r} is not one of this branch's items")
    _check_cents(score, item_id)
    if not Decimal(0) <= score <= item.points:
        raise ReviewError(f"{item_id}: expected a score from 0 to {item.points}, got {score}")
    old = answers_of(session, assessment_id, AnswerSource.REVIEWER).get(item_id)
    if old == score:
        return False
    own = answers_of(session, assessment_id).get(item_id)
    set_answer(session, assessment_id, item_id, score, AnswerSource.REVIEWER, actor_id, now)
    _touch(target.assessment, now)
    _audit(
        session,
        actor_id,
        "review.rescore",
        ("assessment", assessment_id),
        {"item_id": item_id, "score": old, "self": own},
        {"item_id": item_id, "score": score},
        None,
        now,
    )
    return True


def decide_claim(
    session: Session,
    claim_id: int,
    rubric: Rubric,
    points: Decimal | None,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> bool:
    """Decides a declared claim, or refuses it (`points` None).

    A bonus is awarded in full or in part (above 0, at most what was claimed); a deduction is
    confirmed at any points from the rubric's minimum up. Anything but the claim as declared
    needs a reason. The bonus cap holds across the assessment's claims: an award that would take
    the awarded sum over it is refused, naming the room left. The secretary is told through a
    delivery. Returns False when nothing changes.
    """
    claim = session.get(Claim, claim_id, with_for_update=True, populate_existing=True)
    if claim is None:
        raise ReviewError(f"no claim {claim_id}")
    what = f"{claim.direction} claim {claim_id}"
    target = _lock(session, claim.assessment_id, REVIEWABLE_STATES)
    if points is None:
        status, awarded = ClaimStatus.REJECTED, None
    else:
        _check_cents(points, what)
        _check_claim_points(rubric, claim, points, what)
        status, awarded = ClaimStatus.AWARDED, points
    if (claim.status, claim.points_awarded) == (status, awarded):
        return False
    if awarded != claim.points_claimed:
        reason = _required_reason(reason, f"{what}: a change or a refusal")
    if awarded is not None and claim.direction == ClaimDirection.BONUS and rubric.bonus:
        others = sum(
            (
                other.points_awarded or Decimal(0)
                for other in _claims(session, claim.assessment_id, ClaimDirection.BONUS)
                if other.id != claim.id and other.status == ClaimStatus.AWARDED
            ),
            Decimal(0),
        )
        if others + awarded > rubric.bonus.cap:
            room = max(rubric.bonus.cap - others, Decimal(0))
            raise ReviewError(
                f"{what}: the bonus cap is {rubric.bonus.cap} across claims; {room} left"
            )
    old = {"status": claim.status, "points_awarded": claim.points_awarded}
    claim.status, claim.points_awarded = status, awarded
    claim.decided_by, claim.decided_at = actor_id, now
    _touch(target.assessment, now)
    new = {"status": status, "points_awarded": awarded}
    _audit(session, actor_id, "review.claim", ("claim", claim.id), old, new, reason, now)
    _notify_secretaries(
        session,
        target,
        f"claim:{claim.id}:{target.assessment.version}",
        {"event": "claim_decided", "claim_id": claim.id, "kind": claim.kind, **new},
        reason,
        now,
    )
    return True


def _check_claim_points(rubric: Rubric, claim: Claim, points: Decimal, what: str) -> None:
    """A bonus award lies above 0 and at most the claim; a deduction at least the minimum."""
    if claim.direction == ClaimDirection.BONUS:
        if not Decimal(0) < points <= claim.points_claimed:
            raise ReviewError(
                f"{what}: award above 0 and at most the {claim.points_claimed} claimed, "
                f"got {points}"
            )
    elif points < rubric.deductions.min_points:
        raise ReviewError(
            f"{what}: a deduction is at least {rubric.deductions.min_points} points, got {points}"
        )


def _claims(session: Session, assessment_id: int, direction: ClaimDirection) -> list[Claim]:
    query = select(Claim).where(Claim.assessment_id == assessment_id, Claim.direction == direction)
    return list(session.scalars(query.order_by(Claim.id)).all())


def record_deduction(
    session: Session,
    assessment_id: int,
    rubric: Rubric,
    kind: str,
    points: Decimal,
    reason: str | None,
    actor_id: int | None,
    now: datetime,
) -> Claim:
    """Records a deduction the secretary did not declare: a rubric kind, at least its minimum."""
    target = _lock(session, assessment_id, REVIEWABLE_STATES)
    cleaned = _required_reason(reason, "a deduction")
    kinds = [deduction.key for deduction in rubric.deductions.kinds]
    if kind not in kinds:
        raise ReviewError(f"unknown deduction kind {kind!r} (expected {', '.join(kinds)})")
    _check_cents(points, "deduction")
    if points < rubric.deductions.min_points:
        raise ReviewError(
            f"a deduction is at least {rubric.deductions.min_points} points, got {points}"
        )
    claim = Claim(
        assessment_id=assessment_id,
        direction=ClaimDirection.DEDUCTION,
        kind=kind,
        points_claimed=points,
        reason=cleaned,
        status=ClaimStatus.AWARDED,
        points_awarded=points,
        decided_by=actor_id,
        decided_at=now,
        created_by=actor_id,
        created_at=now,
    )
    session.add(claim)
    session.flush()
    _touch(target.assessment, now)
    new = {"assessment_id": assessment_id, "kind": kind, "points": points}
    _audit(session, actor_id, "review.deduction", ("claim", claim.id), None, new, cleaned, now)
    return claim


def enter_review_score(
    session: Session,
    assessment_id: int,
    rubric: Rubric,
    actor_id: int | None,
    now: datetime,
    *,
    score: Decimal | None = None,
    ballots: dict[str, int] | None = None,
) -> bool:
    """Enters the review score (评议项) directly (0-100, to the cent) or as ballot counts.

    Returns False when the same score (and the same ballots) is already entered.
    """
    from scoring import InputError, review_from_ballots

    if (score is None) == (ballots is None):
        raise ReviewError("give either the review score or the ballot counts")
    if ballots is not None:
        try:
            score = review_from_ballots(rubric, ballots)
        except InputError as error:
            raise ReviewError("; ".join(error.problems)) from None
    assert score is not None
    _check_cents(score, "review score")
    if not Decimal(0) <= score <= 100:
        raise ReviewError(f"review score: expected 0 to 100, got {score}")
    _lock(session, assessment_id, REVIEW_SCORE_STATES)
    row = session.scalar(select(ReviewScore).where(ReviewScore.assessment_id == assessment_id))
    if row is not None and (row.score, row.ballots) == (score, ballots):
        return False
    old = None if row is None else {"score": row.score, "ballots": row.ballots}
    if row is None:
        row = ReviewScore(assessment_id=assessment_id, score=score)
        session.add(row)
    row.score, row.ballots = score, ballots
    row.entered_by, row.entered_at = actor_id, now
    target_assessment = session.get(Assessment, assessment_id)
    assert target_assessment is not None
    _touch(target_assessment, now)
    new = {"score": score, "ballots": ballots}
    _audit(session, actor_id, "review.score", ("assessment", assessment_id), old, new, None, now)
    return True


def return_for_revision(
    session: Session, assessment_id: int, reason: str | None, actor_id: int | None, now: datetime
) -> None:
    """Returns the assessment to its secretary (退回修改) with a reason; re-scores are kept.

    The secretary may edit and submit again; each bound secretary is owed a message.
    """
    target = _lock(session, assessment_id, REVIEWABLE_STATES)
    cleaned = _required_reason(reason, "returning an assessment")
    old_state = target.assessment.state
    target.assessment.state = AssessmentState.RETURNED
    _touch(target.assessment, now)
    _audit(
        session,
        actor_id,
        "review.return",
        ("assessment", assessment_id),
        {"state": old_state},
        {"state": AssessmentState.RETURNED},
        cleaned,
        now,
    )
    _notify_secretaries(
        session,
        target,
        f"returned:{assessment_id}:{target.assessment.version}",
        {"event": "returned"},
        cleaned,
        now,
    )


def mark_reviewed(
    session: Session, assessment_id: int, actor_id: int | None, now: datetime
) -> bool:
    """Marks a submitted assessment reviewed; it needs its review score and every claim decided.

    Returns False when it already is reviewed.
    """
    target = _lock(session, assessment_id, REVIEWABLE_STATES)
    if target.assessment.state == AssessmentState.REVIEWED:
        return False
    has_score = session.scalar(
        select(ReviewScore.id).where(ReviewScore.assessment_id == assessment_id)
    )
    if has_score is None:
        raise ReviewError(f"assessment {assessment_id} has no review score yet")
    waiting = session.scalar(
        select(Claim.id).where(
            Claim.assessment_id == assessment_id, Claim.status == ClaimStatus.CLAIMED
        )
    )
    if waiting is not None:
        raise ReviewError(f"assessment {assessment_id} has claims waiting for a decision")
    target.assessment.state = AssessmentState.REVIEWED
    _touch(target.assessment, now)
    _audit(
        session,
        actor_id,
        "review.mark_reviewed",
        ("assessment", assessment_id),
        {"state": AssessmentState.SUBMITTED},
        {"state": AssessmentState.REVIEWED},
        None,
        now,
    )
    return True


def record_decision(
    session: Session,
    cycle_id: int,
    kind: DecisionKind,
    reason: str | None,
    actor_id: int | None,
    now: datetime,
    *,
    assessment_id: int | None = None,
    stars: int | None = None,
    share: Decimal | None = None,
    reference: str | None = None,
) -> CommitteeDecision:
    """Records (or replaces) the committee's decision on a tie, a gate exception or the quota.

    A tie or a gate exception names the assessment and the level kept; a quota override
    names the share the county approved and the approval's reference.
    """
    cleaned = _required_reason(reason, f"a {kind} decision")
    # The cycle's row lock serialises decisions: one current decision per kind and branch.
    if session.get(Cycle, cycle_id, with_for_update=True) is None:
        raise ReviewError(f"no cycle {cycle_id}")
    if kind is DecisionKind.QUOTA_OVERRIDE:
        if share is None or not Decimal(0) < share <= 1 or assessment_id is not None:
            raise ReviewError(f"a quota override needs a share above 0 and at most 1, got {share}")
        if not (reference or "").strip():
            raise ReviewError("a quota override needs the county's reference")
    elif assessment_id is None or stars is None:
        raise ReviewError(f"a {kind} decision names the assessment and the level kept")
    query = select(CommitteeDecision).where(
        CommitteeDecision.cycle_id == cycle_id,
        CommitteeDecision.kind == kind,
        CommitteeDecision.assessment_id.is_(None)
        if assessment_id is None
        else CommitteeDecision.assessment_id == assessment_id,
    )
    decision = session.scalar(query.with_for_update())
    old = None if decision is None else _decision_fields(decision)
    if decision is None:
        decision = CommitteeDecision(cycle_id=cycle_id, assessment_id=assessment_id, kind=kind)
        session.add(decision)
    decision.stars, decision.share, decision.reference = stars, share, reference
    decision.reason, decision.decided_by, decision.decided_at = cleaned, actor_id, now
    session.flush()
    new = _decision_fields(decision)
    _audit(session, actor_id, "review.decision", ("cycle", cycle_id), old, new, cleaned, now)
    return decision


def _decision_fields(decision: CommitteeDecision) -> dict[str, Any]:
    return {
        "kind": decision.kind,
        "assessment_id": decision.assessment_id,
        "stars": decision.stars,
        "share": decision.share,
        "reference": decision.reference,
    }


def _notify_secretaries(
    session: Session,
    target: ReviewTarget,
    due_key: str,
    payload: dict[str, Any],
    reason: str | None,
    now: datetime,
) -> None:
    """Owes each bound secretary of the branch a review-event message."""
    recipients = session.scalars(
        select(Person.telegram_id)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.org_id == target.branch.id,
            RoleGrant.revoked_at.is_(None),
        )
    ).all()
    full = {
        "town_id": target.branch.town_id,
        "branch_id": target.branch.id,
        "assessment_id": target.assessment.id,
        "reason": reason,
        **payload,
    }
    for telegram_id in recipients:
        owe_delivery(session, DeliveryKind.REVIEW_EVENT, telegram_id, due_key, full, now)

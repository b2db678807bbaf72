"""A town's cycle under review: every branch scored as declared and as reviewed, and finalising.

Finalising (党委会议研究) applies the gates and the quota exactly as DOMAIN.md says: the
reviewed branches are scored with the reviewer's item scores over the secretary's answers, the
bonus the town awarded, every deduction not refused and the review score; a gate exception the
committee recorded lifts a gated branch back to the level its total reaches; `apply_quota`
then keeps at most the share of every branch of the town (those left out count in scope and
hold no level); the committee's decision on a tie at the cut-off keeps that branch only when
the places left allow it. It can run again until the publicity step; every run is audited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    Answer,
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
    Publicity,
    ReviewOutcome,
    ReviewScore,
)
from storage.repositories.audit import record_audit
from storage.repositories.cycles import cycle_rubric
from storage.repositories.orgs import branches_of_town
from storage.repositories.review import ReviewError

if TYPE_CHECKING:
    from scoring import Rubric, ScoreResult

__all__ = [
    "GATE_EXCEPTION",
    "PUBLICITY_STATES",
    "TIE_DECIDED",
    "BranchReview",
    "FinalRow",
    "Finalization",
    "finalize_cycle",
    "town_review",
]

# Reason codes added to the scoring module's own (gates, over_quota, tie_at_cutoff).
GATE_EXCEPTION = "gate_exception"
TIE_DECIDED = "tie_decided"
# Once the town's publicity starts, the reviewed levels are what the public saw.
PUBLICITY_STATES = frozenset(
    {
        AssessmentState.TOWN_DECIDED,
        AssessmentState.RECOMMENDED,
        AssessmentState.COUNTY_APPROVED,
        AssessmentState.COUNTY_REJECTED,
        AssessmentState.NAMED,
    }
)


@dataclass
class BranchReview:
    """One branch of the town in the cycle, as declared and as reviewed.

    Attributes:
        declared: the secretary's own view: self answers, bonus and deductions as claimed,
            no review score.
        reviewed: the reviewer's item scores over the self answers, the awarded bonus, the
            deductions not refused and the review score (None without one).
    """

    branch: Branch
    assessment: Assessment | None
    self_answers: dict[str, str | Decimal]
    reviewer_answers: dict[str, Decimal]
    claims: list[Claim]
    review_score: Decimal | None
    declared: ScoreResult
    reviewed: ScoreResult

    @property
    def state(self) -> str:
        """The assessment's state, or `not_started`."""
        return self.assessment.state if self.assessment is not None else "not_started"


@dataclass(frozen=True)
class FinalRow:
    """One branch after finalising: its level before and after the quota, and why."""

    review: BranchReview
    stars_before_quota: int | None
    reviewed_stars: int | None
    reasons: tuple[str, ...]
    tie_at_cutoff: bool


@dataclass
class Finalization:
    """The outcome of one finalising run, ranked by total (the order the committee reads)."""

    rows: list[FinalRow]
    in_scope: int
    limits: dict[int, int]
    left_out: list[str]
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `pingxing finalize --json` and of the audit entry."""
        return {
            "in_scope": self.in_scope,
            "limits": {str(stars): limit for stars, limit in sorted(self.limits.items())},
            "left_out": self.left_out,
            "problems": self.problems,
            "branches": [
                {
                    "branch": row.review.branch.name,
                    "total": row.review.reviewed.total if row.stars_before_quota else None,
                    "stars_before_quota": row.stars_before_quota,
                    "reviewed_stars": row.reviewed_stars,
                    "reasons": list(row.reasons),
                    "tie_at_cutoff": row.tie_at_cutoff,
                }
                for row in self.rows
            ],
        }


def town_review(session: Session, cycle: Cycle) -> list[BranchReview]:
    """Scores every branch of the cycle's town as declared and as reviewed, in six queries."""
    from scoring import BranchInput, InputError, score_branch
    from scoring import Claim as ScoredClaim

    rubric = cycle_rubric(cycle)
    assessments = {
        assessment.branch_id: assessment
        for assessment in session.scalars(
            select(Assessment).where(Assessment.cycle_id == cycle.id)
        ).all()
    }
    ids = [assessment.id for assessment in assessments.values()]
    answers: dict[tuple[int, str], dict[str, Any]] = {}
    for row in session.execute(
        select(
            Answer.assessment_id, Answer.source, Answer.item_id, Answer.level_key, Answer.score
        ).where(Answer.assessment_id.in_(ids))
    ):
        value = row.level_key if row.level_key is not None else row.score
        if value is not None:
            answers.setdefault((row.assessment_id, row.source), {})[row.item_id] = value
    claims: dict[int, list[Claim]] = {}
    for claim in session.scalars(
        select(Claim).where(Claim.assessment_id.in_(ids)).order_by(Claim.id)
    ).all():
        claims.setdefault(claim.assessment_id, []).append(claim)
    scores: dict[int, Decimal] = {
        assessment_id: score
        for assessment_id, score in session.execute(
            select(ReviewScore.assessment_id, ReviewScore.score).where(
                ReviewScore.assessment_id.in_(ids)
            )
        )
    }
    reviews = []
    for branch in branches_of_town(session, cycle.town_id):
        assessment = assessments.get(branch.id)
        key = assessment.id if assessment is not None else 0
        try:
            item_ids = {item.id for item in rubric.items_for(branch.category)}
        except KeyError:
            raise ReviewError(
                f"{branch.name}: category {branch.category!r} is not in the rubric"
            ) from None
        own = {k: v for k, v in answers.get((key, AnswerSource.SELF), {}).items() if k in item_ids}
        rescored = {
            k: v for k, v in answers.get((key, AnswerSource.REVIEWER), {}).items() if k in item_ids
        }
        branch_claims = claims.get(key, [])

        def scored(direction: ClaimDirection, reviewed: bool) -> tuple[ScoredClaim, ...]:
            return tuple(
                ScoredClaim(claim.kind, _claim_points(claim, reviewed))
                for claim in branch_claims  # noqa: B023 (used within this iteration only)
                if claim.direction == direction and _counts(claim, reviewed)
            )

        review_score = scores.get(key)
        try:
            declared = score_branch(
                rubric,
                BranchInput(
                    branch.category,
                    own,
                    scored(ClaimDirection.BONUS, False),
                    scored(ClaimDirection.DEDUCTION, False),
                ),
            )
            reviewed = score_branch(
                rubric,
                BranchInput(
                    branch.category,
                    {**own, **rescored},
                    scored(ClaimDirection.BONUS, True),
                    scored(ClaimDirection.DEDUCTION, True),
                    review_score,
                ),
            )
        except InputError as error:
            raise ReviewError(f"{branch.name}: {'; '.join(error.problems)}") from None
        reviews.append(
            BranchReview(
                branch, assessment, own, rescored, branch_claims, review_score, declared, reviewed
            )
        )
    return reviews


def _counts(claim: Claim, reviewed: bool) -> bool:
    """Whether a claim counts: as declared, all of them; as reviewed, those the town awarded
    or confirmed (marking reviewed waits until every claim is decided), as the named result
    counts them (`repositories.results.final_branch_input`)."""
    return not reviewed or claim.status == ClaimStatus.AWARDED


def _claim_points(claim: Claim, reviewed: bool) -> Decimal:
    if reviewed and claim.points_awarded is not None:
        return claim.points_awarded
    return claim.points_claimed


def finalize_cycle(
    session: Session,
    cycle: Cycle,
    actor_id: int | None,
    now: datetime,
    *,
    leave_out: Iterable[str] = (),
    write: bool = True,
) -> Finalization:
    """Applies the gates, the committee's decisions and the quota to the town's branches.

    Args:
        leave_out: names of the branches not yet reviewed that the officer agrees to leave
            out; every branch not reviewed must be named.
        write: store each assessment's outcome and audit the run (False: a dry run).

    Raises:
        ReviewError: publicity has started, a branch not reviewed is not named, or a named
            branch is unknown.
    """
    if write:
        # Two officers finalising at once would both upsert the same outcomes: the cycle's row
        # lock makes the second wait and then see the first's.
        session.get(Cycle, cycle.id, with_for_update=True)
    reviews = town_review(session, cycle)
    started = sorted(r.branch.name for r in reviews if r.state in PUBLICITY_STATES)
    if session.scalar(select(Publicity.id).where(Publicity.cycle_id == cycle.id)) is not None:
        raise ReviewError("the town's publicity has started: finalising is over")
    if started:
        raise ReviewError(f"publicity has started for {', '.join(started)}: finalising is over")
    named = set(leave_out)
    unknown = sorted(named - {r.branch.name for r in reviews})
    if unknown:
        raise ReviewError(f"no branch {', '.join(unknown)} in this town")
    pending = sorted(r.branch.name for r in reviews if r.state != AssessmentState.REVIEWED)
    unnamed = [name for name in pending if name not in named]
    if unnamed:
        raise ReviewError(
            f"not reviewed yet: {', '.join(unnamed)}; review them or leave them out by name"
        )
    outcome = _levels(session, cycle, reviews)
    if write:
        _store(session, cycle, outcome, actor_id, now)
    return outcome


def current_levels(session: Session, cycle: Cycle) -> Finalization:
    """The levels finalising would give now, the branches not yet reviewed left out.

    Writes nothing and refuses nothing: the view of the dashboard and the export.
    """
    return _levels(session, cycle, town_review(session, cycle))


def _levels(session: Session, cycle: Cycle, reviews: list[BranchReview]) -> Finalization:
    """Gates, gate exceptions, quota and tie decisions over the reviewed branches."""
    from scoring import apply_quota

    rubric = cycle_rubric(cycle)
    decisions = _decisions(session, cycle.id)
    override = decisions.get((DecisionKind.QUOTA_OVERRIDE, None))
    results = []
    exceptions: set[int] = set()
    for review in reviews:
        result = review.reviewed
        if review.state != AssessmentState.REVIEWED:
            result = review.declared  # no review score counted: in scope, holding no level
        else:
            exception = decisions.get((DecisionKind.GATE_EXCEPTION, _id(review)))
            lifted = _lift_gate(rubric, result, exception)
            if lifted is not result:
                exceptions.add(review.branch.id)
                result = lifted
        results.append((str(review.branch.id), result))
    quota = apply_quota(rubric, results, override.share if override is not None else None)
    rows, problems = _apply_tie_decisions(rubric, reviews, quota, decisions, exceptions)
    rows.sort(key=lambda row: _rank(row.review), reverse=True)
    left_out = sorted(r.branch.name for r in reviews if r.state != AssessmentState.REVIEWED)
    return Finalization(rows, quota.in_scope, dict(quota.limits), left_out, problems)


def _id(review: BranchReview) -> int | None:
    return review.assessment.id if review.assessment is not None else None


def _rank(review: BranchReview) -> tuple[Decimal, Decimal, Decimal]:
    result = review.reviewed
    zero = Decimal(0)
    if review.state != AssessmentState.REVIEWED:
        return (Decimal(-1), zero, zero)
    return (result.total or zero, result.basic_100, result.review or zero)


def _decisions(session: Session, cycle_id: int) -> dict[tuple[str, int | None], CommitteeDecision]:
    rows = session.scalars(
        select(CommitteeDecision).where(CommitteeDecision.cycle_id == cycle_id)
    ).all()
    return {(row.kind, row.assessment_id): row for row in rows}


def _lift_gate(
    rubric: Rubric, result: ScoreResult, exception: CommitteeDecision | None
) -> ScoreResult:
    """Keeps a gated branch at the level its total reaches, when the committee so decided."""
    if exception is None or result.total is None or result.stars is None or not result.gates:
        return result
    reached = _reached(rubric, result.total)
    if reached is None or reached <= result.stars:
        return result
    kept = min(reached, exception.stars if exception.stars is not None else reached)
    return dataclasses.replace(result, stars=kept)


def _reached(rubric: Rubric, total: Decimal) -> int | None:
    """The level a total reaches, gates aside."""
    return max((level.stars for level in rubric.levels if total >= level.min_total), default=None)


def _gated(rubric: Rubric, result: ScoreResult) -> bool:
    """Whether a gate took a level from this result (not merely failed below that level)."""
    if result.total is None or result.stars is None or not result.gates:
        return False
    reached = _reached(rubric, result.total)
    return reached is not None and reached > result.stars


def _apply_tie_decisions(
    rubric: Rubric,
    reviews: list[BranchReview],
    quota: Any,
    decisions: dict[tuple[str, int | None], CommitteeDecision],
    exceptions: set[int],
) -> tuple[list[FinalRow], list[str]]:
    """Builds the rows; the committee's tie decisions keep a level while places are left."""
    from scoring import TIE_AT_CUTOFF

    problems: list[str] = []
    after = {outcome.branch_id: outcome for outcome in quota.outcomes}
    kept: set[str] = set()
    by_level: dict[int, list[str]] = {}
    for review in reviews:
        outcome = after[str(review.branch.id)]
        decision = decisions.get((DecisionKind.TIE, _id(review)))
        if (
            outcome.reason == TIE_AT_CUTOFF
            and decision is not None
            and decision.stars == outcome.stars
        ):
            by_level.setdefault(outcome.stars, []).append(outcome.branch_id)
    category_of = {str(review.branch.id): review.branch.category for review in reviews}
    for level, candidates in by_level.items():
        problem = _over_places(quota, level, candidates, category_of)
        if problem is None:
            kept.update(candidates)
        else:
            problems.append(problem)
    rows = []
    for review in reviews:
        outcome = after[str(review.branch.id)]
        result = review.reviewed
        reasons = list(result.gates) if _gated(rubric, result) else []
        if review.branch.id in exceptions:
            reasons.append(GATE_EXCEPTION)
        stars = outcome.stars_after_quota
        if outcome.branch_id in kept:
            stars = outcome.stars
            reasons.append(TIE_DECIDED)
        elif outcome.reason is not None:
            reasons.append(outcome.reason)
        rows.append(FinalRow(review, outcome.stars, stars, tuple(reasons), outcome.tie_at_cutoff))
    return rows, problems


def _over_places(
    quota: Any, level: int, candidates: list[str], category_of: dict[str, str]
) -> str | None:
    """Why keeping the tied `candidates` at `level` would pass a share; None when it would not.

    The level's share of all branches and each category's share within its branches (issue 9's
    shares per category) both bound what the committee may keep.
    """
    holders = [o.branch_id for o in quota.outcomes if o.stars_after_quota == level]
    if level in quota.limits:
        room = quota.limits[level] - len(holders)
        if len(candidates) > room:
            return (
                f"the committee kept {len(candidates)} tied branches at {level} stars "
                f"but {max(room, 0)} places are left: decide again"
            )
    for category, limit in sorted(quota.category_limits.get(level, {}).items()):
        wanted = sum(1 for branch_id in candidates if category_of[branch_id] == category)
        room = limit - sum(1 for branch_id in holders if category_of[branch_id] == category)
        if wanted > room:
            return (
                f"the committee kept {wanted} tied {category} branches at {level} stars "
                f"but {max(room, 0)} places of that category are left: decide again"
            )
    return None


def _store(
    session: Session, cycle: Cycle, outcome: Finalization, actor_id: int | None, now: datetime
) -> None:
    """Upserts each assessment's outcome and audits the run with the levels before and after."""
    existing = {
        row.assessment_id: row
        for row in session.scalars(
            select(ReviewOutcome)
            .join(Assessment, Assessment.id == ReviewOutcome.assessment_id)
            .where(Assessment.cycle_id == cycle.id)
        ).all()
    }
    before = {}
    for row in outcome.rows:
        assessment = row.review.assessment
        if assessment is None:
            continue
        stored = existing.get(assessment.id)
        if stored is None:
            stored = ReviewOutcome(assessment_id=assessment.id)
            session.add(stored)
        else:
            before[row.review.branch.name] = stored.reviewed_stars
        stored.total = row.review.reviewed.total if row.stars_before_quota is not None else None
        stored.stars_before_quota = row.stars_before_quota
        stored.reviewed_stars = row.reviewed_stars
        stored.reasons = ",".join(row.reasons) or None
        stored.tie_at_cutoff = row.tie_at_cutoff
        stored.finalized_by, stored.finalized_at = actor_id, now
    record_audit(
        session,
        actor_id,
        "review.finalize",
        "cycle",
        cycle.id,
        {"reviewed_stars": before} if before else None,
        outcome.to_dict(),
        None,
        now,
    )
    session.flush()

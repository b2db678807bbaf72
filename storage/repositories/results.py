"""Named results (统一命名): the final score's inputs, naming a branch, the result owed to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import (
    AnswerSource,
    Assessment,
    AssessmentState,
    Branch,
    ClaimDirection,
    ClaimStatus,
    Cycle,
    DeliveryKind,
    ReviewScore,
)
from storage.repositories.assessments import answers_of
from storage.repositories.audit import record_audit
from storage.repositories.cycles import cycle_rubric, find_cycle
from storage.repositories.deliveries import owe_delivery
from storage.repositories.evidence import claims_of
from storage.repositories.roles import secretaries_of_town

if TYPE_CHECKING:
    from scoring import BranchInput, ScoreResult

__all__ = [
    "final_branch_input",
    "final_score",
    "last_year_stars",
    "name_assessment",
    "owe_results",
    "result_due_key",
]


def result_due_key(cycle_id: int, branch_id: int) -> str:
    """The due key of a branch's result: one per branch and cycle."""
    return f"c{cycle_id}:b{branch_id}:result"


def final_branch_input(session: Session, assessment: Assessment, category: str) -> BranchInput:
    """The branch's final scoring input: the town's re-scores over the secretary's answers,
    the bonus and deductions the town awarded, and the review score when entered."""
    from scoring import BranchInput, Claim

    answers = answers_of(session, assessment.id, AnswerSource.SELF)
    answers.update(answers_of(session, assessment.id, AnswerSource.REVIEWER))
    awarded = [
        claim
        for claim in claims_of(session, assessment.id)
        if claim.status == ClaimStatus.AWARDED and claim.points_awarded is not None
    ]
    bonus = tuple(
        Claim(claim.kind, claim.points_awarded or Decimal(0))
        for claim in awarded
        if claim.direction == ClaimDirection.BONUS
    )
    deductions = tuple(
        Claim(claim.kind, claim.points_awarded or Decimal(0))
        for claim in awarded
        if claim.direction == ClaimDirection.DEDUCTION
    )
    review = session.scalar(
        select(ReviewScore.score).where(ReviewScore.assessment_id == assessment.id)
    )
    return BranchInput(category, answers, bonus, deductions, review)


def final_score(session: Session, assessment: Assessment) -> ScoreResult:
    """Scores the assessment's final inputs on its cycle's pinned rubric."""
    from scoring import score_branch

    cycle = session.get_one(Cycle, assessment.cycle_id)
    branch = session.get_one(Branch, assessment.branch_id)
    rubric = cycle_rubric(cycle)
    item_ids = {item.id for item in rubric.items_for(branch.category)}
    branch_input = final_branch_input(session, assessment, branch.category)
    answers = {key: value for key, value in branch_input.answers.items() if key in item_ids}
    return score_branch(rubric, replace(branch_input, answers=answers))


def name_assessment(
    session: Session,
    assessment: Assessment,
    final_stars: int,
    now: datetime,
    actor_id: int | None = None,
    reason: str | None = None,
) -> bool:
    """Names the branch (统一命名) with its final stars and owes its secretary the result.

    The stars are the town's final decision (after the quota and the committee); the total is
    scored from the final inputs. Audited. Returns whether a result message was newly owed.
    """
    result = final_score(session, assessment)
    old = {"state": assessment.state, "final_stars": assessment.final_stars}
    assessment.state = AssessmentState.NAMED
    assessment.final_stars = final_stars
    assessment.final_total = result.total
    assessment.named_at = now
    assessment.version += 1
    assessment.updated_at = now
    record_audit(
        session,
        actor_id,
        "assessment.name",
        "assessment",
        assessment.id,
        old,
        {"state": AssessmentState.NAMED, "final_stars": final_stars, "total": result.total},
        reason,
        now,
    )
    session.flush()
    cycle = session.get_one(Cycle, assessment.cycle_id)
    return _owe_result(session, cycle, assessment, now) > 0


def owe_results(session: Session, cycle: Cycle, now: datetime) -> int:
    """Owes the result to every bound secretary of the cycle's named branches; returns how many
    were newly owed (a secretary bound after the naming still gets it)."""
    named = session.scalars(
        select(Assessment).where(
            Assessment.cycle_id == cycle.id, Assessment.state == AssessmentState.NAMED
        )
    ).all()
    return sum(_owe_result(session, cycle, assessment, now) for assessment in named)


def _owe_result(session: Session, cycle: Cycle, assessment: Assessment, now: datetime) -> int:
    telegram_ids = secretaries_of_town(session, cycle.town_id).get(assessment.branch_id, [])
    payload = {
        "town_id": cycle.town_id,
        "cycle_id": cycle.id,
        "branch_id": assessment.branch_id,
        "assessment_id": assessment.id,
    }
    key = result_due_key(cycle.id, assessment.branch_id)
    return sum(
        owe_delivery(session, DeliveryKind.RESULT, telegram_id, key, payload, now)
        for telegram_id in telegram_ids
    )


def last_year_stars(session: Session, branch: Branch, year: int) -> int | None:
    """Last year's stars: the named result of the town's previous cycle when the database holds
    one, otherwise the level the organisation list carried (上年星级)."""
    previous = find_cycle(session, branch.town_id, year - 1)
    if previous is not None:
        stars = session.scalar(
            select(Assessment.final_stars).where(
                Assessment.cycle_id == previous.id,
                Assessment.branch_id == branch.id,
                Assessment.state == AssessmentState.NAMED,
            )
        )
        if stars is not None:
            return int(stars)
    return branch.last_year_stars

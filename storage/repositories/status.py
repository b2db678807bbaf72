"""A town's progress at a glance: per branch, bound or not, state, and the answers so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Answer, AnswerSource, Assessment, Branch, Role, RoleGrant
from storage.repositories.orgs import branches_of_town

__all__ = ["BranchProgress", "assessment_state_counts", "town_progress"]


@dataclass
class BranchProgress:
    """One branch's standing in a cycle; `state` is None before its assessment starts."""

    branch: Branch
    bound: bool
    state: str | None
    answers: dict[str, str | Decimal] = field(default_factory=dict)


def town_progress(session: Session, town_id: int, cycle_id: int | None) -> list[BranchProgress]:
    """Returns every branch of the town with its progress in the cycle, in four queries.

    Args:
        cycle_id: the cycle to report on; None reports binding only.
    """
    branches = branches_of_town(session, town_id)
    branch_ids = [branch.id for branch in branches]
    bound_ids = set(
        session.scalars(
            select(RoleGrant.org_id).where(
                RoleGrant.role == Role.SECRETARY,
                RoleGrant.revoked_at.is_(None),
                RoleGrant.org_id.in_(branch_ids),
            )
        ).all()
    )
    states: dict[int, str] = {}
    answers: dict[int, dict[str, str | Decimal]] = {}
    if cycle_id is not None:
        rows = session.execute(
            select(Assessment.id, Assessment.branch_id, Assessment.state).where(
                Assessment.cycle_id == cycle_id
            )
        )
        branch_of_assessment = {}
        for assessment_id, branch_id, state in rows:
            states[branch_id] = state
            branch_of_assessment[assessment_id] = branch_id
        answer_rows = session.execute(
            select(Answer.assessment_id, Answer.item_id, Answer.level_key, Answer.score)
            .join(Assessment, Assessment.id == Answer.assessment_id)
            .where(Assessment.cycle_id == cycle_id, Answer.source == AnswerSource.SELF)
        )
        for assessment_id, item_id, level_key, score in answer_rows:
            value = level_key if level_key is not None else score
            if value is not None:
                branch_id = branch_of_assessment[assessment_id]
                answers.setdefault(branch_id, {})[item_id] = value
    return [
        BranchProgress(
            branch=branch,
            bound=branch.id in bound_ids,
            state=states.get(branch.id),
            answers=answers.get(branch.id, {}),
        )
        for branch in branches
    ]


def assessment_state_counts(session: Session, cycle_id: int) -> dict[str, int]:
    """Returns how many of the cycle's assessments are in each state (absent: none)."""
    rows = session.execute(
        select(Assessment.state, func.count())
        .where(Assessment.cycle_id == cycle_id)
        .group_by(Assessment.state)
        .order_by(Assessment.state)
    )
    return {state: count for state, count in rows}

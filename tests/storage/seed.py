"""Builds the rows storage tests need, straight from the models (no scoring module needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.models import Assessment, AssessmentState, Branch, Cycle, CycleState, Town

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def seed_town(session: Session, county: str = "城关县", town: str = "温店镇") -> Town:
    """Adds a county and a town."""
    return repo.get_or_create_town(session, repo.get_or_create_county(session, county), town)


def seed_branch(session: Session, name: str = "东村党支部", category: str = "rural") -> Branch:
    """Adds a branch in the default town."""
    branch, _ = repo.upsert_branch(session, seed_town(session), name, category)
    return branch


def seed_assessment(session: Session, branch_name: str = "东村党支部") -> Assessment:
    """Adds a branch, a 2026 cycle pinned to a placeholder rubric, and an assessment."""
    branch = seed_branch(session, branch_name)
    cycle = Cycle(
        town_id=branch.town_id,
        year=2026,
        deadline_at=NOW,
        state=CycleState.OPEN,
        rubric_text="placeholder: true\n",
        rubric_sha256=repo.rubric_sha256("placeholder: true\n"),
        reminder_days=[7, 3, 1],
        created_at=NOW,
    )
    session.add(cycle)
    session.flush()
    assessment = repo.get_or_create_assessment(session, branch.id, cycle.id, NOW)
    assert assessment.state == AssessmentState.IN_PROGRESS
    return assessment

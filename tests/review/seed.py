"""A town whose branches have submitted, and a reviewer of it, for the review tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from scoring import default_rubric, default_rubric_text
from storage import repositories as repo
from storage.models import AnswerSource, Cycle, Role
from storage.repositories.review import enter_review_score, mark_reviewed

NOW = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)
REVIEWER = 9001
SECRETARY = 7001
RUBRIC = default_rubric()


@dataclass(frozen=True)
class SeededTown:
    """Ids the tests address: the cycle, the reviewer, and each branch's assessment by name."""

    town_id: int
    cycle_id: int
    reviewer_id: int
    assessments: dict[str, int]


def seed_town(
    session: Session,
    branches: Sequence[str] = ("东村党支部",),
    *,
    town: str = "温店镇",
    answer: str = "full",
    rubric_text: str | None = None,
) -> SeededTown:
    """Adds a town with a 2026 cycle (the default rubric unless `rubric_text` is given), its
    reviewer (role `town`), and one submitted assessment per branch answered `answer`
    throughout; the first branch's secretary is bound."""
    county = repo.get_or_create_county(session, "城关县")
    town_row = repo.get_or_create_town(session, county, town)
    text = rubric_text if rubric_text is not None else default_rubric_text()
    cycle = repo.open_cycle(session, town_row, 2026, DEADLINE, text, now=NOW)
    reviewer = repo.get_or_create_person(session, REVIEWER + town_row.id - 1, "组织委员")
    repo.grant_role(session, reviewer, Role.TOWN, town_row.id, NOW)
    assessments = {}
    for index, name in enumerate(branches):
        branch, _ = repo.upsert_branch(session, town_row, name, "rural")
        if index == 0:
            secretary = repo.get_or_create_person(session, SECRETARY + town_row.id - 1, "书记")
            repo.grant_role(session, secretary, Role.SECRETARY, branch.id, NOW)
        assessment = repo.get_or_create_assessment(session, branch.id, cycle.id, NOW)
        for item in RUBRIC.items_for("rural"):
            repo.set_answer(session, assessment.id, item.id, answer, AnswerSource.SELF, None, NOW)
        repo.submit_assessment(session, assessment.id, 5, None, NOW)
        assessments[name] = assessment.id
    return SeededTown(town_row.id, cycle.id, reviewer.id, assessments)


def review_all(session: Session, seeded: SeededTown, reviews: dict[str, str]) -> None:
    """Enters each named branch's review score and marks it reviewed."""
    for name, score in reviews.items():
        assessment_id = seeded.assessments[name]
        enter_review_score(
            session, assessment_id, RUBRIC, seeded.reviewer_id, NOW, score=Decimal(score)
        )
        mark_reviewed(session, assessment_id, seeded.reviewer_id, NOW)


def cycle_of(session: Session, seeded: SeededTown) -> Cycle:
    """The seeded cycle."""
    cycle = session.get(Cycle, seeded.cycle_id)
    assert cycle is not None
    return cycle

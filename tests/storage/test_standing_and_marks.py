"""The answer path's reads: where a secretary stands, and the card's answers and evidence."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.models import AnswerSource, Assessment, EvidenceKind, Role
from tests.storage.seed import NOW, seed_assessment, seed_branch


async def test_an_unknown_or_unbound_user_has_no_standing(database) -> None:
    def read(session: Session) -> tuple[object, object]:
        seed_branch(session)
        repo.get_or_create_person(session, 1001)
        return (
            repo.secretary_standing(session, 1001),
            repo.secretary_standing(session, 9999),
        )

    assert await database.run(read) == (None, None)


async def test_a_secretary_without_a_cycle_stands_at_the_branch_only(database) -> None:
    def read(session: Session) -> tuple[repo.SecretaryStanding | None, int]:
        branch = seed_branch(session)
        person = repo.get_or_create_person(session, 1001)
        repo.grant_role(session, person, Role.SECRETARY, branch.id, NOW)
        return repo.secretary_standing(session, 1001), branch.id

    standing, branch_id = await database.run(read)
    assert standing is not None
    assert (standing.branch, standing.cycle, standing.assessment) == (
        repo.BranchView(branch_id, standing.branch.town_id, "东村党支部", "rural"),
        None,
        None,
    )


async def test_the_standing_reads_the_assessment_as_committed(database) -> None:
    def seed(session: Session) -> int:
        assessment = seed_assessment(session)
        person = repo.get_or_create_person(session, 1001)
        repo.grant_role(session, person, Role.SECRETARY, assessment.branch_id, NOW)
        repo.set_position(session, assessment.id, "team.study", NOW)
        repo.set_card(session, assessment.id, -100, 7)
        return assessment.id

    assessment_id = await database.run(seed)
    standing = await database.run(lambda session: repo.secretary_standing(session, 1001))
    assert standing is not None and standing.cycle is not None
    assert standing.assessment == repo.AssessmentView(
        assessment_id, "in_progress", 2, "team.study", -100, 7, None, None, None
    )
    assert (standing.cycle.year, standing.cycle.state, standing.cycle.deadline_at) == (
        2026,
        "open",
        NOW,
    )


async def test_a_revoked_secretary_has_no_standing(database) -> None:
    def read(session: Session) -> object:
        branch = seed_branch(session)
        person = repo.get_or_create_person(session, 1001)
        repo.grant_role(session, person, Role.SECRETARY, branch.id, NOW)
        repo.revoke_role(session, person, Role.SECRETARY, branch.id, NOW + timedelta(hours=1))
        return repo.secretary_standing(session, 1001)

    assert await database.run(read) is None


async def test_the_marks_are_the_own_answers_and_the_evidence_counts(database) -> None:
    def seed(session: Session) -> Assessment:
        assessment = seed_assessment(session)
        for item_id, answer, source in [
            ("team.study", "full", AnswerSource.SELF),
            ("team.elections", "none", AnswerSource.SELF),
            ("team.y", Decimal("1.5"), AnswerSource.SELF),
            ("team.study", Decimal("2.5"), AnswerSource.REVIEWER),
            ("team.x", Decimal("2"), AnswerSource.REVIEWER),
        ]:
            repo.set_answer(session, assessment.id, item_id, answer, source, None, NOW)
        for item_id, file_id in [("team.study", "a"), ("team.study", "b"), ("rules.x", "c")]:
            repo.add_evidence(
                session, assessment.id, item_id, EvidenceKind.PHOTO, file_id, None, NOW
            )
        return assessment

    assessment = await database.run(seed)
    marks = await database.run(lambda session: repo.assessment_marks(session, assessment.id))
    assert marks == repo.AssessmentMarks(
        {"team.study": "full", "team.elections": "none", "team.y": Decimal("1.5")},
        {"team.study": 2, "rules.x": 1},
    )


async def test_an_assessment_without_answers_or_evidence_has_empty_marks(database) -> None:
    assessment = await database.run(seed_assessment)
    marks = await database.run(lambda session: repo.assessment_marks(session, assessment.id))
    assert marks == repo.AssessmentMarks({}, {})


async def test_a_secretary_whose_branch_has_not_started_stands_in_the_cycle_without_one(
    database,
) -> None:
    def seed(session: Session) -> None:
        seed_assessment(session)
        other = seed_branch(session, name="西村党支部")
        unstarted = repo.get_or_create_person(session, 1002)
        repo.grant_role(session, unstarted, Role.SECRETARY, other.id, NOW)

    await database.run(seed)
    unstarted = await database.run(lambda session: repo.secretary_standing(session, 1002))
    assert unstarted is not None and unstarted.cycle is not None
    assert (unstarted.branch.name, unstarted.cycle.year, unstarted.assessment) == (
        "西村党支部",
        2026,
        None,
    )

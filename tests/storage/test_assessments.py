"""Answers, position, evidence, claims and submission of one assessment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage import repositories as repo
from storage.models import (
    AnswerSource,
    AssessmentState,
    AuditEntry,
    ClaimDirection,
    ClaimStatus,
    EvidenceKind,
)
from tests.storage.seed import NOW, seed_assessment


async def test_starting_twice_returns_the_same_assessment(database) -> None:
    async with database.sessions.begin() as session:
        first = await seed_assessment(session)
        again = await repo.get_or_create_assessment(session, first.branch_id, first.cycle_id, NOW)
    assert (again.id, again.state, again.version) == (first.id, "in_progress", 1)


async def test_the_latest_answer_per_item_and_source_is_the_current_one(database) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        for item_id, answer, source in [
            ("team.study", "partial", AnswerSource.SELF),
            ("team.study", "full", AnswerSource.SELF),
            ("team.study", Decimal("2.5"), AnswerSource.REVIEWER),
            ("members.quantified_points", "none", AnswerSource.SELF),
        ]:
            await repo.set_answer(session, assessment.id, item_id, answer, source, None, NOW)
    async with database.sessions() as session:
        own = await repo.answers_of(session, assessment.id)
        reviewer = await repo.answers_of(session, assessment.id, AnswerSource.REVIEWER)
    assert own == {"team.study": "full", "members.quantified_points": "none"}
    assert reviewer == {"team.study": Decimal("2.5")}


async def test_a_float_answer_is_refused(database) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        with pytest.raises(TypeError, match=r"0\.5"):
            await repo.set_answer(
                session, assessment.id, "team.study", 0.5, AnswerSource.SELF, None, NOW
            )


async def test_moving_and_setting_the_card_bump_and_keep_the_version(database) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        first = await repo.set_position(session, assessment.id, "team.study", NOW)
        second = await repo.set_position(session, assessment.id, "team.elections", NOW)
        await repo.set_card(session, assessment.id, -100123, 77)
    async with database.sessions.begin() as session:
        locked = await repo.get_assessment_for_update(session, assessment.id)
    assert (first, second) == (2, 3)
    assert (locked.current_item_id, locked.card_chat_id, locked.card_message_id) == (
        "team.elections",
        -100123,
        77,
    )


async def test_the_same_file_on_the_same_item_counts_once(database) -> None:
    note = repo.note_unique_id("会议记录见档案室")
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        added = [
            await repo.add_evidence(
                session, assessment.id, item_id, kind, unique_id, None, NOW, file_id="f"
            )
            for item_id, kind, unique_id in [
                ("team.study", EvidenceKind.PHOTO, "AgAD1"),
                ("team.study", EvidenceKind.PHOTO, "AgAD1"),
                ("team.study", EvidenceKind.DOCUMENT, "BQAD2"),
                ("org_life.meetings", EvidenceKind.PHOTO, "AgAD1"),
                ("org_life.meetings", EvidenceKind.NOTE, note),
                ("org_life.meetings", EvidenceKind.NOTE, repo.note_unique_id("会议记录见档案室 ")),
            ]
        ]
        counts = await repo.evidence_counts(session, assessment.id)
    assert added == [True, False, True, True, True, False]
    assert counts == {"team.study": 2, "org_life.meetings": 2}


async def test_claims_are_listed_by_direction_with_exact_points(database) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        for direction, kind, points in [
            (ClaimDirection.BONUS, "commendation", Decimal("5")),
            (ClaimDirection.DEDUCTION, "inspection", Decimal("20")),
            (ClaimDirection.BONUS, "pilot", Decimal("2.5")),
        ]:
            await repo.add_claim(
                session, assessment.id, direction, kind, points, "理由", None, NOW
            )
    async with database.sessions() as session:
        bonuses = await repo.claims_of(session, assessment.id, ClaimDirection.BONUS)
        everything = await repo.claims_of(session, assessment.id)
    assert [(claim.kind, claim.points_claimed, claim.status) for claim in bonuses] == [
        ("commendation", Decimal("5"), ClaimStatus.CLAIMED),
        ("pilot", Decimal("2.5"), ClaimStatus.CLAIMED),
    ]
    assert len(everything) == 3


async def test_submitting_locks_the_assessment_and_audits_old_and_new(database) -> None:
    later = NOW + timedelta(hours=1)
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        await repo.set_position(session, assessment.id, "team.study", NOW)
        person = await repo.get_or_create_person(session, 1001)
        submitted = await repo.submit_assessment(session, assessment, 4, person.id, later)
    async with database.sessions() as session:
        stored = await repo.get_assessment(session, assessment.branch_id, assessment.cycle_id)
        audit = await repo.audit_trail(session, "assessment", assessment.id)
    expected = (AssessmentState.SUBMITTED, 4, later, 3)
    got = (submitted.state, submitted.declared_stars, submitted.submitted_at, submitted.version)
    assert got == expected
    assert (stored.state, stored.declared_stars, stored.submitted_at, stored.version) == expected
    assert [(entry.action, entry.old, entry.new) for entry in audit] == [
        (
            "assessment.submit",
            {"state": "in_progress", "declared_stars": None},
            {"state": "submitted", "declared_stars": 4},
        )
    ]


async def test_submitting_twice_is_refused_and_writes_nothing_more(database) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        await repo.submit_assessment(session, assessment, 4, None, NOW)
        with pytest.raises(repo.InvalidTransition, match="'submitted'"):
            await repo.submit_assessment(session, assessment, 5, None, NOW)
        entries = (await session.scalars(select(AuditEntry))).all()
    assert len(entries) == 1

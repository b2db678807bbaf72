"""Answers, position, evidence, claims and submission of one assessment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

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
    def first_transaction(session: Session) -> Any:
        first = seed_assessment(session)
        again = repo.get_or_create_assessment(session, first.branch_id, first.cycle_id, NOW)
        return first, again

    first, again = await database.run(first_transaction)
    assert (again.id, again.state, again.version) == (first.id, "in_progress", 1)


async def test_the_latest_answer_per_item_and_source_is_the_current_one(database) -> None:
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        for item_id, answer, source in [
            ("team.study", "partial", AnswerSource.SELF),
            ("team.study", "full", AnswerSource.SELF),
            ("team.study", Decimal("2.5"), AnswerSource.REVIEWER),
            ("members.quantified_points", "none", AnswerSource.SELF),
        ]:
            repo.set_answer(session, assessment.id, item_id, answer, source, None, NOW)
        return assessment

    assessment = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        own = repo.answers_of(session, assessment.id)
        reviewer = repo.answers_of(session, assessment.id, AnswerSource.REVIEWER)
        return own, reviewer

    own, reviewer = await database.run(second_transaction)
    assert own == {"team.study": "full", "members.quantified_points": "none"}
    assert reviewer == {"team.study": Decimal("2.5")}


async def test_a_float_answer_is_refused(database) -> None:
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        with pytest.raises(TypeError, match=r"0\.5"):
            repo.set_answer(
                session, assessment.id, "team.study", 0.5, AnswerSource.SELF, None, NOW
            )

    await database.run(first_transaction)


async def test_moving_and_setting_the_card_bump_and_keep_the_version(database) -> None:
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        first = repo.set_position(session, assessment.id, "team.study", NOW)
        second = repo.set_position(session, assessment.id, "team.elections", NOW)
        repo.set_card(session, assessment.id, -100123, 77)
        return assessment, first, second

    assessment, first, second = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        locked = repo.get_assessment_for_update(session, assessment.id)
        return locked

    locked = await database.run(second_transaction)
    assert (first, second) == (2, 3)
    assert (locked.current_item_id, locked.card_chat_id, locked.card_message_id) == (
        "team.elections",
        -100123,
        77,
    )


async def test_the_same_file_on_the_same_item_counts_once(database) -> None:
    note = repo.note_unique_id("会议记录见档案室")

    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        added = [
            repo.add_evidence(
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
        counts = repo.evidence_counts(session, assessment.id)
        return added, counts

    added, counts = await database.run(first_transaction)
    assert added == [True, False, True, True, True, False]
    assert counts == {"team.study": 2, "org_life.meetings": 2}


async def test_claims_are_listed_by_direction_with_exact_points(database) -> None:
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        for direction, kind, points in [
            (ClaimDirection.BONUS, "commendation", Decimal("5")),
            (ClaimDirection.DEDUCTION, "inspection", Decimal("20")),
            (ClaimDirection.BONUS, "pilot", Decimal("2.5")),
        ]:
            repo.add_claim(session, assessment.id, direction, kind, points, "理由", None, NOW)
        return assessment

    assessment = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        bonuses = repo.claims_of(session, assessment.id, ClaimDirection.BONUS)
        everything = repo.claims_of(session, assessment.id)
        return bonuses, everything

    bonuses, everything = await database.run(second_transaction)
    assert [(claim.kind, claim.points_claimed, claim.status) for claim in bonuses] == [
        ("commendation", Decimal("5"), ClaimStatus.CLAIMED),
        ("pilot", Decimal("2.5"), ClaimStatus.CLAIMED),
    ]
    assert len(everything) == 3


async def test_submitting_locks_the_assessment_and_audits_old_and_new(database) -> None:
    later = NOW + timedelta(hours=1)

    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        repo.set_position(session, assessment.id, "team.study", NOW)
        person = repo.get_or_create_person(session, 1001)
        submitted = repo.submit_assessment(session, assessment.id, 4, person.id, later)
        return assessment, submitted

    assessment, submitted = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        stored = repo.get_assessment(session, assessment.branch_id, assessment.cycle_id)
        audit = repo.audit_trail(session, "assessment", assessment.id)
        return stored, audit

    stored, audit = await database.run(second_transaction)
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
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        repo.submit_assessment(session, assessment.id, 4, None, NOW)
        with pytest.raises(repo.InvalidTransition, match="'submitted'"):
            repo.submit_assessment(session, assessment.id, 5, None, NOW)
        entries = (session.scalars(select(AuditEntry))).all()
        return entries

    entries = await database.run(first_transaction)
    assert len(entries) == 1

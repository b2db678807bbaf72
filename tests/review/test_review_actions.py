"""Each review action changes exactly what it says, is audited, and repeats as a no-op."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.database import create_database
from storage.models import (
    AnswerSource,
    Assessment,
    AuditEntry,
    Claim,
    ClaimDirection,
    ClaimStatus,
    Delivery,
    ReviewScore,
)
from storage.repositories.review import (
    ReviewError,
    decide_claim,
    enter_review_score,
    mark_reviewed,
    record_deduction,
    rescore_item,
    return_for_revision,
)
from tests.review.seed import NOW, RUBRIC, SECRETARY, seed_town


def _audit(session: Session) -> list[tuple[str, Any, Any, str | None]]:
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("review.%")).order_by(AuditEntry.id)
    ).all()
    return [(row.action, row.old, row.new, row.reason) for row in rows]


async def test_a_rescore_is_stored_as_the_reviewers_answer_and_audited_once(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        first = rescore_item(
            session, assessment_id, RUBRIC, "team.study", Decimal("2.5"), seeded.reviewer_id, NOW
        )
        again = rescore_item(
            session, assessment_id, RUBRIC, "team.study", Decimal("2.50"), seeded.reviewer_id, NOW
        )
        reviewer = repo.answers_of(session, assessment_id, AnswerSource.REVIEWER)
        own = repo.answers_of(session, assessment_id)["team.study"]
        return first, again, reviewer, own, _audit(session)

    first, again, reviewer, own, audit = await database.run(work)
    assert (first, again) == (True, False)
    assert reviewer == {"team.study": Decimal("2.5")}
    assert own == "full"
    assert audit == [
        (
            "review.rescore",
            {"item_id": "team.study", "score": None, "self": "full"},
            {"item_id": "team.study", "score": "2.5"},
            None,
        )
    ]


@pytest.mark.parametrize(
    ("item_id", "score", "message"),
    [
        ("team.study", Decimal("4.01"), "team.study: expected a score from 0 to 4, got 4.01"),
        ("team.study", Decimal("-1"), "team.study: expected a score from 0 to 4, got -1"),
        ("team.study", Decimal("1.234"), "team.study: expected a number to the cent, got 1.234"),
        ("team.nothing", Decimal("1"), "item 'team.nothing' is not one of this branch's items"),
    ],
)
async def test_a_rescore_outside_the_items_points_is_refused(
    database, item_id: str, score: Decimal, message: str
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        with pytest.raises(ReviewError) as raised:
            rescore_item(
                session, seeded.assessments["东村党支部"], RUBRIC, item_id, score, None, NOW
            )
        return str(raised.value), _audit(session)

    assert await database.run(work) == (message, [])


async def test_an_assessment_still_in_progress_cannot_be_rescored(database) -> None:
    def work(session: Session) -> str:
        seeded = seed_town(session)
        assessment = session.get(Assessment, seeded.assessments["东村党支部"])
        assert assessment is not None
        assessment.state = "in_progress"
        session.flush()
        with pytest.raises(ReviewError) as raised:
            rescore_item(session, assessment.id, RUBRIC, "team.study", Decimal(1), None, NOW)
        return str(raised.value)

    message = await database.run(work)
    assert message.endswith("is in_progress: this needs reviewed, submitted")


async def test_bonus_awards_hold_the_cap_across_claims(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        claims = [
            repo.add_claim(
                session,
                assessment_id,
                ClaimDirection.BONUS,
                "commendation",
                Decimal(p),
                "x",
                None,
                NOW,
            )
            for p in ("10", "8", "5")
        ]
        decide_claim(session, claims[0].id, RUBRIC, Decimal(10), seeded.reviewer_id, NOW)
        decide_claim(session, claims[1].id, RUBRIC, Decimal(8), seeded.reviewer_id, NOW)
        with pytest.raises(ReviewError) as raised:
            decide_claim(session, claims[2].id, RUBRIC, Decimal(5), seeded.reviewer_id, NOW)
        reduced = decide_claim(
            session, claims[2].id, RUBRIC, Decimal(2), seeded.reviewer_id, NOW, "只认可一项"
        )
        statuses = [(c.status, c.points_awarded) for c in claims]
        return str(raised.value), reduced, statuses

    message, reduced, statuses = await database.run(work)
    assert message == "bonus claim 3: the bonus cap is 20 across claims; 2 left"
    assert reduced is True
    assert statuses == [
        ("awarded", Decimal(10)),
        ("awarded", Decimal(8)),
        ("awarded", Decimal(2)),
    ]


async def test_refusing_a_bonus_needs_a_reason_and_tells_the_secretary(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        claim = repo.add_claim(
            session,
            seeded.assessments["东村党支部"],
            ClaimDirection.BONUS,
            "commendation",
            Decimal(5),
            "县级表彰",
            None,
            NOW,
        )
        with pytest.raises(ReviewError) as raised:
            decide_claim(session, claim.id, RUBRIC, None, seeded.reviewer_id, NOW)
        decide_claim(session, claim.id, RUBRIC, None, seeded.reviewer_id, NOW, "无表彰文件")
        repeated = decide_claim(
            session, claim.id, RUBRIC, None, seeded.reviewer_id, NOW, "无表彰文件"
        )
        deliveries = session.scalars(select(Delivery)).all()
        return (
            str(raised.value),
            repeated,
            claim.status,
            [
                (
                    d.kind,
                    d.recipient_telegram_id,
                    d.payload["event"],
                    d.payload["reason"],
                    d.payload["town_id"] == seeded.town_id,
                )
                for d in deliveries
            ],
            _audit(session),
        )

    message, repeated, status, deliveries, audit = await database.run(work)
    assert message == "bonus claim 1: a change or a refusal needs a reason"
    assert (repeated, status) == (False, ClaimStatus.REJECTED)
    assert deliveries == [("review_event", SECRETARY, "claim_decided", "无表彰文件", True)]
    assert audit == [
        (
            "review.claim",
            {"status": "claimed", "points_awarded": None},
            {"status": "rejected", "points_awarded": None},
            "无表彰文件",
        )
    ]


@pytest.mark.parametrize(
    ("kind", "points", "reason", "message"),
    [
        ("major_incident", Decimal(19), "舆情事件", "a deduction is at least 20 points, got 19"),
        ("major_incident", Decimal(20), " ", "a deduction needs a reason"),
        ("unknown", Decimal(20), "x", "unknown deduction kind 'unknown' (expected"),
    ],
)
async def test_a_deduction_below_the_minimum_or_without_a_reason_is_refused(
    database, kind: str, points: Decimal, reason: str, message: str
) -> None:
    def work(session: Session) -> str:
        seeded = seed_town(session)
        with pytest.raises(ReviewError) as raised:
            record_deduction(
                session, seeded.assessments["东村党支部"], RUBRIC, kind, points, reason, None, NOW
            )
        return str(raised.value)

    assert (await database.run(work)).startswith(message)


async def test_a_recorded_deduction_is_an_awarded_claim_with_its_reason(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        claim = record_deduction(
            session,
            seeded.assessments["东村党支部"],
            RUBRIC,
            "major_incident",
            Decimal(25),
            "发生舆情事件",
            seeded.reviewer_id,
            NOW,
        )
        return (claim.direction, claim.status, claim.points_awarded, claim.reason), _audit(session)

    fields, audit = await database.run(work)
    assert fields == ("deduction", "awarded", Decimal(25), "发生舆情事件")
    assert [(action, reason) for action, _, _, reason in audit] == [
        ("review.deduction", "发生舆情事件")
    ]


async def test_ballots_become_the_review_score_and_entering_them_again_changes_nothing(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        ballots = {"good": 3, "average": 1}
        first = enter_review_score(
            session, assessment_id, RUBRIC, seeded.reviewer_id, NOW, ballots=ballots
        )
        again = enter_review_score(
            session, assessment_id, RUBRIC, seeded.reviewer_id, NOW, ballots=dict(ballots)
        )
        direct = enter_review_score(
            session, assessment_id, RUBRIC, seeded.reviewer_id, NOW, score=Decimal("88.5")
        )
        row = session.scalar(select(ReviewScore))
        assert row is not None
        return first, again, direct, row.score, _audit(session)

    first, again, direct, score, audit = await database.run(work)
    assert (first, again, direct, score) == (True, False, True, Decimal("88.5"))
    assert [(old, new) for _, old, new, _ in audit] == [
        (None, {"score": "90.00", "ballots": {"good": 3, "average": 1}}),
        (
            {"score": "90.00", "ballots": {"good": 3, "average": 1}},
            {"score": "88.5", "ballots": None},
        ),
    ]


async def test_returning_keeps_the_rescores_and_lets_the_secretary_submit_again(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        rescore_item(session, assessment_id, RUBRIC, "team.study", Decimal(3), None, NOW)
        with pytest.raises(ReviewError):
            return_for_revision(session, assessment_id, "", seeded.reviewer_id, NOW)
        return_for_revision(session, assessment_id, "缺少学习记录", seeded.reviewer_id, NOW)
        assessment = session.get(Assessment, assessment_id)
        assert assessment is not None
        returned_state = assessment.state
        repo.submit_assessment(session, assessment.id, 4, None, NOW)
        payloads = [d.payload for d in session.scalars(select(Delivery)).all()]
        reviewer = repo.answers_of(session, assessment_id, AnswerSource.REVIEWER)
        return returned_state, assessment.state, reviewer, payloads

    returned_state, state, reviewer, payloads = await database.run(work)
    assert (returned_state, state) == ("returned", "submitted")
    assert reviewer == {"team.study": Decimal(3)}
    assert [(p["event"], p["reason"]) for p in payloads] == [("returned", "缺少学习记录")]


async def test_marking_reviewed_needs_the_review_score(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        with pytest.raises(ReviewError) as raised:
            mark_reviewed(session, assessment_id, None, NOW)
        enter_review_score(session, assessment_id, RUBRIC, None, NOW, score=Decimal(90))
        first = mark_reviewed(session, assessment_id, None, NOW)
        again = mark_reviewed(session, assessment_id, None, NOW)
        return str(raised.value), first, again

    message, first, again = await database.run(work)
    assert message == "assessment 1 has no review score yet"
    assert (first, again) == (True, False)


async def test_each_change_moves_the_version_on(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        assessment = session.get(Assessment, assessment_id)
        assert assessment is not None
        before = assessment.version
        rescore_item(session, assessment_id, RUBRIC, "team.study", Decimal(3), None, NOW)
        rescore_item(session, assessment_id, RUBRIC, "team.study", Decimal(3), None, NOW)
        return before, assessment.version

    before, after = await database.run(work)
    assert after == before + 1


async def test_review_actions_survive_a_restart(sqlite_url: str) -> None:
    database = create_database(sqlite_url)
    seeded = await database.run(seed_town)
    assessment_id = seeded.assessments["东村党支部"]

    def act(session: Session) -> None:
        rescore_item(session, assessment_id, RUBRIC, "team.study", Decimal(1), None, NOW)
        record_deduction(
            session, assessment_id, RUBRIC, "major_incident", Decimal(20), "通报", None, NOW
        )

    await database.run(act)
    # The process dies; a new one opens the same file.
    await database.dispose()
    database = create_database(sqlite_url)

    def read(session: Session) -> Any:
        claims = session.scalars(select(Claim)).all()
        return repo.answers_of(session, assessment_id, AnswerSource.REVIEWER), len(claims)

    try:
        assert await database.run(read) == ({"team.study": Decimal(1)}, 1)
    finally:
        await database.dispose()

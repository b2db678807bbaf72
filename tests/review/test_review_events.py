"""The secretary hears of a return and of a bonus decision, rendered when the sweep sends."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import delivery_renderers
from handlers.catalogue import text
from handlers.review_events import render_review_event
from storage import repositories as repo
from storage.models import Assessment, ClaimDirection, Cycle, Delivery, DeliveryKind
from storage.repositories.review import (
    ReviewError,
    decide_claim,
    enter_review_score,
    mark_reviewed,
    return_for_revision,
)
from storage.repositories.town_review import town_review
from tests.review.seed import NOW, RUBRIC, seed_town


def _rendered(session: Session) -> list[str | None]:
    deliveries = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    messages = [render_review_event(session, delivery, NOW) for delivery in deliveries]
    return [message.text if message is not None else None for message in messages]


def test_the_bot_sends_review_events_with_this_renderer() -> None:
    renderers = delivery_renderers(ZoneInfo("Asia/Shanghai"))
    assert renderers[DeliveryKind.REVIEW_EVENT] is render_review_event


async def test_a_return_is_told_with_its_reason_until_the_secretary_submits_again(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        return_for_revision(session, assessment_id, "缺少学习记录", None, NOW)
        while_returned = _rendered(session)
        assessment = session.get(Assessment, assessment_id)
        assert assessment is not None
        repo.submit_assessment(session, assessment.id, 5, None, NOW)
        return while_returned, _rendered(session)

    while_returned, after_submitting = await database.run(work)
    assert while_returned == [
        text("review.event.returned", branch="东村党支部", reason="缺少学习记录")
    ]
    assert after_submitting == [None]


async def test_a_bonus_decision_says_the_points_awarded_or_the_refusal(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        claims = [
            repo.add_claim(
                session,
                seeded.assessments["东村党支部"],
                ClaimDirection.BONUS,
                "commendation",
                Decimal(10),
                "县级表彰",
                None,
                NOW,
            )
            for _ in range(2)
        ]
        decide_claim(session, claims[0].id, RUBRIC, Decimal(6), None, NOW, "部分认定")
        decide_claim(session, claims[1].id, RUBRIC, None, None, NOW, "无文件")
        return _rendered(session)

    kind = "党支部或所属党员受到县级以上表彰奖励"
    assert await database.run(work) == [
        text(
            "review.event.claim_awarded",
            branch="东村党支部",
            direction="加分",
            kind=kind,
            claimed="10",
            awarded="6",
        ),
        text("review.event.claim_refused", branch="东村党支部", direction="加分", kind=kind),
    ]


async def test_a_declared_deduction_counts_once_confirmed_and_blocks_marking_until_decided(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session)
        assessment_id = seeded.assessments["东村党支部"]
        claim = repo.add_claim(
            session,
            assessment_id,
            ClaimDirection.DEDUCTION,
            "major_incident",
            Decimal(20),
            "发生舆情",
            None,
            NOW,
        )
        enter_review_score(session, assessment_id, RUBRIC, None, NOW, score=Decimal(100))
        with pytest.raises(ReviewError) as waiting:
            mark_reviewed(session, assessment_id, None, NOW)
        cycle = session.get(Cycle, seeded.cycle_id)
        assert cycle is not None
        before = town_review(session, cycle)[0].reviewed.deduction
        with pytest.raises(ReviewError) as too_small:
            decide_claim(session, claim.id, RUBRIC, Decimal(15), None, NOW, "减轻")
        decide_claim(session, claim.id, RUBRIC, Decimal(20), None, NOW)
        after = town_review(session, cycle)[0].reviewed.deduction
        marked = mark_reviewed(session, assessment_id, None, NOW)
        return str(waiting.value), before, str(too_small.value), after, marked, _rendered(session)

    waiting, before, too_small, after, marked, rendered = await database.run(work)
    assert waiting == "assessment 1 has claims waiting for a decision"
    assert (before, after, marked) == (Decimal(0), Decimal(20), True)
    assert too_small == "deduction claim 1: a deduction is at least 20 points, got 15"
    assert rendered == [
        text(
            "review.event.claim_awarded",
            branch="东村党支部",
            direction="减分",
            kind="造成重大失误、重大损失或出现重大舆情、群体性事件",
            claimed="20",
            awarded="20",
        )
    ]

"""`pingxing demo --as town`: the same offline demo, played as the town's reviewer (镇党委).

The sample town's branches arrive submitted, each answered a little differently, one of them
with a bonus claim waiting and one already given its review score, so `/review` has something
to show on the first screen. The reviewer is a fixed Telegram id holding the `town` role; a
second run finds the grant and goes straight to `/review`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from handlers.catalogue import text
from storage.models import AnswerSource, AssessmentState, ClaimDirection, Role, Town
from storage.repositories import (
    add_claim,
    current_cycle,
    cycle_rubric,
    get_or_create_assessment,
    get_or_create_person,
    grant_role,
    has_role,
    set_answer,
    submit_assessment,
)
from storage.repositories.orgs import branches_of_town
from storage.repositories.review import enter_review_score

__all__ = ["DEMO_REVIEWER_ID", "is_seeded", "seed_review"]

# A fixed id, so a second run finds the same reviewer.
DEMO_REVIEWER_ID = 900_002
# How many items each sample branch answers only partly, by its position in the town: the
# branches then land on different provisional levels.
_PARTIAL_ITEMS = (0, 3, 8, 14)


def is_seeded(session: Session, town: Town) -> bool:
    """Whether the reviewer already holds the town role (a second run)."""
    return has_role(session, DEMO_REVIEWER_ID, Role.TOWN, town.id)


def seed_review(session: Session, town: Town, now: datetime) -> None:
    """Grants the demo reviewer the town role and submits every sample branch's assessment."""
    cycle = current_cycle(session, town.id)
    if cycle is None:  # pragma: no cover - the demo's own seeding opens it
        raise LookupError(f"the demo town {town.name} has no open cycle")
    rubric = cycle_rubric(cycle)
    reviewer = get_or_create_person(session, DEMO_REVIEWER_ID, text("demo.reviewer"))
    grant_role(session, reviewer, Role.TOWN, town.id, now)
    for position, branch in enumerate(branches_of_town(session, town.id)):
        assessment = get_or_create_assessment(session, branch.id, cycle.id, now)
        if assessment.state != AssessmentState.IN_PROGRESS:
            continue
        partial = _PARTIAL_ITEMS[position % len(_PARTIAL_ITEMS)]
        for index, item in enumerate(rubric.items_for(branch.category)):
            level = "partial" if index < partial else "full"
            set_answer(session, assessment.id, item.id, level, AnswerSource.SELF, None, now)
        submit_assessment(session, assessment.id, 5 if partial < 5 else 4, None, now)
        if position == 0 and rubric.bonus is not None:
            add_claim(
                session,
                assessment.id,
                ClaimDirection.BONUS,
                rubric.bonus.kinds[0].key,
                Decimal(10),
                text("demo.sample_claim"),
                None,
                now,
            )
        if position == 1:
            enter_review_score(session, assessment.id, rubric, None, now, score=Decimal(92))

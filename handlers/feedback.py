"""Instant feedback: the 小结 button sends the summary text and the six-area chart.

Callback-data kind handled here: SUMMARY (read only, so it works on a locked assessment too).
The texts come from `handlers.summary`, the picture from `handlers.chart`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial

from handlers.callbacks import CallbackData
from handlers.cards import Screen
from handlers.chart import render_area_chart
from handlers.sitting import Sitting, on_press
from handlers.summary import render_summary
from handlers.uow import SendMessage, SendPhoto, Work
from scoring import BranchInput, Claim, ScoreResult, score_branch
from storage.models import Claim as ClaimRow
from storage.models import ClaimDirection, ClaimStatus
from storage.repositories import claims_of

__all__ = ["score_sitting", "self_assessed", "show_summary"]


@on_press(writes=False)
def show_summary(work: Work, sitting: Sitting, data: CallbackData) -> None:
    """Sends where the branch stands: scores, missing points, the review needed, a chart."""
    claims = claims_of(work.session, sitting.assessment.id)
    result = score_sitting(sitting, claims)
    parts = render_summary(
        sitting.rubric,
        result,
        category=sitting.branch.category,
        evidence_counts=sitting.marks.evidence,
        claims=[claim for claim in claims if claim.reason is not None],
    )
    for part in parts:
        work.reply(SendMessage(work.chat_id, Screen(part)))
    # The chart types its inputs with protocols whose attributes are settable; the scoring
    # dataclasses are frozen, which mypy reports although the chart only reads them.
    draw = partial(render_area_chart, sitting.rubric, result)  # type: ignore[arg-type]
    work.reply(SendPhoto(work.chat_id, draw))


def score_sitting(sitting: Sitting, claims: list[ClaimRow]) -> ScoreResult:
    """Scores the secretary's own answers and declared claims, before any review."""
    item_ids = {item.id for item in sitting.items}
    answers = {
        item_id: answer for item_id, answer in sitting.marks.answers.items() if item_id in item_ids
    }
    return score_branch(sitting.rubric, self_assessed(sitting.branch.category, answers, claims))


def self_assessed(
    category: str, answers: Mapping[str, str | Decimal], claims: list[ClaimRow]
) -> BranchInput:
    """The secretary's own scoring input: their answers and declared claims, no review.

    A claim still waiting for its reason, or one the town rejected, does not count.
    """
    counted = [
        claim
        for claim in claims
        if claim.reason is not None and claim.status != ClaimStatus.REJECTED
    ]
    bonus = tuple(
        Claim(claim.kind, claim.points_awarded or claim.points_claimed)
        for claim in counted
        if claim.direction == ClaimDirection.BONUS
    )
    deductions = tuple(
        Claim(claim.kind, claim.points_awarded or claim.points_claimed)
        for claim in counted
        if claim.direction == ClaimDirection.DEDUCTION
    )
    return BranchInput(category, answers, bonus, deductions, None)

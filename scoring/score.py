"""Scores one branch exactly as DOMAIN.md defines it (`score_branch`).

```
basic      = Σ item scores of the branch's category            (unanswered items score 0)
basic_100  = basic × 100 / basic_total
bonus      = min(Σ bonus awards, cap)
deduction  = Σ deductions
assessment = basic_100 + bonus − deduction                       (not clamped)
total      = w_assessment × assessment + w_review × review, floored at 0, rounded half-up to cents
stars      = the highest level the total reaches; a gated level that fails a gate drops one level
```

The bot calls this on every button press, so the loop over items does one dictionary lookup and
one addition per item and never switches the decimal context.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from scoring.decimals import ZERO, round_cent
from scoring.errors import InputError
from scoring.gates import failed_gates, gated_stars
from scoring.inputs import BranchInput, check_claims
from scoring.model import Rubric
from scoring.provisional import Provisional, next_level_items, provisional_view

__all__ = [
    "AreaScore",
    "MissingItem",
    "Provisional",
    "ScoreResult",
    "score_branch",
]

_HUNDRED = Decimal(100)


class MissingItem(NamedTuple):
    """An item that scores below its points: its id, the points lost, whether it was answered."""

    item_id: str
    lost: Decimal
    answered: bool


class AreaScore(NamedTuple):
    """An area's score and full marks for the branch's category (full is 0 without items)."""

    key: str
    scored: Decimal
    full: Decimal


@dataclass(frozen=True)
class ScoreResult:
    """One branch's score.

    Attributes:
        basic: Σ item scores on the rubric's own scale (basic_total).
        basic_100: basic brought to the 100 scale.
        bonus: the bonus after the cap.
        deduction: Σ deductions.
        assessment: basic_100 + bonus − deduction.
        review: the review score, or None before the review.
        total: the rounded total, or None without a review.
        stars: the stars after the gates (before any quota), or None without a review.
        gates: reason codes of every gate that blocks the gated level now (`basic_below_80`,
            `has_deduction`), whether or not the total reaches that level.
        missing: items below their points: unanswered first, then largest loss, then rubric order.
        provisional: the view before the review, assuming review = basic_100.
        next_level_items: the fewest items whose full marks lift the provisional stars by a
            level; empty when already at the top or when no set of items can.
        areas: each area's score and full marks, in rubric order.
    """

    basic: Decimal
    basic_100: Decimal
    bonus: Decimal
    deduction: Decimal
    assessment: Decimal
    review: Decimal | None
    total: Decimal | None
    stars: int | None
    gates: tuple[str, ...]
    missing: tuple[MissingItem, ...]
    provisional: Provisional
    next_level_items: tuple[str, ...]
    areas: tuple[AreaScore, ...]


def score_branch(rubric: Rubric, branch: BranchInput) -> ScoreResult:
    """Scores one branch.

    Args:
        rubric: the rubric (its category tables are precomputed).
        branch: the branch's answers, claims and review.

    Raises:
        InputError: an unknown category, item, level or claim kind, an item score outside 0 to
            its points, a deduction under the minimum, or a review outside 0-100.
    """
    try:
        plan = rubric.plan(branch.category)
    except KeyError:
        raise InputError([f"category: unknown category {branch.category!r}"]) from None
    answers = branch.answers
    basic = ZERO
    answered = 0
    # (unanswered first: 0, −lost, rubric position, id, lost): sorting these tuples gives the
    # "missing points" order without a key function.
    losses: list[tuple[int, Decimal, int, str, Decimal]] = []
    area_scores = []
    for area_key, full, entries in plan:
        scored = ZERO
        for position, item_id, points, level_scores in entries:
            answer = answers.get(item_id)
            if answer is None:
                losses.append((0, -points, position, item_id, points))
                continue
            if isinstance(answer, str):
                value = level_scores.get(answer)
                if value is None:
                    raise InputError([f"answers.{item_id}: unknown level {answer!r}"])
            elif ZERO <= answer <= points:
                value = answer
            else:
                raise InputError([f"answers.{item_id}: score {answer} is outside 0 to {points}"])
            answered += 1
            scored += value
            if value != points:
                losses.append((1, value - points, position, item_id, points - value))
        area_scores.append(AreaScore(area_key, scored, full))
        basic += scored
    if answered != len(answers):
        _raise_for_unknown_answers(rubric, branch)
    if branch.bonus or branch.deductions:
        problems = check_claims(rubric, branch)
        if problems:
            raise InputError(problems)
    review = branch.review
    if review is not None and not ZERO <= review <= _HUNDRED:
        raise InputError([f"review: expected a score from 0 to 100, got {review}"])

    basic_total = rubric.basic_total
    basic_100 = basic if basic_total == _HUNDRED else basic * _HUNDRED / basic_total
    bonus = ZERO
    if branch.bonus and rubric.bonus is not None:
        bonus = min(sum((claim.points for claim in branch.bonus), ZERO), rubric.bonus.cap)
    deduction = sum((claim.points for claim in branch.deductions), ZERO)
    assessment = basic_100 + bonus - deduction
    gates = failed_gates(rubric, basic_100, bool(branch.deductions))
    weighted_assessment = rubric.weights.assessment * assessment

    total = stars = None
    if review is not None:
        raw = weighted_assessment + rubric.weights.review * review
        total = round_cent(raw if raw > ZERO else ZERO)
        stars = gated_stars(rubric, total, bool(gates))

    losses.sort()
    provisional = provisional_view(rubric, basic_100, weighted_assessment, bool(gates))
    return ScoreResult(
        basic=basic,
        basic_100=basic_100,
        bonus=bonus,
        deduction=deduction,
        assessment=assessment,
        review=review,
        total=total,
        stars=stars,
        gates=gates,
        missing=tuple(MissingItem(loss[3], loss[4], loss[0] == 1) for loss in losses),
        provisional=provisional,
        next_level_items=next_level_items(
            rubric, basic, bonus - deduction, bool(branch.deductions), provisional.stars, losses
        ),
        areas=tuple(area_scores),
    )


def _raise_for_unknown_answers(rubric: Rubric, branch: BranchInput) -> None:
    """Names the answers that are not items of the branch's category."""
    applicable = {item.id for item in rubric.items_for(branch.category)}
    raise InputError(
        [
            f"answers.{item_id}: unknown item or not for category {branch.category!r}"
            for item_id in branch.answers
            if item_id not in applicable
        ]
    )

"""The provisional view while a secretary is still answering, before any review.

It shows, for every level, the review score that would reach it, and the fewest items whose full
marks would lift the provisional stars by one level (DOMAIN.md, "Provisional score" and
"Missing points").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter

from scoring.decimals import ZERO, ceil_cent, round_cent
from scoring.item_sums import Loss
from scoring.model import Rubric

__all__ = ["OUT_OF_REACH", "REACHED", "Provisional", "next_level_items", "provisional_view"]

REACHED = "reached"
OUT_OF_REACH = "out_of_reach"
_HUNDRED = Decimal(100)
# Largest loss first, then rubric order: (−lost, position) of a `Loss`.
_BY_LOSS = itemgetter(1, 2)


@dataclass(frozen=True)
class Provisional:
    """The score as it stands before the review.

    Attributes:
        assumed_review: the review assumed for `total` and `stars`: basic_100 (the members rate
            the branch as it rates itself).
        total: the rounded total with that review.
        stars: the stars with that review, after the gates.
        needed_review: per level's stars, the least review score (2 decimals) whose rounded
            total reaches the level, or `"reached"` (whatever the review) or `"out_of_reach"`
            (over 100, or a gate blocks the level).
    """

    assumed_review: Decimal
    total: Decimal
    stars: int
    needed_review: dict[int, Decimal | str]


def provisional_view(
    rubric: Rubric, basic_100: Decimal, weighted_assessment: Decimal, blocked: bool
) -> Provisional:
    """Builds the provisional view.

    Args:
        rubric: the rubric.
        basic_100: the self-assessed basic score on the 100 scale (also the assumed review).
        weighted_assessment: w_assessment × assessment.
        blocked: whether a gate blocks the gated level.
    """
    rules = rubric.rules
    review_weight = rules.weight_review
    raw = weighted_assessment + review_weight * basic_100
    total = round_cent(raw if raw > ZERO else ZERO)
    # needed = (minimum − w_assessment × assessment) / w_review, in the rounding stars use.
    needed: dict[int, Decimal | str] = {}
    for stars, threshold, bottom, gated in rules.review_thresholds:
        if bottom:
            needed[stars] = REACHED  # the total is floored at 0: the bottom is always reached
        elif blocked and gated:
            needed[stars] = OUT_OF_REACH
        else:
            gap = threshold - weighted_assessment
            if gap <= ZERO:
                needed[stars] = REACHED
            elif not review_weight:
                needed[stars] = OUT_OF_REACH
            else:
                least = ceil_cent(gap / review_weight)
                needed[stars] = OUT_OF_REACH if least > _HUNDRED else least
    return Provisional(
        assumed_review=basic_100,
        total=total,
        stars=rules.stars_for(total, blocked),
        needed_review=needed,
    )


def next_level_items(
    rubric: Rubric,
    basic: Decimal,
    bonus_less_deduction: Decimal,
    has_deduction: bool,
    provisional_stars: int,
    losses: list[Loss],
) -> tuple[str, ...]:
    """Finds the fewest items whose full marks lift the provisional stars by one level.

    Full marks on an item raise basic_100, and with it the assumed review, so the provisional
    total only grows with the points recovered; taking the largest losses first therefore
    reaches the next level with the fewest items. Ties go to rubric order.

    Args:
        rubric: the rubric.
        basic: the basic score on the rubric's scale.
        bonus_less_deduction: the capped bonus minus the deductions.
        has_deduction: whether any deduction was declared (items cannot clear that gate).
        provisional_stars: the provisional stars now.
        losses: `(answered, −lost, position, item id, lost)` per item below its points.

    Returns:
        Item ids, largest loss first; empty when at the top level or when no set can do it.
    """
    above = [level for level in rubric.levels if level.stars > provisional_stars]
    if not above or not losses:
        return ()
    target = above[-1].stars
    rules = rubric.rules
    if has_deduction and rules.deductions_forbid and target >= rules.gate_stars:
        return ()
    ordered = sorted(losses, key=_BY_LOSS)
    recovered = list(accumulate(loss[4] for loss in ordered))
    forbidden = rules.deductions_forbid and has_deduction

    def reaches(taken: int) -> bool:
        """Whether full marks on the `taken + 1` largest losses earn `target` stars."""
        lifted = basic + recovered[taken]
        basic_100 = lifted if basic_total == _HUNDRED else lifted * _HUNDRED / basic_total
        raw = weight_assessment * (basic_100 + bonus_less_deduction) + weight_review * basic_100
        total = round_cent(raw if raw > ZERO else ZERO)
        minimum = rules.gate_min_basic_100
        blocked = forbidden or (minimum is not None and basic_100 < minimum)
        return rules.stars_for(total, blocked) >= target

    basic_total = rubric.basic_total
    weight_assessment, weight_review = rules.weight_assessment, rules.weight_review
    if not reaches(len(ordered) - 1):
        return ()
    # Recovered points grow with every item taken, so the fewest items is a binary search
    # over how many of the largest losses to take.
    low, high = 0, len(ordered) - 1
    while low < high:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return tuple(loss[3] for loss in ordered[: low + 1])

"""The provisional view while a secretary is still answering, before any review.

It shows, for every level, the review score that would reach it, and the fewest items whose full
marks would lift the provisional stars by one level (DOMAIN.md, "Provisional score" and
"Missing points").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from scoring.decimals import HUNDRED, ZERO, ceil_cent, round_cent
from scoring.gates import failed_gates, is_gated, stars_for
from scoring.model import Rubric

__all__ = [
    "OUT_OF_REACH",
    "REACHED",
    "Loss",
    "Provisional",
    "next_level_items",
    "provisional_view",
]

# Values of `Provisional.needed_review` besides a review score.
REACHED = "reached"
OUT_OF_REACH = "out_of_reach"
# A rounded total reaches a 2-decimal minimum exactly when the raw total reaches the minimum
# less half a cent (half-up rounding).
_HALF_CENT = Decimal("0.005")


class Loss(NamedTuple):
    """An item below its points: whether answered, the points lost, its place in the category."""

    answered: bool
    lost: Decimal
    position: int
    item_id: str


@dataclass(frozen=True)
class Provisional:
    """The score as it stands before the review.

    Attributes:
        assumed_review: the review assumed for `total` and `stars`: basic_100 (the members rate
            the branch as it rates itself).
        total: the rounded total with that review.
        stars: the stars with that review, after the gates.
        needed_review: per level's stars, the least review score (2 decimals) whose rounded
            total reaches the level, or `REACHED` (whatever the review) or `OUT_OF_REACH`
            (over 100, or a failed gate blocks the level).
        gated: the stars of the levels a failed gate blocks, whatever the review.
    """

    assumed_review: Decimal
    total: Decimal
    stars: int
    needed_review: dict[int, Decimal | str]
    gated: frozenset[int]


def provisional_view(
    rubric: Rubric, basic_100: Decimal, assessment: Decimal, gates: tuple[str, ...]
) -> Provisional:
    """Builds the provisional view from the branch's basic_100, assessment and failed gates."""
    weights = rubric.weights
    weighted_assessment = weights.assessment * assessment
    total = _assumed_total(rubric, basic_100, assessment)
    gated = frozenset(
        level.stars for level in rubric.levels if gates and is_gated(rubric, level.stars)
    )
    needed: dict[int, Decimal | str] = {}
    for level in rubric.levels:
        # needed = (minimum − w_assessment × assessment) / w_review, in the rounding stars use.
        gap = level.min_total - _HALF_CENT - weighted_assessment
        if level.min_total <= ZERO:
            needed[level.stars] = REACHED  # the total is floored at 0: the bottom is reached
        elif level.stars in gated:
            needed[level.stars] = OUT_OF_REACH
        elif gap <= ZERO:
            needed[level.stars] = REACHED
        elif not weights.review or ceil_cent(gap / weights.review) > HUNDRED:
            needed[level.stars] = OUT_OF_REACH
        else:
            needed[level.stars] = ceil_cent(gap / weights.review)
    return Provisional(
        assumed_review=basic_100,
        total=total,
        stars=stars_for(rubric, total, bool(gates)),
        needed_review=needed,
        gated=gated,
    )


def _assumed_total(rubric: Rubric, basic_100: Decimal, assessment: Decimal) -> Decimal:
    """The rounded total with the review assumed equal to basic_100."""
    weights = rubric.weights
    return round_cent(max(weights.assessment * assessment + weights.review * basic_100, ZERO))


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

    Returns:
        Item ids, largest loss first; empty when at the top level or when no set can do it.
    """
    above = [level.stars for level in rubric.levels if level.stars > provisional_stars]
    if not above or not losses:
        return ()
    target = min(above)
    ordered = sorted(losses, key=lambda loss: (-loss.lost, loss.position))

    def reaches(taken: int) -> bool:
        """Whether full marks on the `taken` largest losses earn `target` stars."""
        lifted = basic + sum((loss.lost for loss in ordered[:taken]), ZERO)
        basic_100 = lifted * HUNDRED / rubric.basic_total
        total = _assumed_total(rubric, basic_100, basic_100 + bonus_less_deduction)
        blocked = bool(failed_gates(rubric, basic_100, has_deduction))
        return stars_for(rubric, total, blocked) >= target

    if not reaches(len(ordered)):
        return ()
    # The recovered points grow with every item taken, so the fewest items is found by a
    # binary search over how many of the largest losses to take.
    low, high = 1, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return tuple(loss.item_id for loss in ordered[:low])

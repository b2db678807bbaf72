"""The provisional view while a secretary is still answering, before any review.

It shows, for every level, the review score that would reach it, and the fewest items whose full
marks would lift the provisional stars by one level (DOMAIN.md, "Provisional score" and
"Missing points").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from scoring.decimals import HUNDRED, ZERO, ceil_cent
from scoring.gates import GateFacts, failed_gates, stars_for, total_for
from scoring.model import ItemBelowFull, Level, ReviewBelow, Rubric

__all__ = [
    "OUT_OF_REACH",
    "REACHED",
    "MissingItem",
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


class MissingItem(NamedTuple):
    """An item that scores below its points: its id, the points lost, whether it was answered."""

    item_id: str
    lost: Decimal
    answered: bool


@dataclass(frozen=True)
class Provisional:
    """The score as it stands before the review.

    Attributes:
        assumed_review: the review assumed for `total` and `stars`: basic_100 (the members rate
            the branch as it rates itself).
        total: the rounded total with that review.
        stars: the stars with that review, after the gates.
        needed_review: per level's stars, the least review score (2 decimals) whose rounded
            total reaches the level and that no review gate holds below it, or `REACHED`
            (whatever the review) or `OUT_OF_REACH` (over 100, or a failed gate caps below it).
        gated: the stars of the levels a failed gate already rules out, whatever the review.
    """

    assumed_review: Decimal
    total: Decimal
    stars: int
    needed_review: dict[int, Decimal | str]
    gated: frozenset[int]


def provisional_view(rubric: Rubric, assessment: Decimal, facts: GateFacts) -> Provisional:
    """Builds the provisional view from the branch's assessment and its gate facts (no review)."""
    assumed = facts.basic_100
    caps = [rubric.gate(key).max_stars for key in failed_gates(rubric, facts)]
    gated = frozenset(level.stars for level in rubric.levels if caps and level.stars > min(caps))
    total = total_for(rubric, assessment, assumed)
    return Provisional(
        assumed_review=assumed,
        total=total,
        stars=stars_for(rubric, total, failed_gates(rubric, facts._replace(review=assumed))),
        needed_review={
            level.stars: _needed_review(rubric, level, assessment, gated)
            for level in rubric.levels
        },
        gated=gated,
    )


def _needed_review(
    rubric: Rubric, level: Level, assessment: Decimal, gated: frozenset[int]
) -> Decimal | str:
    """The least review in cents that reaches `level`, or REACHED or OUT_OF_REACH."""
    if level.min_total <= ZERO:
        return REACHED  # the total is floored at 0: the bottom level is always reached
    if level.stars in gated:
        return OUT_OF_REACH
    weights = rubric.weights
    # needed = (minimum − w_assessment × assessment) / w_review, in the rounding stars use.
    gap = level.min_total - _HALF_CENT - weights.assessment * assessment
    if gap > ZERO and not weights.review:
        return OUT_OF_REACH
    needed = ceil_cent(gap / weights.review) if gap > ZERO else ZERO
    # A review gate that caps below the level asks for at least its minimum as well.
    for gate in rubric.gates:
        if isinstance(gate.condition, ReviewBelow) and gate.max_stars < level.stars:
            needed = max(needed, ceil_cent(gate.condition.minimum))
    if needed <= ZERO:
        return REACHED
    return OUT_OF_REACH if needed > HUNDRED else needed


def next_level_items(
    rubric: Rubric,
    basic: Decimal,
    bonus_less_deduction: Decimal,
    facts: GateFacts,
    provisional_stars: int,
    losses: tuple[MissingItem, ...],
) -> tuple[str, ...]:
    """Finds the fewest items whose full marks lift the provisional stars by one level.

    Full marks on an item raise basic_100, and with it the assumed review, so the provisional
    total only grows with the points recovered. An item a failed veto gate names must be in any
    set that lifts the branch above the gate's cap, so those come first; then the largest losses
    first reach the next level with the fewest items. Ties go to rubric order. Returns the item
    ids in the order taken; none when at the top level or when no set can do it.
    """
    above = [level.stars for level in rubric.levels if level.stars > provisional_stars]
    if not above or not losses:
        return ()
    target = min(above)
    vetoed = {
        gate.condition.item_id
        for gate in rubric.gates
        if isinstance(gate.condition, ItemBelowFull)
        and gate.max_stars < target
        and gate.key in failed_gates(rubric, facts)
    }
    # The sort is stable: ties keep rubric order.
    ordered = sorted(losses, key=lambda loss: (loss.item_id not in vetoed, -loss.lost))

    def reaches(taken: int) -> bool:
        """Whether full marks on the first `taken` items earn `target` stars."""
        lifted = dict(facts.item_scores)
        for loss in ordered[:taken]:
            lifted[loss.item_id] = rubric.item(loss.item_id).points
        basic_100 = (basic + sum((loss.lost for loss in ordered[:taken]), ZERO)) * HUNDRED
        basic_100 /= rubric.basic_total
        total = total_for(rubric, basic_100 + bonus_less_deduction, basic_100)
        lifted_facts = facts._replace(basic_100=basic_100, review=basic_100, item_scores=lifted)
        return stars_for(rubric, total, failed_gates(rubric, lifted_facts)) >= target

    if not reaches(len(ordered)):
        return ()
    # The recovered points grow with every item taken, so the fewest items is found by a
    # binary search over how many of the ordered items to take.
    low, high = 1, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle + 1
    return tuple(loss.item_id for loss in ordered[:low])

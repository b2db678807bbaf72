"""The total, the level it earns and the gates that cap it (不得评定为…).

The seed's gates: 基础项低于80分或出现减分项的,不得评定为五星级. Other localities cap by the review
(members' satisfaction below 60% caps at two stars) or by a veto item (一票否决). A rubric lists
its gates as data (`scoring.model.Gate`); a branch that fails one holds at most the gate's
`max_stars`, and results name the failed gates by their keys (`basic_below_80`,
`has_deduction`), which the bot words from the rubric's labels or its own catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from scoring.decimals import ZERO, round_cent
from scoring.model import BasicBelow, DeductionOf, Gate, ReviewBelow, Rubric

__all__ = ["GATE_DEDUCTION", "GateFacts", "failed_gates", "gate_fails", "stars_for", "total_for"]

# The key of the seed's deduction gate, also given to it when a rubric uses the older form.
GATE_DEDUCTION = "has_deduction"


class GateFacts(NamedTuple):
    """What the gates look at in one branch. `review` is None before the review, when no review
    gate fails; `item_scores` holds the answered items (unanswered items score 0)."""

    category: str
    basic_100: Decimal
    deduction_kinds: tuple[str, ...]
    review: Decimal | None
    item_scores: Mapping[str, Decimal]


def gate_fails(rubric: Rubric, gate: Gate, facts: GateFacts) -> bool:
    """Whether the branch the facts describe fails the gate."""
    condition = gate.condition
    if isinstance(condition, BasicBelow):
        return facts.basic_100 < condition.minimum
    if isinstance(condition, DeductionOf):
        if not condition.kinds:
            return bool(facts.deduction_kinds)
        return any(kind in condition.kinds for kind in facts.deduction_kinds)
    if isinstance(condition, ReviewBelow):
        return facts.review is not None and facts.review < condition.minimum
    item = rubric.item(condition.item_id)
    applies = facts.category in item.categories
    return applies and facts.item_scores.get(item.id, ZERO) < item.points


def failed_gates(rubric: Rubric, facts: GateFacts) -> tuple[str, ...]:
    """Returns the keys of the gates the branch fails, in rubric order (none: empty)."""
    return tuple(gate.key for gate in rubric.gates if gate_fails(rubric, gate, facts))


def total_for(rubric: Rubric, assessment: Decimal, review: Decimal) -> Decimal:
    """total = w_assessment × assessment + w_review × review, floored at 0, capped at the
    rubric's total_cap if it has one, rounded half-up to cents."""
    raw = max(rubric.weights.assessment * assessment + rubric.weights.review * review, ZERO)
    if rubric.total_cap is not None:
        raw = min(raw, rubric.total_cap)
    return round_cent(raw)


def stars_for(rubric: Rubric, total: Decimal, failed: tuple[str, ...]) -> int:
    """Returns the stars of the highest level `total` reaches, capped by the failed gates."""
    stars = next(level.stars for level in rubric.levels if total >= level.min_total)
    return min([stars, *(rubric.gate(key).max_stars for key in failed)])

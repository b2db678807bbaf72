"""A rubric's scoring constants, gathered once so that scoring a branch reads them directly.

`score_branch` runs 100,000 times in a county batch; walking `rubric.weights.assessment`,
`rubric.gates.min_basic_100` or the level list for every branch costs more than the arithmetic
itself. `ScoringRules` holds the same values (nothing is derived that the rubric does not say)
in the shape the scorer uses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoring.model import Rubric

__all__ = ["GATE_DEDUCTION", "ScoringRules", "basic_gate_code"]

# Reason codes in `ScoreResult.gates`; the handlers' catalogue turns them into Chinese.
# A basic-score gate is `basic_below_<minimum>`, e.g. `basic_below_80` in the default rubric.
GATE_DEDUCTION = "has_deduction"
_HALF_CENT = Decimal("0.005")


def basic_gate_code(minimum: Decimal) -> str:
    """The reason code of a basic-score gate: `basic_below_80` for a minimum of 80."""
    # Formatted like format_decimal, without importing it: this module stays dependency-free.
    text = format(minimum, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"basic_below_{text}"


class ScoringRules:
    """The figures a score needs from its rubric.

    Attributes:
        weight_assessment: the share of the assessment part in the total.
        weight_review: the share of the review part.
        bonus_cap: the cap on the sum of bonus awards, or None when the rubric has no bonus.
        bonus_kinds: the bonus kind keys (empty without bonus).
        deduction_kinds: the deduction kind keys.
        deduction_min: the least points of one deduction.
        gate_min_basic_100: a basic_100 under this fails the basic gate; None: no such gate.
        deductions_forbid: whether any deduction fails a gate.
        gate_codes: `gate_codes[below][deducted]`, the reason codes for each way of failing.
        levels: `(min_total, stars)` per level, highest first; the last starts at 0.
        review_thresholds: `(stars, min_total − 0.005, bottom, gated)` per level, for the
            review a level needs: a rounded total reaches a 2-decimal minimum exactly when the
            raw total reaches the minimum less half a cent; `bottom` when the minimum is 0 or
            less, `gated` when a failed gate blocks the level.
        gate_stars: the level the gates guard.
        blocked_stars: the stars a blocked branch at or above `gate_stars` drops to.
    """

    __slots__ = (
        "blocked_stars",
        "bonus_cap",
        "bonus_kinds",
        "deduction_kinds",
        "deduction_min",
        "deductions_forbid",
        "gate_codes",
        "gate_min_basic_100",
        "gate_stars",
        "levels",
        "review_thresholds",
        "weight_assessment",
        "weight_review",
    )

    def __init__(self, rubric: Rubric) -> None:
        self.weight_assessment = rubric.weights.assessment
        self.weight_review = rubric.weights.review
        self.bonus_cap = rubric.bonus.cap if rubric.bonus is not None else None
        self.bonus_kinds = frozenset(
            kind.key for kind in (rubric.bonus.kinds if rubric.bonus is not None else ())
        )
        self.deduction_kinds = frozenset(kind.key for kind in rubric.deductions.kinds)
        self.deduction_min = rubric.deductions.min_points
        gates = rubric.gates
        self.gate_min_basic_100 = gates.min_basic_100
        self.deductions_forbid = gates.deductions_forbid
        below: tuple[str, ...] = ()
        if gates.min_basic_100 is not None:
            below = (basic_gate_code(gates.min_basic_100),)
        self.gate_codes: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
            ((), (GATE_DEDUCTION,)),
            (below, (*below, GATE_DEDUCTION)),
        )
        self.levels = tuple((level.min_total, level.stars) for level in rubric.levels)
        self.gate_stars = gates.stars
        self.review_thresholds = tuple(
            (
                level.stars,
                level.min_total - _HALF_CENT,
                level.min_total <= 0,
                level.stars >= gates.stars,
            )
            for level in rubric.levels
        )
        self.blocked_stars = rubric.level_below(gates.stars)

    def failed_gates(self, basic_100: Decimal, has_deduction: bool) -> tuple[str, ...]:
        """Returns the reason codes of the gates that block the gated level (none: empty)."""
        minimum = self.gate_min_basic_100
        below = minimum is not None and basic_100 < minimum
        return self.gate_codes[below][self.deductions_forbid and has_deduction]

    def stars_for(self, total: Decimal, blocked: bool) -> int:
        """The stars a rounded total earns, dropping below the gated level when blocked."""
        stars = self.levels[-1][1]
        for minimum, level_stars in self.levels:
            if total >= minimum:
                stars = level_stars
                break
        if blocked and stars >= self.gate_stars:
            return self.blocked_stars
        return stars

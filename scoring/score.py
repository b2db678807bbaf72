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

The figures (basic to stars) are computed at once, with the item walk in C loops and no switch
of the decimal context. The feedback views (`missing`, `provisional`, `next_level_items`,
`areas`) are computed on first read and cached: a county batch of 100,000 branches needs only
the figures, while the bot reads everything for the one branch it shows.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from operator import itemgetter
from typing import NamedTuple

from scoring.decimals import CENT, ZERO
from scoring.errors import InputError
from scoring.inputs import BranchInput, check_claims
from scoring.item_sums import (
    AreaScore,
    Given,
    Loss,
    area_scores,
    item_losses,
    item_units,
    sum_items,
)
from scoring.lazy import cached_view
from scoring.model import Rubric
from scoring.plan import CategoryPlan
from scoring.provisional import Provisional, next_level_items, provisional_view
from scoring.rules import GATE_DEDUCTION, ScoringRules

__all__ = ["AreaScore", "MissingItem", "Provisional", "ScoreResult", "score_branch"]

_HUNDRED = Decimal(100)
_new_result = tuple.__new__


class MissingItem(NamedTuple):
    """An item that scores below its points: its id, the points lost, whether it was answered."""

    item_id: str
    lost: Decimal
    answered: bool


_new_missing = partial(tuple.__new__, MissingItem)
_MISSING_FIELDS = itemgetter(3, 4, 0)


class _Figures(NamedTuple):
    """The fields of a `ScoreResult` (see there)."""

    basic: Decimal
    basic_100: Decimal
    bonus: Decimal
    deduction: Decimal
    assessment: Decimal
    review: Decimal | None
    total: Decimal | None
    stars: int | None
    gates: tuple[str, ...]
    plan: CategoryPlan
    given: Given


class ScoreResult(_Figures):
    """One branch's score: immutable figures, and feedback views computed on first read.

    A named tuple rather than a dataclass because a county batch keeps 100,000 of them: one
    tuple is built in a single C call and is one object for the garbage collector to walk,
    where a frozen dataclass stores each field through `object.__setattr__` and brings an
    instance dictionary. The class adds no `__slots__`, so the views can be cached per result.

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
        plan: the rubric's table for the branch's category (it leads back to the rubric).
        given: each item's answer in plan order; with `plan`, what the views derive from, so
            equal results give equal feedback.

    Feedback views, computed on first read (see the properties): `missing`, `provisional`,
    `next_level_items`, `areas`.
    """

    @cached_view
    def _units(self) -> list[int] | None:
        return item_units(self.plan, self.given)

    @cached_view
    def _losses(self) -> list[Loss]:
        return item_losses(self.plan, self.given, self._units)

    @cached_view
    def missing(self) -> tuple[MissingItem, ...]:
        """Items below their points: unanswered first, then largest loss, then rubric order."""
        # (item id, lost, answered) picked from each loss and made a MissingItem, all in C.
        return tuple(map(_new_missing, map(_MISSING_FIELDS, self._losses)))

    @cached_view
    def provisional(self) -> Provisional:
        """The view before the review, assuming review = basic_100."""
        rubric = self.plan.rubric
        weighted_assessment = rubric.weights.assessment * self.assessment
        return provisional_view(rubric, self.basic_100, weighted_assessment, bool(self.gates))

    @cached_view
    def next_level_items(self) -> tuple[str, ...]:
        """The fewest items whose full marks lift the provisional stars by a level.

        Empty when already at the top or when no set of items can (a deduction that forbids
        the next level, or too few points left).
        """
        return next_level_items(
            self.plan.rubric,
            self.basic,
            self.bonus - self.deduction,
            GATE_DEDUCTION in self.gates,
            self.provisional.stars,
            self._losses,
        )

    @cached_view
    def areas(self) -> tuple[AreaScore, ...]:
        """Each area's score and full marks, in rubric order."""
        return area_scores(self.plan, self.given, self._units)


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
    rules = rubric.rules
    (basic, basic_100, weighted_assessment, below_gate), given = sum_items(plan, branch.answers)
    review = branch.review
    has_deduction = bool(branch.deductions)
    if branch.bonus or has_deduction:
        bonus, deduction = _claim_sums(rubric, rules, branch)
        assessment = basic_100 + bonus - deduction
        weighted_assessment = rules.weight_assessment * assessment
    else:
        # Without claims the assessment is basic_100, whose weighted value the plan holds.
        bonus = deduction = ZERO
        assessment = basic_100
    if review is not None and not ZERO <= review <= _HUNDRED:
        raise InputError([f"review: expected a score from 0 to 100, got {review}"])
    gates = rules.gate_codes[below_gate][rules.deductions_forbid and has_deduction]

    total = stars = None
    if review is not None:
        raw = weighted_assessment + rules.weight_review * review
        # Rounded half-up to cents as `round_cent` does, inline: this runs 100,000 times.
        total = (raw if raw > ZERO else ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
        stars = rules.stars_for(total, bool(gates))
    # `tuple.__new__` is what the named tuple's own constructor calls, minus a Python frame.
    return _new_result(
        ScoreResult,
        (basic, basic_100, bonus, deduction, assessment, review, total, stars, gates, plan, given),
    )


def _claim_sums(
    rubric: Rubric, rules: ScoringRules, branch: BranchInput
) -> tuple[Decimal, Decimal]:
    """Returns the capped bonus and the sum of deductions, checking every claim.

    Raises:
        InputError: an unknown kind, negative bonus points, a deduction under the minimum, or a
            bonus claimed under a rubric without bonus.
    """
    bonus = deduction = ZERO
    valid = rules.bonus_cap is not None or not branch.bonus
    kinds = rules.bonus_kinds
    for claim in branch.bonus:
        points = claim.points
        valid = valid and claim.kind in kinds and points >= ZERO
        bonus += points
    kinds, minimum = rules.deduction_kinds, rules.deduction_min
    for claim in branch.deductions:
        points = claim.points
        valid = valid and claim.kind in kinds and points >= minimum
        deduction += points
    if not valid:
        # The slow path words every problem; it finds at least the one seen here.
        raise InputError(check_claims(rubric, branch))
    cap = rules.bonus_cap
    if cap is None:
        return ZERO, deduction
    return (cap if cap < bonus else bonus), deduction

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

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from scoring.decimals import ZERO, round_cent
from scoring.errors import InputError
from scoring.gates import GATE_DEDUCTION, failed_gates, gated_stars
from scoring.inputs import BranchInput, check_claims
from scoring.item_sums import AreaScore, Given, Loss, area_scores, item_losses, sum_items
from scoring.model import Rubric
from scoring.plan import CategoryPlan
from scoring.provisional import Provisional, next_level_items, provisional_view

__all__ = [
    "AreaScore",
    "MissingItem",
    "Provisional",
    "ScoreBasis",
    "ScoreResult",
    "score_branch",
]

_HUNDRED = Decimal(100)


class MissingItem(NamedTuple):
    """An item that scores below its points: its id, the points lost, whether it was answered."""

    item_id: str
    lost: Decimal
    answered: bool


@dataclass(frozen=True)
class ScoreBasis:
    """What a result's feedback views derive from: the category plan and the answers.

    Equal bases (the same rubric's category and the same answers) give equal feedback.
    """

    rubric: Rubric = field(compare=False)
    plan: CategoryPlan
    given: Given


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
        basis: the plan and answers the feedback views derive from.

    Feedback views, computed on first read (see the properties): `missing`, `provisional`,
    `next_level_items`, `areas`.
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
    basis: ScoreBasis = field(repr=False)

    @cached_property
    def _losses(self) -> list[Loss]:
        return item_losses(self.basis.plan, self.basis.given)

    @cached_property
    def missing(self) -> tuple[MissingItem, ...]:
        """Items below their points: unanswered first, then largest loss, then rubric order."""
        return tuple(MissingItem(loss[3], loss[4], loss[0] == 1) for loss in self._losses)

    @cached_property
    def provisional(self) -> Provisional:
        """The view before the review, assuming review = basic_100."""
        rubric = self.basis.rubric
        weighted_assessment = rubric.weights.assessment * self.assessment
        return provisional_view(rubric, self.basic_100, weighted_assessment, bool(self.gates))

    @cached_property
    def next_level_items(self) -> tuple[str, ...]:
        """The fewest items whose full marks lift the provisional stars by a level.

        Empty when already at the top or when no set of items can (a deduction that forbids
        the next level, or too few points left).
        """
        return next_level_items(
            self.basis.rubric,
            self.basic,
            self.bonus - self.deduction,
            GATE_DEDUCTION in self.gates,
            self.provisional.stars,
            self._losses,
        )

    @cached_property
    def areas(self) -> tuple[AreaScore, ...]:
        """Each area's score and full marks, in rubric order."""
        return area_scores(self.basis.plan, self.basis.given)


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
    basic, given = sum_items(plan, branch.answers)
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
    deduction = ZERO
    if branch.deductions:
        deduction = sum((claim.points for claim in branch.deductions), ZERO)
    assessment = basic_100 + bonus - deduction
    gates = failed_gates(rubric, basic_100, bool(branch.deductions))

    total = stars = None
    if review is not None:
        weights = rubric.weights
        raw = weights.assessment * assessment + weights.review * review
        total = round_cent(raw if raw > ZERO else ZERO)
        stars = gated_stars(rubric, total, bool(gates))
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
        basis=ScoreBasis(rubric, plan, given),
    )

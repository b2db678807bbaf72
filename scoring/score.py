"""Scores one branch exactly as DOMAIN.md defines it (`score_branch`).

```
basic      = Σ item scores of the branch's category            (unanswered items score 0)
basic_100  = basic × 100 / basic_total
bonus      = min(Σ bonus awards, cap)
deduction  = Σ deductions
assessment = basic_100 + bonus − deduction                       (not clamped)
total      = w_assessment × assessment + w_review × review, floored at 0, rounded half-up to cents
           (and capped at total_cap when the rubric declares one)
stars      = the highest level the total reaches, capped by every gate the branch fails
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from scoring.decimals import HUNDRED, ZERO
from scoring.errors import InputError
from scoring.gates import GateFacts, failed_gates, stars_for, total_for
from scoring.inputs import BranchInput, check_claims
from scoring.model import Item, Rubric
from scoring.provisional import MissingItem, Provisional, next_level_items, provisional_view

__all__ = ["AreaScore", "ScoreResult", "basic_score", "item_scores", "score_branch"]


class AreaScore(NamedTuple):
    """An area's score and full marks for the branch's category (full is 0 without items)."""

    key: str
    scored: Decimal
    full: Decimal


@dataclass(frozen=True)
class ScoreResult:
    """One branch's score: its figures, and feedback views computed on first read.

    A county batch needs only the figures; the bot reads the views of the one branch it shows.
    Equality compares the figures; the rubric and the branch input the views are computed from
    take no part in it.

    The figures are the module's formula; `bonus_claimed` is the bonus before the cap, and
    `review`, `total` and `stars` (after the gates, before any quota) are None before the review.
    `gates` holds the keys of the gates the branch fails now (`basic_below_80`), in rubric order,
    whether or not the total reaches a level they cap; a review gate fails only once there is a
    review.
    """

    basic: Decimal
    basic_100: Decimal
    bonus: Decimal
    bonus_claimed: Decimal
    deduction: Decimal
    assessment: Decimal
    review: Decimal | None
    total: Decimal | None
    stars: int | None
    gates: tuple[str, ...]
    rubric: Rubric = field(compare=False, repr=False)
    branch: BranchInput = field(compare=False, repr=False)

    @cached_property
    def _facts(self) -> GateFacts:
        """What the gates look at, before the review."""
        items = self.rubric.items_for(self.branch.category)
        return _gate_facts(
            self.branch, self.basic_100, item_scores(self.rubric, items, self.branch.answers)
        )

    @cached_property
    def _losses(self) -> tuple[MissingItem, ...]:
        """Every item below its points, in rubric order."""
        items = self.rubric.items_for(self.branch.category)
        scores = self._facts.item_scores
        return tuple(
            MissingItem(item.id, item.points - scores.get(item.id, ZERO), item.id in scores)
            for item in items
            if scores.get(item.id, ZERO) < item.points
        )

    @cached_property
    def missing(self) -> tuple[MissingItem, ...]:
        """Items below their points: unanswered first, then largest loss, then rubric order."""
        # False (unanswered) sorts before True; the sort is stable, so ties keep rubric order.
        return tuple(sorted(self._losses, key=lambda missing: (missing.answered, -missing.lost)))

    @cached_property
    def provisional(self) -> Provisional:
        """The view before the review, assuming review = basic_100."""
        return provisional_view(self.rubric, self.assessment, self._facts)

    @cached_property
    def next_level_items(self) -> tuple[str, ...]:
        """The fewest items whose full marks lift the provisional stars by a level, if any."""
        bonus_less_deduction = self.bonus - self.deduction
        stars = self.provisional.stars
        return next_level_items(
            self.rubric, self.basic, bonus_less_deduction, self._facts, stars, self._losses
        )

    @cached_property
    def areas(self) -> tuple[AreaScore, ...]:
        """Each area's score and full marks for the branch's category, in rubric order."""
        category = self.branch.category
        items = self.rubric.items_for(category)
        scores = self._facts.item_scores
        return tuple(
            AreaScore(
                area.key,
                sum((scores.get(item.id, ZERO) for item in items if item.area == area.key), ZERO),
                self.rubric.area_full(area.key, category),
            )
            for area in self.rubric.areas
        )


def score_branch(rubric: Rubric, branch: BranchInput) -> ScoreResult:
    """Scores one branch.

    Raises:
        InputError: an unknown category, item, level or claim kind, an item score outside 0 to
            its points, a deduction under the minimum, or a review outside 0-100.
    """
    try:
        items = rubric.items_for(branch.category)
    except KeyError:
        raise InputError([f"category: unknown category {branch.category!r}"]) from None
    review = branch.review
    if review is not None and not ZERO <= review <= HUNDRED:
        raise InputError([f"review: expected a score from 0 to 100, got {review}"])
    problems = check_claims(rubric, branch)
    if problems:
        raise InputError(problems)
    scores = item_scores(rubric, items, branch.answers)
    # Items of other categories are not scored: their answers are the ones left over.
    problems = [
        f"answers.{item_id}: unknown item or not for category {branch.category!r}"
        for item_id in branch.answers
        if item_id not in scores
    ]
    if problems:
        raise InputError(problems)

    basic = sum(scores.values(), ZERO)
    basic_100 = basic * HUNDRED / rubric.basic_total
    bonus_claimed = sum((claim.points for claim in branch.bonus), ZERO)
    bonus = ZERO if rubric.bonus is None else min(bonus_claimed, rubric.bonus.cap)
    deduction = sum((claim.points for claim in branch.deductions), ZERO)
    assessment = basic_100 + bonus - deduction
    gates = failed_gates(rubric, _gate_facts(branch, basic_100, scores, review))
    total = stars = None
    if review is not None:
        total = total_for(rubric, assessment, review)
        stars = stars_for(rubric, total, gates)
    return ScoreResult(
        basic=basic,
        basic_100=basic_100,
        bonus=bonus,
        bonus_claimed=bonus_claimed,
        deduction=deduction,
        assessment=assessment,
        review=review,
        total=total,
        stars=stars,
        gates=gates,
        rubric=rubric,
        branch=branch,
    )


def item_scores(
    rubric: Rubric, items: tuple[Item, ...], answers: Mapping[str, str | Decimal]
) -> dict[str, Decimal]:
    """Returns the points of each answered item among `items` (unanswered items score 0).

    Raises:
        InputError: an unknown answer level, or a reviewer's score outside 0 to the points.
    """
    fractions = {level.key: level.fraction for level in rubric.answer_levels}
    return {
        item.id: _item_score(item, answers[item.id], fractions)
        for item in items
        if item.id in answers
    }


def basic_score(
    rubric: Rubric, items: tuple[Item, ...], answers: Mapping[str, str | Decimal]
) -> Decimal:
    """Returns the basic score of these answers to a category's `items`."""
    return sum(item_scores(rubric, items, answers).values(), ZERO)


def _item_score(item: Item, answer: str | Decimal, fractions: Mapping[str, Decimal]) -> Decimal:
    """An answer's points: its level's fraction of the item's points, or a reviewer's score."""
    if isinstance(answer, str):
        fraction = fractions.get(answer)
        if fraction is None:
            raise InputError(
                [f"answers.{item.id}: unknown level {answer!r} (expected {', '.join(fractions)})"]
            )
        return item.points * fraction
    if not ZERO <= answer <= item.points:
        raise InputError([f"answers.{item.id}: score {answer} is outside 0 to {item.points}"])
    return answer


def _gate_facts(
    branch: BranchInput,
    basic_100: Decimal,
    scores: Mapping[str, Decimal],
    review: Decimal | None = None,
) -> GateFacts:
    """The gate facts of a branch, before its review unless one is given."""
    kinds = tuple(claim.kind for claim in branch.deductions)
    return GateFacts(branch.category, basic_100, kinds, review, scores)

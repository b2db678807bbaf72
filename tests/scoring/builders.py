"""Builds branch inputs for scoring tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from scoring import BranchInput, Claim, Rubric, load_rubric

__all__ = ["RUBRICS", "answers_for_basic", "branch", "variant"]

RUBRICS = Path(__file__).parent / "rubrics"


def variant(name: str) -> Rubric:
    """Loads a variant rubric from tests/scoring/rubrics."""
    return load_rubric(RUBRICS / f"{name}.yaml")


def answers_for_basic(rubric: Rubric, category: str, basic: Decimal) -> dict[str, str | Decimal]:
    """Full marks item by item until `basic` is reached; the item that crosses it gets the rest
    as a reviewer's score, later items get the zero level."""
    full = next(level.key for level in rubric.answer_levels if level.fraction == 1)
    nothing = next(level.key for level in rubric.answer_levels if level.fraction == 0)
    remaining = basic
    answers: dict[str, str | Decimal] = {}
    for item in rubric.items_for(category):
        if remaining >= item.points:
            answers[item.id] = full
            remaining -= item.points
        elif remaining > 0:
            answers[item.id] = remaining
            remaining = Decimal(0)
        else:
            answers[item.id] = nothing
    return answers


def branch(
    rubric: Rubric,
    basic: str | int,
    *,
    category: str | None = None,
    bonus: tuple[int | str, ...] = (),
    deductions: tuple[int | str, ...] = (),
    review: str | int | None = None,
) -> BranchInput:
    """A branch of `category` (the rubric's first by default) with this basic score."""
    category = category or rubric.categories[0].key
    bonus_kind = rubric.bonus.kinds[0].key if rubric.bonus else "other"
    deduction_kind = rubric.deductions.kinds[0].key
    return BranchInput(
        category=category,
        answers=answers_for_basic(rubric, category, Decimal(basic)),
        bonus=tuple(Claim(bonus_kind, Decimal(points)) for points in bonus),
        deductions=tuple(Claim(deduction_kind, Decimal(points)) for points in deductions),
        review=None if review is None else Decimal(review),
    )

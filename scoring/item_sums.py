"""Adds up a branch's item scores, and lists what each item lost.

`sum_items` runs on every score, so it adds up the common case (answers that are all answer
level keys, the self-assessment) with C loops over integer units; a reviewer's Decimal score or
a bad answer sends it down the exact path, which also names the bad answer. The per-item lists
(`item_losses`, `area_scores`) are built only when a caller reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from itertools import compress
from operator import sub
from typing import NamedTuple

from scoring.decimals import ZERO
from scoring.errors import InputError
from scoring.plan import CategoryPlan

__all__ = ["AreaScore", "Given", "Loss", "area_scores", "item_losses", "sum_items"]

# Each item's answer in plan order: a level key, a reviewer's score, or None (unanswered).
Given = tuple[str | Decimal | None, ...]
# (0 when unanswered else 1, −lost, rubric position, item id, lost): sorting these tuples
# gives the "missing points" order (unanswered first, then largest loss, then rubric order)
# without a key function.
Loss = tuple[int, Decimal, int, str, Decimal]


class AreaScore(NamedTuple):
    """An area's score and full marks for the branch's category (full is 0 without items)."""

    key: str
    scored: Decimal
    full: Decimal


def sum_items(plan: CategoryPlan, answers: Mapping[str, str | Decimal]) -> tuple[Decimal, Given]:
    """Adds up the answers of one branch.

    Returns:
        The basic score and each item's answer in plan order.

    Raises:
        InputError: an answer for an item outside the category, an unknown level, or a score
            outside 0 to the item's points.
    """
    given = tuple(map(answers.get, plan.item_ids))
    if len(given) - given.count(None) != len(answers):
        _raise_for_unknown_items(plan, answers)
    # `dict.get(table, answer)` for every item in one C loop; None marks a reviewer's Decimal
    # score or an unknown level, which the exact path handles.
    units: list[int | None] = list(map(dict.get, plan.tables, given))  # type: ignore[arg-type]
    if None in units:
        return _sum_exact(plan, given), given
    return plan.to_decimal(sum(units)), given  # type: ignore[arg-type]


def _sum_exact(plan: CategoryPlan, given: Given) -> Decimal:
    """Adds up answers that may be reviewers' Decimal scores, checking each one."""
    basic = ZERO
    for position, answer in enumerate(given):
        if answer is None:
            continue
        item_id = plan.item_ids[position]
        if isinstance(answer, str):
            value = plan.decimal_scores[position].get(answer)
            if value is None:
                levels = ", ".join(plan.decimal_scores[position])
                raise InputError(
                    [f"answers.{item_id}: unknown level {answer!r} (expected {levels})"]
                )
            basic += value
        elif ZERO <= answer <= plan.points[position]:
            basic += answer
        else:
            points = plan.points[position]
            raise InputError([f"answers.{item_id}: score {answer} is outside 0 to {points}"])
    return basic


def _item_units(plan: CategoryPlan, given: Given) -> list[int] | None:
    """Each item's score in units, or None when a reviewer's Decimal score is among them."""
    units: list[int | None] = list(map(dict.get, plan.tables, given))  # type: ignore[arg-type]
    return None if None in units else units  # type: ignore[return-value]


def _item_values(plan: CategoryPlan, given: Given) -> list[Decimal]:
    """Each item's score in plan order (already validated by `sum_items`)."""
    return [
        ZERO
        if answer is None
        else plan.decimal_scores[position][answer]
        if isinstance(answer, str)
        else answer
        for position, answer in enumerate(given)
    ]


def item_losses(plan: CategoryPlan, given: Given) -> list[Loss]:
    """Lists the items below their points, sorted for the "missing points" view."""
    units = _item_units(plan, given)
    if units is None:
        lost = list(map(sub, plan.points, _item_values(plan, given)))
    else:
        lost = list(map(plan.to_decimal, map(sub, plan.points_units, units)))
    losses: list[Loss] = [
        (0 if given[position] is None else 1, -lost[position], position, item_id, lost[position])
        for position, item_id in compress(enumerate(plan.item_ids), lost)
    ]
    losses.sort()
    return losses


def area_scores(plan: CategoryPlan, given: Given) -> tuple[AreaScore, ...]:
    """Each rubric area's score and full marks, in rubric order."""
    units = _item_units(plan, given)
    if units is None:
        values = _item_values(plan, given)
        return tuple(
            AreaScore(key, sum(values[start:end], ZERO), full)
            for key, start, end, full in plan.area_slices
        )
    return tuple(
        AreaScore(key, plan.to_decimal(sum(units[start:end])), full)
        for key, start, end, full in plan.area_slices
    )


def _raise_for_unknown_items(plan: CategoryPlan, answers: Mapping[str, str | Decimal]) -> None:
    """Names the answers that are not items of the branch's category."""
    applicable = set(plan.item_ids)
    raise InputError(
        [
            f"answers.{item_id}: unknown item or not for category {plan.category!r}"
            for item_id in answers
            if item_id not in applicable
        ]
    )

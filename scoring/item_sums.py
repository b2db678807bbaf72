"""Adds up a branch's item scores, and lists what each item lost.

`sum_items` runs on every score, so it adds up the common case (answers that are all answer
level keys, the self-assessment) in one C loop over integer units; a reviewer's Decimal score or
a bad answer sends it down the exact path, which also names the bad answer. The per-item lists
(`item_losses`, `area_scores`) are built only when a caller reads them, from integer units too
when every answer is a level key.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from operator import and_, is_not, neg, sub
from typing import NamedTuple

from scoring.decimals import ZERO
from scoring.errors import InputError
from scoring.plan import COUNT_BITS, COUNT_MASK, POSITION_MASK, Basics, CategoryPlan, Given

__all__ = ["AreaScore", "Given", "Loss", "area_scores", "item_losses", "item_units", "sum_items"]

# (answered, −lost, rubric position, item id, lost): sorting these tuples gives the "missing
# points" order (unanswered first, as False < True, then largest loss, then rubric order)
# without a key function. −lost is in units (int) when every answer is a level key, else a
# Decimal; one list never mixes the two.
Loss = tuple[bool, int | Decimal, int, str, Decimal]


class AreaScore(NamedTuple):
    """An area's score and full marks for the branch's category (full is 0 without items)."""

    key: str
    scored: Decimal
    full: Decimal


_new_area = partial(tuple.__new__, AreaScore)


def sum_items(plan: CategoryPlan, answers: Mapping[str, str | Decimal]) -> tuple[Basics, Given]:
    """Adds up the answers of one branch.

    Returns:
        What the basic score brings to the total, and each item's answer in plan order.

    Raises:
        InputError: an answer for an item outside the category, an unknown level, or a score
            outside 0 to the item's points.
    """
    # The per-item work runs in C loops. When every item is answered, one itemgetter call
    # picks the answers (a third of the cost of one `dict.get` call per item).
    pick = plan.pick_answers
    if pick is not None and len(answers) == len(plan.item_ids):
        try:
            given: Given = pick(answers)
        except KeyError:  # an answer to a foreign item, reported below
            given = tuple(map(answers.get, plan.item_ids))
    else:
        given = tuple(map(answers.get, plan.item_ids))
    # `dict.get(table, answer, 0)` for every item: unanswered items count 0, and so do a
    # reviewer's Decimal score and an unknown level, which the count of answers tells apart.
    counted: int = sum(map(dict.get, plan.counted_tables, given, repeat(0)))  # type: ignore[arg-type]
    if counted & COUNT_MASK != len(answers):
        # A reviewer's score, an unknown level or a foreign item: the exact path names them.
        return plan.basics_for(_sum_exact(plan, answers, given)), given
    units = counted >> COUNT_BITS
    basics = plan.basics
    return (basics[units] if units < len(basics) else plan.units_to_basics(units)), given


def _sum_exact(plan: CategoryPlan, answers: Mapping[str, str | Decimal], given: Given) -> Decimal:
    """Adds up answers that may be reviewers' Decimal scores, checking each one."""
    if len(given) - given.count(None) != len(answers):
        _raise_for_unknown_items(plan, answers)
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


def item_units(plan: CategoryPlan, given: Given) -> list[int] | None:
    """Each item's score in units, or None when a reviewer's Decimal score is among them.

    The views share this one pass over the items (`answers` were validated by `sum_items`).
    """
    # Every answer is None or a level key when the Nones and the level keys count them all.
    level_keys = sum(map(given.count, plan.level_keys)) + given.count(None)
    if level_keys != len(given):
        return None
    return list(map(dict.get, plan.tables, given, repeat(0)))  # type: ignore[arg-type]


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


def item_losses(plan: CategoryPlan, given: Given, units: list[int] | None) -> list[Loss]:
    """Lists the items below their points, sorted for the "missing points" view.

    Args:
        plan: the category's tables.
        given: each item's answer in plan order.
        units: `item_units(plan, given)`.
    """
    if units is None:
        lost = list(map(sub, plan.points, _item_values(plan, given)))
        # The loss tuples are zipped from columns and filtered in C; `lost` is falsy at 0.
        answered = map(is_not, given, repeat(None))
        columns = zip(
            answered, map(neg, lost), range(len(given)), plan.item_ids, lost, strict=True
        )
        return sorted(compress(columns, lost))
    lost_units = list(map(sub, plan.points_units, units))
    keys = map(dict.get, plan.loss_keys, given, plan.unanswered_loss_keys)  # type: ignore[arg-type]
    ordered: list[int] = sorted(compress(keys, lost_units))  # type: ignore[arg-type]
    item_ids, to_decimal = plan.item_ids, plan.to_decimal
    return [
        (
            given[position] is not None,
            -lost_units[position],
            position,
            item_ids[position],
            to_decimal(lost_units[position]),
        )
        for position in map(and_, ordered, repeat(POSITION_MASK))
    ]


def area_scores(
    plan: CategoryPlan, given: Given, units: list[int] | None
) -> tuple[AreaScore, ...]:
    """Each rubric area's score and full marks, in rubric order (`units` as for losses)."""
    if units is None:
        values = _item_values(plan, given)
        return tuple(
            AreaScore(key, sum(values[start:end], ZERO), full)
            for key, start, end, full in plan.area_slices
        )
    # Each area's slice summed, turned into a Decimal and paired with its key, all in C.
    sums = map(sum, map(units.__getitem__, plan.area_ranges))
    scored = map(plan.to_decimal, sums)
    return tuple(map(_new_area, zip(plan.area_keys, scored, plan.area_fulls, strict=True)))


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

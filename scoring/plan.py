"""Per-category tables that let `score_branch` add up a branch in C loops over integers.

The bot re-scores a branch on every button press and a county batch scores 100,000, so the item
walk avoids per-item Python work: item scores are kept as integers in the rubric's smallest unit
(0.1 point in the default rubric, where 基本做到 earns half of an odd point), looked up with `map`
and summed with `sum`. Integers in a fixed unit are exact, like the Decimals they stand for, and
every Decimal a unit count stands for (basic, basic_100) is built once per plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from operator import itemgetter
from sys import intern
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from scoring.model import Rubric

__all__ = [
    "COUNT_BITS",
    "COUNT_MASK",
    "POSITION_BITS",
    "POSITION_MASK",
    "Basics",
    "CategoryPlan",
    "Given",
]

# Each item's answer in plan order: a level key, a reviewer's score, or None (unanswered).
Given = tuple[str | Decimal | None, ...]
# A counted table entry is `units << COUNT_BITS | 1`: one sum gives both the units earned and how
# many answers were found among the category's items, which tells an answer to a foreign item
# without a second pass. A category never holds 2**16 items.
COUNT_BITS = 16
COUNT_MASK = (1 << COUNT_BITS) - 1
POSITION_BITS = COUNT_BITS
POSITION_MASK = COUNT_MASK
_HUNDRED = Decimal(100)

# Decimals for every unit count up to this many are built once per plan; beyond it (a rubric
# with many decimal places) they are built on demand.
_MAX_CACHED_UNITS = 100_000


def _places(value: Decimal) -> int:
    """Decimal places of a value: 2.50 → 1, 4 → 0, 1E+1 → 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class Basics(NamedTuple):
    """What one basic score brings to the total; a plan holds one per value it can reach.

    Attributes:
        basic: the basic score on the rubric's scale.
        basic_100: the basic score on the 100 scale (`basic × 100 / basic_total`).
        weighted_basic_100: `w_assessment × basic_100`, the assessment part of the total
            when the branch has no bonus and no deduction.
        below_gate: whether basic_100 is under the basic-score gate.
    """

    basic: Decimal
    basic_100: Decimal
    weighted_basic_100: Decimal
    below_gate: bool


class CategoryPlan:
    """One category's items in rubric order, as the scorer walks them.

    Attributes:
        category: the category key.
        item_ids: the category's item ids, in rubric order (a position is an index here).
        points: each item's full marks.
        points_units: each item's full marks in units.
        tables: per item, answer level key → units earned.
        counted_tables: per item, answer level key → `units << COUNT_BITS | 1`.
        pick_answers: every item's answer from a mapping that answers every item, in one C
            call (None for a one-item category).
        lost_tables: per item, answer level key → units lost.
        loss_keys: per item, answer level key → the item's sort key in the "missing points"
            order (`POSITION_MASK` of it is the position).
        unanswered_loss_keys: per item, its sort key when unanswered.
        decimal_scores: per item, answer level key → points earned, for the exact slow path.
        area_slices: `(area key, start, end, full marks)` per rubric area, in rubric order;
            `area_keys`, `area_ranges` (slices) and `area_fulls` hold the same as columns.
        level_keys: the answer level keys.
        scale: decimal places of one unit.
        basics: `Basics` per count of units from 0 to full marks (empty for a rubric whose
            units are too fine to tabulate).
        rubric: the rubric the plan belongs to, for the views that need its levels and weights.
    """

    __slots__ = (
        "_decimals",
        "area_fulls",
        "area_keys",
        "area_ranges",
        "area_slices",
        "basics",
        "category",
        "counted_tables",
        "decimal_scores",
        "item_ids",
        "level_keys",
        "loss_keys",
        "lost_tables",
        "pick_answers",
        "points",
        "points_units",
        "rubric",
        "scale",
        "tables",
        "unanswered_loss_keys",
    )

    def __init__(self, rubric: Rubric, category: str) -> None:
        # Called from the rubric's `__post_init__`: only the validated fields are read.
        self.rubric = rubric
        self.category = category
        areas, levels = rubric.areas, rubric.answer_levels
        items = [item for area in areas for item in area.items if category in item.categories]
        if len(items) > COUNT_MASK:
            raise ValueError(f"category {category!r} has {len(items)} items, over {COUNT_MASK}")
        self.scale = max(
            [_places(item.points) for item in items]
            + [_places(item.points * level.fraction) for item in items for level in levels],
            default=0,
        )
        factor = 10**self.scale
        self.item_ids = tuple(item.id for item in items)
        self.points = tuple(item.points for item in items)
        self.points_units = tuple(int(item.points * factor) for item in items)
        # Interned keys let a lookup with an interned answer (a literal) match by identity.
        self.decimal_scores = tuple(
            {intern(level.key): item.points * level.fraction for level in levels} for item in items
        )
        # The tables hold string keys only (an unanswered item is looked up with a default):
        # CPython looks strings up in such a table without a generic comparison call.
        self.tables: tuple[dict[str, int], ...] = tuple(
            {key: int(value * factor) for key, value in scores.items()}
            for scores in self.decimal_scores
        )
        self.counted_tables: tuple[dict[str, int], ...] = tuple(
            {key: units << COUNT_BITS | 1 for key, units in table.items()} for table in self.tables
        )
        # itemgetter with one key returns the value, not a 1-tuple.
        self.pick_answers: Callable[[Mapping[str, object]], Given] | None = (
            itemgetter(*self.item_ids) if len(self.item_ids) > 1 else None
        )
        self.lost_tables: tuple[dict[str, int], ...] = tuple(
            {key: full - units for key, units in table.items()}
            for table, full in zip(self.tables, self.points_units, strict=True)
        )
        slices = []
        start = 0
        for area in areas:
            count = sum(1 for item in area.items if category in item.categories)
            full = sum(self.points[start : start + count], Decimal(0))
            slices.append((area.key, start, start + count, full))
            start += count
        self.area_slices = tuple(slices)
        self.area_keys = tuple(key for key, _, _, _ in slices)
        self.area_ranges = tuple(slice(start, end) for _, start, end, _ in slices)
        self.area_fulls = tuple(full for _, _, _, full in slices)
        self.level_keys = tuple(intern(level.key) for level in levels)
        total_units = sum(self.points_units)
        self._decimals: list[Decimal] = []
        self.basics: list[Basics] = []
        if total_units <= _MAX_CACHED_UNITS:
            self._decimals = [self._build_decimal(units) for units in range(total_units + 1)]
            self.basics = [self.basics_for(basic) for basic in self._decimals]
        # Sort keys of the "missing points" order packed in one int: answered, then the units
        # kept (largest loss first), then the position; ints sort without tuple comparisons.
        most = max(self.points_units, default=0)
        answered_bit = 1 << (most.bit_length() + POSITION_BITS)
        self.loss_keys: tuple[dict[str, int], ...] = tuple(
            {
                key: answered_bit | (most - lost) << POSITION_BITS | position
                for key, lost in table.items()
            }
            for position, table in enumerate(self.lost_tables)
        )
        self.unanswered_loss_keys = tuple(
            (most - full) << POSITION_BITS | position
            for position, full in enumerate(self.points_units)
        )

    def _build_decimal(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.scale)

    def to_decimal(self, units: int) -> Decimal:
        """Converts a count of units back to the exact Decimal it stands for."""
        if 0 <= units < len(self._decimals):
            return self._decimals[units]
        return self._build_decimal(units)

    def basics_for(self, basic: Decimal) -> Basics:
        """Computes what a basic score brings to the total (the exact path's basic too)."""
        rubric = self.rubric
        # A 100-point rubric keeps the basic score itself, digits and all.
        basic_total = rubric.basic_total
        basic_100 = basic if basic_total == _HUNDRED else basic * _HUNDRED / basic_total
        minimum = rubric.gates.min_basic_100
        return Basics(
            basic,
            basic_100,
            rubric.weights.assessment * basic_100,
            minimum is not None and basic_100 < minimum,
        )

    def units_to_basics(self, units: int) -> Basics:
        """What a count of units brings to the total, from the table when it was built."""
        if 0 <= units < len(self.basics):
            return self.basics[units]
        return self.basics_for(self._build_decimal(units))

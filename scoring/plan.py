"""Per-category tables that let `score_branch` add up a branch in C loops over integers.

The bot re-scores a branch on every button press and a county batch scores thousands, so the
item walk avoids per-item Python work: item scores are kept as integers in the rubric's smallest
unit (0.1 point in the default rubric, where 基本做到 earns half of an odd point), looked up with
`map` and summed with `sum`. Integers in a fixed unit are exact, like the Decimals they stand for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoring.model import AnswerLevel, Area

__all__ = ["CategoryPlan"]

# Decimals for every unit count up to this many are built once per plan; beyond it (a rubric
# with many decimal places) they are built on demand.
_MAX_CACHED_UNITS = 100_000


def _places(value: Decimal) -> int:
    """Decimal places of a value: 2.50 → 1, 4 → 0, 1E+1 → 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class CategoryPlan:
    """One category's items in rubric order, as the scorer walks them.

    Attributes:
        category: the category key.
        item_ids: the category's item ids, in rubric order (a position is an index here).
        points: each item's full marks.
        points_units: each item's full marks in units.
        tables: per item, answer level key → units earned; `None` (unanswered) → 0.
        decimal_scores: per item, answer level key → points earned, for the exact slow path.
        area_slices: `(area key, start, end, full marks)` per rubric area, in rubric order.
        scale: decimal places of one unit.
    """

    __slots__ = (
        "_decimals",
        "area_slices",
        "category",
        "decimal_scores",
        "item_ids",
        "points",
        "points_units",
        "scale",
        "tables",
    )

    def __init__(
        self, areas: tuple[Area, ...], category: str, levels: tuple[AnswerLevel, ...]
    ) -> None:
        self.category = category
        items = [item for area in areas for item in area.items if category in item.categories]
        self.scale = max(
            [_places(item.points) for item in items]
            + [_places(item.points * level.fraction) for item in items for level in levels],
            default=0,
        )
        factor = 10**self.scale
        self.item_ids = tuple(item.id for item in items)
        self.points = tuple(item.points for item in items)
        self.points_units = tuple(int(item.points * factor) for item in items)
        self.decimal_scores = tuple(
            {level.key: item.points * level.fraction for level in levels} for item in items
        )
        self.tables: tuple[dict[str | None, int], ...] = tuple(
            {None: 0, **{key: int(value * factor) for key, value in scores.items()}}
            for scores in self.decimal_scores
        )
        slices = []
        start = 0
        for area in areas:
            count = sum(1 for item in area.items if category in item.categories)
            full = sum(self.points[start : start + count], Decimal(0))
            slices.append((area.key, start, start + count, full))
            start += count
        self.area_slices = tuple(slices)
        total_units = sum(self.points_units)
        self._decimals = (
            [Decimal(units).scaleb(-self.scale) for units in range(total_units + 1)]
            if total_units <= _MAX_CACHED_UNITS
            else None
        )

    def to_decimal(self, units: int) -> Decimal:
        """Converts a count of units back to the exact Decimal it stands for."""
        decimals = self._decimals
        if decimals is not None and 0 <= units < len(decimals):
            return decimals[units]
        return Decimal(units).scaleb(-self.scale)

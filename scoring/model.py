"""The rubric (评分细则) as frozen data: areas, items, levels, gates, quota and the rest.

A `Rubric` is built by `scoring.rubric_loader` from a YAML file and validated there; this module
only holds the shapes and the lookups the scorer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TypeVar

__all__ = [
    "AnswerLevel",
    "Area",
    "Ballot",
    "BasicBelow",
    "BonusRules",
    "Category",
    "Condition",
    "DeductionOf",
    "DeductionRules",
    "Gate",
    "Item",
    "ItemBelowFull",
    "Kind",
    "Level",
    "ReviewBelow",
    "ReviewRules",
    "Rubric",
    "SpotCheck",
    "Weights",
]


@dataclass(frozen=True)
class Category:
    """A branch category (领域), e.g. `rural` / 农村党支部.

    `aliases` are the other names an organisation list may use for it (农村, 村); a name is
    taken as a category only when the rubric declares it, never guessed.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerLevel:
    """How a secretary answers an item: `fraction` of the item's points (完全做到 = 1)."""

    key: str
    label: str
    fraction: Decimal


@dataclass(frozen=True)
class Item:
    """One check of an area, from the seed's "是否…" clauses.

    `id` is a stable ASCII id, `<area>.<name>`: it travels in callback data. `text` is what the
    secretary reads, `points` the item's full marks, `evidence_hint` the evidence (佐证材料) that
    proves it.
    """

    id: str
    area: str
    text: str
    points: Decimal
    categories: frozenset[str]
    evidence_hint: str


@dataclass(frozen=True)
class Area:
    """An area of the assessment (评定内容), e.g. `team` / 班子建设, with its items in order."""

    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Kind:
    """A kind of bonus (加分项) or deduction (减分项)."""

    key: str
    label: str


@dataclass(frozen=True)
class BonusRules:
    """Bonus kinds and the cap on their sum (累计加分一般不超过20分)."""

    cap: Decimal
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class DeductionRules:
    """Deduction kinds and the least points of one deduction (一次不少于20分)."""

    min_points: Decimal
    kinds: tuple[Kind, ...]


@dataclass(frozen=True)
class Ballot:
    """A ballot choice of the review (评议), e.g. 好 = 100."""

    key: str
    label: str
    value: Decimal


@dataclass(frozen=True)
class ReviewRules:
    """How ballots turn into the review score."""

    ballots: tuple[Ballot, ...]


@dataclass(frozen=True)
class Weights:
    """Shares of the assessment part and the review part in the total; they add up to 1."""

    assessment: Decimal
    review: Decimal


@dataclass(frozen=True)
class Level:
    """A star level: totals from `min_total` (含) up to the next level's minimum."""

    stars: int
    min_total: Decimal
    label: str


@dataclass(frozen=True)
class BasicBelow:
    """A gate condition: basic_100 under `minimum`."""

    minimum: Decimal


@dataclass(frozen=True)
class DeductionOf:
    """A gate condition: a deduction of one of `kinds`, or of any kind when `kinds` is empty."""

    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewBelow:
    """A gate condition: a review score under `minimum` (e.g. members' satisfaction)."""

    minimum: Decimal


@dataclass(frozen=True)
class ItemBelowFull:
    """A gate condition (一票否决): the item scores below its full points, unanswered included.

    Only branches of a category the item applies to can fail it.
    """

    item_id: str


Condition = BasicBelow | DeductionOf | ReviewBelow | ItemBelowFull


@dataclass(frozen=True)
class Gate:
    """A condition that caps a branch's level at `max_stars` whatever its total (不得评定为…).

    `key` is the reason code results carry when the gate fails (`basic_below_80`); `label` is
    what the bot shows, None for a gate of the older two-field form, which the bot words from
    its own catalogue.
    """

    key: str
    label: str | None
    condition: Condition
    max_stars: int


@dataclass(frozen=True)
class SpotCheck:
    """The county re-checks at least `fraction` of the branches of each of `levels`."""

    levels: tuple[int, ...]
    fraction: Decimal


@dataclass(frozen=True)
class Rubric:
    """A complete, validated rubric. Build it with `parse_rubric` or `load_rubric`.

    `levels` are in descending order of stars and minimum total; the last starts at 0, so every
    total has a level. `quota` maps stars to the largest share of all branches in scope that may
    hold them; `category_quota` maps stars to such shares within each category's branches.
    `total_cap`, when set, caps the total (实行百分制: 100); None keeps the seed's formula, in
    which the bonus can take a total above 100.
    """

    name: str
    source: str
    basic_total: Decimal
    categories: tuple[Category, ...]
    answer_levels: tuple[AnswerLevel, ...]
    areas: tuple[Area, ...]
    bonus: BonusRules | None
    deductions: DeductionRules
    review: ReviewRules
    weights: Weights
    levels: tuple[Level, ...]
    gates: tuple[Gate, ...]
    quota: dict[int, Decimal]
    spot_check: SpotCheck
    category_quota: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    total_cap: Decimal | None = None
    warnings: tuple[str, ...] = ()

    # Lookups derived from the fields, built on first use; they take no part in equality.
    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {item.id: item for area in self.areas for item in area.items}

    @cached_property
    def _items_by_category(self) -> dict[str, tuple[Item, ...]]:
        return {
            category.key: tuple(item for item in self.items if category.key in item.categories)
            for category in self.categories
        }

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item of every area, in rubric order."""
        return tuple(self._items_by_id.values())

    def items_for(self, category: str) -> tuple[Item, ...]:
        """Returns the items that apply to `category`, in rubric order. Raises KeyError naming an
        unknown category."""
        try:
            return self._items_by_category[category]
        except KeyError:
            raise KeyError(f"unknown category {category!r}") from None

    def item(self, item_id: str) -> Item:
        """Returns the item with this id. Raises KeyError naming the id when there is none."""
        try:
            return self._items_by_id[item_id]
        except KeyError:
            raise KeyError(f"unknown item {item_id!r}") from None

    def answer_scores(self, item_id: str) -> dict[str, Decimal]:
        """Returns the points each answer level is worth for this item."""
        points = self.item(item_id).points
        return {level.key: points * level.fraction for level in self.answer_levels}

    def category(self, key: str) -> Category:
        """Returns the category with this key. Raises KeyError naming the key."""
        return _find(self.categories, key, "category")

    def answer_level(self, key: str) -> AnswerLevel:
        """Returns the answer level with this key. Raises KeyError naming the key."""
        return _find(self.answer_levels, key, "answer level")

    def area(self, key: str) -> Area:
        """Returns the area with this key. Raises KeyError naming the key."""
        return _find(self.areas, key, "area")

    def level(self, stars: int) -> Level:
        """Returns the level with this many stars. Raises KeyError naming the stars."""
        for level in self.levels:
            if level.stars == stars:
                return level
        raise KeyError(f"unknown level {stars!r}")

    def gate(self, key: str) -> Gate:
        """Returns the gate with this reason code. Raises KeyError naming the key."""
        return _find(self.gates, key, "gate")

    def area_full(self, area_key: str, category: str) -> Decimal:
        """Returns an area's full marks for a category: the points of its items that apply."""
        return sum(
            (item.points for item in self.area(area_key).items if category in item.categories),
            Decimal(0),
        )

    def level_below(self, stars: int) -> int:
        """Returns the stars of the level right under `stars`, or `stars` at the bottom."""
        return max([level.stars for level in self.levels if level.stars < stars], default=stars)


_Keyed = TypeVar("_Keyed", Category, AnswerLevel, Area, Gate)


def _find(entries: tuple[_Keyed, ...], key: str, what: str) -> _Keyed:
    """Finds the entry whose `key` matches, or raises KeyError naming what was looked for."""
    for entry in entries:
        if entry.key == key:
            return entry
    raise KeyError(f"unknown {what} {key!r}")

"""Loads and validates a rubric from YAML (`parse_rubric`, `load_rubric`).

The format is described in the README ("The rubric"); `scoring/rubrics/default.yaml` is the
annotated example derived from the seed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from scoring.decimals import HUNDRED, ONE, ZERO, format_decimal
from scoring.errors import excerpt, join
from scoring.model import (
    AnswerLevel,
    Area,
    Ballot,
    BonusRules,
    Category,
    DeductionRules,
    Item,
    Kind,
    ReviewRules,
    Rubric,
)
from scoring.rubric_outcome import (
    read_gates,
    read_levels,
    read_quota,
    read_spot_check,
    read_total_cap,
    read_weights,
)
from scoring.rubric_reader import MAX_ITEMS, RubricError, RubricReader
from scoring.rubric_yaml import read_rubric_file, read_yaml

__all__ = ["RubricError", "load_rubric", "parse_rubric"]

_TOP_KEYS = (
    "name",
    "basic_total",
    "categories",
    "answer_levels",
    "areas",
    "bonus",
    "deductions",
    "review",
    "weights",
    "levels",
    "gates",
    "quota",
    "spot_check",
)
_OPTIONAL_TOP_KEYS = ("total_cap",)


def load_rubric(path: str | Path) -> Rubric:
    """Reads and validates the rubric file at `path`.

    Raises:
        RubricError: the file cannot be read or the rubric is invalid.
    """
    return parse_rubric(read_rubric_file(path), source=str(path))


def parse_rubric(text: str, source: str = "<string>") -> Rubric:
    """Parses and validates rubric YAML; `source` names it in problem lines (the file path).

    Raises:
        RubricError: with one problem per invalid field.
    """
    reader = RubricReader(source)
    top = reader.mapping(read_yaml(text, source), "", _TOP_KEYS, _OPTIONAL_TOP_KEYS)
    rubric = None if top is None else _build(reader, top, source)
    if rubric is None:
        raise RubricError(reader.problems)
    return rubric


def _build(reader: RubricReader, top: dict[str, Any], source: str) -> Rubric | None:
    """Reads every section; returns None after any problem."""
    name = reader.text(top.get("name"), "name")
    basic_total = reader.number(top.get("basic_total"), "basic_total", positive=True)
    categories = _read_categories(reader, top.get("categories"))
    answer_levels = _read_answer_levels(reader, top.get("answer_levels"))
    category_keys = frozenset(category.key for category in categories)
    areas = _read_areas(reader, top.get("areas"), category_keys)
    items = [item for area in areas for item in area.items]
    if basic_total > 0:  # else already reported; a sum compared with it would only add noise
        _check_category_totals(reader, items, categories, basic_total)
    bonus = _read_bonus(reader, top.get("bonus"))
    deductions = _read_deductions(reader, top.get("deductions"))
    review = _read_review(reader, top.get("review"))
    weights, warnings = read_weights(reader, top.get("weights"))
    levels = read_levels(reader, top.get("levels"))
    deduction_kinds = tuple(kind.key for kind in deductions.kinds) if deductions else ()
    item_ids = tuple(item.id for item in items)
    gates = read_gates(reader, top.get("gates"), levels, deduction_kinds, item_ids)
    quota, category_quota = read_quota(
        reader, top.get("quota"), levels, tuple(category.key for category in categories)
    )
    total_cap = read_total_cap(reader, top.get("total_cap"), levels)
    spot_check = read_spot_check(reader, top.get("spot_check"), levels)
    if reader.problems or spot_check is None or deductions is None or not levels:
        return None
    return Rubric(
        name=name,
        source=source,
        basic_total=basic_total,
        categories=categories,
        answer_levels=answer_levels,
        areas=areas,
        bonus=bonus,
        deductions=deductions,
        review=review,
        weights=weights,
        levels=levels,
        gates=gates,
        quota=quota,
        category_quota=category_quota,
        total_cap=total_cap,
        spot_check=spot_check,
        warnings=tuple(f"{source}: {warning}" for warning in warnings),
    )


def _read_kinds(reader: RubricReader, value: Any, path: str) -> tuple[Kind, ...]:
    """Reads a list of `{key, label}` entries."""
    return tuple(Kind(entry.key, entry.label) for entry in reader.entries(value, path))


def _read_categories(reader: RubricReader, value: Any) -> tuple[Category, ...]:
    """Reads the branch categories (领域), each with the other names it may be written as."""
    categories = []
    names = []
    for entry in reader.entries(value, "categories", optional=("aliases",)):
        path = join(entry.path, "aliases")
        listed = reader.sequence(entry.fields.get("aliases", []), path, allow_empty=True)
        aliases = tuple(
            reader.text(alias, join(path, index)) for index, alias in enumerate(listed)
        )
        categories.append(Category(entry.key, entry.label, aliases))
        names += [(path, name) for name in (entry.label, *aliases)]
    reader.unique(names, "category name")
    return tuple(categories)


def _read_answer_levels(reader: RubricReader, value: Any) -> tuple[AnswerLevel, ...]:
    """Reads the answer levels with their fractions of an item's points."""
    return tuple(
        AnswerLevel(
            entry.key,
            entry.label,
            reader.number(
                entry.fields.get("fraction"),
                join(entry.path, "fraction"),
                minimum=ZERO,
                maximum=ONE,
            ),
        )
        for entry in reader.entries(value, "answer_levels", ("fraction",))
    )


def _read_areas(
    reader: RubricReader, value: Any, category_keys: frozenset[str]
) -> tuple[Area, ...]:
    """Reads the areas and their items; item categories default to every category."""
    areas = []
    item_ids: list[tuple[str, str]] = []
    for entry in reader.entries(value, "areas", ("items",), label="title", what="area key"):
        items_path = join(entry.path, "items")
        items = []
        for index, item_value in enumerate(reader.sequence(entry.fields.get("items"), items_path)):
            item_path = join(items_path, index)
            item = _read_item(reader, item_value, item_path, entry.key, category_keys)
            if item is not None:
                items.append(item)
                item_ids.append((join(item_path, "id"), item.id))
        areas.append(Area(entry.key, entry.label, tuple(items)))
    reader.unique(item_ids, "item id")
    if len(item_ids) > MAX_ITEMS:
        reader.problem("areas", f"{len(item_ids)} items, more than the {MAX_ITEMS} allowed")
    return tuple(areas)


def _read_item(
    reader: RubricReader, value: Any, path: str, area_key: str, category_keys: frozenset[str]
) -> Item | None:
    """Reads one item; its categories must be declared ones."""
    fields = reader.mapping(value, path, ("id", "text", "points"), ("categories", "evidence_hint"))
    if fields is None:
        return None
    categories = category_keys
    if "categories" in fields:
        listed = reader.sequence(fields["categories"], join(path, "categories"))
        for position, category in enumerate(listed):
            if not isinstance(category, str) or category not in category_keys:
                reader.problem(
                    join(join(path, "categories"), position),
                    f"unknown category {excerpt(category)} "
                    f"(expected {', '.join(sorted(category_keys))})",
                )
        categories = frozenset(str(category) for category in listed) & category_keys
    hint = fields.get("evidence_hint", "")
    if not isinstance(hint, str):
        reader.problem(join(path, "evidence_hint"), f"expected text, got {excerpt(hint)}")
        hint = ""
    return Item(
        id=reader.item_id(fields.get("id"), join(path, "id"), area_key),
        area=area_key,
        text=reader.text(fields.get("text"), join(path, "text")),
        points=reader.number(fields.get("points"), join(path, "points"), positive=True),
        categories=categories,
        evidence_hint=hint,
    )


def _check_category_totals(
    reader: RubricReader, items: list[Item], categories: tuple[Category, ...], basic_total: Decimal
) -> None:
    """Each category's items must add up to the declared basic total (基础项)."""
    for category in categories:
        total = sum((item.points for item in items if category.key in item.categories), ZERO)
        if total != basic_total:
            reader.problem(
                "areas",
                f"items of category {category.key!r} add up to {format_decimal(total)}, "
                f"not basic_total {format_decimal(basic_total)}",
            )


def _read_bonus(reader: RubricReader, value: Any) -> BonusRules | None:
    """Reads the bonus rules; `bonus: null` means the rubric has no bonus."""
    if value is None:
        return None
    fields = reader.mapping(value, "bonus", ("cap", "kinds"))
    if fields is None:
        return None
    return BonusRules(
        cap=reader.number(fields.get("cap"), "bonus.cap", minimum=ZERO),
        kinds=_read_kinds(reader, fields.get("kinds"), "bonus.kinds"),
    )


def _read_deductions(reader: RubricReader, value: Any) -> DeductionRules | None:
    """Reads the deduction kinds and the least points of one deduction."""
    fields = reader.mapping(value, "deductions", ("min_points", "kinds"))
    if fields is None:
        return None
    return DeductionRules(
        min_points=reader.number(fields.get("min_points"), "deductions.min_points", minimum=ZERO),
        kinds=_read_kinds(reader, fields.get("kinds"), "deductions.kinds"),
    )


def _read_review(reader: RubricReader, value: Any) -> ReviewRules:
    """Reads the ballot choices and their values on the 100 scale."""
    fields = reader.mapping(value, "review", ("ballots",))
    entries = reader.entries(fields.get("ballots"), "review.ballots", ("value",)) if fields else []
    ballots = tuple(
        Ballot(
            entry.key,
            entry.label,
            reader.number(
                entry.fields.get("value"), join(entry.path, "value"), minimum=ZERO, maximum=HUNDRED
            ),
        )
        for entry in entries
    )
    return ReviewRules(ballots=ballots)

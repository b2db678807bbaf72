"""Reads the rubric sections that turn an assessment into stars: weights, levels, gates, quota,
total cap and spot check. Split from `rubric_loader`, which reads what is scored (areas, items,
kinds).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring.decimals import HUNDRED, ONE, ZERO, format_decimal
from scoring.errors import excerpt, join
from scoring.gates import GATE_DEDUCTION
from scoring.model import (
    BasicBelow,
    Condition,
    DeductionOf,
    Gate,
    ItemBelowFull,
    Level,
    ReviewBelow,
    SpotCheck,
    Weights,
)
from scoring.rubric_reader import RubricReader

__all__ = [
    "read_gates",
    "read_levels",
    "read_quota",
    "read_spot_check",
    "read_total_cap",
    "read_weights",
]

# The conditions a gate may name; each gate names exactly one.
_CONDITIONS = ("basic_100_below", "deduction", "review_below", "item_below_full")
# The seed: the assessment part counts "不低于70%", the review part "不高于30%".
_SEED_MIN_ASSESSMENT_WEIGHT = Decimal("0.7")
_SEED_MAX_REVIEW_WEIGHT = Decimal("0.3")


def read_weights(reader: RubricReader, value: Any) -> tuple[Weights, list[str]]:
    """Reads the weights; they must add up to 1, and leaving the seed's bounds is a warning."""
    fields = reader.mapping(value, "weights", ("assessment", "review")) or {}
    assessment = reader.number(
        fields.get("assessment"), "weights.assessment", minimum=ZERO, maximum=ONE
    )
    review = reader.number(fields.get("review"), "weights.review", minimum=ZERO, maximum=ONE)
    warnings = []
    if fields and assessment + review != ONE:
        reader.problem(
            "weights",
            f"assessment {format_decimal(assessment)} + review {format_decimal(review)} "
            f"must add up to 1, got {format_decimal(assessment + review)}",
        )
    elif assessment < _SEED_MIN_ASSESSMENT_WEIGHT or review > _SEED_MAX_REVIEW_WEIGHT:
        warnings.append(
            f"weights: assessment {format_decimal(assessment)} / review {format_decimal(review)} "
            "departs from the seed (assessment at least 0.7, review at most 0.3)"
        )
    return Weights(assessment=assessment, review=review), warnings


def read_levels(reader: RubricReader, value: Any) -> tuple[Level, ...]:
    """Reads the levels: strictly descending in stars and minimum, the last starting at 0."""
    levels = []
    for index, entry in enumerate(reader.sequence(value, "levels")):
        path = join("levels", index)
        fields = reader.mapping(entry, path, ("stars", "min_total", "label"))
        if fields is not None:
            levels.append(
                Level(
                    stars=reader.integer(fields.get("stars"), join(path, "stars")),
                    min_total=reader.number(
                        fields.get("min_total"), join(path, "min_total"), minimum=ZERO
                    ),
                    label=reader.text(fields.get("label"), join(path, "label")),
                )
            )
    for index in range(1, len(levels)):
        above, below = levels[index - 1], levels[index]
        if below.stars >= above.stars:
            reader.problem(
                f"levels[{index}].stars",
                f"levels must be strictly descending: {below.stars} after {above.stars}",
            )
        if below.min_total >= above.min_total:
            reader.problem(
                f"levels[{index}].min_total",
                "levels must be strictly descending: "
                f"{format_decimal(below.min_total)} after {format_decimal(above.min_total)}",
            )
    if levels and levels[-1].min_total != ZERO:
        reader.problem(
            f"levels[{len(levels) - 1}].min_total",
            f"the last level must start at 0 so every total has a level, got "
            f"{format_decimal(levels[-1].min_total)} (add an unrated level with stars: 0)",
        )
    return tuple(levels)


def read_gates(
    reader: RubricReader,
    value: Any,
    levels: tuple[Level, ...],
    deduction_kinds: tuple[str, ...],
    item_ids: tuple[str, ...],
) -> tuple[Gate, ...]:
    """Reads the gates: a list of conditions, each with the highest level it allows and the
    label the bot shows; or the older `{min_basic_100, deductions_forbid, stars}` form."""
    if isinstance(value, dict):
        return _read_two_field_gates(reader, value, levels)
    gates = []
    entries = reader.entries(value, "gates", ("max_stars",), _CONDITIONS, allow_empty=True)
    for entry in entries:
        named = [name for name in _CONDITIONS if name in entry.fields]
        if len(named) != 1:
            reader.problem(
                entry.path,
                f"expected exactly one condition of {', '.join(_CONDITIONS)}, got {named}",
            )
            continue
        condition_path = join(entry.path, named[0])
        condition = _read_condition(
            reader, named[0], entry.fields[named[0]], condition_path, deduction_kinds, item_ids
        )
        max_stars = _read_cap(
            reader, entry.fields.get("max_stars"), join(entry.path, "max_stars"), levels
        )
        gates.append(Gate(entry.key, entry.label, condition, max_stars))
    return tuple(gates)


def _read_condition(
    reader: RubricReader,
    name: str,
    value: Any,
    path: str,
    deduction_kinds: tuple[str, ...],
    item_ids: tuple[str, ...],
) -> Condition:
    """Reads one gate condition; `name` is one of `_CONDITIONS`."""
    if name == "basic_100_below":
        return BasicBelow(reader.number(value, path, minimum=ZERO, maximum=HUNDRED))
    if name == "review_below":
        return ReviewBelow(reader.number(value, path, minimum=ZERO, maximum=HUNDRED))
    if name == "item_below_full":
        if value not in item_ids:
            reader.problem(path, f"unknown item {excerpt(value)}")
        return ItemBelowFull(str(value))
    if value == "any":
        return DeductionOf()
    if not isinstance(value, list) or not value:
        reader.problem(path, f"expected 'any' or a list of deduction kinds, got {excerpt(value)}")
        return DeductionOf()
    for position, kind in enumerate(value):
        if kind not in deduction_kinds:
            reader.problem(
                join(path, position),
                f"unknown deduction kind {excerpt(kind)} (expected {', '.join(deduction_kinds)})",
            )
    return DeductionOf(tuple(str(kind) for kind in value))


def _read_cap(reader: RubricReader, value: Any, path: str, levels: tuple[Level, ...]) -> int:
    """Reads the highest level a gate allows: the stars of a level below the top one."""
    stars = reader.integer(value, path)
    allowed = [level.stars for level in levels[1:]]
    if levels and stars not in allowed:
        expected = ", ".join(str(stars) for stars in allowed)
        reader.problem(
            path,
            f"expected the stars of a level below the top one ({expected}), got {excerpt(value)}",
        )
    return stars


def _read_two_field_gates(
    reader: RubricReader, value: dict[str, Any], levels: tuple[Level, ...]
) -> tuple[Gate, ...]:
    """Reads the older form: a basic-score minimum and whether deductions block the level
    `stars` (the top one by default); each becomes a gate allowing the level below it."""
    fields = reader.mapping(value, "gates", ("min_basic_100", "deductions_forbid"), ("stars",))
    if fields is None:
        return ()
    stars = reader.integer(fields.get("stars", levels[0].stars if levels else 0), "gates.stars")
    if levels and stars not in [level.stars for level in levels[:-1]]:
        reader.problem(
            "gates.stars",
            f"expected the stars of a level above the bottom one, got {excerpt(stars)}",
        )
    below = max([level.stars for level in levels if level.stars < stars], default=stars)
    gates = []
    minimum = fields.get("min_basic_100")
    if minimum is not None:
        minimum = reader.number(minimum, "gates.min_basic_100", minimum=ZERO, maximum=HUNDRED)
        key = f"basic_below_{format_decimal(minimum)}"
        gates.append(Gate(key, None, BasicBelow(minimum), below))
    if reader.boolean(fields.get("deductions_forbid"), "gates.deductions_forbid"):
        gates.append(Gate(GATE_DEDUCTION, None, DeductionOf(), below))
    return tuple(gates)


def read_quota(
    reader: RubricReader, value: Any, levels: tuple[Level, ...], category_keys: tuple[str, ...]
) -> tuple[dict[int, Decimal], dict[int, dict[str, Decimal]]]:
    """Reads `{stars: share}` or `{stars: {share, categories: {category: share}}}`.

    Returns:
        The shares of all branches in scope per level, and the shares within each category's
        branches per level. A share is above 0 and at most 1; the bottom level has none.
    """
    if value is None or value == {}:
        return {}, {}
    if not isinstance(value, dict):
        reader.problem("quota", f"expected a mapping of stars to shares, got {excerpt(value)}")
        return {}, {}
    capped = [level.stars for level in levels[:-1]]
    quota: dict[int, Decimal] = {}
    category_quota: dict[int, dict[str, Decimal]] = {}
    for stars, entry in value.items():
        path = f"quota.{stars}"
        if isinstance(stars, bool) or stars not in capped:
            reader.problem(
                path, f"expected the stars of a level above the bottom one, got {excerpt(stars)}"
            )
            continue
        if not isinstance(entry, dict):
            quota[stars] = reader.number(entry, path, positive=True, maximum=ONE)
            continue
        fields = reader.mapping(entry, path, (), ("share", "categories")) or {}
        if "share" in fields:
            quota[stars] = reader.number(
                fields["share"], join(path, "share"), positive=True, maximum=ONE
            )
        shares = fields.get("categories", {})
        if not isinstance(shares, dict):
            reader.problem(
                join(path, "categories"),
                f"expected a mapping of categories to shares, got {excerpt(shares)}",
            )
            shares = {}
        for category, share in shares.items():
            share_path = join(join(path, "categories"), str(category))
            if category not in category_keys:
                reader.problem(
                    share_path,
                    f"unknown category {excerpt(category)} (expected {', '.join(category_keys)})",
                )
                continue
            category_quota.setdefault(stars, {})[category] = reader.number(
                share, share_path, positive=True, maximum=ONE
            )
    return quota, category_quota


def read_total_cap(reader: RubricReader, value: Any, levels: tuple[Level, ...]) -> Decimal | None:
    """Reads the optional cap on the total; every level must stay reachable under it."""
    if value is None:
        return None
    cap = reader.number(value, "total_cap", positive=True)
    for index, level in enumerate(levels):
        if level.min_total > cap:
            reader.problem(
                f"levels[{index}].min_total",
                f"{format_decimal(level.min_total)} is above total_cap {format_decimal(cap)}: "
                "no total could reach it",
            )
    return cap


def read_spot_check(
    reader: RubricReader, value: Any, levels: tuple[Level, ...]
) -> SpotCheck | None:
    """Reads which levels the county samples and the least share it re-checks."""
    fields = reader.mapping(value, "spot_check", ("levels", "fraction"))
    if fields is None:
        return None
    known = [level.stars for level in levels]
    sampled = []
    listed = reader.sequence(fields.get("levels"), "spot_check.levels", allow_empty=True)
    for index, stars in enumerate(listed):
        if isinstance(stars, bool) or stars not in known:
            reader.problem(f"spot_check.levels[{index}]", f"unknown level {excerpt(stars)}")
        else:
            sampled.append(stars)
    fraction = reader.number(
        fields.get("fraction"), "spot_check.fraction", positive=True, maximum=ONE
    )
    return SpotCheck(levels=tuple(sampled), fraction=fraction)

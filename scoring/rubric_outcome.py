"""Reads the rubric sections that turn an assessment into stars: weights, levels, gates, quota
and spot check. Split from `rubric_loader`, which reads what is scored (areas, items, kinds).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring.decimals import ZERO, format_decimal
from scoring.errors import excerpt
from scoring.model import Gates, Level, SpotCheck, Weights
from scoring.rubric_reader import RubricReader, join

__all__ = ["read_gates", "read_levels", "read_quota", "read_spot_check", "read_weights"]

_ONE = Decimal(1)
_HUNDRED = Decimal(100)
# The seed: the assessment part counts "不低于70%", the review part "不高于30%".
_SEED_MIN_ASSESSMENT_WEIGHT = Decimal("0.7")
_SEED_MAX_REVIEW_WEIGHT = Decimal("0.3")


def read_weights(reader: RubricReader, value: Any) -> tuple[Weights, list[str]]:
    """Reads the weights; they must add up to 1, and leaving the seed's bounds is a warning."""
    fields = reader.mapping(value, "weights", ("assessment", "review")) or {}
    assessment = reader.number(
        fields.get("assessment"), "weights.assessment", minimum=ZERO, maximum=_ONE
    )
    review = reader.number(fields.get("review"), "weights.review", minimum=ZERO, maximum=_ONE)
    warnings = []
    if fields and assessment + review != _ONE:
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


def read_gates(reader: RubricReader, value: Any, levels: tuple[Level, ...]) -> Gates | None:
    """Reads the gates; `stars` defaults to the top level and must not be the bottom one."""
    fields = reader.mapping(value, "gates", ("min_basic_100", "deductions_forbid"), ("stars",))
    if fields is None:
        return None
    minimum = fields.get("min_basic_100")
    stars = fields.get("stars", levels[0].stars if levels else 0)
    stars = reader.integer(stars, "gates.stars")
    if levels and stars not in [level.stars for level in levels[:-1]]:
        reader.problem(
            "gates.stars",
            f"expected the stars of a level above the bottom one, got {excerpt(stars)}",
        )
    return Gates(
        min_basic_100=None
        if minimum is None
        else reader.number(minimum, "gates.min_basic_100", minimum=ZERO, maximum=_HUNDRED),
        deductions_forbid=reader.boolean(
            fields.get("deductions_forbid"), "gates.deductions_forbid"
        ),
        stars=stars,
    )


def read_quota(reader: RubricReader, value: Any, levels: tuple[Level, ...]) -> dict[int, Decimal]:
    """Reads `{stars: share}`; a share is above 0 and at most 1; the bottom level has none."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        reader.problem("quota", f"expected a mapping of stars to shares, got {excerpt(value)}")
        return {}
    capped = [level.stars for level in levels[:-1]]
    quota = {}
    for stars, share in value.items():
        path = f"quota.{stars}"
        if isinstance(stars, bool) or stars not in capped:
            reader.problem(
                path, f"expected the stars of a level above the bottom one, got {excerpt(stars)}"
            )
            continue
        quota[stars] = reader.number(share, path, positive=True, maximum=_ONE)
    return quota


def read_spot_check(
    reader: RubricReader, value: Any, levels: tuple[Level, ...]
) -> SpotCheck | None:
    """Reads which levels the county samples and the least share it re-checks."""
    fields = reader.mapping(value, "spot_check", ("levels", "fraction"))
    if fields is None:
        return None
    known = [level.stars for level in levels]
    sampled = []
    for index, stars in enumerate(
        reader.sequence(fields.get("levels"), "spot_check.levels", allow_empty=True)
    ):
        if isinstance(stars, bool) or stars not in known:
            reader.problem(f"spot_check.levels[{index}]", f"unknown level {excerpt(stars)}")
        else:
            sampled.append(stars)
    return SpotCheck(
        levels=tuple(sampled),
        fraction=reader.number(
            fields.get("fraction"), "spot_check.fraction", positive=True, maximum=_ONE
        ),
    )

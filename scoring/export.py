"""JSON shapes of a rubric (`pingxing rubric show --json`) and of a score (`pingxing score`).

Both are contracts other tools rely on; decimals travel as strings so no reader turns them into
binary floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring.decimals import format_decimal
from scoring.model import BasicBelow, Gate, ItemBelowFull, Kind, ReviewBelow, Rubric
from scoring.quota import QuotaOutcome, QuotaResult
from scoring.score import ScoreResult

__all__ = ["outcome_to_dict", "quota_to_dict", "result_to_dict", "rubric_to_dict"]


def _text(value: Decimal | None) -> str | None:
    """A decimal as plain text without trailing zeros, or None."""
    return None if value is None else format_decimal(value)


def _kinds(kinds: tuple[Kind, ...]) -> list[dict[str, str]]:
    return [{"key": kind.key, "label": kind.label} for kind in kinds]


def _gate(gate: Gate) -> dict[str, Any]:
    """A gate as `{key, label, <condition>: value, max_stars}`, as the rubric file writes it."""
    condition = gate.condition
    value: str | list[str] | None
    if isinstance(condition, BasicBelow):
        name, value = "basic_100_below", _text(condition.minimum)
    elif isinstance(condition, ReviewBelow):
        name, value = "review_below", _text(condition.minimum)
    elif isinstance(condition, ItemBelowFull):
        name, value = "item_below_full", condition.item_id
    else:
        name, value = "deduction", list(condition.kinds) or "any"
    return {"key": gate.key, "label": gate.label, name: value, "max_stars": gate.max_stars}


def rubric_to_dict(rubric: Rubric) -> dict[str, Any]:
    """Returns the rubric as JSON-ready data (the `rubric show --json` shape)."""
    category_order = [category.key for category in rubric.categories]
    return {
        "name": rubric.name,
        "source": rubric.source,
        "basic_total": _text(rubric.basic_total),
        "categories": [
            {"key": category.key, "label": category.label, "aliases": list(category.aliases)}
            for category in rubric.categories
        ],
        "answer_levels": [
            {"key": level.key, "label": level.label, "fraction": _text(level.fraction)}
            for level in rubric.answer_levels
        ],
        "areas": [
            {
                "key": area.key,
                "title": area.title,
                "items": [
                    {
                        "id": item.id,
                        "text": item.text,
                        "points": _text(item.points),
                        "categories": [key for key in category_order if key in item.categories],
                        "evidence_hint": item.evidence_hint,
                    }
                    for item in area.items
                ],
            }
            for area in rubric.areas
        ],
        "bonus": None
        if rubric.bonus is None
        else {"cap": _text(rubric.bonus.cap), "kinds": _kinds(rubric.bonus.kinds)},
        "deductions": {
            "min_points": _text(rubric.deductions.min_points),
            "kinds": _kinds(rubric.deductions.kinds),
        },
        "review": {
            "ballots": [
                {"key": ballot.key, "label": ballot.label, "value": _text(ballot.value)}
                for ballot in rubric.review.ballots
            ]
        },
        "weights": {
            "assessment": _text(rubric.weights.assessment),
            "review": _text(rubric.weights.review),
        },
        "levels": [
            {"stars": level.stars, "min_total": _text(level.min_total), "label": level.label}
            for level in rubric.levels
        ],
        "gates": [_gate(gate) for gate in rubric.gates],
        "quota": {str(stars): _text(share) for stars, share in rubric.quota.items()},
        "category_quota": {
            str(stars): {category: _text(share) for category, share in shares.items()}
            for stars, shares in rubric.category_quota.items()
        },
        "total_cap": _text(rubric.total_cap),
        "spot_check": {
            "levels": list(rubric.spot_check.levels),
            "fraction": _text(rubric.spot_check.fraction),
        },
        "warnings": list(rubric.warnings),
    }


def result_to_dict(result: ScoreResult) -> dict[str, Any]:
    """Returns a branch's score as JSON-ready data (the `pingxing score` shape).

    Totals keep their 2 decimals ("90.00"); other figures drop trailing zeros.
    """
    provisional = result.provisional
    return {
        "basic": _text(result.basic),
        "basic_100": _text(result.basic_100),
        "bonus": _text(result.bonus),
        "deduction": _text(result.deduction),
        "assessment": _text(result.assessment),
        "review": _text(result.review),
        "total": None if result.total is None else str(result.total),
        "stars": result.stars,
        "gates": list(result.gates),
        "missing": [
            {"item": missing.item_id, "lost": _text(missing.lost), "answered": missing.answered}
            for missing in result.missing
        ],
        "provisional": {
            "assumed_review": _text(provisional.assumed_review),
            "total": str(provisional.total),
            "stars": provisional.stars,
            "needed_review": {
                str(stars): needed if isinstance(needed, str) else str(needed)
                for stars, needed in provisional.needed_review.items()
            },
        },
        "next_level_items": list(result.next_level_items),
        "areas": [
            {"key": area.key, "scored": _text(area.scored), "full": _text(area.full)}
            for area in result.areas
        ],
    }


def outcome_to_dict(outcome: QuotaOutcome) -> dict[str, Any]:
    """Returns the quota fields of one branch in a `pingxing score` batch."""
    return {
        "stars_after_quota": outcome.stars_after_quota,
        "quota_reason": outcome.reason,
        "tie_at_cutoff": outcome.tie_at_cutoff,
    }


def quota_to_dict(quota: QuotaResult) -> dict[str, Any]:
    """Returns the limits of a `pingxing score` batch: `five_star_limit` (the top capped level's
    limit over all branches) and the limit of every scope, `category` null for all branches."""
    limits: list[dict[str, Any]] = []
    for stars in sorted(quota.limits.keys() | quota.category_limits.keys(), reverse=True):
        limits += [
            {"stars": stars, "category": category, "limit": limit}
            for category, limit in quota.category_limits.get(stars, {}).items()
        ]
        if stars in quota.limits:
            limits.append({"stars": stars, "category": None, "limit": quota.limits[stars]})
    return {"five_star_limit": quota.five_star_limit, "quota_limits": limits}

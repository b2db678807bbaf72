"""A slow, literal reading of DOMAIN.md's formulas, to check the fast scorer against.

Nothing here is tuned: every figure is recomputed from the rubric and the branch with plain
`Decimal` arithmetic, the needed review is found by searching the cents, and the items that lift
a level are found by trying ever more of the largest losses. Only the test suite uses it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scoring import REACHED, BranchInput, Rubric, format_decimal
from scoring.provisional import OUT_OF_REACH

__all__ = ["reference_score"]

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def _rounded_total(rubric: Rubric, assessment: Decimal, review: Decimal) -> Decimal:
    """total = w_a × assessment + w_r × review, floored at 0, rounded half-up to cents."""
    raw = rubric.weights.assessment * assessment + rubric.weights.review * review
    return max(raw, Decimal(0)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _stars(rubric: Rubric, total: Decimal, blocked: bool) -> int:
    """The highest level reached; a blocked gated level drops to the level below it."""
    stars = next(level.stars for level in rubric.levels if total >= level.min_total)
    if blocked and stars >= rubric.gates.stars:
        below = [level.stars for level in rubric.levels if level.stars < rubric.gates.stars]
        return max(below) if below else rubric.gates.stars
    return stars


def _item_score(rubric: Rubric, item_id: str, answer: str | Decimal | None) -> Decimal:
    """An answer's points: the level's fraction of the item's points, a reviewer's score, or 0."""
    if answer is None:
        return Decimal(0)
    if isinstance(answer, Decimal):
        return answer
    return rubric.item(item_id).points * rubric.answer_level(answer).fraction


def _gates(rubric: Rubric, basic_100: Decimal, has_deduction: bool) -> tuple[str, ...]:
    """Reason codes of the gates the branch fails."""
    codes = []
    minimum = rubric.gates.min_basic_100
    if minimum is not None and basic_100 < minimum:
        codes.append(f"basic_below_{format_decimal(minimum)}")
    if rubric.gates.deductions_forbid and has_deduction:
        codes.append("has_deduction")
    return tuple(codes)


def _provisional(
    rubric: Rubric, basic: Decimal, rest: Decimal, has_deduction: bool
) -> tuple[Decimal, Decimal, int, bool]:
    """basic_100, the provisional total and stars (review = basic_100), and whether blocked."""
    basic_100 = basic * _HUNDRED / rubric.basic_total
    blocked = bool(_gates(rubric, basic_100, has_deduction))
    total = _rounded_total(rubric, basic_100 + rest, basic_100)
    return basic_100, total, _stars(rubric, total, blocked), blocked


def _needed_review(
    rubric: Rubric, min_total: Decimal, stars: int, assessment: Decimal, blocked: bool
) -> Decimal | str:
    """The least review in cents whose rounded total reaches `min_total`, by binary search."""
    if min_total <= 0:
        return REACHED
    if blocked and stars >= rubric.gates.stars:
        return OUT_OF_REACH
    if _rounded_total(rubric, assessment, Decimal(0)) >= min_total:
        return REACHED
    if _rounded_total(rubric, assessment, _HUNDRED) < min_total:
        return OUT_OF_REACH
    low, high = 0, 10_000  # cents of review: the rounded total never falls as they rise
    while low < high:
        middle = (low + high) // 2
        if _rounded_total(rubric, assessment, Decimal(middle) * _CENT) >= min_total:
            high = middle
        else:
            low = middle + 1
    return Decimal(low) * _CENT


def reference_score(rubric: Rubric, branch: BranchInput) -> dict[str, Any]:
    """Scores a branch the slow way; keys name the `ScoreResult` attributes they match."""
    items = rubric.items_for(branch.category)
    scores = {item.id: _item_score(rubric, item.id, branch.answers.get(item.id)) for item in items}
    basic = sum(scores.values(), Decimal(0))
    basic_100 = basic * _HUNDRED / rubric.basic_total
    bonus = Decimal(0)
    if rubric.bonus is not None:
        bonus = min(sum((claim.points for claim in branch.bonus), Decimal(0)), rubric.bonus.cap)
    deduction = sum((claim.points for claim in branch.deductions), Decimal(0))
    assessment = basic_100 + bonus - deduction
    has_deduction = bool(branch.deductions)
    gates = _gates(rubric, basic_100, has_deduction)
    total = stars = None
    if branch.review is not None:
        total = _rounded_total(rubric, assessment, branch.review)
        stars = _stars(rubric, total, bool(gates))

    position = {item.id: index for index, item in enumerate(items)}
    losses = [
        (item.id in branch.answers, item.points - scores[item.id], item.id)
        for item in items
        if item.points - scores[item.id] > 0
    ]
    losses.sort(key=lambda loss: (loss[0], -loss[1], position[loss[2]]))
    missing = [(item_id, lost, answered) for answered, lost, item_id in losses]

    rest = bonus - deduction
    _, total_now, stars_now, blocked = _provisional(rubric, basic, rest, has_deduction)
    needed = {
        level.stars: _needed_review(rubric, level.min_total, level.stars, assessment, blocked)
        for level in rubric.levels
    }
    by_loss = sorted(losses, key=lambda loss: (-loss[1], position[loss[2]]))
    lifting: tuple[str, ...] = ()
    above = [level.stars for level in rubric.levels if level.stars > stars_now]
    if above:
        # Try the largest loss, then the two largest, ... until the next level is reached.
        for count in range(1, len(by_loss) + 1):
            recovered = sum((loss[1] for loss in by_loss[:count]), Decimal(0))
            lifted = _provisional(rubric, basic + recovered, rest, has_deduction)
            if lifted[2] >= min(above):
                lifting = tuple(loss[2] for loss in by_loss[:count])
                break

    areas = []
    for area in rubric.areas:
        mine = [item for item in area.items if item in items]
        scored = sum((scores[item.id] for item in mine), Decimal(0))
        areas.append((area.key, scored, sum((item.points for item in mine), Decimal(0))))

    return {
        "basic": basic,
        "basic_100": basic_100,
        "bonus": bonus,
        "deduction": deduction,
        "assessment": assessment,
        "review": branch.review,
        "total": total,
        "stars": stars,
        "gates": gates,
        "missing": missing,
        "provisional": (basic_100, total_now, stars_now, needed),
        "next_level_items": lifting,
        "areas": areas,
    }

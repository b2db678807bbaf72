"""A slow, literal reading of DOMAIN.md's formulas, to check the scorer against.

Nothing here is tuned: every figure is recomputed from the rubric and the branch with plain
`Decimal` arithmetic, each gate's condition is tested as written, the needed review is found by
searching the cents, and the items that lift a level are found by trying ever more of them.
Only the test suite uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scoring import (
    REACHED,
    BasicBelow,
    BranchInput,
    DeductionOf,
    Gate,
    ItemBelowFull,
    Level,
    ReviewBelow,
    Rubric,
)
from scoring.provisional import OUT_OF_REACH

__all__ = ["reference_score"]

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def _rounded_total(rubric: Rubric, assessment: Decimal, review: Decimal) -> Decimal:
    """total = w_a × assessment + w_r × review, floored at 0, capped, rounded half-up to cents."""
    raw = rubric.weights.assessment * assessment + rubric.weights.review * review
    raw = max(raw, Decimal(0))
    if rubric.total_cap is not None:
        raw = min(raw, rubric.total_cap)
    return raw.quantize(_CENT, rounding=ROUND_HALF_UP)


def _fails(
    rubric: Rubric,
    gate: Gate,
    branch: BranchInput,
    basic_100: Decimal,
    review: Decimal | None,
    scores: Mapping[str, Decimal],
) -> bool:
    """Whether the branch fails the gate's condition."""
    condition = gate.condition
    if isinstance(condition, BasicBelow):
        return basic_100 < condition.minimum
    if isinstance(condition, DeductionOf):
        return any(
            not condition.kinds or claim.kind in condition.kinds for claim in branch.deductions
        )
    if isinstance(condition, ReviewBelow):
        return review is not None and review < condition.minimum
    assert isinstance(condition, ItemBelowFull)
    item = rubric.item(condition.item_id)
    return branch.category in item.categories and scores[item.id] < item.points


def _failed(
    rubric: Rubric,
    branch: BranchInput,
    basic_100: Decimal,
    review: Decimal | None,
    scores: Mapping[str, Decimal],
) -> list[Gate]:
    return [
        gate for gate in rubric.gates if _fails(rubric, gate, branch, basic_100, review, scores)
    ]


def _stars(rubric: Rubric, total: Decimal, failed: list[Gate]) -> int:
    """The highest level reached, then no higher than any failed gate allows."""
    stars = next(level.stars for level in rubric.levels if total >= level.min_total)
    for gate in failed:
        stars = min(stars, gate.max_stars)
    return stars


def _item_score(rubric: Rubric, item_id: str, answer: str | Decimal | None) -> Decimal:
    """An answer's points: the level's fraction of the item's points, a reviewer's score, or 0."""
    if answer is None:
        return Decimal(0)
    if isinstance(answer, Decimal):
        return answer
    return rubric.item(item_id).points * rubric.answer_level(answer).fraction


def _provisional(
    rubric: Rubric, branch: BranchInput, scores: Mapping[str, Decimal], rest: Decimal
) -> tuple[Decimal, int]:
    """The provisional total and stars, with the review assumed equal to basic_100."""
    basic_100 = sum(scores.values(), Decimal(0)) * _HUNDRED / rubric.basic_total
    total = _rounded_total(rubric, basic_100 + rest, basic_100)
    return total, _stars(rubric, total, _failed(rubric, branch, basic_100, basic_100, scores))


def _needed_review(
    rubric: Rubric, level: Level, assessment: Decimal, gated: set[int]
) -> Decimal | str:
    """The least review in cents that reaches the level's minimum and passes every review gate
    that caps below the level, by binary search."""
    if level.min_total <= 0:
        return REACHED
    if level.stars in gated:
        return OUT_OF_REACH

    def reaches(review: Decimal) -> bool:
        review_gates_pass = all(
            review >= gate.condition.minimum
            for gate in rubric.gates
            if isinstance(gate.condition, ReviewBelow) and gate.max_stars < level.stars
        )
        return review_gates_pass and _rounded_total(rubric, assessment, review) >= level.min_total

    if reaches(Decimal(0)):
        return REACHED
    if not reaches(_HUNDRED):
        return OUT_OF_REACH
    low, high = 0, 10_000  # cents of review: reaching never stops as they rise
    while low < high:
        middle = (low + high) // 2
        if reaches(Decimal(middle) * _CENT):
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
    gates = tuple(gate.key for gate in _failed(rubric, branch, basic_100, branch.review, scores))
    total = stars = None
    if branch.review is not None:
        total = _rounded_total(rubric, assessment, branch.review)
        stars = _stars(rubric, total, _failed(rubric, branch, basic_100, branch.review, scores))

    position = {item.id: index for index, item in enumerate(items)}
    losses = [
        (item.id in branch.answers, item.points - scores[item.id], item.id)
        for item in items
        if item.points - scores[item.id] > 0
    ]
    losses.sort(key=lambda loss: (loss[0], -loss[1], position[loss[2]]))
    missing = [(item_id, lost, answered) for answered, lost, item_id in losses]

    rest = bonus - deduction
    total_now, stars_now = _provisional(rubric, branch, scores, rest)
    failed_now = _failed(rubric, branch, basic_100, None, scores)
    gated = {
        level.stars
        for level in rubric.levels
        if any(level.stars > gate.max_stars for gate in failed_now)
    }
    needed = {
        level.stars: _needed_review(rubric, level, assessment, gated) for level in rubric.levels
    }
    lifting: tuple[str, ...] = ()
    above = [level.stars for level in rubric.levels if level.stars > stars_now]
    if above:
        # Items a failed veto gate below the next level names first, then the largest loss.
        vetoed = {
            gate.condition.item_id
            for gate in failed_now
            if isinstance(gate.condition, ItemBelowFull) and gate.max_stars < min(above)
        }
        by_loss = sorted(
            losses, key=lambda loss: (loss[2] not in vetoed, -loss[1], position[loss[2]])
        )
        # Try the first, then the first two, ... until the next level is reached.
        for count in range(1, len(by_loss) + 1):
            lifted = dict(scores)
            for _, _, item_id in by_loss[:count]:
                lifted[item_id] = rubric.item(item_id).points
            if _provisional(rubric, branch, lifted, rest)[1] >= min(above):
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

"""Properties of the scoring rules, checked over generated branches (hypothesis)."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    REACHED,
    BranchInput,
    Claim,
    apply_quota,
    default_rubric,
    score_branch,
)

RUBRIC = default_rubric()
CATEGORIES = [category.key for category in RUBRIC.categories]
LEVELS = ["none", "partial", "full"]
BONUS_KINDS = [kind.key for kind in RUBRIC.bonus.kinds] if RUBRIC.bonus else []

reviews = st.decimals(min_value=0, max_value=100, places=2)


@st.composite
def branches(draw: st.DrawFn, with_review: bool = True) -> BranchInput:
    """A branch of any category with any answers (levels, reviewer scores, unanswered)."""
    category = draw(st.sampled_from(CATEGORIES))
    answers: dict[str, str | Decimal] = {}
    for item in RUBRIC.items_for(category):
        choice = draw(st.integers(min_value=0, max_value=4))
        if choice < 3:
            answers[item.id] = LEVELS[choice]
        elif choice == 3:
            answers[item.id] = draw(st.decimals(min_value=0, max_value=item.points, places=1))
    bonus = tuple(
        Claim(draw(st.sampled_from(BONUS_KINDS)), points)
        for points in draw(st.lists(st.decimals(min_value=0, max_value=15, places=1), max_size=3))
    )
    deductions = tuple(
        Claim("other", points)
        for points in draw(st.lists(st.decimals(min_value=20, max_value=40, places=0), max_size=1))
    )
    review = draw(reviews) if with_review else None
    return BranchInput(category, answers, bonus, deductions, review)


@given(branches(), st.data())
def test_the_total_never_falls_when_an_answer_improves(
    branch: BranchInput, data: st.DataObject
) -> None:
    item = data.draw(st.sampled_from(RUBRIC.items_for(branch.category)))
    improved = dict(branch.answers)
    improved[item.id] = "full"
    before = score_branch(RUBRIC, branch)
    after = score_branch(
        RUBRIC,
        BranchInput(branch.category, improved, branch.bonus, branch.deductions, branch.review),
    )
    assert after.total is not None and before.total is not None
    assert (after.total >= before.total, after.basic >= before.basic) == (True, True)


@given(branches())
def test_the_bonus_cap_and_the_gates_always_hold(branch: BranchInput) -> None:
    result = score_branch(RUBRIC, branch)
    assert result.bonus <= Decimal(20)
    if result.basic_100 < 80 or branch.deductions:
        assert result.stars is not None and result.stars <= 4
        assert result.provisional.stars <= 4


@given(branches())
def test_the_fast_and_exact_paths_agree(branch: BranchInput) -> None:
    # Level keys written as the equivalent reviewer scores take the exact Decimal path.
    as_scores: dict[str, str | Decimal] = {
        item_id: RUBRIC.answer_scores(item_id)[answer] if isinstance(answer, str) else answer
        for item_id, answer in branch.answers.items()
    }
    fast = score_branch(RUBRIC, branch)
    exact = score_branch(
        RUBRIC,
        BranchInput(branch.category, as_scores, branch.bonus, branch.deductions, branch.review),
    )
    assert (fast.total, fast.basic, fast.areas, fast.provisional, fast.next_level_items) == (
        exact.total,
        exact.basic,
        exact.areas,
        exact.provisional,
        exact.next_level_items,
    )
    assert [(m.item_id, m.lost) for m in fast.missing] == [
        (m.item_id, m.lost) for m in exact.missing
    ]


@given(branches(with_review=False), st.data())
def test_the_review_needed_for_a_level_reaches_it_and_a_cent_less_does_not(
    branch: BranchInput, data: st.DataObject
) -> None:
    result = score_branch(RUBRIC, branch)
    level = data.draw(st.sampled_from(RUBRIC.levels))
    needed = result.provisional.needed_review[level.stars]
    if isinstance(needed, str):
        return

    def stars_with(review: Decimal) -> int:
        reviewed = BranchInput(
            branch.category, branch.answers, branch.bonus, branch.deductions, review
        )
        stars = score_branch(RUBRIC, reviewed).stars
        assert stars is not None
        return stars

    assert stars_with(needed) >= level.stars
    assert stars_with(needed - Decimal("0.01")) < level.stars


@given(branches(with_review=False))
def test_reached_levels_are_reached_with_a_review_of_zero(branch: BranchInput) -> None:
    result = score_branch(RUBRIC, branch)
    reached = [s for s, needed in result.provisional.needed_review.items() if needed == REACHED]
    zero = score_branch(
        RUBRIC,
        BranchInput(branch.category, branch.answers, branch.bonus, branch.deductions, Decimal(0)),
    )
    assert zero.stars is not None and all(zero.stars >= stars for stars in reached)


@given(branches(with_review=False))
def test_next_level_items_do_lift_the_provisional_stars(branch: BranchInput) -> None:
    result = score_branch(RUBRIC, branch)
    if not result.next_level_items:
        return
    lifted = dict(branch.answers) | {item_id: "full" for item_id in result.next_level_items}
    after = score_branch(
        RUBRIC, BranchInput(branch.category, lifted, branch.bonus, branch.deductions)
    )
    fewer = dict(branch.answers) | {item_id: "full" for item_id in result.next_level_items[:-1]}
    short = score_branch(
        RUBRIC, BranchInput(branch.category, fewer, branch.bonus, branch.deductions)
    )
    assert after.provisional.stars > result.provisional.stars
    assert short.provisional.stars == result.provisional.stars


@given(
    st.lists(
        st.tuples(st.integers(min_value=60, max_value=100), st.sampled_from(["90", "95", "100"])),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
    st.sampled_from([None, Decimal("0.4"), Decimal("0.1")]),
)
@settings(max_examples=60)
def test_the_quota_is_never_exceeded_and_ignores_input_order(
    rows: list[tuple[int, str]], shuffler: random.Random, override: Decimal | None
) -> None:
    full = [item.id for item in RUBRIC.items_for("rural")]
    scored = []
    for index, (basic, review) in enumerate(rows):
        answers: dict[str, str | Decimal] = dict.fromkeys(full, "full")
        # Take points off the last items until the basic score is reached.
        missing = Decimal(100 - basic)
        for item_id in reversed(full):
            points = RUBRIC.item(item_id).points
            taken = min(points, missing)
            answers[item_id] = points - taken
            missing -= taken
        branch = BranchInput("rural", answers, review=Decimal(review))
        scored.append((f"b{index}", score_branch(RUBRIC, branch)))
    quota = apply_quota(RUBRIC, scored, quota_override=override)
    shuffled = list(scored)
    shuffler.shuffle(shuffled)
    again = apply_quota(RUBRIC, shuffled, quota_override=override)
    five = sum(1 for outcome in quota.outcomes if outcome.stars_after_quota == 5)
    assert quota.five_star_limit is not None and five <= quota.five_star_limit
    assert sorted(quota.outcomes) == sorted(again.outcomes)


@given(reviews, st.integers(min_value=0, max_value=100))
def test_totals_on_a_threshold_land_on_the_upper_side(review: Decimal, basic: int) -> None:
    result = score_branch(RUBRIC, BranchInput("retired", _answers_for(basic), review=review))
    assert result.total is not None and result.stars is not None
    minimums = {level.stars: level.min_total for level in RUBRIC.levels}
    assert result.total >= minimums[result.stars]
    above = [level for level in RUBRIC.levels if level.stars == result.stars + 1]
    if above and not result.gates:
        assert result.total < above[0].min_total


def _answers_for(basic: int) -> dict[str, str | Decimal]:
    answers: dict[str, str | Decimal] = {}
    remaining = Decimal(basic)
    for item in RUBRIC.items_for("retired"):
        taken = min(item.points, remaining)
        answers[item.id] = taken
        remaining -= taken
    return answers

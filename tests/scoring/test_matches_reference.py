"""The fast scorer gives exactly what a literal reading of DOMAIN.md gives (reference.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    BasicBelow,
    BranchInput,
    Claim,
    ReviewBelow,
    Rubric,
    ScoreResult,
    default_rubric,
    score_branch,
)
from tests.scoring.builders import answers_for_basic, variant
from tests.scoring.reference import reference_score

RUBRICS = {
    "default": default_rubric(),
    "town_150": variant("town_150"),
    "strict_95": variant("strict_95"),
    "review_heavy": variant("review_heavy"),
    "county_rules": variant("county_rules"),
}


def _scores(maximum: Decimal) -> st.SearchStrategy[Decimal]:
    """A reviewer's item score from 0 to the item's points, with 0 to 2 decimals."""
    return st.integers(min_value=0, max_value=2).flatmap(
        lambda places: st.decimals(min_value=0, max_value=maximum, places=places)
    )


@st.composite
def rubric_and_branch(draw: st.DrawFn) -> tuple[Rubric, BranchInput]:
    """Any rubric, any category; each item unanswered, answered with a level, or re-scored."""
    rubric = RUBRICS[draw(st.sampled_from(sorted(RUBRICS)))]
    category = draw(st.sampled_from([category.key for category in rubric.categories]))
    level_keys = [level.key for level in rubric.answer_levels]
    answers: dict[str, str | Decimal] = {}
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        # A basic score on an edge: a gate's minimum, a level's or full marks (where a bonus
        # meets a total cap), or a point either side.
        edges = [Decimal(100), *(level.min_total for level in rubric.levels)]
        edges += [
            gate.condition.minimum
            for gate in rubric.gates
            if isinstance(gate.condition, BasicBelow)
        ]
        edge = draw(st.sampled_from(edges)) + draw(st.sampled_from([-1, 0, 0, 1]))
        basic = min(max(edge, Decimal(0)), Decimal(100)) * rubric.basic_total / 100
        answers = answers_for_basic(rubric, category, basic)
    else:
        # Mostly level keys, as secretaries answer, some reviewer scores, some unanswered.
        for item in rubric.items_for(category):
            kind = draw(st.sampled_from(["level", "level", "level", "score", "unanswered"]))
            if kind == "level":
                answers[item.id] = draw(st.sampled_from(level_keys))
            elif kind == "score":
                answers[item.id] = draw(_scores(item.points))
    bonus: tuple[Claim, ...] = ()
    if rubric.bonus is not None:
        kinds = st.sampled_from([kind.key for kind in rubric.bonus.kinds])
        points = st.decimals(min_value=0, max_value=25, places=2)
        bonus = tuple(draw(st.lists(st.builds(Claim, kinds, points), max_size=3)))
    minimum = rubric.deductions.min_points
    deduction_kinds = st.sampled_from([kind.key for kind in rubric.deductions.kinds])
    deduction_points = st.decimals(min_value=minimum, max_value=minimum + 30, places=1)
    deductions = tuple(
        draw(st.lists(st.builds(Claim, deduction_kinds, deduction_points), max_size=2))
    )
    review = draw(
        st.none()
        | st.decimals(min_value=0, max_value=100, places=2)
        | st.decimals(min_value=0, max_value=100, places=3)
        | st.sampled_from([Decimal(0), Decimal(100), Decimal("66.67"), Decimal("90")])
        | st.sampled_from([level.min_total for level in rubric.levels])
        | st.sampled_from(
            [
                gate.condition.minimum + offset
                for gate in rubric.gates
                if isinstance(gate.condition, ReviewBelow)
                for offset in (Decimal("-0.01"), Decimal(0))
            ]
            or [Decimal(50)]
        )
    )
    return rubric, BranchInput(category, answers, bonus, deductions, review)


def _as_reference(result: ScoreResult) -> dict[str, Any]:
    """The result in the reference's shape."""
    provisional = result.provisional
    return {
        "basic": result.basic,
        "basic_100": result.basic_100,
        "bonus": result.bonus,
        "deduction": result.deduction,
        "assessment": result.assessment,
        "review": result.review,
        "total": result.total,
        "stars": result.stars,
        "gates": result.gates,
        "missing": [(item.item_id, item.lost, item.answered) for item in result.missing],
        "provisional": (
            provisional.assumed_review,
            provisional.total,
            provisional.stars,
            provisional.needed_review,
        ),
        "next_level_items": result.next_level_items,
        "areas": [(area.key, area.scored, area.full) for area in result.areas],
    }


@given(rubric_and_branch())
@settings(max_examples=400)
def test_every_figure_and_view_equals_the_reference(case: tuple[Rubric, BranchInput]) -> None:
    rubric, branch = case
    assert _as_reference(score_branch(rubric, branch)) == reference_score(rubric, branch)


@given(rubric_and_branch())
@settings(max_examples=200)
def test_level_keys_and_the_same_points_as_reviewer_scores_score_alike(
    case: tuple[Rubric, BranchInput],
) -> None:
    # Level keys take the integer path; the same points given as Decimals take the exact path.
    rubric, branch = case
    as_scores: dict[str, str | Decimal] = {
        item_id: rubric.answer_scores(item_id)[answer] if isinstance(answer, str) else answer
        for item_id, answer in branch.answers.items()
    }
    rescored = BranchInput(
        branch.category, as_scores, branch.bonus, branch.deductions, branch.review
    )
    assert _as_reference(score_branch(rubric, branch)) == _as_reference(
        score_branch(rubric, rescored)
    )

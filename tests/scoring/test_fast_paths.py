"""The shapes the fast paths build: result tuples, cached views, quota outcome columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import (
    OVER_QUOTA,
    BranchInput,
    InputError,
    QuotaOutcome,
    QuotaOutcomes,
    apply_quota,
    default_rubric,
    score_branch,
)
from tests.scoring.builders import branch

RUBRIC = default_rubric()


def test_a_view_is_computed_once_and_then_read_from_the_result() -> None:
    result = score_branch(RUBRIC, branch(RUBRIC, 85, review=80))
    first = result.missing
    assert (result.missing is first, "missing" in result.__dict__) == (True, True)


def test_equal_answers_give_equal_results_and_equal_hashes() -> None:
    one = score_branch(RUBRIC, branch(RUBRIC, 85, review=80))
    other = score_branch(RUBRIC, branch(RUBRIC, 85, review=80))
    assert (one == other, hash(one) == hash(other)) == (True, True)


def test_result_figures_cannot_be_reassigned() -> None:
    result = score_branch(RUBRIC, branch(RUBRIC, 85, review=80))
    with pytest.raises(AttributeError):
        result.total = Decimal(100)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"team.nonexistent": "full"}, "answers.team.nonexistent: unknown item or not for"),
        ({"team.study": "yes"}, "answers.team.study: unknown level 'yes'"),
        ({"team.study": Decimal(99)}, "answers.team.study: score 99 is outside 0 to"),
    ],
)
def test_a_bad_answer_is_named_whichever_path_finds_it(
    answers: dict[str, str | Decimal], expected: str
) -> None:
    complete = dict.fromkeys((item.id for item in RUBRIC.items_for("rural")), "full")
    for given in (answers, complete | answers):
        with pytest.raises(InputError) as error:
            score_branch(RUBRIC, BranchInput("rural", given))
        assert error.value.problems[0].startswith(expected)


def test_a_complete_answer_set_with_a_foreign_item_is_refused() -> None:
    # As many answers as items, one of them foreign: the one-call pick fails over cleanly.
    ids = [item.id for item in RUBRIC.items_for("rural")]
    answers = dict.fromkeys(ids[:-1], "full") | {"role.model_organ": "full"}
    with pytest.raises(InputError) as error:
        score_branch(RUBRIC, BranchInput("rural", answers))
    assert error.value.problems == [
        "answers.role.model_organ: unknown item or not for category 'rural'"
    ]


def _outcomes() -> QuotaOutcomes:
    scored = [
        (name, score_branch(RUBRIC, branch(RUBRIC, basic, review=100)))
        for name, basic in (("a", 100), ("b", 98), ("c", 96), ("d", 60))
    ]
    return apply_quota(RUBRIC, scored).outcomes


def test_quota_outcomes_read_like_a_tuple_of_outcomes() -> None:
    outcomes = _outcomes()
    expected = (
        QuotaOutcome("a", 5, 5, None, False),
        QuotaOutcome("b", 5, 4, OVER_QUOTA, False),
        QuotaOutcome("c", 5, 4, OVER_QUOTA, False),
        QuotaOutcome("d", 3, 3, None, False),
    )
    assert (len(outcomes), outcomes[1], outcomes[-1], outcomes[1:3], tuple(outcomes)) == (
        4,
        expected[1],
        expected[3],
        expected[1:3],
        expected,
    )


def test_quota_outcomes_compare_by_content() -> None:
    outcomes = _outcomes()
    assert (outcomes == _outcomes(), outcomes == tuple(outcomes), outcomes == ()) == (
        True,
        True,
        False,
    )


def test_an_outcome_is_found_by_branch_id() -> None:
    # 30% of one branch is none: the only five-star branch drops.
    scored = [("x", score_branch(RUBRIC, branch(RUBRIC, 90, review=90)))]
    assert apply_quota(RUBRIC, scored).outcome("x") == QuotaOutcome("x", 5, 4, OVER_QUOTA, False)

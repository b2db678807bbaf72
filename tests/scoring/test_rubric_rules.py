"""Rules other localities use: gates as data, shares per category, a capped total."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import (
    OVER_QUOTA,
    BasicBelow,
    BranchInput,
    Claim,
    DeductionOf,
    Gate,
    ItemBelowFull,
    ReviewBelow,
    RubricError,
    ScoreResult,
    apply_quota,
    default_rubric,
    parse_rubric,
    quota_to_dict,
    rubric_to_dict,
    score_branch,
)
from tests.scoring.builders import branch, variant
from tests.scoring.test_rubric_loading import MINIMAL

# The minimal rubric with three levels, a second deduction kind, gates of every kind, a share
# per category and a total cap.
RULES = (
    MINIMAL.replace("basic_total: 10\n", "basic_total: 10\ntotal_cap: 100\n")
    .replace(
        "kinds: [{key: other, label: 其他}]}\nreview",
        "kinds: [{key: other, label: 其他}, {key: gang, label: 涉黑}]}\nreview",
    )
    .replace(
        "  - {stars: 1, min_total: 0, label: 一星级}\n",
        "  - {stars: 3, min_total: 60, label: 三星级}\n"
        "  - {stars: 0, min_total: 0, label: 未定级}\n",
    )
    .replace(
        "gates: {min_basic_100: 80, deductions_forbid: true}\n",
        """gates:
  - {key: low_basic, label: 基础项低, basic_100_below: 80, max_stars: 3}
  - {key: gang, label: 涉黑, deduction: [gang], max_stars: 0}
  - {key: satisfaction, label: 满意度低, review_below: 60, max_stars: 3}
  - {key: veto, label: 一票否决, item_below_full: team.study, max_stars: 3}
""",
    )
    .replace("quota: {5: 0.3}", "quota:\n  5: {share: 0.3, categories: {rural: 0.2}}")
    .replace("spot_check: {levels: [1]", "spot_check: {levels: [3]")
)


def test_gates_shares_and_the_total_cap_load_as_written() -> None:
    rubric = parse_rubric(RULES)
    assert (rubric.gates, rubric.quota, rubric.category_quota, rubric.total_cap) == (
        (
            Gate("low_basic", "基础项低", BasicBelow(Decimal(80)), 3),
            Gate("gang", "涉黑", DeductionOf(("gang",)), 0),
            Gate("satisfaction", "满意度低", ReviewBelow(Decimal(60)), 3),
            Gate("veto", "一票否决", ItemBelowFull("team.study"), 3),
        ),
        {5: Decimal("0.3")},
        {5: {"rural": Decimal("0.2")}},
        Decimal(100),
    )


def test_the_older_two_field_gates_become_two_unlabelled_gates() -> None:
    rubric = variant("town_150")
    assert rubric.gates == (
        Gate("basic_below_85", None, BasicBelow(Decimal(85)), 4),
        Gate("has_deduction", None, DeductionOf(), 4),
    )


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "basic_100_below: 80, max_stars: 3}",
            "basic_100_below: 80, review_below: 60, max_stars: 3}",
            "<string>: gates[0]: expected exactly one condition of basic_100_below, deduction, "
            "review_below, item_below_full, got ['basic_100_below', 'review_below']",
        ),
        (
            "basic_100_below: 80, max_stars: 3}",
            "max_stars: 3}",
            "<string>: gates[0]: expected exactly one condition",
        ),
        (
            "basic_100_below: 80, max_stars: 3}",
            "basic_100_below: 180, max_stars: 3}",
            "<string>: gates[0].basic_100_below: must be at most 100, got 180",
        ),
        (
            "deduction: [gang]",
            "deduction: [theft]",
            "<string>: gates[1].deduction[0]: unknown deduction kind 'theft' (expected other, "
            "gang)",
        ),
        (
            "deduction: [gang]",
            "deduction: some",
            "<string>: gates[1].deduction: expected 'any' or a list of deduction kinds, "
            "got 'some'",
        ),
        (
            "item_below_full: team.study",
            "item_below_full: team.nothing",
            "<string>: gates[3].item_below_full: unknown item 'team.nothing'",
        ),
        (
            "review_below: 60, max_stars: 3}",
            "review_below: 60, max_stars: 5}",
            "<string>: gates[2].max_stars: expected the stars of a level below the top one "
            "(3, 0), got 5",
        ),
        (
            "{key: gang, label: 涉黑,",
            "{key: low_basic, label: 涉黑,",
            "<string>: gates[1].key: duplicate key 'low_basic' (first at gates[0].key)",
        ),
        (
            "{key: gang, label: 涉黑,",
            "{key: gang, label: '',",
            "<string>: gates[1].label: expected non-empty text, got ''",
        ),
        (
            "categories: {rural: 0.2}",
            "categories: {army: 0.2}",
            "<string>: quota.5.categories.army: unknown category 'army' (expected rural, retired)",
        ),
        (
            "categories: {rural: 0.2}",
            "categories: {rural: 1.2}",
            "<string>: quota.5.categories.rural: must be at most 1",
        ),
        (
            "share: 0.3,",
            "part: 0.3,",
            "<string>: quota.5.part: unknown key 'part' (expected share, categories)",
        ),
        ("total_cap: 100", "total_cap: 0", "<string>: total_cap: must be greater than 0, got 0"),
        (
            "total_cap: 100",
            "total_cap: 85",
            "<string>: levels[0].min_total: 90 is above total_cap 85: no total could reach it",
        ),
    ],
)
def test_an_invalid_rule_names_the_field_and_the_value(old: str, new: str, problem: str) -> None:
    assert old in RULES
    with pytest.raises(RubricError) as raised:
        parse_rubric(RULES.replace(old, new, 1))
    assert any(line.startswith(problem) for line in raised.value.problems), raised.value.problems


def _county(
    answers: dict[str, str | Decimal] | None = None,
    *,
    category: str = "rural",
    bonus: tuple[int, ...] = (),
    deductions: tuple[str, ...] = (),
    review: str | None = "100",
) -> ScoreResult:
    """A branch of the county_rules variant, full marks unless told otherwise."""
    rubric = variant("county_rules")
    full: dict[str, str | Decimal] = {item.id: "full" for item in rubric.items_for(category)}
    return score_branch(
        rubric,
        BranchInput(
            category,
            full | (answers or {}),
            tuple(Claim("commendation", Decimal(points)) for points in bonus),
            tuple(Claim(kind, Decimal(20)) for kind in deductions),
            None if review is None else Decimal(review),
        ),
    )


def test_a_review_under_the_gate_s_minimum_caps_the_level() -> None:
    result = _county(review="59.99")
    assert (result.total, result.gates, result.stars) == (Decimal("88.00"), ("satisfaction",), 2)


def test_a_review_gate_raises_the_review_a_higher_level_needs() -> None:
    # basic 100 with 20 bonus: 0.7 × 120 = 84 reaches four stars with no review at all, but the
    # satisfaction gate (below 60 caps at two stars) asks 60 for three stars and up.
    needed = _county(bonus=(20,), review=None).provisional.needed_review
    assert needed == {
        5: Decimal("60"),
        4: Decimal("60"),
        3: Decimal("60"),
        2: "reached",
        0: "reached",
    }


def test_a_veto_item_below_full_caps_the_level_and_comes_first_in_the_way_up() -> None:
    # team.study (30 points) and team.safety (10) half done: basic 80, provisional total 80,
    # held at three stars by the veto. Full marks on the larger loss alone would not lift the
    # veto; full marks on team.safety alone give 85 and four stars.
    result = _county({"team.study": "partial", "team.safety": "partial"}, review=None)
    assert (
        result.gates,
        result.provisional.stars,
        result.provisional.gated,
        result.next_level_items,
    ) == (("safety_veto",), 3, frozenset({5, 4}), ("team.safety",))


def test_a_veto_item_of_another_category_never_fails() -> None:
    # role.village, which the village veto names, is a rural item only.
    community = _county(category="community", review=None)
    rural = _county({"role.village": "partial"}, review=None)
    assert (community.gates, rural.gates) == ((), ("village_veto",))


def test_a_named_deduction_kind_leaves_the_branch_unrated() -> None:
    any_kind = _county(deductions=("major_incident",))
    vetoed = _county(deductions=("crime_infiltration",))
    assert ((any_kind.gates, any_kind.stars), (vetoed.gates, vetoed.stars)) == (
        (("has_deduction",), 4),
        (("has_deduction", "infiltration"), 0),
    )


def test_a_total_cap_keeps_the_total_on_the_100_scale() -> None:
    # 0.7 × (100 + 20) + 0.3 × 100 = 114 without the cap.
    capped = _county(bonus=(20,))
    assert (capped.total, capped.provisional.total) == (Decimal("100.00"), Decimal("100.00"))


def test_the_default_rubric_keeps_the_seed_s_uncapped_total() -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 100, bonus=(20,), review=100))
    assert (rubric.total_cap, result.total) == (None, Decimal("114.00"))


def _county_batch() -> list[tuple[str, ScoreResult]]:
    """Five rural and five community branches, all at five stars, totals falling by index."""
    rubric = variant("county_rules")
    return [
        (
            f"{category}{index}",
            score_branch(
                rubric,
                branch(rubric, 100, category=category, review=str(100 - index)),
            ),
        )
        for category in ("rural", "community")
        for index in range(5)
    ]


def test_a_category_share_applies_within_the_category_s_branches_then_the_overall_share() -> None:
    # rural five stars ≤ 20% of 5 = 1; then all five stars ≤ 30% of 10 = 3; the dropped
    # compete for four stars, ≤ 50% of each category's 5 = 2.
    quota = apply_quota(variant("county_rules"), _county_batch())
    after = {
        outcome.branch_id: (outcome.stars_after_quota, outcome.reason)
        for outcome in quota.outcomes
    }
    assert (quota.limits, quota.category_limits, after) == (
        {5: 3},
        {5: {"rural": 1}, 4: {"rural": 2, "community": 2}},
        {
            "rural0": (5, None),
            "rural1": (4, OVER_QUOTA),
            "rural2": (4, OVER_QUOTA),
            "rural3": (3, OVER_QUOTA),
            "rural4": (3, OVER_QUOTA),
            "community0": (5, None),
            "community1": (5, None),
            "community2": (4, OVER_QUOTA),
            "community3": (4, OVER_QUOTA),
            "community4": (3, OVER_QUOTA),
        },
    )


def test_the_batch_reports_the_limit_of_every_scope_and_keeps_the_five_star_limit() -> None:
    quota = apply_quota(variant("county_rules"), _county_batch())
    assert quota_to_dict(quota) == {
        "five_star_limit": 3,
        "quota_limits": [
            {"stars": 5, "category": "rural", "limit": 1},
            {"stars": 5, "category": None, "limit": 3},
            {"stars": 4, "category": "rural", "limit": 2},
            {"stars": 4, "category": "community", "limit": 2},
        ],
    }


def test_rubric_show_json_carries_the_new_rules_and_the_aliases() -> None:
    shape = rubric_to_dict(variant("county_rules"))
    assert (
        shape["categories"][1],
        shape["gates"][2:4],
        shape["quota"],
        shape["category_quota"],
        shape["total_cap"],
    ) == (
        {"key": "community", "label": "社区党支部", "aliases": ["社区"]},
        [
            {
                "key": "satisfaction",
                "label": "群众满意度低于60%",
                "review_below": "60",
                "max_stars": 2,
            },
            {
                "key": "safety_veto",
                "label": "安全生产责任未完全落实(一票否决)",
                "item_below_full": "team.safety",
                "max_stars": 3,
            },
        ],
        {"5": "0.3"},
        {"5": {"rural": "0.2"}, "4": {"rural": "0.5", "community": "0.5"}},
        "100",
    )


def test_each_category_has_its_own_role_total() -> None:
    rubric = default_rubric()
    assert {
        category.key: rubric.area_full("role", category.key) for category in rubric.categories
    } == {
        "rural": Decimal(24),
        "institution": Decimal(24),
        "non_public": Decimal(24),
        "retired": Decimal(24),
    }


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["rural", "community"]),
            st.integers(min_value=60, max_value=100),
            st.sampled_from(["85", "95", "100"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60)
def test_no_scope_ever_holds_more_than_its_share_whatever_the_order(
    rows: list[tuple[str, int, str]], shuffler: random.Random
) -> None:
    rubric = variant("county_rules")
    scored = [
        (
            f"b{index}",
            score_branch(rubric, branch(rubric, basic, category=category, review=review)),
        )
        for index, (category, basic, review) in enumerate(rows)
    ]
    quota = apply_quota(rubric, scored)
    shuffled = list(scored)
    shuffler.shuffle(shuffled)
    category_of = {branch_id: result.branch.category for branch_id, result in scored}
    held = [
        (category_of[outcome.branch_id], outcome.stars_after_quota) for outcome in quota.outcomes
    ]
    over = [
        (stars, category, limit)
        for stars, limits in quota.category_limits.items()
        for category, limit in limits.items()
        if held.count((category, stars)) > limit
    ]
    over += [
        (stars, None, limit)
        for stars, limit in quota.limits.items()
        if sum(1 for _, after in held if after == stars) > limit
    ]
    assert (over, sorted(quota.outcomes)) == ([], sorted(apply_quota(rubric, shuffled).outcomes))

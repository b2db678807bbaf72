"""Loading rubrics: the default one from the seed, and errors that name file, field and value."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from scoring import (
    RubricError,
    default_rubric,
    default_rubric_text,
    load_rubric,
    parse_rubric,
    rubric_to_dict,
)

MINIMAL = """\
name: 最小细则
basic_total: 10
categories:
  - {key: rural, label: 农村党支部}
  - {key: retired, label: 离退休党支部}
answer_levels:
  - {key: full, label: 完全做到, fraction: 1}
  - {key: none, label: 未做到, fraction: 0}
areas:
  - key: team
    title: 班子建设
    items:
      - {id: team.study, text: 学习, points: 6}
      - {id: team.village, text: 乡村振兴, points: 4, categories: [rural]}
      - {id: team.retirees, text: 发挥作用, points: 4, categories: [retired]}
bonus: {cap: 20, kinds: [{key: other, label: 其他}]}
deductions: {min_points: 20, kinds: [{key: other, label: 其他}]}
review: {ballots: [{key: good, label: 好, value: 100}]}
weights: {assessment: 0.7, review: 0.3}
levels:
  - {stars: 5, min_total: 90, label: 五星级}
  - {stars: 1, min_total: 0, label: 一星级}
gates: {min_basic_100: 80, deductions_forbid: true}
quota: {5: 0.3}
spot_check: {levels: [1], fraction: 0.15}
"""


def test_the_minimal_rubric_loads() -> None:
    rubric = parse_rubric(MINIMAL)
    assert [item.id for item in rubric.items_for("retired")] == ["team.study", "team.retirees"]


def test_the_default_rubric_has_every_category_adding_up_to_one_hundred() -> None:
    rubric = default_rubric()
    totals = {
        category.key: sum(item.points for item in rubric.items_for(category.key))
        for category in rubric.categories
    }
    assert totals == {"rural": 100, "institution": 100, "non_public": 100, "retired": 100}


def test_the_default_rubric_has_thirty_to_forty_items_per_category_each_with_evidence() -> None:
    rubric = default_rubric()
    counts = [len(rubric.items_for(category.key)) for category in rubric.categories]
    assert all(30 <= count <= 40 for count in counts)
    assert all(item.evidence_hint and item.text for item in rubric.items)


def test_the_default_rubric_carries_the_seed_s_numbers() -> None:
    shape = rubric_to_dict(default_rubric())
    assert (
        [area["title"] for area in shape["areas"]],
        shape["bonus"]["cap"],
        shape["deductions"]["min_points"],
        shape["weights"],
        [(level["stars"], level["min_total"]) for level in shape["levels"]],
        shape["gates"],
        shape["quota"],
        shape["spot_check"],
        [(ballot["label"], ballot["value"]) for ballot in shape["review"]["ballots"]],
    ) == (
        ["班子建设", "工作运行", "党员管理", "组织生活", "基础保障", "作用发挥"],
        "20",
        "20",
        {"assessment": "0.7", "review": "0.3"},
        [(5, "90"), (4, "80"), (3, "70"), (2, "60"), (1, "0")],
        [
            {
                "key": "basic_below_80",
                "label": "基础项得分低于80分",
                "basic_100_below": "80",
                "max_stars": 4,
            },
            {"key": "has_deduction", "label": "出现减分项", "deduction": "any", "max_stars": 4},
        ],
        {"5": "0.3"},
        {"levels": [4, 3], "fraction": "0.15"},
        [("好", "100"), ("较好", "80"), ("一般", "60"), ("差", "0")],
    )


def test_the_default_rubric_text_is_what_the_default_rubric_is_parsed_from() -> None:
    assert parse_rubric(default_rubric_text(), source="x") == parse_rubric(
        default_rubric_text(), source="x"
    )
    assert default_rubric().item("members.quantified_points").points == Decimal(3)


def test_yaml_numbers_are_read_exactly() -> None:
    rubric = parse_rubric(MINIMAL.replace("fraction: 0}", "fraction: 0.1}"))
    assert rubric.answer_level("none").fraction == Decimal("0.1")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "basic_total: 10",
            "basic_total: 10\ncolour: red",
            "<string>: colour: unknown key 'colour'",
        ),
        ("name: 最小细则\n", "", "<string>: name: missing"),
        (
            "{id: team.village, text: 乡村振兴, points: 4, categories: [rural]}",
            "{id: team.study, text: 乡村振兴, points: 4, categories: [rural]}",
            "<string>: areas[0].items[1].id: duplicate item id 'team.study' (first at "
            "areas[0].items[0].id)",
        ),
        (
            "points: 6}",
            "points: 7}",
            "<string>: areas: items of category 'rural' add up to 11, not basic_total 10",
        ),
        (
            "assessment: 0.7, review: 0.3",
            "assessment: 0.7, review: 0.4",
            "<string>: weights: assessment 0.7 + review 0.4 must add up to 1, got 1.1",
        ),
        (
            "{stars: 1, min_total: 0, label: 一星级}",
            "{stars: 6, min_total: 0, label: 一星级}",
            "<string>: levels[1].stars: levels must be strictly descending: 6 after 5",
        ),
        (
            "{stars: 1, min_total: 0, label: 一星级}",
            "{stars: 1, min_total: 95, label: 一星级}",
            "<string>: levels[1].min_total: levels must be strictly descending: 95 after 90",
        ),
        (
            "{stars: 1, min_total: 0, label: 一星级}",
            "{stars: 1, min_total: 50, label: 一星级}",
            "<string>: levels[1].min_total: the last level must start at 0",
        ),
        (
            "id: team.study,",
            "id: team.学习,",
            "<string>: areas[0].items[0].id: expected a short ASCII id like 'team.study', "
            "got 'team.学习'",
        ),
        (
            "id: team.study,",
            "id: team.a_very_long_item_name_for_callbacks,",
            "<string>: areas[0].items[0].id: id 'team.a_very_long_item_name_for_callbacks' is "
            "longer than 32 characters",
        ),
        (
            "id: team.study,",
            "id: role.study,",
            "<string>: areas[0].items[0].id: expected an id starting with 'team.', "
            "got 'role.study'",
        ),
        (
            "points: 6}",
            "points: -6}",
            "<string>: areas[0].items[0].points: must be greater than 0",
        ),
        ("points: 6}", "points: six}", "<string>: areas[0].items[0].points: expected a number"),
        (
            "categories: [rural]}",
            "categories: [army]}",
            "<string>: areas[0].items[1].categories[0]: unknown category 'army'",
        ),
        (
            "{key: full, label: 完全做到, fraction: 1}",
            "{key: yes, label: 完全做到, fraction: 1}",
            "<string>: answer_levels[0].key: got the boolean True: quote the key",
        ),
        (
            "fraction: 1}",
            "fraction: 1.5}",
            "<string>: answer_levels[0].fraction: must be at most 1",
        ),
        ("quota: {5: 0.3}", "quota: {4: 0.3}", "<string>: quota.4: expected the stars of a level"),
        ("quota: {5: 0.3}", "quota: {5: 0}", "<string>: quota.5: must be greater than 0"),
        (
            "deductions_forbid: true}",
            "deductions_forbid: true, stars: 1}",
            "<string>: gates.stars: expected the stars of a level above the bottom one, got 1",
        ),
        ("levels: [1]", "levels: [3]", "<string>: spot_check.levels[0]: unknown level 3"),
        ("value: 100}", "value: 120}", "<string>: review.ballots[0].value: must be at most 100"),
        ("basic_total: 10", "basic_total: 10\nbasic_total: 10", "<string>: not valid YAML"),
        ("name: 最小细则", "name: [", "<string>: not valid YAML"),
    ],
)
def test_an_invalid_rubric_names_the_file_the_field_and_the_value(
    old: str, new: str, problem: str
) -> None:
    assert old in MINIMAL
    with pytest.raises(RubricError) as raised:
        parse_rubric(MINIMAL.replace(old, new, 1))
    assert any(line.startswith(problem) for line in raised.value.problems), raised.value.problems


def test_a_duplicate_key_names_its_line() -> None:
    with pytest.raises(RubricError) as raised:
        parse_rubric(MINIMAL.replace("basic_total: 10", "basic_total: 10\nbasic_total: 10"))
    assert re.search(r"duplicate key 'basic_total'.*line 3", raised.value.problems[0])


def test_every_problem_is_reported_at_once() -> None:
    broken = MINIMAL.replace("points: 6}", "points: x}").replace("value: 100}", "value: 120}")
    with pytest.raises(RubricError) as raised:
        parse_rubric(broken)
    assert len(raised.value.problems) == 4  # two bad values and two categories off the total


def test_a_missing_file_is_a_rubric_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "town.yaml"
    with pytest.raises(RubricError) as raised:
        load_rubric(missing)
    assert raised.value.problems[0].startswith(f"{missing}: cannot read the file")


def test_a_file_s_problems_carry_its_path(tmp_path: Path) -> None:
    path = tmp_path / "town.yaml"
    path.write_text(MINIMAL.replace("points: 6}", "points: 0}"), encoding="utf-8")
    with pytest.raises(RubricError) as raised:
        load_rubric(path)
    assert raised.value.problems[0] == (
        f"{path}: areas[0].items[0].points: must be greater than 0, got 0"
    )


def test_the_example_in_the_readme_is_a_valid_rubric() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    example = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert example is not None
    rubric = parse_rubric(example.group(1), source="README.md")
    assert [level.stars for level in rubric.levels] == [5, 4, 3, 0]


def test_categories_carry_the_other_names_the_rubric_declares() -> None:
    rubric = parse_rubric(
        MINIMAL.replace(
            "{key: rural, label: 农村党支部}",
            "{key: rural, label: 农村党支部, aliases: [农村, 村]}",
        )
    )
    assert [(c.key, c.aliases) for c in rubric.categories] == [
        ("rural", ("农村", "村")),
        ("retired", ()),
    ]


def test_the_default_rubric_does_not_take_a_bare_enterprise_for_non_public() -> None:
    names = {name for category in default_rubric().categories for name in category.aliases}
    assert "非公" in names
    assert "企业" not in names


def test_a_category_name_used_twice_is_a_problem() -> None:
    twice = MINIMAL.replace(
        "{key: retired, label: 离退休党支部}",
        "{key: retired, label: 离退休党支部, aliases: [农村党支部]}",
    )
    with pytest.raises(RubricError) as raised:
        parse_rubric(twice)
    assert raised.value.problems == [
        "<string>: categories[1].aliases: duplicate category name '农村党支部' "
        "(first at categories[0].aliases)"
    ]

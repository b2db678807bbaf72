"""Rubric files written to hurt: each is refused quickly, in short lines naming the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import RubricError, default_rubric_text, load_rubric, parse_rubric
from scoring.rubric_reader import MAX_ITEMS
from scoring.rubric_yaml import MAX_RUBRIC_BYTES
from tests.hostile_inputs import alias_bomb

DEFAULT = default_rubric_text()
NAME_LINE = next(line for line in DEFAULT.splitlines() if line.startswith("name: "))


def _problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as raised:
        parse_rubric(text)
    return raised.value.problems


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("basic_total: 100", "basic_total: abc", "basic_total: expected a number, got 'abc'"),
        ("basic_total: 100", "basic_total: 0", "basic_total: must be greater than 0, got 0"),
        ("basic_total: 100", "basic_total: .nan", "basic_total: expected a number, got nan"),
        (
            "basic_total: 100",
            "basic_total: " + "9" * 5000,
            "basic_total: a number of 5000 characters is too long (at most 30)",
        ),
        (
            "basic_total: 100",
            "basic_total: 1.0e+26",
            "basic_total: must be at most 1000000, got 1.0E+26",
        ),
        ("basic_total: 100", "basic_total: !!int abc", "basic_total: 'abc' is not a valid int"),
        (
            "basic_total: 100",
            "basic_total: !!timestamp 2026-01-01",
            "basic_total: the YAML type 'tag:yaml.org,2002:timestamp' is not allowed here",
        ),
        (
            "basic_total: 100",
            "basic_total: !!python/name:os.system",
            "basic_total: the YAML type 'tag:yaml.org,2002:python/name:os.system' is not "
            "allowed here",
        ),
        (
            "weights:\n",
            "weights:\n  <<: {assessment: 0.7}\n",
            "weights: merge keys (<<) are not supported: write the keys out (line 287)",
        ),
    ],
)
def test_a_bad_value_is_one_problem_line_with_its_field_path(
    old: str, new: str, expected: str
) -> None:
    assert old in DEFAULT
    assert _problems(DEFAULT.replace(old, new, 1)) == [f"<string>: {expected}"]


def test_a_list_as_a_key_is_a_problem_not_a_type_error() -> None:
    assert _problems("? [a, b]\n: 1\n" + DEFAULT) == [
        "<string>: <top>: a key must be text or a number, got a list (line 1)"
    ]


def test_a_357_byte_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = alias_bomb()
    problems = _problems(DEFAULT.replace(NAME_LINE, bomb, 1))
    assert len(bomb.encode("utf-8")) == 357
    assert len(problems) == 1
    assert problems[0].startswith("<string>: name.e[")
    assert problems[0].endswith("aliases expand to more than 10000 values: write it out")


def test_aliases_that_repeat_a_small_list_are_fine() -> None:
    text = DEFAULT.replace("categories: [rural]", "categories: &rural_only [rural]", 1).replace(
        "categories: [rural]", "categories: *rural_only"
    )
    assert parse_rubric(text) == parse_rubric(DEFAULT)


def test_an_alias_to_itself_is_refused() -> None:
    problems = _problems(DEFAULT.replace(NAME_LINE, "name: &loop [*loop]", 1))
    assert problems == [
        "<string>: name[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
        "[0]: nested deeper than 20 levels"
    ]


def test_yaml_nested_100000_deep_is_refused() -> None:
    assert _problems("name: " + "[" * 100_000) == ["<string>: nested deeper than 20 levels"]


def test_a_text_over_the_size_cap_is_refused_unread() -> None:
    text = DEFAULT + "#" * MAX_RUBRIC_BYTES
    assert _problems(text) == [f"<string>: the file is larger than {MAX_RUBRIC_BYTES} bytes"]


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "town.yaml"
    path.write_text(DEFAULT + "#" * MAX_RUBRIC_BYTES, encoding="utf-8")
    with pytest.raises(RubricError) as raised:
        load_rubric(path)
    assert raised.value.problems == [f"{path}: the file is larger than {MAX_RUBRIC_BYTES} bytes"]


def _rubric_with_items(count: int) -> str:
    items = "\n".join(
        f"      - {{id: team.item{i}, text: 项{i}, points: 1}}" for i in range(count)
    )
    return f"""\
name: 大细则
basic_total: {count}
categories: [{{key: rural, label: 农村党支部}}]
answer_levels: [{{key: full, label: 完全做到, fraction: 1}}]
areas:
  - key: team
    title: 班子建设
    items:
{items}
bonus: null
deductions: {{min_points: 20, kinds: [{{key: other, label: 其他}}]}}
review: {{ballots: [{{key: good, label: 好, value: 100}}]}}
weights: {{assessment: 0.7, review: 0.3}}
levels: [{{stars: 5, min_total: 90, label: 五星级}}, {{stars: 0, min_total: 0, label: 未定级}}]
gates: {{min_basic_100: 80, deductions_forbid: true}}
quota: {{}}
spot_check: {{levels: [], fraction: 0.15}}
"""


def test_a_rubric_may_hold_as_many_items_as_allowed() -> None:
    assert len(parse_rubric(_rubric_with_items(MAX_ITEMS)).items) == MAX_ITEMS


def test_too_many_items_are_refused() -> None:
    assert _problems(_rubric_with_items(MAX_ITEMS + 1)) == [
        f"<string>: areas: {MAX_ITEMS + 1} items, more than the {MAX_ITEMS} allowed"
    ]


def test_a_huge_bad_value_is_echoed_as_a_short_excerpt() -> None:
    huge = "x" * 900_000
    problems = _problems(DEFAULT.replace("basic_total: 100", f"basic_total: {huge}", 1))
    assert problems == [
        f"<string>: basic_total: expected a number, got {'x' * 60!r}… (900000 characters)"
    ]


def test_a_huge_unknown_key_is_cut_in_the_path_and_the_message() -> None:
    # An explicit key (`? key`), since PyYAML refuses plain keys over 1,024 characters itself.
    problems = _problems(DEFAULT + "? " + "k" * 500_000 + "\n: 1\n")
    assert len(problems) == 1
    assert problems[0].startswith(f"<string>: {'k' * 60}…: unknown key {'k' * 60!r}…")
    assert len(problems[0]) <= 401


def test_a_long_label_is_refused() -> None:
    label = "长" * 1001
    problems = _problems(DEFAULT.replace(NAME_LINE, f"name: {label}", 1))
    assert problems == [
        f"<string>: name: text {'长' * 60!r}… (1001 characters) is longer than 1000 characters"
    ]


def _field_paths(node: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every field path of a parsed YAML document, containers and leaves alike."""
    children: list[tuple[str | int, object]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    paths = [path] if path else []
    for key, child in children:
        paths += _field_paths(child, (*path, key))
    return paths


DEFAULT_DOCUMENT = yaml.safe_load(DEFAULT)
HOSTILE_VALUES = [[], {}, [{"a": 1}], {"a": [1]}, "x" * 2000, 10**7, -1, 0, None, True, 1.5]


@given(
    st.sampled_from(_field_paths(DEFAULT_DOCUMENT)),
    st.sampled_from(HOSTILE_VALUES),
)
@settings(max_examples=60, deadline=None)
def test_any_field_given_any_hostile_value_is_a_rubric_error_or_a_rubric(
    path: tuple[str | int, ...], value: object
) -> None:
    document = copy.deepcopy(DEFAULT_DOCUMENT)
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    try:
        parse_rubric(yaml.safe_dump(document, allow_unicode=True))
    except RubricError as error:
        assert error.problems
        assert max(len(line) for line in error.problems) <= 401

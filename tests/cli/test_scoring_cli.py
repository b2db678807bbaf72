"""`pingxing rubric show|check` and `pingxing score`: the JSON contract and the exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from scoring import default_rubric, parse_branch_input, result_to_dict, score_branch
from tests.hostile_inputs import alias_bomb

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
VARIANTS = ROOT / "tests" / "scoring" / "rubrics"
runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_rubric_show_json_has_the_contract_fields() -> None:
    code, out, _ = _run("rubric", "show", "--json")
    shape = json.loads(out)
    assert code == 0
    assert {
        "basic_total",
        "categories",
        "answer_levels",
        "areas",
        "bonus",
        "deductions",
        "review",
        "weights",
        "levels",
        "gates",
        "quota",
        "spot_check",
    } <= set(shape)
    assert shape["areas"][2]["items"][1] == {
        "id": "members.quantified_points",
        "text": "按规定开展党员量化积分管理",
        "points": "3",
        "categories": ["rural", "institution", "non_public", "retired"],
        "evidence_hint": "党员积分登记表、积分公示",
    }


def test_rubric_show_prints_a_readable_chinese_table() -> None:
    code, out, _ = _run("rubric", "show")
    assert (code, "班子建设 (team, 16)" in out, "五星级 ≥ 90" in out) == (0, True, True)


def test_rubric_show_gives_an_area_each_category_s_own_total_and_shares_as_percentages() -> None:
    code, out, _ = _run("rubric", "show")
    lines = out.splitlines()
    assert code == 0
    assert "作用发挥 (role, 24)" in lines
    assert "权重: 考评 70% / 评议 30%" in lines
    assert "比例上限: 五星级 ≤ 30%" in lines
    assert "抽查: 4/3 星各不低于 15%" in lines


def test_rubric_show_prints_the_shares_within_categories_and_the_total_cap() -> None:
    code, out, _ = _run("rubric", "show", "--rubric", str(VARIANTS / "county_rules.yaml"))
    rules = [line for line in out.splitlines() if line.startswith(("比例上限", "总分上限"))]
    assert (code, rules) == (
        0,
        [
            "总分上限: 100",
            "比例上限: 五星级 ≤ 30%（农村党支部 ≤ 20%）, "
            "四星级（农村党支部 ≤ 50%, 社区党支部 ≤ 50%）",
        ],
    )


def test_rubric_show_lists_each_category_s_total_when_an_area_differs(tmp_path: Path) -> None:
    rubric = tmp_path / "town.yaml"
    rubric.write_text(
        (VARIANTS / "town_150.yaml")
        .read_text(encoding="utf-8")
        .replace("points: 25}", "points: 25, categories: [rural]}")
        .replace("points: 30, categories: [enterprise]}", "points: 55, categories: [enterprise]}"),
        encoding="utf-8",
    )
    code, out, err = _run("rubric", "show", "--rubric", str(rubric))
    areas = [line for line in out.splitlines() if line.startswith(("班子建设", "作用发挥"))]
    assert (code, err, areas) == (
        0,
        "",
        ["班子建设 (team, rural 75, enterprise 50)", "作用发挥 (role, rural 75, enterprise 100)"],
    )


def test_rubric_show_reads_another_rubric_and_warns_on_its_weights() -> None:
    code, out, err = _run(
        "rubric", "show", "--json", "--rubric", str(VARIANTS / "review_heavy.yaml")
    )
    assert (code, json.loads(out)["weights"], "departs from the seed" in err) == (
        0,
        {"assessment": "0.6", "review": "0.4"},
        True,
    )


def test_rubric_check_summarises_a_valid_rubric() -> None:
    code, out, _ = _run("rubric", "check", str(VARIANTS / "town_150.yaml"))
    assert (code, "ok: 5 items in 2 areas" in out) == (0, True)


def test_rubric_check_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    broken = tmp_path / "town.yaml"
    text = (VARIANTS / "town_150.yaml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("points: 50", "points: 55").replace("0.7, review", "0.6, review"),
        encoding="utf-8",
    )
    code, out, err = _run("rubric", "check", str(broken))
    assert (code, out, err.splitlines()) == (
        2,
        "",
        [
            f"{broken}: areas: items of category 'rural' add up to 155, not basic_total 150",
            f"{broken}: areas: items of category 'enterprise' add up to 155, not basic_total 150",
            f"{broken}: weights: assessment 0.6 + review 0.3 must add up to 1, got 0.9",
        ],
    )


def test_score_prints_one_branch_as_json() -> None:
    code, out, _ = _run("score", str(SAMPLES / "branch.json"))
    shape = json.loads(out)
    assert code == 0
    assert {
        key: shape[key] for key in ("basic", "bonus", "review", "total", "stars", "gates")
    } == {
        "basic": "90",
        "bonus": "8",
        "review": "93.6",
        "total": "96.68",
        "stars": 5,
        "gates": [],
    }
    assert shape["missing"][0] == {"item": "foundation.online", "lost": "2", "answered": False}
    assert set(shape["provisional"]) == {"assumed_review", "total", "stars", "needed_review"}


def test_score_reads_stdin() -> None:
    code, out, _ = _run("score", "-", stdin='{"category": "retired"}')
    shape = json.loads(out)
    assert (code, shape["basic"], shape["total"], shape["stars"]) == (0, "0", None, None)


def test_score_batch_applies_the_quota() -> None:
    code, out, _ = _run("score", str(SAMPLES / "batch.json"))
    shape = json.loads(out)
    after = [
        (b["id"], b["stars"], b["stars_after_quota"], b["quota_reason"]) for b in shape["branches"]
    ]
    assert (code, shape["five_star_limit"], after) == (
        0,
        1,
        [
            ("dongzhuang", 5, 5, None),
            ("xizhuang", 5, 4, "over_quota"),
            ("zhen_jiguan", 5, 4, "over_quota"),
            ("hongxing_qiye", 3, 3, None),
            ("laoganbu", None, None, None),
        ],
    )


def test_score_batch_takes_an_approved_override() -> None:
    document = json.loads((SAMPLES / "batch.json").read_text(encoding="utf-8"))
    document["quota_override"] = 0.6
    code, out, _ = _run("score", "-", stdin=json.dumps(document))
    assert (code, json.loads(out)["five_star_limit"]) == (0, 3)


@pytest.mark.parametrize(
    ("stdin", "problems"),
    [
        ("not json", ["-: not JSON: Expecting value: line 1 column 1 (char 0)"]),
        (
            '{"category": "rural", "answers": {"team.study": "yes"}}',
            ["answers.team.study: unknown level 'yes' (expected full, partial, none)"],
        ),
        (
            '{"category": "rural", "review": 101}',
            ["review: score 101 is outside 0 to 100"],
        ),
        (
            '{"branches": [{"id": "a", "category": "x"}, {"id": "a", "category": "rural"}]}',
            [
                "branches[0].category: unknown category 'x' (expected rural, institution, "
                "non_public, retired)",
                "branches[1].id: duplicate branch id 'a'",
            ],
        ),
        (
            '{"branches": [], "quota_override": 2}',
            ["quota_override: expected a share above 0 and at most 1, got 2"],
        ),
    ],
)
def test_bad_input_exits_2_with_problems_on_stderr_and_nothing_on_stdout(
    stdin: str, problems: list[str]
) -> None:
    code, out, err = _run("score", "-", stdin=stdin)
    assert (code, out, err.splitlines()) == (2, "", problems)


def test_a_missing_file_exits_2() -> None:
    code, out, err = _run("score", "/nonexistent/branch.json")
    assert (code, out, err.startswith("/nonexistent/branch.json: cannot read the file")) == (
        2,
        "",
        True,
    )


_ITEMS = default_rubric().items_for("non_public")


@given(
    st.dictionaries(
        st.sampled_from([item.id for item in _ITEMS]),
        st.one_of(st.sampled_from(["full", "partial", "none"]), st.integers(0, 2)),
    ),
    st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
)
@settings(max_examples=40)
def test_score_round_trips_through_json(answers: dict[str, Any], review: Decimal | None) -> None:
    data: dict[str, Any] = {
        "category": "non_public",
        "answers": answers,
        "review": None if review is None else float(review),
    }
    code, out, _ = _run("score", "-", stdin=json.dumps(data))
    rubric = default_rubric()
    expected = result_to_dict(
        score_branch(
            rubric, parse_branch_input(rubric, json.loads(json.dumps(data), parse_float=Decimal))
        )
    )
    assert (code, json.loads(out)) == (0, expected)


def test_score_output_fed_back_as_input_scores_the_same() -> None:
    branch = json.loads((SAMPLES / "branch.json").read_text(encoding="utf-8"))
    code, out, _ = _run("score", str(SAMPLES / "branch.json"))
    first = json.loads(out)
    again = {
        "category": branch["category"],
        "answers": branch["answers"],
        "bonus": [{"kind": "other", "points": first["bonus"]}],
        "deductions": [{"kind": "other", "points": "20"}],
        "review": first["review"],
    }
    code_again, out_again, err = _run("score", "-", stdin=json.dumps(again))
    second = json.loads(out_again)
    assert (code, code_again, err) == (0, 0, "")
    assert (first["review"], second["review"], second["bonus"], second["deduction"]) == (
        "93.6",
        "93.6",
        "8",
        "20",
    )
    assert Decimal(second["total"]) == Decimal(first["total"]) - Decimal("0.7") * 20


def test_score_reads_ballot_counts_and_a_quota_override_written_as_text() -> None:
    document = json.loads((SAMPLES / "batch.json").read_text(encoding="utf-8"))
    document["quota_override"] = "0.6"
    document["branches"][0]["review"] = {"ballots": {"good": "18", "fairly_good": "6"}}
    code, out, err = _run("score", "-", stdin=json.dumps(document))
    shape = json.loads(out)
    assert (code, err, shape["five_star_limit"], shape["branches"][0]["review"]) == (
        0,
        "",
        3,
        "95",
    )


def _huge_category() -> str:
    return '{"category": "' + "x" * 50_000_000 + '"}'


@pytest.mark.parametrize(
    ("stdin", "problems"),
    [
        (
            '{"category": "rural", "answers": {"team.study": "2"}}',
            ["answers.team.study: unknown level '2' (expected full, partial, none)"],
        ),
        ('{"category": "rural", "review": "abc"}', ["review: expected a number, got 'abc'"]),
        ('{"category": "rural", "review": [90]}', ["review: expected a number, got [90]"]),
        (
            '{"category": "rural", "deductions": [{"kind": "other", "points": 1e26}]}',
            ["deductions[0].points: points 1E+26 is outside 0 to 1000"],
        ),
        (
            '{"category": "rural", "review": {"ballots": {"good": 1e999999}}}',
            ["review.ballots.good: count 1E+999999 is outside 0 to 100000"],
        ),
        (
            '{"category": "rural", "answers": {"team.study": 3.' + "9" * 35 + "}}",
            ["answers.team.study: score 3." + "9" * 35 + " has more than two decimals"],
        ),
        (
            '{"category": "rural", "review": 90, "review": 10}',
            ["-: review: duplicate key"],
        ),
        ("[" * 100_000 + "]" * 100_000, ["-: nested deeper than 20 levels"]),
        (
            '{"branches": [{"id": "a", "category": "rural", "review": 5' + "0" * 5000 + "}]}",
            ["branches[0].review: score 5" + "0" * 59 + "… is outside 0 to 100"],
        ),
    ],
)
def test_hostile_input_exits_2_with_short_problem_lines_and_nothing_on_stdout(
    stdin: str, problems: list[str]
) -> None:
    code, out, err = _run("score", "-", stdin=stdin)
    assert (code, out, err.splitlines()) == (2, "", problems)


def test_a_50_mb_value_is_not_echoed_whole() -> None:
    code, out, err = _run("score", "-", stdin=_huge_category())
    assert (code, out, err.splitlines()) == (
        2,
        "",
        [
            f"category: unknown category {'x' * 60!r}… (50000000 characters) "
            "(expected rural, institution, non_public, retired)"
        ],
    )


def test_a_flood_of_problems_is_cut_after_a_hundred_lines() -> None:
    answers = {f"team.item{index}": "full" for index in range(1000)}
    code, out, err = _run(
        "score", "-", stdin=json.dumps({"category": "rural", "answers": answers})
    )
    lines = err.splitlines()
    assert (code, out, len(lines), lines[-1]) == (2, "", 101, "... and 900 more problems")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("basic_total: 100", "basic_total: abc", "basic_total: expected a number, got 'abc'"),
        (
            "basic_total: 100",
            "basic_total: " + "9" * 5000,
            "basic_total: a number of 5000 characters is too long (at most 30)",
        ),
        ("quota:\n", "quota:\n  ? [a, b]\n  : 1\n", "quota: a key must be text or a number"),
        ("weights:\n", "weights:\n  <<: {review: 0.3}\n", "weights: merge keys (<<) are not"),
        ("name: ", alias_bomb() + "old_name: ", "name.e["),
        ("spot_check:", "#" * 1_000_000 + "\nspot_check:", "the file is larger than 1000000"),
    ],
)
def test_rubric_check_refuses_a_hostile_file_with_one_short_line(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    from scoring import default_rubric_text

    path = tmp_path / "town.yaml"
    path.write_text(default_rubric_text().replace(old, new, 1), encoding="utf-8")
    code, out, err = _run("rubric", "check", str(path))
    lines = err.splitlines()
    assert (code, out, len(lines), lines[0].startswith(f"{path}: {problem}")) == (2, "", 1, True)

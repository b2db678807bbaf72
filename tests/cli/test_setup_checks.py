"""Setting up a town: the checks on categories, names, deadlines, Telegram ids and role levels,
and the commands' plain output (no cycle yet, `--json`, control characters escaped)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli.admin_support import BadInput, parse_deadline
from storage.models import Branch, Person, Town
from tests.cli.setup_helpers import (
    SAMPLE,
    YEAR,
    import_sample_with_a_secretary,
    open_this_years_cycle,
    query,
)

# Two categories the default rubric lacks; one item of 100 points serves both.
SMALL_RUBRIC = """\
name: 社区评分细则
basic_total: 100
categories:
  - {key: community, label: 社区党支部, aliases: [社区]}
  - {key: social_org, label: 社会组织党支部, aliases: [社会组织]}
answer_levels:
  - {key: full, label: 完全做到, fraction: 1}
  - {key: none, label: 未做到, fraction: 0}
areas:
  - key: work
    title: 工作
    items:
      - {id: work.all, text: 全部工作, points: 100, evidence_hint: 台账}
bonus: {cap: 20, kinds: [{key: other, label: 其他加分情形}]}
deductions: {min_points: 20, kinds: [{key: other, label: 其他减分情形}]}
review:
  ballots: [{key: good, label: 好, value: 100}, {key: poor, label: 差, value: 0}]
weights: {assessment: 0.7, review: 0.3}
levels:
  - {stars: 5, min_total: 90, label: 五星级}
  - {stars: 1, min_total: 0, label: 一星级}
gates: {min_basic_100: 80, deductions_forbid: true, stars: 5}
quota: {5: 0.3}
spot_check: {levels: [1], fraction: 0.15}
"""
DEFAULT_ALLOWED = (
    "the rubric allows 农村党支部 (rural), 机关事业单位党支部 (institution), "
    "非公有制经济组织党支部 (non_public), 离退休干部职工党支部 (retired)"
)


def _csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "org.csv"
    path.write_text("\n".join(["县,镇,党支部,类别", *lines]) + "\n", encoding="utf-8")
    return path


def _branches(session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(b.name, b.category) for b in session.scalars(select(Branch).order_by(Branch.id))]


# --- categories are the rubric's ------------------------------------------------------------


def test_the_default_rubric_refuses_an_undeclared_category_and_names_the_allowed_ones(
    cli, sqlite_url, tmp_path
) -> None:
    path = _csv(tmp_path, "城关县,温店镇,城关社区党支部,社区", "城关县,温店镇,国企党支部,企业")
    result = cli("org", "import", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        f"{path}: row 2: unknown category '社区'; {DEFAULT_ALLOWED}",
        f"{path}: row 3: unknown category '企业'; {DEFAULT_ALLOWED}",
    ]
    assert query(sqlite_url, _branches) == []


def test_a_rubric_file_declaring_community_categories_imports_them(
    cli, sqlite_url, tmp_path
) -> None:
    (tmp_path / "small.yaml").write_text(SMALL_RUBRIC, encoding="utf-8")
    path = _csv(
        tmp_path, "城关县,温店镇,城关社区党支部,社区", "城关县,温店镇,商会党支部,社会组织党支部"
    )
    result = cli("org", "import", str(path), "--rubric", str(tmp_path / "small.yaml"))
    assert result.exit_code == 0
    assert query(sqlite_url, _branches) == [
        ("城关社区党支部", "community"),
        ("商会党支部", "social_org"),
    ]


def test_a_towns_open_cycle_decides_its_categories_and_other_towns_keep_the_default(
    cli, sqlite_url, tmp_path
) -> None:
    rubric = tmp_path / "small.yaml"
    rubric.write_text(SMALL_RUBRIC, encoding="utf-8")
    first = _csv(tmp_path, "城关县,温店镇,城关社区党支部,社区")
    cli("org", "import", str(first), "--rubric", str(rubric))
    opened = open_this_years_cycle(cli, "--rubric", str(rubric))
    second = _csv(
        tmp_path, "城关县,温店镇,商会党支部,社会组织", "城关县,新集镇,新集社区党支部,社区"
    )
    refused = cli("org", "import", str(second))
    assert opened.exit_code == 0
    assert (refused.exit_code, refused.stderr.splitlines()[0]) == (
        2,
        f"{second}: row 3: unknown category '社区'; {DEFAULT_ALLOWED}",
    )
    assert cli("org", "import", str(second), "--skip-bad").exit_code == 0
    assert query(sqlite_url, _branches) == [
        ("城关社区党支部", "community"),
        ("商会党支部", "social_org"),
    ]


def test_a_rubric_file_does_not_change_the_categories_of_a_town_with_an_open_cycle(
    cli, sqlite_url, tmp_path
) -> None:
    from scoring import default_rubric_text

    (tmp_path / "small.yaml").write_text(SMALL_RUBRIC, encoding="utf-8")
    (tmp_path / "default.yaml").write_text(default_rubric_text(), encoding="utf-8")
    cli(
        "org",
        "import",
        str(_csv(tmp_path, "城关县,温店镇,城关社区党支部,社区")),
        "--rubric",
        str(tmp_path / "small.yaml"),
    )
    open_this_years_cycle(cli, "--rubric", str(tmp_path / "small.yaml"))
    path = _csv(tmp_path, "城关县,温店镇,东村党支部,农村", "城关县,新集镇,东村党支部,农村")
    result = cli(
        "org", "import", str(path), "--rubric", str(tmp_path / "default.yaml"), "--skip-bad"
    )
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}: row 2: unknown category '农村'; the rubric allows 社区党支部 (community), "
        "社会组织党支部 (social_org)"
    ]
    assert query(sqlite_url, _branches) == [
        ("城关社区党支部", "community"),
        ("东村党支部", "rural"),
    ]


def test_a_broken_rubric_file_for_import_is_refused_with_its_problems(cli, tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\n", encoding="utf-8")
    result = cli("org", "import", str(SAMPLE), "--rubric", str(tmp_path / "bad.yaml"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"{tmp_path / 'bad.yaml'}: basic_total: missing"


# --- names ----------------------------------------------------------------------------------


def test_a_huge_or_nul_name_is_a_row_problem_and_nothing_is_imported(
    cli, sqlite_url, tmp_path
) -> None:
    path = _csv(tmp_path, "城关县,温店镇," + "支" * 300 + ",农村", "城关县,温店镇,东村\x00,农村")
    result = cli("org", "import", str(path))
    assert (result.exit_code, result.stderr.splitlines()) == (
        2,
        [
            f"{path}: row 2: branch name has 300 characters, at most 200",
            f"{path}: row 3: branch name holds the control character U+0000",
            "2 bad rows: nothing imported (fix them, or use --skip-bad)",
        ],
    )
    assert query(sqlite_url, _branches) == []


def test_a_row_with_two_bad_names_shows_both_and_counts_as_one_bad_row(cli, tmp_path) -> None:
    path = tmp_path / "org.csv"
    path.write_text(
        "县,镇,党支部,类别,书记\n城关县,温店镇," + "支" * 201 + ",农村," + "王" * 101 + "\n",
        encoding="utf-8",
    )
    result = cli("org", "import", str(path))
    assert (result.exit_code, result.stderr.splitlines()) == (
        2,
        [
            f"{path}: row 2: branch name has 201 characters, at most 200",
            f"{path}: row 2: secretary name has 101 characters, at most 100",
            "1 bad rows: nothing imported (fix them, or use --skip-bad)",
        ],
    )


def test_org_list_escapes_control_characters_already_stored(cli, sqlite_url) -> None:
    cli("org", "import", str(SAMPLE))

    def rename(session) -> None:  # type: ignore[no-untyped-def]
        branch = session.scalar(select(Branch).where(Branch.name == "东村党支部"))
        branch.name = "东村\x1b[2J\u202e党支部"

    query(sqlite_url, rename)
    listed = cli("org", "list", "--town", "温店镇")
    assert listed.exit_code == 0
    assert "  东村\\x1b[2J\\u202e党支部  rural  WD001  王建国" in listed.stdout.splitlines()
    assert "\x1b" not in listed.stdout


def test_org_list_json_has_one_object_per_branch_with_the_import_columns(cli) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli("org", "list", "--json")
    branches = json.loads(result.stdout)
    assert result.exit_code == 0
    assert len(branches) == 7
    assert branches[0] == {
        "county": "城关县",
        "town": "温店镇",
        "branch": "东村党支部",
        "category": "rural",
        "secretary": "王建国",
        "code": "WD001",
    }


# --- status without a cycle -----------------------------------------------------------------


def test_status_without_an_open_cycle_lists_the_branches_and_says_no_cycle_is_open(cli) -> None:
    import_sample_with_a_secretary(cli)
    text = cli("status", "--town", "温店镇")
    as_json = cli("status", "--town", "温店镇", "--json")
    rows = json.loads(as_json.stdout)
    assert (text.exit_code, as_json.exit_code) == (0, 0)
    assert (
        text.stderr
        == "town 温店镇 has no open cycle (pingxing cycle open): secretaries bound so far\n"
    )
    assert text.stdout.splitlines()[:2] == [
        "东村党支部\tbound\tno cycle open",
        "西村党支部\tUNBOUND\tno cycle open",
    ]
    assert rows[0] == {
        "town": "温店镇",
        "branch": "东村党支部",
        "bound": True,
        "state": None,
        "answered": 0,
        "items": None,
        "basic": None,
        "answers": {},
    }


# --- deadlines ------------------------------------------------------------------------------

TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", datetime(2026, 11, 30, 16, 0, 0, tzinfo=UTC)),
        (" 2026-12-31 ", datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)),
        ("2027-03-31", datetime(2027, 3, 31, 16, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_deadline_is_the_end_of_a_day_in_the_year_or_early_the_next(text, expected) -> None:
    assert parse_deadline(text, 2026, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "0001-01-01",
            "--deadline 0001-01-01 is in the past (today is 2026-11-30 in Asia/Shanghai)",
        ),
        (
            "2026-11-29",
            "--deadline 2026-11-29 is in the past (today is 2026-11-30 in Asia/Shanghai)",
        ),
        (
            "2027-04-01",
            "--deadline 2027-04-01 does not fit the 2026 cycle: give a day from 2026-11-30 "
            "to 2027-03-31",
        ),
        ("2026-02-30", "--deadline must be a date like 2026-12-31, got '2026-02-30'"),
        ("next friday", "--deadline must be a date like 2026-12-31, got 'next friday'"),
        ("9" * 100, f"--deadline must be a date like 2026-12-31, got '{'9' * 40}…'"),
    ],
)
def test_a_deadline_in_the_past_outside_the_cycle_or_not_a_date_is_refused(text, message) -> None:
    with pytest.raises(BadInput) as refused:
        parse_deadline(text, 2026, today=TODAY)
    assert str(refused.value) == message


def test_a_deadline_for_a_later_years_cycle_cannot_fall_before_that_year() -> None:
    with pytest.raises(BadInput, match="give a day from 2027-01-01 to 2028-03-31"):
        parse_deadline("2026-12-31", 2027, today=TODAY)


def test_cycle_open_refuses_a_deadline_years_before_the_cycle_and_writes_nothing(
    cli, sqlite_url
) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli(
        "cycle", "open", "--town", "温店镇", "--year", str(YEAR), "--deadline", "0001-01-01"
    )
    listed = cli("cycle", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("--deadline 0001-01-01 is in the past (today is ")
    assert listed.stderr == "no cycles yet (pingxing cycle open)\n"


def test_cycle_open_refuses_a_rubric_without_the_categories_of_the_towns_branches(
    cli, tmp_path
) -> None:
    cli("org", "import", str(SAMPLE))
    rubric = tmp_path / "small.yaml"
    rubric.write_text(SMALL_RUBRIC, encoding="utf-8")
    refused = open_this_years_cycle(cli, "--rubric", str(rubric))
    listed = cli("cycle", "list")
    declares = "is not in the rubric, which declares community, social_org"
    head = f"{rubric}: category"
    assert (refused.exit_code, refused.stderr.splitlines()) == (
        2,
        [
            f"{head} 'rural' of 温店镇's 东村党支部, 西村党支部, 南湾村党支部 {declares}",
            f"{head} 'institution' of 温店镇's 镇机关党支部, 中心学校党支部 {declares}",
            f"{head} 'non_public' of 温店镇's 温店纺织有限公司党支部 {declares}",
            f"{head} 'retired' of 温店镇's 老干部党支部 {declares}",
        ],
    )
    assert listed.stderr == "no cycles yet (pingxing cycle open)\n"


# --- Telegram ids and role levels -----------------------------------------------------------


@pytest.mark.parametrize(
    ("telegram_id", "shown"),
    [("99999999999999999999", "'99999999999999999999'"), ("0", "'0'"), ("-5", "'-5'")],
)
def test_a_telegram_id_out_of_range_is_refused_with_the_range(
    cli, sqlite_url, telegram_id, shown
) -> None:
    cli("org", "import", str(SAMPLE))
    granted = cli(
        "role", "grant", "--telegram-id", telegram_id, "--role", "town", "--org", "温店镇"
    )
    revoked = cli(
        "role", "revoke", "--telegram-id", telegram_id, "--role", "town", "--org", "温店镇"
    )

    def people(session) -> int:  # type: ignore[no-untyped-def]
        return int(session.scalar(select(func.count()).select_from(Person)))

    expected = (
        "--telegram-id must be a Telegram user id, a whole number from 1 to "
        f"4,503,599,627,370,495; got {shown}\n"
    )
    assert (granted.exit_code, granted.stderr) == (2, expected)
    assert (revoked.exit_code, revoked.stderr) == (2, expected)
    assert query(sqlite_url, people) == 0


@pytest.mark.parametrize(
    ("role", "org", "message"),
    [
        ("town", "城关县", "--role town needs a town: '城关县' is a county"),
        ("county", "温店镇", "--role county needs a county: '温店镇' is a town"),
        (
            "secretary",
            "温店镇",
            "--role secretary needs a branch, written town/branch: '温店镇' is a town",
        ),
        (
            "town",
            "温店镇/东村党支部",
            "--role town needs a town: '温店镇/东村党支部' is a branch",
        ),
        (
            "secretary",
            "温店镇/无此支部",
            "--role secretary needs a branch, written town/branch: there is no '温店镇/无此支部'",
        ),
    ],
)
def test_a_role_is_granted_only_over_an_organisation_of_its_level(
    cli, sqlite_url, role, org, message
) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli("role", "grant", "--telegram-id", "555", "--role", role, "--org", org)
    assert (result.exit_code, result.stderr) == (2, message + "\n")


def test_a_town_named_with_full_width_letters_and_spaces_is_found(cli, sqlite_url) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli(
        "role", "grant", "--telegram-id", "555", "--role", "town", "--org", "\u3000温店镇 "
    )

    def towns(session) -> list[str]:  # type: ignore[no-untyped-def]
        return list(session.scalars(select(Town.name)))

    assert result.exit_code == 0
    assert query(sqlite_url, towns) == ["温店镇"]

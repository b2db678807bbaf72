"""The admin command line: set up a town from nothing, and refuse bad input with exit code 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from storage import repositories as repo
from storage.models import AnswerSource, Branch, Cycle, Invite, Role
from tests.cli.setup_helpers import (
    DEADLINE,
    EAST_BRANCH,
    SAMPLE,
    YEAR,
    import_sample_with_a_secretary,
    open_this_years_cycle,
    query,
)

HEADER = "县,镇,党支部,类别,书记,编码\n"


def _count_branches(session) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(Branch)))


def test_importing_the_sample_twice_creates_then_changes_nothing(cli) -> None:
    first = cli("org", "import", str(SAMPLE))
    second = cli("org", "import", str(SAMPLE))
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stdout.splitlines()[-1] == "7 created, 0 updated, 0 unchanged, 0 bad rows skipped"
    assert (
        second.stdout.splitlines()[-1] == "0 created, 0 updated, 7 unchanged, 0 bad rows skipped"
    )


def test_a_messy_gbk_file_with_one_bad_row_imports_nothing(cli, sqlite_url, tmp_path) -> None:
    path = tmp_path / "乱.csv"
    text = (
        HEADER
        + "\n城关县,\u3000温店镇,东村党支部\u3000,农村,,\n\n城关县,温店镇,西村党支部,社区,,\n"
    )
    path.write_bytes(text.encode("gbk"))
    refused = cli("org", "import", str(path))
    assert refused.exit_code == 2
    assert (
        "row 5: unknown category '社区'; the rubric allows 农村党支部 (rural)," in refused.stderr
    )
    assert query(sqlite_url, _count_branches) == 0
    skipped = cli("org", "import", str(path), "--skip-bad")
    assert skipped.exit_code == 0
    assert query(sqlite_url, _count_branches) == 1


def test_a_bom_xlsx_and_a_missing_file(cli, sqlite_url, tmp_path) -> None:
    workbook = Workbook()
    for values in [["县", "镇", "党支部", "类别"], ["城关县", "温店镇", "东村党支部", "农村"]]:
        workbook.active.append(values)
    workbook.save(tmp_path / "org.xlsx")
    (tmp_path / "bom.csv").write_bytes(
        (HEADER + "城关县,温店镇,西村党支部,农村,,\n").encode("utf-8-sig")
    )
    results = [
        cli("org", "import", str(tmp_path / name)) for name in ["org.xlsx", "bom.csv", "nope.csv"]
    ]
    assert [result.exit_code for result in results] == [0, 0, 2]
    assert query(sqlite_url, _count_branches) == 2


def test_invites_for_a_whole_town_are_json_with_links_and_stored_hashed(
    cli, sqlite_url, monkeypatch
) -> None:
    cli("org", "import", str(SAMPLE))
    monkeypatch.setenv("PINGXING_BOT_USERNAME", "@pingxing_bot")
    result = cli("invite", "create", "--town", "温店镇", "--all", "--expires", "7", "--json")
    invites = json.loads(result.stdout)

    def stored(session):  # type: ignore[no-untyped-def]
        return set(session.scalars(select(Invite.code_hash)).all())

    assert result.exit_code == 0
    assert len(invites) == 7
    assert set(invites[0]) == {"county", "town", "branch", "code", "link"}
    assert invites[0]["link"] == f"https://t.me/pingxing_bot?start={invites[0]['code']}"
    assert query(sqlite_url, stored) == {repo.hash_invite_code(i["code"]) for i in invites}


def test_one_branch_invite_binds_its_secretary(cli, sqlite_url) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli("invite", "create", "--town", "温店镇", "--branch", "西村党支部", "--json")
    (invite,) = json.loads(result.stdout)

    def redeem(session):  # type: ignore[no-untyped-def]
        person = repo.get_or_create_person(session, 4242)
        outcome = repo.redeem_invite(session, invite["code"], person, datetime.now(UTC))
        return outcome.result, outcome.branch.name

    assert (invite["branch"], invite["link"]) == ("西村党支部", None)
    assert query(sqlite_url, redeem) == (repo.RedeemResult.BOUND, "西村党支部")


@pytest.mark.parametrize(
    "args",
    [
        ["invite", "create", "--town", "温店镇"],
        ["invite", "create", "--town", "温店镇", "--branch", "东村党支部", "--all"],
        ["invite", "create", "--town", "无此镇", "--all"],
        ["invite", "create", "--town", "温店镇", "--branch", "无此支部"],
        ["role", "grant", "--telegram-id", "1", "--role", "mayor", "--org", "温店镇"],
        ["role", "grant", "--telegram-id", "1", "--role", "secretary", "--org", "东村党支部"],
        ["role", "grant", "--telegram-id", "1", "--role", "county", "--org", "无此县"],
        ["role", "revoke", "--telegram-id", "1", "--role", "town", "--org", "温店镇"],
        ["cycle", "open", "--town", "温店镇", "--year", str(YEAR), "--deadline", "2026-13-01"],
        [
            "cycle",
            "open",
            "--town",
            "温店镇",
            "--year",
            str(YEAR),
            "--deadline",
            DEADLINE,
            "--rubric",
            "missing.yaml",
        ],
        ["cycle", "show", "--town", "温店镇"],
        ["status", "--town", "温店镇", "--year", "2020"],
        ["status", "--town", "温店镇", "--year", "abc"],
    ],
)
def test_bad_input_exits_with_code_2_and_says_why(cli, args) -> None:
    cli("org", "import", str(SAMPLE))
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() != ""


def test_roles_are_granted_listed_and_revoked(cli, sqlite_url) -> None:
    cli("org", "import", str(SAMPLE))
    granted = [
        cli("role", "grant", "--telegram-id", "555", "--role", "town", "--org", "温店镇"),
        cli("role", "grant", "--telegram-id", "777", "--role", "county", "--org", "城关县"),
        cli("role", "grant", "--telegram-id", "556", "--role", "secretary", "--org", EAST_BRANCH),
    ]
    listed = json.loads(cli("role", "list", "--json").stdout)
    revoked = cli("role", "revoke", "--telegram-id", "555", "--role", "town", "--org", "温店镇")

    def town_reviewer(session):  # type: ignore[no-untyped-def]
        town = repo.find_town(session, "温店镇")
        return repo.has_role(session, 555, Role.TOWN, town.id)

    assert [result.exit_code for result in granted] == [0, 0, 0]
    assert sorted((g["telegram_id"], g["role"], g["org"]) for g in listed) == [
        (555, "town", "温店镇"),
        (556, "secretary", "温店镇/东村党支部"),
        (777, "county", "城关县"),
    ]
    assert (revoked.exit_code, query(sqlite_url, town_reviewer)) == (0, False)


def test_a_cycle_ends_at_the_end_of_the_day_in_beijing_and_opens_once(cli, sqlite_url) -> None:
    cli("org", "import", str(SAMPLE))
    opened = open_this_years_cycle(cli)
    again = open_this_years_cycle(cli)
    listed = cli("cycle", "list")
    shown = cli("cycle", "show", "--town", "温店镇", "--year", str(YEAR))

    def deadline(session):  # type: ignore[no-untyped-def]
        return session.scalar(select(Cycle.deadline_at))

    assert (opened.exit_code, again.exit_code) == (0, 2)
    assert query(sqlite_url, deadline) == datetime(YEAR, 12, 31, 16, 0, 0, tzinfo=UTC)
    assert listed.stdout.startswith(f"温店镇\t{YEAR}\topen\tdeadline {DEADLINE} 24:00")
    assert "reminders: 14, 7, 3, 1, 0 days before" in shown.stdout


def test_a_cycle_pins_a_rubric_file_and_refuses_a_broken_one(cli, tmp_path) -> None:
    from scoring import default_rubric_text

    cli("org", "import", str(SAMPLE))
    (tmp_path / "good.yaml").write_text(default_rubric_text(), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("areas: 3\n", encoding="utf-8")
    bad = open_this_years_cycle(cli, "--rubric", str(tmp_path / "bad.yaml"))
    good = open_this_years_cycle(cli, "--rubric", str(tmp_path / "good.yaml"))
    assert (bad.exit_code, good.exit_code) == (2, 0)
    assert "bad.yaml" in bad.stderr


def test_status_reports_binding_progress_and_the_provisional_basic_score(cli, sqlite_url) -> None:
    from scoring import default_rubric

    import_sample_with_a_secretary(cli)
    open_this_years_cycle(cli)
    first, second = default_rubric().items_for("rural")[:2]

    def answer(session):  # type: ignore[no-untyped-def]
        branch = repo.find_branch(session, "温店镇", "东村党支部")
        cycle = repo.current_cycle(session, branch.town_id)
        now = datetime.now(UTC)
        assessment = repo.get_or_create_assessment(session, branch.id, cycle.id, now)
        for item_id, level in [(first.id, "full"), (second.id, "partial"), ("gone.item", "full")]:
            repo.set_answer(session, assessment.id, item_id, level, AnswerSource.SELF, None, now)

    query(sqlite_url, answer)
    result = cli("status", "--town", "温店镇", "--json")
    rows = json.loads(result.stdout)
    east = rows[0]
    expected_basic = first.points + second.points / 2
    assert result.exit_code == 0
    assert [row["branch"] for row in rows][:2] == ["东村党支部", "西村党支部"]
    assert (east["bound"], east["state"], east["answered"], east["items"]) == (
        True,
        "in_progress",
        2,
        len(default_rubric().items_for("rural")),
    )
    assert Decimal(east["basic"]) == expected_basic
    assert east["answers"] == {first.id: "full", second.id: "partial"}
    assert (rows[1]["bound"], rows[1]["state"], rows[1]["basic"]) == (False, "not_started", "0")


@pytest.mark.parametrize(
    "command",
    [
        ["db"],
        ["org", "import"],
        ["invite", "create"],
        ["role", "grant"],
        ["cycle", "open"],
        ["status"],
    ],
)
def test_every_command_explains_itself(cli, command) -> None:
    result = cli(*command, "--help")
    assert (result.exit_code, "Usage" in result.stdout) == (0, True)


def test_db_upgrade_creates_a_fresh_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "new.sqlite3"
    monkeypatch.setenv("PINGXING_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert (result.exit_code, path.exists()) == (0, True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "not a url",
            "cannot open the database (not an SQLAlchemy URL): ArgumentError: Could not parse "
            "SQLAlchemy URL from given URL string",
        ),
        (
            "mysql://town:secret@127.0.0.1/pingxing",
            "cannot open the database mysql://town:***@127.0.0.1/pingxing: ValueError: "
            "unsupported database URL 'mysql://town:***@127.0.0.1/pingxing': use SQLite or "
            "PostgreSQL",
        ),
        (
            "sqlite:///{folder}/missing/pingxing.sqlite3",
            "cannot open the database sqlite:///{folder}/missing/pingxing.sqlite3: "
            "FileNotFoundError: [Errno 2] No such file or directory: "
            "'{folder}/missing/pingxing.sqlite3'",
        ),
        (
            "postgresql+asyncpg://town:secret@127.0.0.1:1/pingxing",
            "cannot open the database postgresql+asyncpg://town:***@127.0.0.1:1/pingxing: "
            "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 1)",
        ),
    ],
)
@pytest.mark.parametrize("command", [("db", "upgrade"), ("org", "list")])
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(
    cli, tmp_path, url, problem, command
) -> None:
    result = cli(*command, "--database-url", url.format(folder=tmp_path))
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        problem.format(folder=tmp_path) + "\n",
    )


def test_run_with_a_database_that_cannot_be_opened_says_so_before_contacting_telegram(
    cli, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PINGXING_BOT_TOKEN", "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1")
    monkeypatch.setenv("PINGXING_DATABASE_URL", f"sqlite:///{tmp_path}/missing/x.sqlite3")
    result = cli("run")
    assert (result.exit_code, result.stderr) == (
        2,
        f"cannot open the database sqlite:///{tmp_path}/missing/x.sqlite3: FileNotFoundError: "
        f"[Errno 2] No such file or directory: '{tmp_path}/missing/x.sqlite3'\n",
    )

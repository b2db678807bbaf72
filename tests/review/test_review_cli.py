"""`pingxing review import`, `finalize` and `export` against a seeded town (SQLite file)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from storage import repositories as repo
from storage.models import AnswerSource, AuditEntry, ClaimDirection, ReviewOutcome, ReviewScore
from storage.repositories.review import decide_claim, record_deduction
from tests.cli.setup_helpers import query
from tests.review.seed import NOW, RUBRIC, seed_town

BRANCHES = ("东村党支部", "西村党支部", "南村党支部", "北村党支部")
HEADER = "镇,党支部,评议得分,好,较好,一般,差,team.study\n"


def _seed(session: Session) -> None:
    seeded = seed_town(session, BRANCHES)
    west = seeded.assessments["西村党支部"]
    claim = repo.add_claim(
        session, west, ClaimDirection.BONUS, "commendation", Decimal(12), "县级表彰", None, NOW
    )
    decide_claim(session, claim.id, RUBRIC, Decimal("7.5"), None, NOW, "仅一项有文件")
    record_deduction(
        session,
        seeded.assessments["北村党支部"],
        RUBRIC,
        "major_incident",
        Decimal(20),
        "通报批评",
        None,
        NOW,
    )


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Runs `pingxing ...` against this test's seeded SQLite database."""
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    query(sqlite_url, _seed)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke


def _write(tmp_path: Path, body: str, name: str = "review.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8-sig")
    return path


GOOD_ROWS = (
    "温店镇,东村党支部,95,,,,,\n"
    "温店镇,西村党支部,,3,,1,,2.5\n"
    "温店镇,南村党支部,88.5,,,,,\n"
    "温店镇,北村党支部,100,,,,,\n"
)


def _audit_count(url: str) -> int:
    return query(url, lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))


def test_an_import_applies_scores_ballots_and_rescores_and_a_second_changes_nothing(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    path = _write(tmp_path, GOOD_ROWS)
    first = cli("review", "import", str(path), "--mark-reviewed")
    audited = _audit_count(sqlite_url)
    second = cli("review", "import", str(path), "--mark-reviewed")

    def read(session: Session) -> Any:
        scores = session.execute(select(ReviewScore.assessment_id, ReviewScore.score)).all()
        rescored = repo.answers_of(session, 2, AnswerSource.REVIEWER)
        return sorted((a, s) for a, s in scores), rescored

    scores, rescored = query(sqlite_url, read)
    assert (first.exit_code, first.output) == (
        0,
        f"imported {path}: 4 rows, 9 changes\n",
    )
    assert (second.exit_code, second.output) == (0, f"imported {path}: 4 rows, 0 changes\n")
    assert _audit_count(sqlite_url) == audited
    # 西村: 3 × 好 and 1 × 一般 = 90.
    assert scores == [
        (1, Decimal("95")),
        (2, Decimal("90.00")),
        (3, Decimal("88.5")),
        (4, Decimal("100")),
    ]
    assert rescored == {"team.study": Decimal("2.5")}


def test_a_file_with_bad_rows_names_each_and_imports_nothing(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "温店镇,东村党支部,95,,,,,\n"
        "温店镇,无名党支部,90,,,,,\n"
        "温店镇,西村党支部,九十,,,,,\n"
        "温店镇,南村党支部,80,2,,,,\n"
        "温店镇,北村党支部,,,,,,9\n"
        "温店镇,东村党支部,95,,,,,\n",
    )
    before = _audit_count(sqlite_url)
    result = cli("review", "import", str(path))
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "row 3: no branch '无名党支部' in 温店镇",
        "row 4: 评议得分: expected a number, got '九十'",
        "row 5: give 评议得分 or the ballot counts, not both",
        "row 6: 北村党支部: team.study: expected a score from 0 to 4, got 9",
        "row 7: 东村党支部 is already on row 2",
        "nothing was imported",
    ]
    assert _audit_count(sqlite_url) == before


def test_an_xlsx_file_imports_like_the_csv(cli, sqlite_url: str, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["镇", "党支部", "评议得分"])
    sheet.append(["温店镇", "东村党支部", 91.5])
    path = tmp_path / "review.xlsx"
    workbook.save(path)
    result = cli("review", "import", str(path))
    score = query(sqlite_url, lambda s: s.scalar(select(ReviewScore.score)))
    assert (result.exit_code, score) == (0, Decimal("91.5"))


def test_a_header_without_the_branch_column_is_refused(cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("镇,评议得分\n温店镇,90\n", encoding="utf-8")
    result = cli("review", "import", str(path))
    assert result.exit_code == 2
    assert result.output.endswith("missing branch\n")


def test_finalize_refuses_until_every_branch_is_reviewed_or_left_out(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "温店镇,东村党支部,95,,,,,\n")
    cli("review", "import", str(path), "--mark-reviewed")
    refused = cli("finalize", "--town", "温店镇", "--year", "2026")
    left_out = ["--leave-out", "西村党支部", "--leave-out", "南村党支部"]
    done = cli(
        "finalize",
        "--town",
        "温店镇",
        "--year",
        "2026",
        *left_out,
        "--leave-out",
        "北村党支部",
        "--json",
    )
    assert refused.exit_code == 2
    assert refused.output == (
        "not reviewed yet: 北村党支部, 南村党支部, 西村党支部; "
        "review them or leave them out by name\n"
    )
    data = json.loads(done.output)
    assert (data["in_scope"], data["limits"], data["left_out"]) == (
        4,
        {"5": 1},
        ["北村党支部", "南村党支部", "西村党支部"],
    )
    assert data["branches"][0] == {
        "branch": "东村党支部",
        "total": "98.50",
        "stars_before_quota": 5,
        "reviewed_stars": 5,
        "reasons": [],
        "tie_at_cutoff": False,
    }


def _score_batch_input(session: Session) -> dict[str, Any]:
    """The same inputs as `pingxing score` takes them, read straight from the tables."""
    from storage.models import Assessment, Branch, Claim

    branches = []
    for assessment in session.scalars(select(Assessment).order_by(Assessment.id)).all():
        branch = session.get(Branch, assessment.branch_id)
        assert branch is not None
        answers: dict[str, Any] = dict(repo.answers_of(session, assessment.id))
        answers.update(
            {
                k: float(v)
                for k, v in repo.answers_of(session, assessment.id, AnswerSource.REVIEWER).items()
            }
        )
        claims = session.scalars(select(Claim).where(Claim.assessment_id == assessment.id)).all()
        review = session.scalar(
            select(ReviewScore.score).where(ReviewScore.assessment_id == assessment.id)
        )
        branches.append(
            {
                "id": branch.name,
                "category": branch.category,
                "answers": answers,
                "bonus": [
                    {"kind": c.kind, "points": float(c.points_awarded or 0)}
                    for c in claims
                    if c.direction == "bonus" and c.status == "awarded"
                ],
                "deductions": [
                    {"kind": c.kind, "points": float(c.points_awarded or c.points_claimed)}
                    for c in claims
                    if c.direction == "deduction" and c.status == "awarded"
                ],
                # Floats only to reach JSON: `pingxing score` reads numbers back as Decimals.
                "review": float(review or 0),
            }
        )
    return {"branches": branches}


def test_the_exported_workbook_holds_the_numbers_pingxing_score_gives(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")
    out = tmp_path / "温店镇2026.xlsx"
    exported = cli("export", "--town", "温店镇", "--year", "2026", "--out", str(out))
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(query(sqlite_url, _score_batch_input)), encoding="utf-8")
    scored = cli("score", str(batch))
    assert exported.exit_code == 0, exported.output
    assert scored.exit_code == 0, scored.output
    expected = {
        branch["id"]: (
            Decimal(branch["basic_100"]),
            Decimal(branch["bonus"]),
            Decimal(branch["deduction"]),
            Decimal(branch["review"]),
            Decimal(branch["total"]),
        )
        for branch in json.loads(scored.output)["branches"]
    }

    workbook = load_workbook(out)
    assert workbook.sheetnames == ["汇总", "逐项得分", "操作记录", "星级分布"]
    summary = workbook["汇总"]
    rows = list(summary.iter_rows(values_only=True))
    assert rows[0] == (
        "序号",
        "乡镇",
        "党支部",
        "类别",
        "基础项",
        "加分项",
        "减分项",
        "评议项",
        "总分",
        "申报等次",
        "考评等次",
        "最终等次",
        "备注",
    )
    actual = {row[2]: tuple(Decimal(str(value)) for value in row[4:9]) for row in rows[1:]}
    assert actual == expected
    assert all(isinstance(value, int | float) for row in rows[1:] for value in row[4:9])
    assert [row[:4] for row in rows[1:]] == [
        (1, "温店镇", "西村党支部", "农村党支部"),
        (2, "温店镇", "东村党支部", "农村党支部"),
        (3, "温店镇", "南村党支部", "农村党支部"),
        (4, "温店镇", "北村党支部", "农村党支部"),
    ]
    # 30% of 4 is 1 place: 西村 (101.20) keeps it; 北村's deduction leaves it at 86.00.
    assert [row[9:] for row in rows[1:]] == [
        ("五星级", "五星级", None, None),
        ("五星级", "四星级", None, "超出五星级比例"),
        ("五星级", "四星级", None, "超出五星级比例"),
        ("五星级", "四星级", None, None),
    ]
    assert (summary.freeze_panes, summary.column_dimensions["C"].width) == ("A2", 28)
    assert workbook["星级分布"]._charts  # the distribution is drawn, not only tabled
    items = {
        (row[0], row[1]): row[3:]
        for row in workbook["逐项得分"].iter_rows(min_row=2, values_only=True)
    }
    assert items[("西村党支部", "team.study")] == (4, 4, 2.5)
    assert items[("东村党支部", "team.study")] == (4, 4, 4)
    audit_actions = [row[2] for row in workbook["操作记录"].iter_rows(min_row=2, values_only=True)]
    assert audit_actions.count("review.score") == 4
    assert audit_actions.count("review.claim") == 1


def test_export_json_prints_the_summary_rows_under_the_contracted_keys(
    cli, tmp_path: Path
) -> None:
    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")
    result = cli("export", "--town", "温店镇", "--year", "2026", "--json")
    rows = json.loads(result.output)
    assert rows[0] == {
        "seq": 1,
        "town": "温店镇",
        "branch": "西村党支部",
        "category": "农村党支部",
        "basic": "98.5",
        "bonus": "7.5",
        "deduction": "0",
        "review": "90",
        "total": "101.20",
        "declared_stars": 5,
        "reviewed_stars": 5,
        "final_stars": None,
        "note": "",
    }


def test_export_needs_exactly_one_of_out_and_json(cli) -> None:
    result = cli("export", "--town", "温店镇", "--year", "2026")
    assert (result.exit_code, result.output) == (2, "give either --out FILE.xlsx or --json\n")


def test_status_shows_the_review_score_and_the_reviewed_level(cli, tmp_path: Path) -> None:
    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")
    result = cli("status", "--town", "温店镇", "--year", "2026", "--json")
    rows = {row["branch"]: row for row in json.loads(result.output)}
    assert [
        (rows[name]["review"], rows[name]["total"], rows[name]["reviewed_stars"])
        for name in ("西村党支部", "东村党支部", "北村党支部")
    ] == [
        ("90", "101.20", 5),
        ("95", "98.50", 4),
        ("100", "86.00", 4),
    ]


def test_a_dry_run_stores_nothing_and_finalize_stores_each_level(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")
    dry = cli("finalize", "--town", "温店镇", "--year", "2026", "--dry-run")
    after_dry = query(sqlite_url, lambda s: s.scalar(select(func.count(ReviewOutcome.id))))
    done = cli("finalize", "--town", "温店镇", "--year", "2026")
    stored = query(
        sqlite_url,
        lambda s: sorted(
            (o.reviewed_stars, o.reasons or "") for o in s.scalars(select(ReviewOutcome))
        ),
    )
    assert (dry.exit_code, after_dry, dry.output.splitlines()[-1]) == (
        0,
        0,
        "dry run: nothing stored",
    )
    assert done.output.splitlines()[:3] == [
        "温店镇 2026: 4 branches in scope; places 5★ 1",
        "1. 西村党支部\ttotal 101.20\t五星级",
        "2. 东村党支部\ttotal 98.50\t五星级 → 四星级  (超出五星级比例)",
    ]
    assert stored == [(4, ""), (4, "over_quota"), (4, "over_quota"), (5, "")]


def test_committee_decisions_are_recorded_with_their_reason_and_checked(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")
    base = ("review", "decide", "--town", "温店镇", "--year", "2026")
    no_reference = cli(*base, "--kind", "quota_override", "--share", "0.5", "--reason", "批复")
    bad_kind = cli(*base, "--kind", "favour", "--reason", "x")
    override = cli(
        *base,
        "--kind",
        "quota_override",
        "--share",
        "0.5",
        "--reason",
        "县委组织部批复",
        "--reference",
        "城组通〔2027〕3号",
    )
    finalized = cli("finalize", "--town", "温店镇", "--year", "2026", "--json")
    assert (no_reference.exit_code, no_reference.output) == (
        2,
        "a quota override needs the county's reference\n",
    )
    assert bad_kind.exit_code == 2
    assert bad_kind.output.startswith("--kind must be one of tie, gate_exception, quota_override")
    assert override.exit_code == 0
    data = json.loads(finalized.output)
    assert data["limits"] == {"5": 2}
    assert [b["reviewed_stars"] for b in data["branches"]] == [5, 5, 4, 4]


def test_export_shows_the_named_level_once_the_branch_is_named(
    cli, sqlite_url: str, tmp_path: Path
) -> None:
    from storage.models import Assessment

    cli("review", "import", str(_write(tmp_path, GOOD_ROWS)), "--mark-reviewed")

    def name_one(session: Session) -> None:
        assessment = session.get(Assessment, 2)
        assert assessment is not None
        assessment.final_stars = 5

    query(sqlite_url, name_one)
    rows = json.loads(cli("export", "--town", "温店镇", "--year", "2026", "--json").output)
    assert [(row["branch"], row["final_stars"]) for row in rows] == [
        ("西村党支部", 5),
        ("东村党支部", None),
        ("南村党支部", None),
        ("北村党支部", None),
    ]

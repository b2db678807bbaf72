"""From submission to named, on the command line, on both databases.

Every branch answers every item in full (basic 100), so total = 70 + 0.3 × review. In 温店镇
(seven branches, 30% of 7 is two five-star places): 甲 100.00 and 乙 98.50 five stars, 丙
85.00 and 庚 88.00 four, 丁 76.00, 戊 73.00 and 己 70.00 three. In 北山镇: 子 85.00 four and
丑 76.00 three. Each command opens the database anew, as a restarted process would.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import Assessment, AssessmentState, Branch, Cycle, Delivery, DeliveryKind
from tests.review.seed import review_all, seed_town

WENDIAN = ("甲", "乙", "丙", "丁", "戊", "己", "庚")
WENDIAN_REVIEWS = {
    "甲": "100",
    "乙": "95",
    "丙": "50",
    "丁": "20",
    "戊": "10",
    "己": "0",
    "庚": "60",
}
BEISHAN = ("子", "丑")
CONTACT = ("--contact", "镇党建办 0710-1234567")
WENDIAN_2026 = "--town 温店镇 --year 2026"
BEISHAN_2026 = "--town 北山镇 --year 2026"
COUNTY_2026 = "--county 城关县 --year 2026"


def _seed(session: Session) -> None:
    review_all(session, seed_town(session, WENDIAN), WENDIAN_REVIEWS)
    review_all(session, seed_town(session, BEISHAN, town="北山镇"), {"子": "50", "丑": "20"})


def _states(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Branch.name, Assessment.state).join(Assessment, Assessment.branch_id == Branch.id)
    ).all()
    return dict(rows)


def _named_levels(session: Session) -> dict[str, int]:
    """The final level the database holds for each named branch."""
    rows = session.execute(
        select(Branch.name, Assessment.final_stars)
        .join(Assessment, Assessment.branch_id == Branch.id)
        .where(Assessment.state == AssessmentState.NAMED)
    ).all()
    return {name: stars for name, stars in rows}


def _ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


def _deliveries(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    return [(row.kind, row.payload.get("event", "")) for row in rows]


async def test_the_whole_procedure_names_every_branch_it_may(
    cli: Any, database: Database, tmp_path: Path
) -> None:
    def run(line: str, *more: str) -> str:
        return _ok(cli(*shlex.split(line), *more))

    await database.run(_seed)
    run(f"finalize {WENDIAN_2026}")
    run(f"finalize {BEISHAN_2026}")
    notice = tmp_path / "公示.docx"
    opened = run(
        f"publicity open {WENDIAN_2026} --start 2026-09-28", *CONTACT, "--notice", str(notice)
    )
    assert "2026-09-28 to 2026-10-09 (5 working days" in opened
    assert "2026: counted on the official calendar" in opened
    run(f"publicity open {BEISHAN_2026} --start 2026-11-16", *CONTACT)
    run(f"publicity object {WENDIAN_2026} --branch 丁 --raised-by 村民张某 --content 会议记录不全")
    run(f"publicity object {WENDIAN_2026} --branch 戊 --raised-by 党员李某 --content 评议票数有误")
    run("publicity resolve --objection 2 --outcome dismissed --reason 核实票数无误")
    shown = json.loads(run(f"publicity show {WENDIAN_2026} --json"))
    assert (shown["start"], shown["end"], shown["closed"]) == ("2026-09-28", "2026-10-09", False)
    assert shown["calendars"]["2026"] == "official"
    objections = {row["branch"]: row["objections"] for row in shown["branches"]}
    assert [(o["id"], o["outcome"]) for o in objections["戊"]] == [(2, "dismissed")]
    assert run("publicity close") == "closed 2 publicity periods\n"

    states = await database.run(_states)
    recommended = {"甲", "乙"}
    assert states == {
        name: AssessmentState.RECOMMENDED if name in recommended else AssessmentState.TOWN_DECIDED
        for name in (*WENDIAN, *BEISHAN)
    }

    county_notice = tmp_path / "县公示.docx"
    announced = run(
        f"county publicity {COUNTY_2026} --start 2026-10-12",
        *CONTACT,
        "--notice",
        str(county_notice),
    )
    assert "2026-10-12 to 2026-10-16, 2 branches" in announced
    county_table = Document(str(county_notice)).tables[0]
    assert [row.cells[1].text for row in county_table.rows[1:]] == ["温店镇·乙", "温店镇·甲"]
    refused = cli(*shlex.split(f"county decide {COUNTY_2026} --branch 乙 --approve --reason 好"))
    assert refused.exit_code == 2
    assert "record the discipline-inspection opinion on 乙 first" in refused.output
    run(f"county opinion {COUNTY_2026} --branch 甲 --department discipline --opinion 无违纪问题")
    run(f"county decide {COUNTY_2026} --branch 甲 --approve --reason 复核属实")
    run(f"county decide {COUNTY_2026} --branch 乙 --reject --reason 台账不全")

    drawn = json.loads(run(f"spotcheck {COUNTY_2026} --seed 7 --json"))
    assert drawn["seed"] == 7
    assert {stars: len(names) for stars, names in drawn["samples"].items()} == {"3": 1, "4": 1}
    assert set(drawn["samples"]["3"]) <= {"丁", "戊", "己", "丑"}
    assert set(drawn["samples"]["4"]) <= {"丙", "庚", "乙", "子"}
    assert json.loads(run(f"spotcheck {COUNTY_2026} --json")) == drawn
    corrected, confirmed = drawn["samples"]["4"][0], drawn["samples"]["3"][0]
    run(f"county check {COUNTY_2026} --branch {corrected} --stars 3 --reason 组织生活记录缺失")
    run(f"county check {COUNTY_2026} --branch {confirmed} --reason 材料属实")

    held = run(f"name {WENDIAN_2026}")
    assert "not named: 丁 (an objection is not resolved)" in held
    assert "the cycle stays open" in held
    run("publicity resolve --objection 1 --outcome upheld --reason 会议记录确有缺失")
    filing_xlsx, filing_docx = tmp_path / "备案.xlsx", tmp_path / "备案.docx"
    named = run(f"name {WENDIAN_2026}", "--xlsx", str(filing_xlsx), "--docx", str(filing_docx))
    assert "6 branches named" in named
    assert "not named: 丁 (an objection was upheld)" in named
    assert "the cycle is closed" in named
    run(f"name {BEISHAN_2026}")

    expected = {"甲": 5, "乙": 4, "丙": 4, "戊": 3, "己": 3, "庚": 4, "子": 4, "丑": 3}
    expected[corrected] = 3
    exported = json.loads(run(f"export {COUNTY_2026} --json"))
    assert {row["branch"]: row["final_stars"] for row in exported} == {**expected, "丁": None}
    states = await database.run(_states)
    assert {name for name, state in states.items() if state == AssessmentState.NAMED} == set(
        expected
    )
    cycles = await database.run(lambda s: sorted(c.state for c in s.scalars(select(Cycle))))
    assert cycles == ["closed", "closed"]

    sheet = load_workbook(filing_xlsx)["汇总"]
    header = [cell.value for cell in sheet[1]]
    branch_column, final_column = header.index("党支部"), header.index("最终等次")
    filed = {row[branch_column]: row[final_column] for row in sheet.iter_rows(2, values_only=True)}
    labels = {5: "五星级", 4: "四星级", 3: "三星级"}
    wendian = {name: labels[stars] for name, stars in expected.items() if name in WENDIAN}
    assert filed == wendian
    stored = await database.run(_named_levels)
    assert {name: labels[stars] for name, stars in stored.items() if name in WENDIAN} == filed
    table = Document(str(filing_docx)).tables[0]
    assert {row.cells[2].text: row.cells[4].text for row in table.rows[1:]} == wendian

    posted = Document(str(notice))
    text = "\n".join(paragraph.text for paragraph in posted.paragraphs)
    assert "公示期为2026年9月28日至2026年10月9日" in text
    assert CONTACT[1] in text
    listed = {
        paragraph: [row.cells[1].text for row in table.rows[1:]]
        for paragraph, table in zip(
            [p.text for p in posted.paragraphs if p.style.name == "Heading 2"],
            posted.tables,
            strict=True,
        )
    }
    assert listed == {
        "五星级（2个）": ["乙", "甲"],
        "四星级（2个）": ["丙", "庚"],
        "三星级（3个）": ["丁", "己", "戊"],
    }

    owed = await database.run(_deliveries)
    assert owed.count((DeliveryKind.PROCEDURE_EVENT, "publicity_closed")) == 2
    assert owed.count((DeliveryKind.PROCEDURE_EVENT, "county_decided")) == 2
    # The secretaries bound are 甲's and 子's: each is owed the named result.
    assert owed.count((DeliveryKind.RESULT, "")) == 2

"""Reading organisation lists as Excel in China writes them, and importing them idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from scoring import default_rubric
from storage import repositories as repo
from storage.org_import import CategoryNames, OrgRow, import_org_rows, read_org_file
from storage.spreadsheet import RowProblem, SpreadsheetError

HEADER = "县,镇,党支部,类别,书记,编码"
ROWS = ["城关县,温店镇,东村党支部,农村,王建国,WD001", "城关县,温店镇,镇机关党支部,机关,赵敏,WD101"]
EXPECTED = [
    OrgRow(2, "城关县", "温店镇", "东村党支部", "rural", "王建国", "WD001"),
    OrgRow(3, "城关县", "温店镇", "镇机关党支部", "institution", "赵敏", "WD101"),
]


def _write(tmp_path: Path, data: bytes, name: str = "org.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("label", "encode"),
    [
        ("utf-8", lambda text: text.encode("utf-8")),
        ("utf-8 with BOM", lambda text: text.encode("utf-8-sig")),
        ("gbk", lambda text: text.encode("gbk")),
        ("crlf line ends", lambda text: text.replace("\n", "\r\n").encode("utf-8-sig")),
        ("utf-16 tab separated", lambda text: text.replace(",", "\t").encode("utf-16")),
    ],
)
def test_every_encoding_excel_writes_reads_the_same(tmp_path: Path, label: str, encode) -> None:
    path = _write(tmp_path, encode("\n".join([HEADER, *ROWS]) + "\n"))
    assert read_org_file(path) == (EXPECTED, [])


def test_full_width_spaces_blank_lines_and_full_width_digits_are_cleaned(tmp_path: Path) -> None:
    text = "\n\n".join(
        [
            "\u3000县 , 镇,党支部\u3000,类别,书记,编码",
            "城关县,\u3000温店镇\u3000,东村党支部\u3000,\u3000农村\u3000,王建国,ＷＤ００１",
            ",,,,,",
            "城关县,温店镇,镇机关党支部,机关,赵敏,WD101",
        ]
    )
    rows, problems = read_org_file(_write(tmp_path, text.encode("gbk")))
    assert problems == []
    assert [(row.row, row.town, row.branch, row.category, row.code) for row in rows] == [
        (3, "温店镇", "东村党支部", "rural", "WD001"),
        (7, "温店镇", "镇机关党支部", "institution", "WD101"),
    ]


def test_english_headers_in_another_order_and_optional_columns_missing(tmp_path: Path) -> None:
    text = "Branch,Category,Town,County\n东村党支部,rural,温店镇,城关县\n"
    rows, _ = read_org_file(_write(tmp_path, text.encode()))
    assert rows == [OrgRow(2, "城关县", "温店镇", "东村党支部", "rural")]


def test_bad_rows_are_reported_with_their_row_numbers(tmp_path: Path) -> None:
    text = "\n".join(
        [
            HEADER,
            "城关县,温店镇,东村党支部,农村,,",
            "城关县,温店镇,西村党支部,村委会,,",
            "城关县,温店镇,,农村,,",
            "城关县,温店镇,东村党支部,农村,,",
        ]
    )
    rows, problems = read_org_file(_write(tmp_path, text.encode()))
    assert [row.row for row in rows] == [2]
    assert problems == [
        RowProblem(
            3,
            "unknown category '村委会'; the rubric allows 农村党支部 (rural), "
            "机关事业单位党支部 (institution), 非公有制经济组织党支部 (non_public), "
            "离退休干部职工党支部 (retired)",
        ),
        RowProblem(4, "empty branch name"),
        RowProblem(5, "branch '东村党支部' of '温店镇' is already on row 2"),
    ]


def test_an_xlsx_sheet_with_numbers_and_blank_rows_reads_like_the_csv(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    for values in [
        [None],
        ["县", "镇", "党支部", "类别", "书记", "编码"],
        ["城关县", "温店镇", "东村党支部\u3000", "农村党支部", "王建国", 1001],
        [None, None, None],
        ["城关县", "温店镇", "老干部党支部", "离退休", None, 1002.0],
    ]:
        sheet.append(values)
    path = tmp_path / "org.xlsx"
    workbook.save(path)
    rows, problems = read_org_file(path)
    assert problems == []
    assert rows == [
        OrgRow(3, "城关县", "温店镇", "东村党支部", "rural", "王建国", "1001"),
        OrgRow(5, "城关县", "温店镇", "老干部党支部", "retired", None, "1002"),
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "org.csv", "empty file"),
        ("名称,地址\n东村,温店\n".encode(), "org.csv", "missing county, town, branch, category"),
        (b"\x80\x81\xfe\xff\x00", "org.csv", "neither UTF-8 nor GBK"),
        (b"not a zip", "org.xlsx", "not a readable XLSX"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, data: bytes, name: str, message: str) -> None:
    with pytest.raises(SpreadsheetError, match=message):
        read_org_file(_write(tmp_path, data, name))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("农村党支部", "rural"),
        ("农村", "rural"),
        ("机关事业单位党支部", "institution"),
        ("机关", "institution"),
        ("事业单位", "institution"),
        ("非公有制经济组织党支部", "non_public"),
        ("非公", "non_public"),
        ("离退休干部职工党支部", "retired"),
        ("离退休", "retired"),
        ("Non_Public", "non_public"),
        (" 农　村 ", "rural"),
        ("农\u200d村", "rural"),
        ("社区", None),
        ("企业", None),
    ],
)
def test_categories_are_the_default_rubrics_key_label_or_declared_alias(given, expected) -> None:
    names = CategoryNames.of(default_rubric().categories)
    assert names.key_for(given) == expected


async def test_importing_again_changes_nothing_and_a_changed_row_updates(database) -> None:
    changed = OrgRow(3, "城关县", "温店镇", "镇机关党支部", "institution", "钱新", "WD101")

    def first_transaction(session: Session) -> Any:
        first = import_org_rows(session, EXPECTED)
        return first

    first = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        again = import_org_rows(session, EXPECTED)
        return again

    again = await database.run(second_transaction)

    def third_transaction(session: Session) -> Any:
        update = import_org_rows(session, [EXPECTED[0], changed])
        town = repo.find_town(session, "温店镇")
        branches = repo.branches_of_town(session, town.id)
        return update, branches

    update, branches = await database.run(third_transaction)
    assert (len(first.created), len(again.unchanged), update.updated) == (
        2,
        2,
        ["城关县/温店镇/镇机关党支部"],
    )
    assert [(b.name, b.secretary_name) for b in branches] == [
        ("东村党支部", "王建国"),
        ("镇机关党支部", "钱新"),
    ]

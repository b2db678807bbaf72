"""An organisation list is untrusted input: the spreadsheet capped before it is read whole,
names cleaned and limited the same way on both databases."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Branch
from storage.org_import import (
    CategoryNames,
    OrgRow,
    check_org_rows,
    import_org_rows,
    read_org_file,
)
from storage.repositories.orgs import (
    InvalidName,
    clean_name,
    get_or_create_county,
    get_or_create_town,
    upsert_branch,
)
from storage.spreadsheet import MAX_FILE_BYTES, MAX_ROWS, RowProblem, SpreadsheetError

HEADER = "县,镇,党支部,类别"
GOOD = "城关县,温店镇,东村党支部,农村"
PLACEHOLDER = "PLACEHOLDER-CELL"


def _csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "org.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _xlsx_with_one_huge_cell(tmp_path: Path, size: int) -> Path:
    """An XLSX holding one cell of `size` letters, written without ever holding the cell in
    memory; deflate packs it about 230 to 1. (openpyxl writes the cell inline in the sheet,
    Excel in the shared strings part: the check looks at every part alike.)"""
    workbook = Workbook()
    workbook.active.append(["县", "镇", "党支部", "类别"])
    workbook.active.append(["城关县", "温店镇", PLACEHOLDER, "农村"])
    small = tmp_path / "small.xlsx"
    workbook.save(small)
    path = tmp_path / "huge-cell.xlsx"
    chunk = b"a" * (1 << 20)
    with (
        zipfile.ZipFile(small) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for part in source.infolist():
            data = source.read(part)
            if PLACEHOLDER.encode() not in data:
                target.writestr(part, data)
                continue
            before, after = data.split(PLACEHOLDER.encode())
            with target.open(part.filename, "w", force_zip64=True) as stream:
                stream.write(before)
                for _ in range(size // len(chunk)):
                    stream.write(chunk)
                stream.write(after)
    return path


def test_an_xlsx_holding_a_one_gigabyte_cell_is_refused_without_reading_it(
    tmp_path: Path,
) -> None:
    path = _xlsx_with_one_huge_cell(tmp_path, 1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(SpreadsheetError, match=r"sheet1\.xml alone 1,073,74\d,\d{3}"):
            read_org_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size < MAX_FILE_BYTES
    assert peak < 2_000_000


def test_a_csv_field_past_the_csv_modules_limit_names_its_row_and_column(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, GOOD, "城关县,温店镇," + "长" * 131_073 + ",农村")
    with pytest.raises(SpreadsheetError) as refused:
        read_org_file(path)
    assert str(refused.value) == (
        f"{path}: row 3, column C: a cell longer than 131,072 characters, at most 1,000"
    )


def test_a_quoted_field_past_the_limit_after_a_quoted_comma_is_found_in_its_column(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, '城关县,"温店镇,东",' + "长" * 131_073 + ",农村")
    with pytest.raises(SpreadsheetError, match="row 2, column C: a cell longer than 131,072"):
        read_org_file(path)


def test_a_long_cell_is_a_problem_of_its_row_and_column_and_the_others_still_read(
    tmp_path: Path,
) -> None:
    path = _csv(tmp_path, "城关县,温店镇,西村党支部," + "农" * 5_000, GOOD)
    rows, problems = read_org_file(path)
    assert problems == [RowProblem(2, "column D: a cell of 5,000 characters, at most 1,000")]
    assert rows == [OrgRow(3, "城关县", "温店镇", "东村党支部", "rural")]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    with pytest.raises(SpreadsheetError, match="5,242,881 bytes, at most 5,242,880"):
        read_org_file(path)


def test_a_csv_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, *[f"城关县,温店镇,支部{n},农村" for n in range(MAX_ROWS)])
    with pytest.raises(SpreadsheetError, match="more than 20,000 rows"):
        read_org_file(path)


def test_an_xlsx_claiming_a_million_rows_and_every_column_is_not_padded_out(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    workbook.active.append(["县", "镇", "党支部", "类别"])
    workbook.active.cell(row=1_000_000, column=16_384, value="远")
    path = tmp_path / "org.xlsx"
    workbook.save(path)
    with pytest.raises(SpreadsheetError, match="more than 20,000 rows"):
        read_org_file(path)


@pytest.mark.parametrize(
    ("branch", "message"),
    [
        ("支" * 201, "branch name has 201 characters, at most 200"),
        ("支" * 10_000, "column C: a cell of 10,000 characters, at most 1,000"),
        ("东村\x00党支部", "branch name holds the control character U+0000"),
        ("东村\x1b[31m党支部", "branch name holds the control character U+001B"),
        ("东村\u202e党支部", "branch name holds the control character U+202E"),
    ],
)
def test_names_too_long_for_their_column_or_holding_control_characters_are_row_problems(
    tmp_path: Path, branch: str, message: str
) -> None:
    rows, problems = read_org_file(_csv(tmp_path, f"城关县,温店镇,{branch},农村"))
    assert (rows, problems) == ([], [RowProblem(2, message)])


def test_every_bad_name_of_a_row_is_a_problem_of_its_own(tmp_path: Path) -> None:
    header = "县,镇,党支部,类别,书记,编码"
    path = tmp_path / "org.csv"
    row = f"城关县,温店镇,东村党支部,农村,{'王' * 101},C\x00D"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    rows, problems = read_org_file(path)
    assert (rows, problems) == (
        [],
        [
            RowProblem(2, "secretary name has 101 characters, at most 100"),
            RowProblem(2, "code name holds the control character U+0000"),
        ],
    )


def test_a_zero_width_joiner_does_not_make_a_look_alike_second_branch(tmp_path: Path) -> None:
    rows, problems = read_org_file(
        _csv(tmp_path, GOOD, "城关县,温店镇,东村\u200d党支部\u200b,农村")
    )
    assert rows == [OrgRow(2, "城关县", "温店镇", "东村党支部", "rural")]
    assert problems == [RowProblem(3, "branch '东村党支部' of '温店镇' is already on row 2")]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("  东村\u200d党支部\ufeff ", "东村党支部"),
        ("ＷＤ００１", "WD001"),
        ("东村\t党\n支部", "东村 党 支部"),
    ],
)
def test_names_are_cleaned_to_one_stored_form(given: str, expected: str) -> None:
    assert clean_name(given, "branch") == expected


async def test_both_databases_refuse_the_same_names_before_they_see_them(database) -> None:
    def try_names(session: Session) -> list[str]:
        county = get_or_create_county(session, "城关县")
        town = get_or_create_town(session, county, "温店镇")
        refusals = []
        for name in ["支" * 10_000, "东村\x00党支部", "   "]:
            try:
                upsert_branch(session, town, name, "rural")
            except InvalidName as error:
                refusals.append(str(error))
        return refusals

    def count(session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(Branch)))

    assert await database.run(try_names) == [
        "branch name has 10,000 characters, at most 200",
        "branch name holds the control character U+0000",
        "empty branch name",
    ]
    assert await database.run(count) == 0


async def test_a_look_alike_name_updates_the_branch_it_looks_like(database) -> None:
    first = OrgRow(2, "城关县", "温店镇", "东村党支部", "rural")
    look_alike = OrgRow(2, "城关县", "温店镇", "东村\u200d党支部", "rural", "王建国")

    def import_twice(session: Session) -> tuple[list[str], list[str]]:
        import_org_rows(session, [first])
        again = import_org_rows(session, [look_alike])
        return again.created, again.updated

    assert await database.run(import_twice) == ([], ["城关县/温店镇/东村党支部"])


def test_a_rubric_category_key_longer_than_its_column_is_a_row_problem() -> None:
    long_key = SimpleNamespace(key="c" * 41, label="社区党支部", aliases=("社区",))
    names = CategoryNames.of([long_key])
    rows, problems = check_org_rows(
        [
            {
                "row": 2,
                "county": "城关县",
                "town": "温店镇",
                "branch": "社区党支部",
                "category": "社区",
            }
        ],
        lambda county, town: names,
    )
    assert (rows, problems) == ([], [RowProblem(2, "category name has 41 characters, at most 40")])

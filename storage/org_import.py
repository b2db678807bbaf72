"""Reading the organisation list a town keeps in Excel: CSV or XLSX, as Excel in China writes it.

Such files come as UTF-8 with or without a BOM, or GBK; cells carry full-width spaces (U+3000)
and full-width digits; blank lines creep in. Everything is normalised before it is checked, and
every row is checked before anything is written, so a bad file imports nothing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from storage.repositories.orgs import (
    BranchChange,
    get_or_create_county,
    get_or_create_town,
    upsert_branch,
)

__all__ = [
    "CATEGORY_ALIASES",
    "ImportReport",
    "OrgFileError",
    "OrgRow",
    "RowProblem",
    "category_key",
    "check_org_rows",
    "import_org_rows",
    "read_org_file",
]

# Header spellings seen in county spreadsheets, mapped to field names; compared after
# normalisation (NFKC, no spaces, lower case).
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(["县", "县区", "县(区)", "县(市、区)", "county"], "county"),
    **dict.fromkeys(["镇", "乡镇", "镇街", "乡镇(街道)", "街道", "town"], "town"),
    **dict.fromkeys(
        ["党支部", "支部", "党支部名称", "支部名称", "党组织名称", "branch"], "branch"
    ),
    **dict.fromkeys(["类别", "领域", "类型", "支部类别", "category"], "category"),
    **dict.fromkeys(["书记", "党支部书记", "支部书记", "书记姓名", "secretary"], "secretary"),
    **dict.fromkeys(["编码", "代码", "组织编码", "code"], "code"),
}
REQUIRED_FIELDS = ("county", "town", "branch", "category")

# The four categories (领域) of DOMAIN.md: keys, the rubric's full labels, and the short forms
# people type.
CATEGORY_ALIASES: dict[str, str] = {
    **dict.fromkeys(["rural", "农村党支部", "农村", "村", "村党支部"], "rural"),
    **dict.fromkeys(
        [
            "institution",
            "机关事业单位党支部",
            "机关事业单位",
            "机关",
            "事业单位",
            "机关党支部",
            "事业单位党支部",
        ],
        "institution",
    ),
    **dict.fromkeys(
        [
            "non_public",
            "非公有制经济组织党支部",
            "非公有制经济组织",
            "非公有制",
            "非公",
            "非公企业",
            "企业",
        ],
        "non_public",
    ),
    **dict.fromkeys(
        ["retired", "离退休干部职工党支部", "离退休干部职工", "离退休", "退休", "离退休党支部"],
        "retired",
    ),
}

# Excel opens CSV as GBK on Chinese Windows and saves it that way; GB18030 is its superset.
ENCODINGS = ("utf-8-sig", "gb18030")
_SPACES = re.compile(r"\s+")


class OrgFileError(ValueError):
    """The file cannot be read as an organisation list at all (no header, wrong format)."""


@dataclass(frozen=True)
class OrgRow:
    """One branch as listed in the file, normalised; `row` is its spreadsheet row number."""

    row: int
    county: str
    town: str
    branch: str
    category: str
    secretary: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be imported."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


@dataclass
class ImportReport:
    """What an import did, branch by branch."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)


def normalise_cell(value: Any) -> str:
    """Returns the cell as clean text: NFKC (full-width → ASCII), spaces collapsed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number comes back from XLSX as 1001.0
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub(" ", text).strip()


def _header_key(value: Any) -> str:
    return normalise_cell(value).replace(" ", "").replace("*", "").lower()


def category_key(value: str) -> str | None:
    """Returns the category key for a key, a Chinese label or a short form; None if unknown."""
    return CATEGORY_ALIASES.get(value.replace(" ", "").lower())


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OrgFileError(f"{path}: neither UTF-8 nor GBK text; save it as CSV UTF-8 or XLSX")


def _csv_rows(path: Path) -> Iterable[tuple[int, Sequence[Any]]]:
    text = _decode(path.read_bytes(), path)
    # Excel writes commas ("CSV UTF-8", "CSV") or tabs ("Unicode text", UTF-16).
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for record in reader:
        yield reader.line_num, record


def _xlsx_rows(path: Path) -> Iterable[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise OrgFileError(f"{path}: not a readable XLSX file ({error})") from error
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def read_org_file(path: str | Path) -> tuple[list[OrgRow], list[RowProblem]]:
    """Reads and checks a CSV or XLSX organisation list.

    Returns:
        The good rows and the problems of the bad ones (unknown category, empty name,
        a branch listed twice in one town), each with its row number.

    Raises:
        OrgFileError: the file is unreadable or has no header row naming the required columns.
    """
    source = Path(path)
    if not source.is_file():
        raise OrgFileError(f"{source}: no such file")
    is_xlsx = source.suffix.lower() in {".xlsx", ".xlsm"}
    rows = _xlsx_rows(source) if is_xlsx else _csv_rows(source)
    columns: dict[str, int] | None = None
    parsed: list[dict[str, Any]] = []
    for number, values in rows:
        cells = [normalise_cell(value) for value in values]
        if not any(cells):
            continue  # stray blank lines, before or after the header
        if columns is None:
            columns = _read_header(values, source, number)
            continue
        record = {
            name: cells[index] if index < len(cells) else "" for name, index in columns.items()
        }
        parsed.append({"row": number, **record})
    if columns is None:
        raise OrgFileError(f"{source}: empty file, expected a header row")
    return check_org_rows(parsed)


def _read_header(values: Sequence[Any], source: Path, number: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(values):
        name = HEADER_ALIASES.get(_header_key(value))
        if name is not None and name not in columns:
            columns[name] = index
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise OrgFileError(
            f"{source}: row {number} is not a header with the columns 县 镇 党支部 类别 "
            f"(or county town branch category); missing {', '.join(missing)}"
        )
    return columns


def check_org_rows(records: Iterable[dict[str, Any]]) -> tuple[list[OrgRow], list[RowProblem]]:
    """Checks raw records (`row`, `county`, `town`, `branch`, `category`, optional `secretary`
    and `code`); returns the good rows and the problems."""
    good: list[OrgRow] = []
    problems: list[RowProblem] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    for record in records:
        number = int(record["row"])
        names = {key: normalise_cell(record.get(key)) for key in ("county", "town", "branch")}
        empty = [key for key, value in names.items() if not value]
        if empty:
            problems.append(RowProblem(number, f"empty {', '.join(empty)} name"))
            continue
        raw_category = normalise_cell(record.get("category"))
        category = category_key(raw_category)
        if category is None:
            problems.append(RowProblem(number, f"unknown category {raw_category!r}"))
            continue
        key = (names["county"], names["town"], names["branch"])
        if key in first_seen:
            problems.append(
                RowProblem(
                    number,
                    f"branch {names['branch']!r} of {names['town']!r} is already on row "
                    f"{first_seen[key]}",
                )
            )
            continue
        first_seen[key] = number
        good.append(
            OrgRow(
                row=number,
                county=names["county"],
                town=names["town"],
                branch=names["branch"],
                category=category,
                secretary=normalise_cell(record.get("secretary")) or None,
                code=normalise_cell(record.get("code")) or None,
            )
        )
    return good, problems


def import_org_rows(session: Session, rows: Iterable[OrgRow]) -> ImportReport:
    """Creates or updates the counties, towns and branches of checked rows.

    Re-importing the same rows changes nothing; a changed category, code or secretary's name
    updates its branch. Branches missing from the file are left alone (never deleted: they may
    hold a year of assessments).
    """
    report = ImportReport()
    counties: dict[str, Any] = {}
    towns: dict[tuple[str, str], Any] = {}
    for row in rows:
        if row.county not in counties:
            counties[row.county] = get_or_create_county(session, row.county)
        town_key = (row.county, row.town)
        if town_key not in towns:
            towns[town_key] = get_or_create_town(session, counties[row.county], row.town)
        _, change = upsert_branch(
            session, towns[town_key], row.branch, row.category, row.code, row.secretary
        )
        label = f"{row.county}/{row.town}/{row.branch}"
        {
            BranchChange.CREATED: report.created,
            BranchChange.UPDATED: report.updated,
            BranchChange.UNCHANGED: report.unchanged,
        }[change].append(label)
    return report

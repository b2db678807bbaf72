"""Reading the organisation list a town keeps in Excel: CSV or XLSX, as Excel in China writes it.

Such files come as UTF-8 with or without a BOM, or GBK; cells carry full-width spaces (U+3000)
and full-width digits; blank lines creep in. Everything is normalised before it is checked, and
every row is checked before anything is written, so a bad file imports nothing.

A file is also untrusted input: its size, its rows, its columns and every cell's length are
capped before it is read whole, so a small file that unpacks to gigabytes is refused unread.
The category column takes the names the rubric in force declares (`Category.key`, `label` and
`aliases`), never a guess.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from storage.repositories.cycles import current_cycle, cycle_rubric
from storage.repositories.orgs import (
    BranchChange,
    InvalidName,
    clean_name,
    find_town,
    get_or_create_county,
    get_or_create_town,
    upsert_branch,
)

if TYPE_CHECKING:
    from scoring import Category, Rubric

__all__ = [
    "HEADER_ALIASES",
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "CategoriesFor",
    "CategoryNames",
    "ImportReport",
    "OrgFileError",
    "OrgRow",
    "RowProblem",
    "categories_in_force",
    "check_org_rows",
    "import_org_rows",
    "read_org_file",
    "read_org_records",
]

# Header spellings seen in county spreadsheets, by field name; compared after normalisation
# (NFKC, no spaces, lower case). A new optional column is one more line here and one more
# field of `OrgRow`.
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

# Limits far above any county's list (a few thousand branches is about 0.5 MB of CSV) and far
# below what would exhaust a small server.
MAX_FILE_BYTES = 5 * 1024 * 1024
# What an XLSX's parts add up to once unzipped (sheet XML is about ten times the CSV).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_ROWS = 20_000
# Columns past this are not read at all (a sheet can claim 16,384).
MAX_COLUMNS = 50
# Any cell, whatever its column; the named columns are further held to their database
# column's length by `clean_name`.
MAX_CELL_CHARS = 1_000
# How much of a bad value a message repeats.
EXCERPT_CHARS = 40

# Excel opens CSV as GBK on Chinese Windows and saves it that way; GB18030 is its superset.
ENCODINGS = ("utf-8-sig", "gb18030")
_NO_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


class OrgFileError(ValueError):
    """The file cannot be read as an organisation list at all (no header, bad format, too big)."""


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


def _name_key(value: str) -> str:
    """How names are compared: NFKC, without any spaces or invisible characters, lower case."""
    return _NO_SPACES.sub("", unicodedata.normalize("NFKC", value)).lower()


def _excerpt(value: str) -> str:
    shown = value if len(value) <= EXCERPT_CHARS else value[:EXCERPT_CHARS] + "…"
    return repr(shown)


@dataclass(frozen=True)
class CategoryNames:
    """The names a rubric gives its categories, to read a 类别 cell by.

    Each category is known by its key, its label and its declared aliases; nothing else.
    """

    keys: Mapping[str, str]
    allowed: tuple[str, ...]

    @classmethod
    def of(cls, categories: Iterable[Category]) -> CategoryNames:
        """Builds the table from a rubric's categories (`Rubric.categories`)."""
        keys: dict[str, str] = {}
        allowed = []
        for category in categories:
            for name in (category.key, category.label, *category.aliases):
                keys.setdefault(_name_key(name), category.key)
            allowed.append(f"{category.label} ({category.key})")
        return cls(keys, tuple(allowed))

    def key_for(self, value: str) -> str | None:
        """Returns the key of the category the cell names; None for a name the rubric lacks."""
        return self.keys.get(_name_key(value))

    def unknown(self, value: str) -> str:
        """The problem text for a cell naming no category: what was given and what is allowed."""
        return f"unknown category {_excerpt(value)}; the rubric allows {', '.join(self.allowed)}"


# The category names to use for a row's county and town.
CategoriesFor = Callable[[str, str], CategoryNames]


def _default_categories(county: str, town: str) -> CategoryNames:
    from scoring import default_rubric

    return CategoryNames.of(default_rubric().categories)


def categories_in_force(session: Session, rubric: Rubric | None = None) -> CategoriesFor:
    """Returns the category names of the rubric in force for each town of an import.

    That is the rubric of the town's open cycle, when the town exists and has one (a running
    year's categories cannot change); else `rubric` when given; else the default rubric.
    """
    found: dict[tuple[str, str], CategoryNames] = {}

    def categories_for(county: str, town: str) -> CategoryNames:
        if (county, town) not in found:
            found[county, town] = CategoryNames.of(_rubric_in_force(county, town).categories)
        return found[county, town]

    def _rubric_in_force(county: str, town: str) -> Rubric:
        from scoring import default_rubric

        existing = find_town(session, f"{county}/{town}")
        cycle = current_cycle(session, existing.id) if existing is not None else None
        if cycle is not None:
            return cycle_rubric(cycle)
        return rubric if rubric is not None else default_rubric()

    return categories_for


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number comes back from XLSX as 1001.0
    return str(value)


def _header_key(value: Any) -> str:
    return _name_key(_cell_text(value)).replace("*", "")


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OrgFileError(f"{path}: neither UTF-8 nor GBK text; save it as CSV UTF-8 or XLSX")


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    text = _decode(path.read_bytes(), path)
    # Excel writes commas ("CSV UTF-8", "CSV") or tabs ("Unicode text", UTF-16).
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _csv_error(path, text, last_line, delimiter, error) from None
        yield reader.line_num, record
        last_line = reader.line_num


def _csv_error(
    path: Path, text: str, last_line: int, delimiter: str, error: csv.Error
) -> OrgFileError:
    """Names the row (and, for an over-long cell, the column) where the csv module gave up."""
    row = last_line + 1
    if "field larger than field limit" not in str(error):
        return OrgFileError(f"{path}: row {row}: not readable as CSV ({error})")
    # The csv module's limit is process-wide, so it is not raised; its error names no column,
    # so the record is scanned for the first cell past the cap.
    record = "".join(io.StringIO(text, newline="").readlines()[last_line:])
    column, length, quoted = 0, 0, False
    for char in record:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            column, length = column + 1, 0
        elif char in "\r\n" and not quoted:
            break
        else:
            length += 1
            if length > MAX_CELL_CHARS:
                break
    return OrgFileError(
        f"{path}: row {row}, column {_column_letter(column)}: a cell longer than "
        f"{csv.field_size_limit():,} characters, at most {MAX_CELL_CHARS:,}"
    )


def _check_xlsx_parts(path: Path) -> None:
    """Refuses an XLSX whose parts unpack to more than `MAX_UNPACKED_BYTES`, before parsing.

    The declared sizes can be trusted: `zipfile` never returns more bytes than a part declares
    (a part holding more fails its CRC check), and openpyxl reads through `zipfile`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise OrgFileError(f"{path}: not a readable XLSX file ({error})") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        largest = max(parts, key=lambda part: part.file_size)
        raise OrgFileError(
            f"{path}: unpacks to {unpacked:,} bytes ({largest.filename} alone "
            f"{largest.file_size:,}), at most {MAX_UNPACKED_BYTES:,}: is one cell enormous?"
        )


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook

    _check_xlsx_parts(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise OrgFileError(f"{path}: not a readable XLSX file ({error})") from None
    try:
        # Bounded, so a sheet claiming a million rows or 16,384 columns is not padded out.
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS)
        yield from enumerate(rows, start=1)
    except Exception as error:  # a damaged sheet fails while it is read
        raise OrgFileError(f"{path}: not a readable XLSX file ({error})") from None
    finally:
        workbook.close()


def read_org_records(path: str | Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Reads a CSV or XLSX organisation list into raw records, capping what it reads.

    Returns:
        One record per non-blank row after the header (`row` and the named columns' text),
        and the rows refused while reading (a cell longer than `MAX_CELL_CHARS`).

    Raises:
        OrgFileError: the file is missing, too big, unreadable, or has no header row naming
            the required columns.
    """
    source = Path(path)
    if not source.is_file():
        raise OrgFileError(f"{source}: no such file")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise OrgFileError(f"{source}: {size:,} bytes, at most {MAX_FILE_BYTES:,}")
    is_xlsx = source.suffix.lower() in {".xlsx", ".xlsm"}
    rows = _xlsx_rows(source) if is_xlsx else _csv_rows(source)
    columns: dict[str, int] | None = None
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for number, values in rows:
        if number > MAX_ROWS:
            raise OrgFileError(f"{source}: more than {MAX_ROWS:,} rows")
        cells = [_cell_text(value) for value in values[:MAX_COLUMNS]]
        too_long = next((i for i, cell in enumerate(cells) if len(cell) > MAX_CELL_CHARS), None)
        if too_long is not None:
            problems.append(
                RowProblem(
                    number,
                    f"column {_column_letter(too_long)}: a cell of {len(cells[too_long]):,} "
                    f"characters, at most {MAX_CELL_CHARS:,}",
                )
            )
            continue
        if not any(cell.strip() for cell in cells):
            continue  # stray blank lines, before or after the header
        if columns is None:
            columns = _read_header(cells, source, number)
            continue
        record = {
            name: cells[index] if index < len(cells) else "" for name, index in columns.items()
        }
        records.append({"row": number, **record})
    if columns is None:
        raise OrgFileError(f"{source}: empty file, expected a header row")
    return records, problems


def _read_header(cells: Sequence[str], source: Path, number: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(cells):
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


def read_org_file(
    path: str | Path, categories_for: CategoriesFor | None = None
) -> tuple[list[OrgRow], list[RowProblem]]:
    """Reads and checks a CSV or XLSX organisation list (`read_org_records`, then
    `check_org_rows`); the problems come in row order.

    Raises:
        OrgFileError: as `read_org_records`.
    """
    records, unread = read_org_records(path)
    rows, problems = check_org_rows(records, categories_for)
    return rows, sorted(unread + problems, key=lambda problem: problem.row)


def check_org_rows(
    records: Iterable[Mapping[str, Any]], categories_for: CategoriesFor | None = None
) -> tuple[list[OrgRow], list[RowProblem]]:
    """Checks raw records (`row`, `county`, `town`, `branch`, `category`, optional `secretary`
    and `code`); returns the good rows and the problems.

    Names are cleaned and limited by `clean_name`. Categories are read by `categories_for`
    (county, town) → the rubric's names; the default rubric's when None.
    """
    names_for = categories_for or _default_categories
    good: list[OrgRow] = []
    problems: list[RowProblem] = []
    first_seen: dict[tuple[str, str, str], int] = {}
    for record in records:
        number = int(record["row"])
        try:
            names = {
                key: clean_name(_cell_text(record.get(key)), key)
                for key in ("county", "town", "branch", "secretary", "code")
            }
        except InvalidName as error:
            problems.append(RowProblem(number, str(error)))
            continue
        empty = [key for key in ("county", "town", "branch") if not names[key]]
        if empty:
            problems.append(RowProblem(number, f"empty {', '.join(empty)} name"))
            continue
        raw_category = _cell_text(record.get("category"))
        categories = names_for(names["county"], names["town"])
        category = categories.key_for(raw_category)
        if category is None:
            problems.append(RowProblem(number, categories.unknown(raw_category.strip())))
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
                secretary=names["secretary"] or None,
                code=names["code"] or None,
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
        town = towns[town_key]
        branch, change = upsert_branch(
            session, town, row.branch, row.category, row.code, row.secretary
        )
        label = f"{town.county.name}/{town.name}/{branch.name}"
        {
            BranchChange.CREATED: report.created,
            BranchChange.UPDATED: report.updated,
            BranchChange.UNCHANGED: report.unchanged,
        }[change].append(label)
    return report

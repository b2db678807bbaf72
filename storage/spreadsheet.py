"""Reading a table a town keeps in Excel, as untrusted input: CSV or XLSX, as Excel in China
writes it.

Such files come as UTF-8 with or without a BOM, GBK, or UTF-16 text; blank lines creep in. The
file's size, its rows, its columns and every cell's length are capped before it is read whole,
so a small file that unpacks to gigabytes is refused unread, and each refusal names the row and
column. What the cells mean is the caller's business (`storage.org_import`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "RowProblem",
    "SpreadsheetError",
    "cell_text",
    "compare_key",
    "excerpt",
    "read_table",
]

# Limits far above any county's lists (a few thousand branches is about 0.5 MB of CSV) and far
# below what would exhaust a small server.
MAX_FILE_BYTES = 5 * 1024 * 1024
# What an XLSX's parts add up to once unzipped (sheet XML is about ten times the CSV).
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_ROWS = 20_000
# Columns past this are not read at all (a sheet can claim 16,384).
MAX_COLUMNS = 50
# Any cell, whatever its column (a caller may hold its columns to less).
MAX_CELL_CHARS = 1_000

# How much of a bad value a message repeats.
EXCERPT_CHARS = 40

# Excel opens CSV as GBK on Chinese Windows and saves it that way; GB18030 is its superset.
ENCODINGS = ("utf-8-sig", "gb18030")
_NO_SPACES = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]+")


class SpreadsheetError(ValueError):
    """The file cannot be read as a table at all (missing, too big, unreadable, no header)."""


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be imported."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def excerpt(value: str) -> str:
    """`value` quoted for a message, cut to `EXCERPT_CHARS` so a huge value is never echoed."""
    return repr(value if len(value) <= EXCERPT_CHARS else value[:EXCERPT_CHARS] + "…")


def cell_text(value: Any) -> str:
    """A cell's value as text, as the sheet shows it; empty for an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number comes back from XLSX as 1001.0
    return str(value)


def compare_key(value: Any) -> str:
    """How headers and other labels are compared: NFKC, without spaces, invisible characters
    or the `*` of a required column, lower case."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    return _NO_SPACES.sub("", text).replace("*", "").lower()


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
    raise SpreadsheetError(f"{path}: neither UTF-8 nor GBK text; save it as CSV UTF-8 or XLSX")


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
) -> SpreadsheetError:
    """Names the row (and, for an over-long cell, the column) where the csv module gave up."""
    row = last_line + 1
    if "field larger than field limit" not in str(error):
        return SpreadsheetError(f"{path}: row {row}: not readable as CSV ({error})")
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
    return SpreadsheetError(
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
        raise SpreadsheetError(f"{path}: not a readable XLSX file ({error})") from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        largest = max(parts, key=lambda part: part.file_size)
        raise SpreadsheetError(
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
        raise SpreadsheetError(f"{path}: not a readable XLSX file ({error})") from None
    try:
        # Bounded, so a sheet claiming a million rows or 16,384 columns is not padded out.
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS)
        yield from enumerate(rows, start=1)
    except Exception as error:  # a damaged sheet fails while it is read
        raise SpreadsheetError(f"{path}: not a readable XLSX file ({error})") from None
    finally:
        workbook.close()


def read_table(
    path: str | Path, headers: Mapping[str, str], required: Sequence[str], header_hint: str
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Reads a CSV or XLSX table into raw records, capping what it reads.

    Args:
        headers: header spellings, compared as `header_key` makes them, → field names.
        required: the fields the header row must name.
        header_hint: how to describe the expected header to someone whose file lacks it.

    Returns:
        One record per non-blank row after the header (`row` and each named column's text),
        and the rows refused while reading (a cell longer than `MAX_CELL_CHARS`).

    Raises:
        SpreadsheetError: the file is missing, too big or unreadable, or has no header row
            naming the required columns.
    """
    source = Path(path)
    if not source.is_file():
        raise SpreadsheetError(f"{source}: no such file")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(f"{source}: {size:,} bytes, at most {MAX_FILE_BYTES:,}")
    is_xlsx = source.suffix.lower() in {".xlsx", ".xlsm"}
    rows = _xlsx_rows(source) if is_xlsx else _csv_rows(source)
    columns: dict[str, int] | None = None
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for number, values in rows:
        if number > MAX_ROWS:
            raise SpreadsheetError(f"{source}: more than {MAX_ROWS:,} rows")
        cells = [cell_text(value) for value in values[:MAX_COLUMNS]]
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
            columns = _header_columns(cells, headers)
            missing = [name for name in required if name not in columns]
            if missing:
                raise SpreadsheetError(
                    f"{source}: row {number} is not a header with the columns {header_hint}; "
                    f"missing {', '.join(missing)}"
                )
            continue
        record = {
            name: cells[index] if index < len(cells) else "" for name, index in columns.items()
        }
        records.append({"row": number, **record})
    if columns is None:
        raise SpreadsheetError(f"{source}: empty file, expected a header row")
    return records, problems


def _header_columns(cells: Sequence[str], headers: Mapping[str, str]) -> dict[str, int]:
    """The index of each field's column: the first header cell spelling it."""
    columns: dict[str, int] = {}
    for index, value in enumerate(cells):
        name = headers.get(compare_key(value))
        if name is not None and name not in columns:
            columns[name] = index
    return columns

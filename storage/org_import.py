"""Importing the organisation list a town keeps in Excel (county, town, branch, category).

The file is read by `storage.spreadsheet` (capped, any encoding Excel writes). Names are cleaned
and limited by `clean_name`; the category column takes the names the rubric in force declares
(`Category.key`, `label` and `aliases`), never a guess. Every row is checked before anything is
written, so a bad file imports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
from storage.spreadsheet import RowProblem, cell_text, compare_key, excerpt, read_table

if TYPE_CHECKING:
    from scoring import Category, Rubric

__all__ = [
    "HEADER_ALIASES",
    "CategoriesFor",
    "CategoryNames",
    "ImportReport",
    "OrgRow",
    "categories_in_force",
    "check_org_rows",
    "import_org_rows",
    "last_year_stars_of",
    "read_org_file",
    "read_org_records",
]

# Header spellings seen in county spreadsheets, by field name, as `compare_key` writes them.
# A new optional column is one more line here and one more field of `OrgRow`.
HEADER_ALIASES: dict[str, str] = {
    **dict.fromkeys(["县", "县区", "县(区)", "县(市、区)", "county"], "county"),
    **dict.fromkeys(["镇", "乡镇", "镇街", "乡镇(街道)", "街道", "town"], "town"),
    **dict.fromkeys(
        ["党支部", "支部", "党支部名称", "支部名称", "党组织名称", "branch"], "branch"
    ),
    **dict.fromkeys(["类别", "领域", "类型", "支部类别", "category"], "category"),
    **dict.fromkeys(["书记", "党支部书记", "支部书记", "书记姓名", "secretary"], "secretary"),
    **dict.fromkeys(["编码", "代码", "组织编码", "code"], "code"),
    **dict.fromkeys(["上年星级", "上年等次", "last_year_stars"], "last_year_stars"),
}
REQUIRED_FIELDS = ("county", "town", "branch", "category")


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
    last_year_stars: int | None = None


@dataclass
class ImportReport:
    """What an import did, branch by branch."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)


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
                keys.setdefault(compare_key(name), category.key)
            allowed.append(f"{category.label} ({category.key})")
        return cls(keys, tuple(allowed))

    def key_for(self, value: str) -> str | None:
        """Returns the key of the category the cell names; None for a name the rubric lacks."""
        return self.keys.get(compare_key(value))

    def unknown(self, value: str) -> str:
        """The problem text for a cell naming no category: what was given and what is allowed."""
        return f"unknown category {excerpt(value)}; the rubric allows {', '.join(self.allowed)}"


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


def read_org_records(path: str | Path) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Reads an organisation list's rows as raw records (see `read_table`).

    Raises:
        SpreadsheetError: the file cannot be read, or names none of the required columns.
    """
    hint = "县 镇 党支部 类别 (or county town branch category)"
    return read_table(path, HEADER_ALIASES, REQUIRED_FIELDS, hint)


def read_org_file(
    path: str | Path, categories_for: CategoriesFor | None = None
) -> tuple[list[OrgRow], list[RowProblem]]:
    """Reads and checks a CSV or XLSX organisation list (`read_org_records`, then
    `check_org_rows`); the problems come in row order.

    Raises:
        SpreadsheetError: as `read_org_records`.
    """
    records, unread = read_org_records(path)
    rows, problems = check_org_rows(records, categories_for)
    return rows, sorted(unread + problems, key=lambda problem: problem.row)


def last_year_stars_of(value: str) -> int | None:
    """Reads last year's level: `5`, `五星级`, `五星`, `5星`; None when empty or unreadable."""
    numerals = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
    cleaned = value.replace(" ", "").removesuffix("级").removesuffix("星")
    if cleaned.isdigit() and 0 <= int(cleaned) <= 5:
        return int(cleaned)
    return numerals.get(cleaned)


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
        names: dict[str, str] = {}
        bad_names: list[RowProblem] = []
        for column in ("county", "town", "branch", "secretary", "code"):
            try:
                names[column] = clean_name(cell_text(record.get(column)), column)
            except InvalidName as error:
                bad_names.append(RowProblem(number, str(error)))
        if bad_names:
            problems += bad_names
            continue
        empty = [key for key in ("county", "town", "branch") if not names[key]]
        if empty:
            problems.append(RowProblem(number, f"empty {', '.join(empty)} name"))
            continue
        raw_category = cell_text(record.get("category"))
        categories = names_for(names["county"], names["town"])
        category = categories.key_for(raw_category)
        if category is None:
            problems.append(RowProblem(number, categories.unknown(raw_category.strip())))
            continue
        try:
            clean_name(category, "category")  # a rubric's key may be longer than the column
        except InvalidName as error:
            problems.append(RowProblem(number, str(error)))
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
        raw_stars = cell_text(record.get("last_year_stars")).strip()
        last_year = last_year_stars_of(raw_stars)
        if raw_stars and last_year is None:
            problems.append(RowProblem(number, f"unknown last year's level {excerpt(raw_stars)}"))
            continue
        good.append(
            OrgRow(
                row=number,
                county=names["county"],
                town=names["town"],
                branch=names["branch"],
                category=category,
                secretary=names["secretary"] or None,
                code=names["code"] or None,
                last_year_stars=last_year,
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
            session, town, row.branch, row.category, row.code, row.secretary, row.last_year_stars
        )
        label = f"{town.county.name}/{town.name}/{branch.name}"
        {
            BranchChange.CREATED: report.created,
            BranchChange.UPDATED: report.updated,
            BranchChange.UNCHANGED: report.unchanged,
        }[change].append(label)
    return report

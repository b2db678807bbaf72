"""`pingxing export`: a town's year as the workbook towns already keep, or as JSON.

Sheets: 汇总 (the summary, in the layout towns file: 序号 … 备注), 逐项得分 (self and reviewed
score per item), 操作记录 (the audit trail of the year), 星级分布 (the reviewed levels, with a
bar chart). Scores are written as numbers with two decimals, never as text, so a town can sum
and sort them; every sheet has a frozen header and widths that print on A4 landscape.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    DatabaseOption,
    JsonOption,
    fail,
    find_town_or_fail,
    in_transaction,
    local_time,
    print_json,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet
    from sqlalchemy.orm import Session

    from scoring import Rubric
    from storage.models import Cycle
    from storage.repositories.town_review import FinalRow

__all__ = [
    "SUMMARY_HEADERS",
    "add_review_columns",
    "export",
    "note_of",
    "stars_label",
    "summary_rows",
    "write_summary_workbook",
]

# The summary's columns (the contract with the towns' own sheets) and the JSON keys, in order.
SUMMARY_HEADERS = (
    ("序号", "seq", 6),
    ("乡镇", "town", 12),
    ("党支部", "branch", 28),
    ("类别", "category", 22),
    ("基础项", "basic", 9),
    ("加分项", "bonus", 9),
    ("减分项", "deduction", 9),
    ("评议项", "review", 9),
    ("总分", "total", 9),
    ("申报等次", "declared_stars", 10),
    ("考评等次", "reviewed_stars", 10),
    ("最终等次", "final_stars", 10),
    ("备注", "note", 36),
)
_DECIMAL_KEYS = ("basic", "bonus", "deduction", "review", "total")
_STAR_KEYS = ("declared_stars", "reviewed_stars", "final_stars")
_ITEM_HEADERS = (
    ("党支部", 28),
    ("项目编号", 30),
    ("评定内容", 12),
    ("分值", 8),
    ("自评", 8),
    ("考评", 8),
)
_AUDIT_HEADERS = (
    ("时间", 17),
    ("操作人", 14),
    ("操作", 20),
    ("对象", 16),
    ("原值", 40),
    ("新值", 40),
    ("理由", 30),
)
_CENTS = "0.00"


def stars_label(stars: int | None) -> str:
    """五星级 for 5, `-` for no level."""
    from scoring import default_rubric

    if stars is None:
        return "-"
    labels = {level.stars: level.label for level in default_rubric().levels}
    return labels.get(stars, f"{stars}星")


def note_of(row: FinalRow) -> str:
    """The reasons of a row in the catalogue's Chinese, joined as a town writes them."""
    from handlers.review import reason_text

    reasons = list(row.reasons)
    if row.stars_before_quota is None:
        reasons = ["left_out"]
    notes = [reason_text(row.review.reviewed.rubric, code) for code in reasons]
    return "；".join(notes)


def summary_rows(session: Session, cycle: Cycle, town_name: str) -> list[dict[str, Any]]:
    """The summary rows, ranked as finalising ranks them (reviewed first, by total)."""
    from storage.repositories import cycle_rubric
    from storage.repositories.town_review import current_levels

    rubric = cycle_rubric(cycle)
    labels = {category.key: category.label for category in rubric.categories}
    rows = []
    for seq, row in enumerate(current_levels(session, cycle).rows, start=1):
        review = row.review
        result = review.reviewed
        assessment = review.assessment
        rows.append(
            {
                "seq": seq,
                "town": town_name,
                "branch": review.branch.name,
                "category": labels.get(review.branch.category, review.branch.category),
                "basic": result.basic_100,
                "bonus": result.bonus,
                "deduction": result.deduction,
                "review": result.review,
                "total": result.total,
                "declared_stars": assessment.declared_stars if assessment else None,
                "reviewed_stars": row.reviewed_stars,
                # The named level (统一命名): None until the town names the branch.
                "final_stars": assessment.final_stars if assessment else None,
                "note": note_of(row),
            }
        )
    return rows


def add_review_columns(session: Session, cycle: Cycle, rows: list[dict[str, Any]]) -> None:
    """Adds `review`, `total` and `reviewed_stars` (the town's level after the gates and the
    quota, as finalising would give it now) to `pingxing status` rows, by branch name."""
    from scoring import format_decimal
    from storage.repositories.town_review import current_levels

    levels = {row.review.branch.name: row for row in current_levels(session, cycle).rows}
    for row in rows:
        level = levels.get(row["branch"])
        result = level.review.reviewed if level is not None else None
        row["review"] = (
            format_decimal(result.review) if result and result.review is not None else None
        )
        row["total"] = str(result.total) if result and result.total is not None else None
        row["reviewed_stars"] = level.reviewed_stars if level is not None else None


def export(
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")],
    town: Annotated[
        str | None, typer.Option("--town", help="Town name (镇), or county/town.")
    ] = None,
    county: Annotated[
        str | None, typer.Option("--county", help="Every town of this county (县).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="The workbook to write (.xlsx).")
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Exports a town's (or a county's) year: summary, item scores, audit trail, levels."""
    if (out is None) == (not as_json):
        fail("give either --out FILE.xlsx or --json")
    if (town is None) == (county is None):
        fail("give either --town or --county")
    if out is not None and out.suffix.lower() != ".xlsx":
        fail(f"--out must name an .xlsx file, got {out}")

    def work(session: Session) -> tuple[list[dict[str, Any]], Any]:
        rows: list[dict[str, Any]] = []
        items: list[list[Any]] = []
        audit: list[list[Any]] = []
        for town_name, cycle in _cycles(session, town, county, year):
            rows.extend(summary_rows(session, cycle, town_name))
            if out is not None:
                town_items, town_audit = _other_sheets(session, cycle)
                items.extend(town_items)
                audit.extend(town_audit)
        for seq, row in enumerate(rows, start=1):
            row["seq"] = seq
        return rows, (items, audit)

    rows, sheets = in_transaction(database_url, work)
    if as_json:
        print_json(
            [
                {
                    key: _decimal_text(key, value) if isinstance(value, Decimal) else value
                    for key, value in row.items()
                }
                for row in rows
            ]
        )
        return
    assert out is not None
    _write_workbook(out, rows, *sheets)
    typer.echo(f"wrote {out}: {len(rows)} branches")


def _cycles(
    session: Session, town: str | None, county: str | None, year: int
) -> list[tuple[str, Cycle]]:
    """The town's cycle of the year, or every cycle of the county's towns that year."""
    from bot.cli.admin_support import BadInput
    from bot.cli.cycle_commands import cycle_or_fail
    from storage.repositories import find_county
    from storage.repositories.county import county_cycles

    if town is not None:
        found = find_town_or_fail(session, town)
        return [(found.name, cycle_or_fail(session, found, year))]
    assert county is not None
    found_county = find_county(session, county)
    if found_county is None:
        raise BadInput(f"no county {county!r}")
    cycles = county_cycles(session, found_county, year)
    if not cycles:
        raise BadInput(f"no town of {found_county.name} has a {year} cycle")
    return [(town_row.name, cycle) for town_row, cycle in cycles]


def _decimal_text(key: str, value: Decimal) -> str:
    """Totals keep their two decimals, as `pingxing score` writes them; other figures not."""
    from scoring import format_decimal

    return str(value) if key == "total" else format_decimal(value)


def _other_sheets(session: Session, cycle: Cycle) -> tuple[list[list[Any]], list[list[Any]]]:
    """The per-item rows and the audit rows, read inside the transaction."""
    from storage.repositories import cycle_rubric
    from storage.repositories.town_review import town_review

    rubric = cycle_rubric(cycle)
    reviews = town_review(session, cycle)
    items = []
    for review in reviews:
        for item in rubric.items_for(review.branch.category):
            own = _item_score(rubric, item.points, review.self_answers.get(item.id))
            reviewed = review.reviewer_answers.get(item.id, own)
            items.append(
                [
                    review.branch.name,
                    item.id,
                    _area_title(rubric, item.area),
                    item.points,
                    own,
                    reviewed,
                ]
            )
    return items, _audit_rows(session, cycle, reviews)


def _item_score(rubric: Rubric, points: Decimal, answer: str | Decimal | None) -> Decimal | None:
    if answer is None:
        return None
    if isinstance(answer, Decimal):
        return answer
    return points * rubric.answer_level(answer).fraction


def _area_title(rubric: Rubric, key: str) -> str:
    return next((area.title for area in rubric.areas if area.key == key), key)


def _audit_rows(session: Session, cycle: Cycle, reviews: list[Any]) -> list[list[Any]]:
    import json

    from sqlalchemy import and_, or_, select

    from storage.models import AuditEntry, Person

    assessment_ids = [r.assessment.id for r in reviews if r.assessment is not None]
    claim_ids = [claim.id for r in reviews for claim in r.claims]
    names = {r.assessment.id: r.branch.name for r in reviews if r.assessment is not None}
    claim_branch = {claim.id: r.branch.name for r in reviews for claim in r.claims}
    query = (
        select(AuditEntry, Person)
        .outerjoin(Person, Person.id == AuditEntry.actor_id)
        .where(
            or_(
                and_(
                    AuditEntry.entity_type == "assessment",
                    AuditEntry.entity_id.in_(assessment_ids),
                ),
                and_(AuditEntry.entity_type == "claim", AuditEntry.entity_id.in_(claim_ids)),
                and_(AuditEntry.entity_type == "cycle", AuditEntry.entity_id == cycle.id),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    rows = []
    for entry, person in session.execute(query):
        if entry.entity_type == "assessment":
            target = names.get(entry.entity_id or 0, "")
        elif entry.entity_type == "claim":
            target = claim_branch.get(entry.entity_id or 0, "")
        else:
            target = f"{cycle.year}"
        actor = "命令行" if person is None else (person.display_name or str(person.telegram_id))
        rows.append(
            [
                local_time(entry.at),
                actor,
                entry.action,
                target,
                json.dumps(entry.old, ensure_ascii=False) if entry.old is not None else "",
                json.dumps(entry.new, ensure_ascii=False) if entry.new is not None else "",
                entry.reason or "",
            ]
        )
    return rows


def _write_workbook(
    path: Path, rows: list[dict[str, Any]], items: list[list[Any]], audit: list[list[Any]]
) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    _summary_sheet(workbook, rows)

    per_item = workbook.create_sheet("逐项得分")
    _header_row(per_item, list(_ITEM_HEADERS))
    for item_row in items:
        per_item.append(item_row)
    _number_format(per_item, [3, 4, 5])

    trail = workbook.create_sheet("操作记录")
    _header_row(trail, list(_AUDIT_HEADERS))
    for audit_row in audit:
        trail.append(audit_row)

    distribution = workbook.create_sheet("星级分布")
    _header_row(distribution, [("考评等次", 12), ("支部数", 10)])
    counts: dict[int | None, int] = {}
    for row in rows:
        counts[row["reviewed_stars"]] = counts.get(row["reviewed_stars"], 0) + 1
    for stars in (5, 4, 3, 2, 1):
        distribution.append([stars_label(stars), counts.get(stars, 0)])
    if counts.get(None):
        distribution.append(["未完成考评", counts[None]])
    chart = BarChart()
    chart.title = "考评等次分布"
    chart.y_axis.title = "支部数"
    chart.legend = None
    last = distribution.max_row
    chart.add_data(
        Reference(distribution, min_col=2, min_row=1, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(distribution, min_col=1, min_row=2, max_row=last))
    distribution.add_chart(chart, "D2")
    workbook.save(path)


def write_summary_workbook(path: Path, rows: list[dict[str, Any]]) -> None:
    """Writes the summary sheet alone: the filing report (备案表) in the towns' layout."""
    from openpyxl import Workbook

    workbook = Workbook()
    _summary_sheet(workbook, rows)
    workbook.save(path)


def _summary_sheet(workbook: Any, rows: list[dict[str, Any]]) -> None:
    summary = workbook.active
    assert summary is not None
    summary.title = "汇总"
    _header_row(summary, [(title, width) for title, _, width in SUMMARY_HEADERS])
    for row in rows:
        values = [
            stars_label(row[key]) if key in _STAR_KEYS and row[key] is not None else row[key]
            for _, key, _ in SUMMARY_HEADERS
        ]
        summary.append(values)
    _number_format(
        summary,
        [index for index, (_, key, _) in enumerate(SUMMARY_HEADERS) if key in _DECIMAL_KEYS],
    )


def _header_row(sheet: Worksheet, headers: list[tuple[str, int]]) -> None:
    """Writes a bold header, freezes it, sets widths, and prints landscape on one page wide."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append([title for title, _ in headers])
    for index, (_, width) in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(row=1, column=index).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _number_format(sheet: Worksheet, columns: list[int]) -> None:
    for row in sheet.iter_rows(min_row=2):
        for index in columns:
            row[index].number_format = _CENTS

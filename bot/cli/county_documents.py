"""Printable documents: the publicity notice (公示名单) and the filing report (备案表), as DOCX.

Written with python-docx on A4 with the default template's styles, so any word processor opens
them; the Chinese text here is document content in the towns' own wording, not bot UI text.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from bot.cli.review_export import stars_label

__all__ = ["write_county_notice", "write_filing_docx", "write_publicity_notice"]

# A4 in centimetres: the paper towns print and post.
_A4_WIDTH_CM, _A4_HEIGHT_CM = 21.0, 29.7


def _document() -> Any:
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(_A4_WIDTH_CM), Cm(_A4_HEIGHT_CM)
    return document


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_publicity_notice(path: Path, data: dict[str, Any]) -> None:
    """The town's notice: the period, the branches grouped by level, whom to tell objections.

    Args:
        data: `town`, `year`, `start`, `end`, `contact`, and `branches` (each `branch`,
            `stars`), best level first.
    """
    _write_notice(
        path,
        title=f"{data['town']}{data['year']}年度党支部评星定级结果公示",
        intro=(
            f"经党支部自评、镇党委考评和党委会议研究，现将{data['town']}{data['year']}年度"
            f"党支部评星定级结果予以公示。"
        ),
        issuer=f"中共{data['town']}委员会",
        data=data,
    )


def write_county_notice(path: Path, data: dict[str, Any]) -> None:
    """The county's notice of the five-star branches it proposes to approve (拟认定名单).

    Args:
        data: `county`, `year`, `start`, `end`, `contact`, and `branches` (each `branch`
            written town·branch, `stars`).
    """
    _write_notice(
        path,
        title=f"{data['county']}{data['year']}年度五星级党支部拟认定名单公示",
        intro=(
            f"经镇党委推荐、县委组织部复核并征求纪检监察机关等部门意见，现将{data['county']}"
            f"{data['year']}年度五星级党支部拟认定名单予以公示。"
        ),
        issuer=f"中共{data['county']}委组织部",
        data=data,
    )


def _write_notice(path: Path, title: str, intro: str, issuer: str, data: dict[str, Any]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = _document()
    heading = document.add_heading(title, 1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"{intro}公示期为{_day(data['start'])}至{_day(data['end'])}。")
    by_level: dict[int | None, list[str]] = {}
    for row in data["branches"]:
        by_level.setdefault(row["stars"], []).append(row["branch"])
    for stars in sorted(by_level, key=lambda level: -(level or 0)):
        names = by_level[stars]
        document.add_heading(f"{stars_label(stars)}（{len(names)}个）", 2)
        table = document.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        table.rows[0].cells[0].text, table.rows[0].cells[1].text = "序号", "党支部"
        for seq, branch in enumerate(names, start=1):
            cells = table.add_row().cells
            cells[0].text, cells[1].text = str(seq), branch
    document.add_paragraph(
        f"公示期间，如有异议，请以书面或电话形式向{data['contact']}反映。"
        "反映问题应实事求是，并提供具体事实或线索。"
    )
    closing = document.add_paragraph(f"{issuer}\n{_day(data['start'])}")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.save(str(path))


def write_filing_docx(path: Path, county: str, year: int, rows: list[dict[str, Any]]) -> None:
    """The filing report to the county: each named branch with its total and final level."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = _document()
    title = document.add_heading(f"{county}{year}年度党支部评星定级结果备案表", 1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    headers = ("序号", "乡镇", "党支部", "总分", "最终等次")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
    for seq, row in enumerate(rows, start=1):
        total = row["total"]
        values = (
            str(seq),
            row["town"],
            row["branch"],
            "-" if total is None else f"{total:.2f}",
            stars_label(row["final_stars"]),
        )
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    document.add_paragraph(f"共{len(rows)}个党支部。报县委组织部备案。")
    document.save(str(path))

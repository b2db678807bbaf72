"""What the publicity and county commands share: options, a procedure step, the town's cycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli.admin_support import (
    SHANGHAI,
    BadInput,
    excerpt,
    fail,
    find_town_or_fail,
    printable,
)
from bot.cli.cycle_commands import cycle_or_fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Cycle, Town
    from storage.working_days import PublicityPeriod

__all__ = [
    "BranchOption",
    "calendar_lines",
    "check_docx",
    "count_period",
    "run_step",
    "town_cycle",
]

T = TypeVar("T")

BranchOption = Annotated[str, typer.Option("--branch", help="Branch name (党支部).")]


def run_step(step: Callable[[], T]) -> T:
    """Runs a repository step, turning a ProcedureError into bad input (exit code 2)."""
    from storage.repositories.procedure import ProcedureError

    try:
        return step()
    except ProcedureError as error:
        raise BadInput(printable(str(error))) from None


def town_cycle(session: Session, town: str, year: int) -> tuple[Town, Cycle]:
    """The town called `town` and its cycle of `year`; BadInput when either is missing."""
    found = find_town_or_fail(session, town)
    return found, cycle_or_fail(session, found, year)


def check_docx(path: Path | None, option: str) -> None:
    """Exits with code 2 unless `path` is None or names a .docx file."""
    if path is not None and path.suffix.lower() != ".docx":
        fail(f"{option} must name a .docx file, got {excerpt(str(path))}")


_CALENDAR_WORDS = {
    "official": "official calendar (State Council schedule, holidays library)",
    "official_corrected": "official calendar with the town's corrections",
    "town": "town's corrections file (the year is not yet in the holidays library)",
}


def count_period(
    start: str | None, working_days: int, corrections: Path | None, year: int
) -> PublicityPeriod:
    """The publicity period from `start` (today in Beijing when None); exits with code 2 when
    the date, the corrections file or the calendar cannot place it."""
    from storage.working_days import CalendarError, load_corrections, publicity_end

    try:
        first = date.fromisoformat(start) if start else datetime.now(SHANGHAI).date()
    except ValueError:
        fail(f"--start must be a date like {year + 1}-01-04, got {excerpt(start or '')}")
    try:
        town_corrections = load_corrections(corrections) if corrections else None
        return publicity_end(first, working_days, town_corrections)
    except CalendarError as error:
        fail(printable(str(error)))


def calendar_lines(period: PublicityPeriod) -> list[str]:
    """One line per year counted: which calendar its days were counted on."""
    return [
        f"  {year}: counted on the {_CALENDAR_WORDS[source]}"
        for year, source in sorted(period.calendars.items())
    ]

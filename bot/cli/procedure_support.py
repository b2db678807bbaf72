"""What the publicity and county commands share: options, a procedure step, the town's cycle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli.admin_support import BadInput, excerpt, fail, find_town_or_fail, printable
from bot.cli.cycle_commands import cycle_or_fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Cycle, Town

__all__ = [
    "BranchOption",
    "ReasonOption",
    "YearOption",
    "check_docx",
    "run_step",
    "town_cycle",
]

T = TypeVar("T")

YearOption = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")]
BranchOption = Annotated[str, typer.Option("--branch", help="Branch name (党支部).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="The written reason.")]


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

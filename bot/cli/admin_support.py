"""What the admin commands share: options, one transaction per command, plain failures.

Each command opens the database (migrating it on first use), does its work in one transaction
and prints. Bad input prints a plain message on stderr and exits with code 2; the transaction
is rolled back, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Town

__all__ = [
    "EXIT_INVALID",
    "SHANGHAI",
    "BadInput",
    "DatabaseOption",
    "JsonOption",
    "TownOption",
    "fail",
    "find_town_or_fail",
    "in_transaction",
    "local_time",
    "print_json",
]

EXIT_INVALID = 2
# China keeps one offset all year (no daylight saving since 1991), so a fixed zone is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

T = TypeVar("T")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="PINGXING_DATABASE_URL",
        help="SQLAlchemy URL; default: the SQLite file pingxing.sqlite3 here.",
        show_default=False,
    ),
]
TownOption = Annotated[
    str, typer.Option("--town", help="Town name (镇), or county/town if two counties share it.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")]


class BadInput(Exception):
    """Input the command cannot act on; the message says what and why."""


def fail(message: str) -> NoReturn:
    """Prints `message` on stderr and exits with code 2."""
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_INVALID)


def in_transaction(url: str | None, work: Callable[[Session], T]) -> T:
    """Runs `work` in one transaction on a migrated database; bad input exits with code 2."""
    from storage.database import open_database

    async def run() -> T:
        database = await open_database(url)
        try:
            return await database.run(work)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except BadInput as problem:
        fail(str(problem))


def print_json(data: Any) -> None:
    """Prints `data` as indented JSON, Chinese left readable."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def local_time(instant: datetime | None) -> str:
    """An instant as Beijing time to the minute, or `-`."""
    return "-" if instant is None else instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def find_town_or_fail(session: Session, name: str) -> Town:
    """The town called `name` (or county/town); BadInput when unknown or ambiguous."""
    from storage.repositories import AmbiguousOrgName, find_town

    try:
        town = find_town(session, name)
    except AmbiguousOrgName as error:
        raise BadInput(f"{error}; write it as county/town") from None
    if town is None:
        raise BadInput(
            f"no town {name!r}; import the organisation list first (pingxing org import)"
        )
    return town

"""What the admin commands share: options, one transaction per command, plain failures.

Each command opens the database (migrating it on first use), does its work in one transaction
and prints. Bad input prints a plain message on stderr and exits with code 2; the transaction
is rolled back, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Town

__all__ = [
    "EXIT_INVALID",
    "LATEST_DEADLINE_MONTH",
    "MAX_TELEGRAM_ID",
    "SHANGHAI",
    "BadInput",
    "DatabaseOption",
    "JsonOption",
    "ReasonOption",
    "TownOption",
    "YearOption",
    "check_telegram_id",
    "excerpt",
    "fail",
    "find_town_or_fail",
    "find_unique_town",
    "in_transaction",
    "local_deadline",
    "local_time",
    "opened",
    "parse_deadline",
    "print_json",
    "printable",
]

EXIT_INVALID = 2
# China keeps one offset all year (no daylight saving since 1991), so a fixed zone is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
# A year's rating may close early the next year, but not later than the end of this month.
LATEST_DEADLINE_MONTH = 3
# The start of a driver's error shown when the database cannot be opened.
_REASON_CHARS = 300
# Bot API, User.id: "has at most 52 significant bits".
MAX_TELEGRAM_ID = 2**52 - 1

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
YearOption = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (kept in the audit trail); required.")
]


class BadInput(Exception):
    """Input the command cannot act on; the message says what and why."""


def fail(message: str) -> NoReturn:
    """Prints `message` on stderr and exits with code 2."""
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_INVALID)


async def opened(url: str | None, open_it: Callable[[str], Awaitable[T]]) -> T:
    """Awaits `open_it(url)` (opening or migrating the database).

    Raises:
        BadInput: the URL is malformed or names another database, the file's folder is
            missing, or the server refuses the connection; the message says which in one line.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from storage.engine import default_database_url

    url = url or default_database_url()
    try:
        return await open_it(url)
    except (ValueError, OSError, SQLAlchemyError) as error:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "(not an SQLAlchemy URL)"
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        raise BadInput(f"cannot open the database {shown}: {reason[:_REASON_CHARS]}") from None


def in_transaction(url: str | None, work: Callable[[Session], T]) -> T:
    """Runs `work` in one transaction on a migrated database; bad input exits with code 2."""
    from storage.database import open_database

    async def run() -> T:
        database = await opened(url, open_database)
        try:
            return await database.run(work)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except BadInput as problem:
        fail(str(problem))


def excerpt(value: str) -> str:
    """`value` quoted for a message, cut short so a huge value is never echoed, printable."""
    from storage.spreadsheet import excerpt as cut_short

    return printable(cut_short(value))


def printable(text: str) -> str:
    """`text` with each character a terminal would not show as itself escaped (\\x1b, \\u202e)."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def parse_deadline(
    text: str, year: int, today: date | None = None, zone: tzinfo = SHANGHAI
) -> datetime:
    """Reads a cycle's self-assessment deadline in `zone` (PINGXING_TIMEZONE): a day `YYYY-MM-DD`
    (passed at the next local midnight) or a local time `YYYY-MM-DDTHH:MM`
    (`storage.schedule.parse_deadline`).

    The day may not be in the past (`today`, the zone's date when None), and must fall in the
    cycle's `year` or by the end of March of the next.

    Raises:
        BadInput: not a date, or a date outside that range; the message gives the range.
    """
    from storage.schedule import ScheduleError, last_day
    from storage.schedule import parse_deadline as read_deadline

    try:
        deadline = read_deadline(text, zone)
    except ScheduleError:
        raise BadInput(
            f"--deadline must be a date like {year}-12-31, got {excerpt(text)}"
        ) from None
    day = last_day(deadline, zone)
    today = today or datetime.now(zone).date()
    earliest = max(date(year, 1, 1), today)
    latest = date(year + 1, LATEST_DEADLINE_MONTH + 1, 1) - timedelta(days=1)
    if day < today:
        raise BadInput(f"--deadline {day} is in the past (today is {today} in {zone})")
    if not earliest <= day <= latest:
        raise BadInput(
            f"--deadline {day} does not fit the {year} cycle: give a day from {earliest} "
            f"to {latest}"
        )
    return deadline


def check_telegram_id(telegram_id: int) -> int:
    """Returns the id if it can be a Telegram user's: 1 to 2**52 - 1.

    Raises:
        BadInput: zero, negative, or too big; the message gives the range.
    """
    if not 1 <= telegram_id <= MAX_TELEGRAM_ID:
        raise BadInput(
            f"--telegram-id must be a Telegram user id, a whole number from 1 to "
            f"{MAX_TELEGRAM_ID:,}; got {excerpt(str(telegram_id))}"
        )
    return telegram_id


def print_json(data: Any) -> None:
    """Prints `data` as indented JSON, Chinese left readable."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def local_deadline(instant: datetime, zone: tzinfo = SHANGHAI) -> str:
    """A deadline as local time to the minute; the end of a day reads `YYYY-MM-DD 24:00`."""
    local = instant.astimezone(zone)
    if local.time() == time(0):
        return f"{local.date() - timedelta(days=1)} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def local_time(instant: datetime | None) -> str:
    """An instant as Beijing time to the minute, or `-`."""
    return "-" if instant is None else instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def find_unique_town(session: Session, name: str) -> Town | None:
    """The town called `name` (or county/town), None when unknown; BadInput when ambiguous."""
    from storage.repositories.orgs import AmbiguousOrgName, find_town

    try:
        return find_town(session, name)
    except AmbiguousOrgName as error:
        raise BadInput(f"{printable(str(error))}; write it as county/town") from None


def find_town_or_fail(session: Session, name: str) -> Town:
    """The town called `name` (or county/town); BadInput when unknown or ambiguous."""
    town = find_unique_town(session, name)
    if town is None:
        raise BadInput(
            f"no town {excerpt(name)}; import the organisation list first (pingxing org import)"
        )
    return town

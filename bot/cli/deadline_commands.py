"""The deadline from the command line: `pingxing cycle extend|reopen` and `pingxing remind`.

Both deadline changes are audited with their reason and re-plan the reminders at once: rows
owed for the old deadline are cancelled, the new ones owed. Deadlines are local time in
`PINGXING_TIMEZONE`: a day means the end of that day.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import cycle_commands
from bot.cli.admin_support import (
    BadInput,
    DatabaseOption,
    JsonOption,
    ReasonOption,
    TownOption,
    YearOption,
    excerpt,
    fail,
    find_town_or_fail,
    in_transaction,
    local_deadline,
    print_json,
    printable,
)
from bot.cli.cycle_commands import cycle_or_fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from telegram import Bot

    from bot.settings import Settings
    from handlers.sweep import SweepReport
    from storage.database import Database
    from storage.models import Cycle
    from storage.schedule import ReminderSchedule

__all__ = ["plan_after_change", "register", "reminder_schedule", "send_due_now"]


def register(app: typer.Typer) -> None:
    """Adds `cycle extend`, `cycle reopen` and `remind`."""
    cycle_commands.cycle_app.command("extend")(cycle_extend)
    cycle_commands.cycle_app.command("reopen")(cycle_reopen)
    app.command("remind")(remind)


def _settings() -> Settings:
    """The bot's settings from the environment and `.env`, or exit 2 naming what is wrong."""
    from pydantic import ValidationError

    from bot.settings import Settings, settings_problems

    try:
        return Settings()
    except ValidationError as error:
        fail("\n".join(settings_problems(error)))


def reminder_schedule() -> ReminderSchedule:
    """The reminder schedule (PINGXING_TIMEZONE, _REMINDER_TIME, _QUIET_HOURS)."""
    return _settings().reminder_schedule


def _deadline(option: str, value: str, schedule: ReminderSchedule) -> datetime:
    """Reads a local deadline option, or exits with code 2 naming it."""
    from storage.schedule import ScheduleError, parse_deadline

    try:
        return parse_deadline(value, schedule.zone)
    except ScheduleError as error:
        fail(f"{option}: {error}")


def plan_after_change(session: Session, cycle: Cycle) -> None:
    """Owes the reminders of a cycle just opened or changed (planning is idempotent)."""
    from storage.repositories.reminders import plan_deliveries

    plan_deliveries(session, reminder_schedule(), datetime.now(UTC), cycle)


def _reason(value: str) -> str:
    reason = value.strip()
    if not reason:
        fail("--reason must say why (it is kept in the audit trail)")
    if len(reason) > 500:
        fail(f"--reason is {len(reason)} characters; keep it under 500")
    return reason


def _local(instant: datetime, schedule: ReminderSchedule) -> str:
    return instant.astimezone(schedule.zone).strftime("%Y-%m-%d %H:%M")


def _days_before(days: int) -> str:
    if days == 0:
        return "on the last day"
    return "1 day before" if days == 1 else f"{days} days before"


def _planned(report: Any) -> str:
    return (
        f"reminders re-planned: {report.owed} owed, {report.cancelled} cancelled, "
        f"{report.overdue} locked as overdue"
    )


def cycle_extend(
    town: TownOption,
    year: YearOption,
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help="The new deadline: YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM, local.",
        ),
    ],
    reason: ReasonOption,
    database_url: DatabaseOption = None,
) -> None:
    """Moves a cycle's deadline (later, or earlier to correct it); overdue ones answer again."""
    from storage.repositories.reminders import DeadlineError, extend_deadline

    schedule = reminder_schedule()
    deadline_at = _deadline("--deadline", deadline, schedule)
    why = _reason(reason)

    def work(session: Session) -> list[str]:
        cycle = cycle_or_fail(session, find_town_or_fail(session, town), year)
        try:
            report = extend_deadline(session, cycle, deadline_at, why, schedule, datetime.now(UTC))
        except DeadlineError as error:
            shown = local_deadline(deadline_at, schedule.zone)
            raise BadInput(f"--deadline {shown}: {error}") from None
        return [
            f"{town} {year}: deadline {local_deadline(deadline_at, schedule.zone)}",
            _planned(report),
        ]

    for line in in_transaction(database_url, work):
        typer.echo(line)


def cycle_reopen(
    town: TownOption,
    year: YearOption,
    branch: Annotated[str, typer.Option("--branch", help="The branch (党支部) to reopen.")],
    until: Annotated[
        str,
        typer.Option(
            "--until",
            help="It takes answers until: YYYY-MM-DD (end of that day) or YYYY-MM-DDTHH:MM.",
        ),
    ],
    reason: ReasonOption,
    database_url: DatabaseOption = None,
) -> None:
    """Lets one branch answer again after the deadline, until the given time."""
    from storage.repositories import find_branch
    from storage.repositories.reminders import DeadlineError, reopen_branch

    schedule = reminder_schedule()
    until_at = _deadline("--until", until, schedule)
    why = _reason(reason)

    def work(session: Session) -> list[str]:
        found = find_town_or_fail(session, town)
        cycle = cycle_or_fail(session, found, year)
        target = find_branch(session, town, branch)
        if target is None:
            raise BadInput(
                f"--branch: town {printable(found.name)} has no branch {excerpt(branch)}"
            )
        try:
            report = reopen_branch(
                session, cycle, target, until_at, why, schedule, datetime.now(UTC)
            )
        except DeadlineError as error:
            shown = local_deadline(until_at, schedule.zone)
            raise BadInput(f"--until {shown}: {error}") from None
        return [
            f"{target.name} {year}: takes answers until {local_deadline(until_at, schedule.zone)}",
            _planned(report),
        ]

    for line in in_transaction(database_url, work):
        typer.echo(line)


def remind(
    town: TownOption,
    year: Annotated[
        int | None, typer.Option("--year", help="The year; the open cycle when omitted.")
    ] = None,
    send_now: Annotated[
        bool,
        typer.Option(
            "--send-now", help="Send every message already due (any town's), now, via Telegram."
        ),
    ] = False,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Plans, then shows what the town is owed next: reminders, notices, digests, results."""
    from storage.repositories.reminders import owed_deliveries, plan_deliveries

    settings = _settings()
    schedule = settings.reminder_schedule
    if send_now and settings.bot_token is None:
        fail("--send-now sends through Telegram: set PINGXING_BOT_TOKEN")

    def work(session: Session) -> list[dict[str, Any]]:
        cycle = cycle_or_fail(session, find_town_or_fail(session, town), year)
        plan_deliveries(session, schedule, datetime.now(UTC), cycle)
        return [
            {
                "id": row.id,
                "kind": row.kind,
                "recipient_telegram_id": row.recipient_telegram_id,
                "due_at": _local(row.due_at, schedule),
                "due_key": row.due_key,
                "days": row.payload.get("days"),
            }
            for row in owed_deliveries(session, cycle.town_id)
            if row.payload.get("cycle_id") == cycle.id
        ]

    rows = in_transaction(database_url, work)
    if send_now:
        report = asyncio.run(_send_with_token(settings, database_url))
        typer.echo(f"sent now: {report}" + (" (quiet hours: held)" if report.quiet else ""))
        rows = in_transaction(database_url, work)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        days = "" if row["days"] is None else f"\t{_days_before(row['days'])}"
        typer.echo(f"{row['due_at']}\t{row['kind']}\tto {row['recipient_telegram_id']}{days}")
    if not rows:
        typer.echo("nothing owed", err=True)


async def send_due_now(
    database: Database,
    bot: Bot,
    settings: Settings,
    now: Callable[[], datetime] | None = None,
) -> SweepReport:
    """Sends every message due now (any town's), as the bot's sweep would, outside quiet hours.

    Args:
        now: the clock; the real one when None.
    """
    from bot.app import delivery_renderers
    from handlers.context import utc_now
    from handlers.sending import SendPacer
    from handlers.sweep import Sweep

    sweep = Sweep(
        database,
        bot,
        delivery_renderers(settings.zone),
        SendPacer(settings.send_rate),
        now=now or utc_now,
        quiet=settings.reminder_schedule.quiet,
    )
    return await sweep.run()


async def _send_with_token(settings: Settings, database_url: str | None) -> SweepReport:
    from telegram import Bot

    from storage.database import open_database

    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    bot = Bot(token) if settings.bot_api_url is None else Bot(token, base_url=settings.bot_api_url)
    database = await open_database(database_url)
    try:
        async with bot:
            return await send_due_now(database, bot, settings)
    finally:
        await database.dispose()

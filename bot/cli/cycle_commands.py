"""A town's rating year: `pingxing cycle open|list|show` and `pingxing status`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    SHANGHAI,
    BadInput,
    DatabaseOption,
    JsonOption,
    TownOption,
    fail,
    find_town_or_fail,
    in_transaction,
    local_time,
    print_json,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Town

__all__ = ["register"]

cycle_app = typer.Typer(help="A town's rating year (评星定级周期).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds the `cycle` group and `status`."""
    app.add_typer(cycle_app, name="cycle")
    app.command("status")(status)


# --- cycle ----------------------------------------------------------------------------------


def _deadline(text: str) -> datetime:
    """The end of the given day in Asia/Shanghai, as an aware instant."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        fail(f"--deadline must be a date like 2026-12-31, got {text!r}")
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def _reminder_days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.replace("，", ",").split(",") if part.strip()]
    except ValueError:
        fail(f"--reminder-days must be whole days like 7,3,1, got {text!r}")
    if any(day < 0 for day in days):
        fail(f"--reminder-days cannot be negative, got {text!r}")
    return days


@cycle_app.command("open")
def cycle_open(
    town: TownOption,
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")],
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help="Last day for self-assessment, YYYY-MM-DD (Beijing time, end of day).",
        ),
    ],
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="Rubric YAML; the built-in default when omitted."),
    ] = None,
    reminder_days: Annotated[
        str, typer.Option("--reminder-days", help="Days before the deadline to remind.")
    ] = "7,3,1",
    database_url: DatabaseOption = None,
) -> None:
    """Opens a town's rating year; the rubric is copied in, so later edits to it change nothing."""
    from scoring import RubricError, default_rubric_text
    from storage.repositories import CycleExists, open_cycle

    deadline_at = _deadline(deadline)
    days = _reminder_days(reminder_days)
    if rubric is not None and not rubric.is_file():
        fail(f"no rubric file {rubric}")
    rubric_text = default_rubric_text() if rubric is None else rubric.read_text(encoding="utf-8")

    def work(session: Session) -> str:
        found = find_town_or_fail(session, town)
        try:
            cycle = open_cycle(
                session, found, year, deadline_at, rubric_text, days, datetime.now(UTC)
            )
        except RubricError as error:
            raise BadInput("\n".join(error.problems)) from None
        except CycleExists as error:
            raise BadInput(str(error)) from None
        return (
            f"opened {found.name} {year}: deadline {local_time(cycle.deadline_at)} Beijing time, "
            f"rubric {cycle.rubric_sha256[:12]}"
        )

    typer.echo(in_transaction(database_url, work))


@cycle_app.command("list")
def cycle_list(
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Lists rating years: town, year, state, deadline."""
    from sqlalchemy import select

    from storage.models import Town
    from storage.repositories import cycles_of

    def work(session: Session) -> list[str]:
        town_id = find_town_or_fail(session, town).id if town else None
        names = {t.id: t.name for t in session.scalars(select(Town)).unique().all()}
        return [
            f"{names[c.town_id]}\t{c.year}\t{c.state}\tdeadline {local_time(c.deadline_at)}"
            for c in cycles_of(session, town_id)
        ]

    lines = in_transaction(database_url, work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no cycles yet (pingxing cycle open)", err=True)


def _cycle(session: Session, town: Town, year: int | None) -> Any:
    from storage.repositories import current_cycle, find_cycle

    cycle = current_cycle(session, town.id) if year is None else find_cycle(session, town.id, year)
    if cycle is None:
        which = "an open cycle" if year is None else f"a {year} cycle"
        raise BadInput(f"town {town.name!r} has no {which} (pingxing cycle open)")
    return cycle


@cycle_app.command("show")
def cycle_show(
    town: TownOption,
    year: Annotated[
        int | None, typer.Option("--year", help="The year; the open cycle when omitted.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Shows a rating year: deadline, reminders, the pinned rubric, assessments by state."""
    from sqlalchemy import func, select

    from storage.models import Assessment

    def work(session: Session) -> list[str]:
        found = find_town_or_fail(session, town)
        cycle = _cycle(session, found, year)
        counts = session.execute(
            select(Assessment.state, func.count())
            .where(Assessment.cycle_id == cycle.id)
            .group_by(Assessment.state)
        )
        by_state = ", ".join(f"{state} {count}" for state, count in counts) or "none started"
        return [
            f"town: {found.county.name}/{found.name}",
            f"year: {cycle.year} ({cycle.state})",
            f"deadline: {local_time(cycle.deadline_at)} (Beijing time)",
            f"reminders: {', '.join(str(d) for d in cycle.reminder_days)} days before",
            f"rubric sha256: {cycle.rubric_sha256}",
            f"assessments: {by_state}",
        ]

    for line in in_transaction(database_url, work):
        typer.echo(line)


# --- status ---------------------------------------------------------------------------------


def status(
    town: TownOption,
    year: Annotated[
        int | None, typer.Option("--year", help="The year; the open cycle when omitted.")
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Shows each branch: secretary bound, state, items answered, provisional basic score."""
    from scoring import BranchInput, format_decimal, score_branch
    from storage.repositories import cycle_rubric, town_progress

    def work(session: Session) -> list[dict[str, Any]]:
        found = find_town_or_fail(session, town)
        cycle = _cycle(session, found, year)
        rubric = cycle_rubric(cycle)
        rows = []
        for progress in town_progress(session, found.id, cycle.id):
            category = progress.branch.category
            item_ids = {item.id for item in rubric.items_for(category)}
            answers = {key: value for key, value in progress.answers.items() if key in item_ids}
            basic = score_branch(rubric, BranchInput(category, answers)).basic
            rows.append(
                {
                    "town": found.name,
                    "branch": progress.branch.name,
                    "bound": progress.bound,
                    "state": progress.state or "not_started",
                    "answered": len(answers),
                    "items": len(item_ids),
                    "basic": format_decimal(basic),
                    "answers": {key: str(value) for key, value in sorted(answers.items())},
                }
            )
        return rows

    rows = in_transaction(database_url, work)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        bound = "bound" if row["bound"] else "UNBOUND"
        typer.echo(
            f"{row['branch']}\t{bound}\t{row['state']}\t"
            f"{row['answered']}/{row['items']}\tbasic {row['basic']}"
        )

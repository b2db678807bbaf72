"""A town's rating year: `pingxing cycle open|list|show` and `pingxing status`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    BadInput,
    DatabaseOption,
    JsonOption,
    TownOption,
    excerpt,
    fail,
    find_town_or_fail,
    in_transaction,
    local_deadline,
    parse_deadline,
    print_json,
    printable,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scoring import Rubric
    from storage.models import Town
    from storage.repositories import BranchProgress

__all__ = ["cycle_or_fail", "register"]

cycle_app = typer.Typer(help="A town's rating year (评星定级周期).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds the `cycle` group and `status`."""
    app.add_typer(cycle_app, name="cycle")
    app.command("status")(status)


# --- cycle ----------------------------------------------------------------------------------


def _reminder_days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.replace("，", ",").split(",") if part.strip()]
    except ValueError:
        fail(f"--reminder-days must be whole days like 7,3,1, got {excerpt(text)}")
    if any(day < 0 for day in days):
        fail(f"--reminder-days cannot be negative, got {excerpt(text)}")
    return days


@cycle_app.command("open")
def cycle_open(
    town: TownOption,
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")],
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help="Last day for self-assessment, YYYY-MM-DD (end of day, PINGXING_TIMEZONE), "
            "in the year or by the end of March of the next.",
        ),
    ],
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="Rubric YAML; the built-in default when omitted."),
    ] = None,
    reminder_days: Annotated[
        str, typer.Option("--reminder-days", help="Days before the deadline to remind.")
    ] = "14,7,3,1,0",
    database_url: DatabaseOption = None,
) -> None:
    """Opens a town's rating year; the rubric is copied in, so later edits to it change nothing."""
    from bot.cli.deadline_commands import plan_after_change, reminder_schedule
    from scoring import RubricError, default_rubric, default_rubric_text, load_rubric
    from storage.repositories import CycleExists, open_cycle

    zone = reminder_schedule().zone
    try:
        deadline_at = parse_deadline(deadline, year, zone=zone)
    except BadInput as error:
        fail(str(error))
    days = _reminder_days(reminder_days)
    if rubric is not None and not rubric.is_file():
        fail(f"no rubric file {rubric}")
    rubric_text = default_rubric_text()
    pinned = default_rubric()
    if rubric is not None:
        try:
            pinned = load_rubric(rubric)  # checked here too, so that the problems name the file
        except RubricError as error:
            fail("\n".join(error.problems))
        rubric_text = rubric.read_text(encoding="utf-8")

    def work(session: Session) -> str:
        found = find_town_or_fail(session, town)
        undeclared = _undeclared_categories(session, found, pinned)
        if undeclared:
            raise BadInput("\n".join(f"{rubric or 'the default rubric'}: {u}" for u in undeclared))
        try:
            cycle = open_cycle(
                session, found, year, deadline_at, rubric_text, days, datetime.now(UTC)
            )
        except RubricError as error:
            raise BadInput("\n".join(error.problems)) from None
        except CycleExists as error:
            raise BadInput(str(error)) from None
        plan_after_change(session, cycle)
        return (
            f"opened {found.name} {year}: deadline {local_deadline(cycle.deadline_at, zone)} "
            f"{zone} time, rubric {cycle.rubric_sha256[:12]}"
        )

    typer.echo(in_transaction(database_url, work))


def _undeclared_categories(session: Session, town: Town, rubric: Rubric) -> list[str]:
    """One line per category of the town's branches that `rubric` does not declare.

    A branch of such a category would have no items to answer all year, so the cycle is refused.
    """
    from storage.repositories import branches_of_town

    declared = [category.key for category in rubric.categories]
    names: dict[str, list[str]] = {}
    for branch in branches_of_town(session, town.id):
        if branch.category not in declared:
            names.setdefault(branch.category, []).append(printable(branch.name))
    return [
        f"category {excerpt(category)} of {printable(town.name)}'s "
        f"{', '.join(branches[:3])}{', …' if len(branches) > 3 else ''} "
        f"is not in the rubric, which declares {', '.join(declared)}"
        for category, branches in names.items()
    ]


@cycle_app.command("list")
def cycle_list(
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Lists rating years: town, year, state, deadline."""
    from storage.repositories import cycles_of
    from storage.repositories.orgs import all_towns

    def work(session: Session) -> list[str]:
        town_id = find_town_or_fail(session, town).id if town else None
        names = {each.id: printable(each.name) for each in all_towns(session)}
        return [
            f"{names[c.town_id]}\t{c.year}\t{c.state}\tdeadline {local_deadline(c.deadline_at)}"
            for c in cycles_of(session, town_id)
        ]

    lines = in_transaction(database_url, work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no cycles yet (pingxing cycle open)", err=True)


def cycle_or_fail(session: Session, town: Town, year: int | None) -> Any:
    """The town's cycle of `year`, or its open cycle when None; BadInput when there is none."""
    from storage.repositories import current_cycle, find_cycle

    cycle = current_cycle(session, town.id) if year is None else find_cycle(session, town.id, year)
    if cycle is None:
        raise BadInput(_no_cycle(town, year))
    return cycle


def _no_cycle(town: Town, year: int | None) -> str:
    which = "open cycle" if year is None else f"{year} cycle"
    return f"town {printable(town.name)} has no {which} (pingxing cycle open)"


@cycle_app.command("show")
def cycle_show(
    town: TownOption,
    year: Annotated[
        int | None, typer.Option("--year", help="The year; the open cycle when omitted.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Shows a rating year: deadline, reminders, the pinned rubric, assessments by state."""
    from storage.repositories.status import assessment_state_counts

    def work(session: Session) -> list[str]:
        found = find_town_or_fail(session, town)
        cycle = cycle_or_fail(session, found, year)
        counts = assessment_state_counts(session, cycle.id)
        by_state = ", ".join(f"{state} {count}" for state, count in counts.items())
        return [
            f"town: {printable(found.county.name)}/{printable(found.name)}",
            f"year: {cycle.year} ({cycle.state})",
            f"deadline: {local_deadline(cycle.deadline_at)} (Beijing time)",
            f"reminders: {', '.join(str(d) for d in cycle.reminder_days)} days before",
            f"rubric sha256: {cycle.rubric_sha256}",
            f"assessments: {by_state or 'none started'}",
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
    """Shows each branch: secretary bound, state, items answered, provisional basic score.

    Without an open cycle (and no `--year`), shows which branches have a secretary bound.
    """
    from bot.cli.review_export import add_review_columns
    from storage.repositories import current_cycle, cycle_rubric, town_progress

    def work(session: Session) -> tuple[list[dict[str, Any]], str | None]:
        found = find_town_or_fail(session, town)
        if year is None and current_cycle(session, found.id) is None:
            progress = town_progress(session, found.id, None)
            return [_progress_row(found, each, None) for each in progress], _no_cycle(found, None)
        cycle = cycle_or_fail(session, found, year)
        rubric = cycle_rubric(cycle)
        progress = town_progress(session, found.id, cycle.id)
        rows = [_progress_row(found, each, rubric) for each in progress]
        add_review_columns(session, cycle, rows)
        return rows, None

    rows, note = in_transaction(database_url, work)
    if note is not None:
        typer.echo(f"{note}: secretaries bound so far", err=True)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        bound = "bound" if row["bound"] else "UNBOUND"
        progress = (
            f"{row['state']}\t{row['answered']}/{row['items']}\tbasic {row['basic']}"
            f"\treview {row['review'] or '-'}\treviewed {row['reviewed_stars'] or '-'}"
            if note is None
            else "no cycle open"
        )
        typer.echo(f"{printable(row['branch'])}\t{bound}\t{progress}")


def _progress_row(town: Town, progress: BranchProgress, rubric: Rubric | None) -> dict[str, Any]:
    """One branch's line of `status`; without a rubric (no cycle), binding only."""
    from scoring import BranchInput, format_decimal, score_branch

    row: dict[str, Any] = {
        "town": town.name,
        "branch": progress.branch.name,
        "bound": progress.bound,
        "state": None,
        "answered": 0,
        "items": None,
        "basic": None,
        "answers": {},
    }
    if rubric is None:
        return row
    row["state"] = progress.state or "not_started"
    category = progress.branch.category
    if category not in {each.key for each in rubric.categories}:
        return row  # imported under another rubric's categories: nothing to score it by
    item_ids = {item.id for item in rubric.items_for(category)}
    answers = {key: value for key, value in progress.answers.items() if key in item_ids}
    basic = score_branch(rubric, BranchInput(category, answers)).basic
    row |= {
        "answered": len(answers),
        "items": len(item_ids),
        "basic": format_decimal(basic),
        "answers": {key: str(value) for key, value in sorted(answers.items())},
    }
    return row

"""The town's publicity and naming on the command line.

`pingxing publicity open|show|notice|object|resolve|close` and `pingxing name`. Each command is
one transaction; bad input exits with code 2 and writes nothing. The command line acts as the
administrator of the machine that runs the bot (no actor is recorded: the audit says 命令行).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    SHANGHAI,
    BadInput,
    DatabaseOption,
    JsonOption,
    ReasonOption,
    TownOption,
    YearOption,
    excerpt,
    fail,
    in_transaction,
    print_json,
    printable,
)
from bot.cli.procedure_support import (
    BranchOption,
    calendar_lines,
    check_docx,
    count_period,
    run_step,
    town_cycle,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


__all__ = ["register"]

publicity_app = typer.Typer(help="公示: the town's publicity period and objections.")


def register(app: typer.Typer) -> None:
    """Adds the `publicity` group and `name`."""
    app.add_typer(publicity_app, name="publicity", no_args_is_help=True)
    app.command("name")(name)


@publicity_app.command("open")
def publicity_open(
    town: TownOption,
    year: YearOption,
    contact: Annotated[
        str, typer.Option("--contact", help="Who takes objections: office and telephone.")
    ],
    working_days: Annotated[
        int, typer.Option("--working-days", help="Length of the period in working days.")
    ] = 5,
    start: Annotated[
        str | None, typer.Option("--start", help="First day, YYYY-MM-DD; today in Beijing.")
    ] = None,
    corrections: Annotated[
        Path | None,
        typer.Option("--corrections", help="The town's calendar corrections (YAML)."),
    ] = None,
    notice: Annotated[
        Path | None, typer.Option("--notice", help="Also write the notice (公示名单, .docx).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Opens the town's publicity: records its start and prints its end (working days)."""
    check_docx(notice, "--notice")
    period = count_period(start, working_days, corrections, year)

    def work(session: Session) -> Any:
        from storage.repositories.publicity import open_publicity

        found, cycle = town_cycle(session, town, year)
        run_step(
            lambda: open_publicity(
                session, cycle, period, SHANGHAI, contact, None, datetime.now(UTC)
            )
        )
        return _notice_data(found.name, year, period.start, period.end, contact, session, cycle)

    data = in_transaction(database_url, work)
    typer.echo(
        f"{printable(data['town'])} {year} publicity: {period.start} to {period.end} "
        f"({working_days} working days; objections until the end of {period.end}, Beijing time)"
    )
    for line in calendar_lines(period):
        typer.echo(line)
    if notice is not None:
        from bot.cli.county_documents import write_publicity_notice

        write_publicity_notice(notice, data)
        typer.echo(f"wrote {notice}")


def _notice_data(
    town: str, year: int, first: date, last: date, contact: str, session: Session, cycle: Any
) -> dict[str, Any]:
    """What the publicity notice shows: the town, the period, the branches by level."""
    from storage.repositories.publicity import publicised_branches

    rows = [
        {"branch": row.branch.name, "stars": row.stars}
        for row in publicised_branches(session, cycle)
    ]
    return {
        "town": town,
        "year": year,
        "start": first,
        "end": last,
        "contact": contact,
        "branches": rows,
    }


@publicity_app.command("notice")
def publicity_notice(
    town: TownOption,
    year: YearOption,
    out: Annotated[Path, typer.Option("--out", help="The notice to write (.docx).")],
    database_url: DatabaseOption = None,
) -> None:
    """Writes the publicity notice (公示名单) of an opened publicity, ready to print."""
    check_docx(out, "--out")

    def work(session: Session) -> dict[str, Any]:
        from storage.repositories.publicity import find_publicity

        found, cycle = town_cycle(session, town, year)
        publicity = find_publicity(session, cycle.id)
        if publicity is None:
            raise BadInput(f"{printable(found.name)} has not opened its {year} publicity")
        return _notice_data(
            found.name,
            year,
            publicity.starts_on,
            publicity.ends_on,
            publicity.contact,
            session,
            cycle,
        )

    from bot.cli.county_documents import write_publicity_notice

    data = in_transaction(database_url, work)
    write_publicity_notice(out, data)
    typer.echo(f"wrote {out}: {len(data['branches'])} branches")


@publicity_app.command("show")
def publicity_show(
    town: TownOption,
    year: YearOption,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Shows the period, each publicised branch with its level, and every objection."""

    def work(session: Session) -> dict[str, Any]:
        from storage.repositories.publicity import find_publicity, publicised_branches

        found, cycle = town_cycle(session, town, year)
        publicity = find_publicity(session, cycle.id)
        if publicity is None:
            raise BadInput(f"{printable(found.name)} has not opened its {year} publicity")
        return {
            "start": publicity.starts_on.isoformat(),
            "end": publicity.ends_on.isoformat(),
            "closed": publicity.closed_at is not None,
            "calendars": publicity.calendars,
            "branches": [
                {
                    "branch": row.branch.name,
                    "stars": row.stars,
                    "state": row.assessment.state,
                    "objections": [
                        {
                            "id": objection.id,
                            "raised_by": objection.raised_by,
                            "content": objection.content,
                            "outcome": objection.outcome,
                        }
                        for objection in row.objections
                    ],
                }
                for row in publicised_branches(session, cycle)
            ],
        }

    data = in_transaction(database_url, work)
    if as_json:
        print_json(data)
        return
    status = "closed" if data["closed"] else "open"
    typer.echo(f"{printable(town)} {year} publicity {data['start']} to {data['end']} ({status})")
    for row in data["branches"]:
        typer.echo(printable(f"{row['branch']}\t{row['stars']}★\t{row['state']}"))
        for objection in row["objections"]:
            typer.echo(
                printable(
                    f"  objection {objection['id']} by {objection['raised_by']}: "
                    f"{objection['content']} ({objection['outcome'] or 'open'})"
                )
            )


@publicity_app.command("object")
def publicity_object(
    town: TownOption,
    year: YearOption,
    branch: BranchOption,
    raised_by: Annotated[str, typer.Option("--raised-by", help="Who raised the objection.")],
    content: Annotated[str, typer.Option("--content", help="What the objection says.")],
    database_url: DatabaseOption = None,
) -> None:
    """Records an objection (异议) against a branch during the publicity period."""

    def work(session: Session) -> str:
        from storage.repositories import find_branch
        from storage.repositories.publicity import raise_objection

        found, cycle = town_cycle(session, town, year)
        target = find_branch(session, town, branch)
        if target is None:
            raise BadInput(f"no branch {excerpt(branch)} in {printable(found.name)}")
        objection = run_step(
            lambda: raise_objection(
                session, cycle, target, raised_by, content, None, datetime.now(UTC)
            )
        )
        return f"objection {objection.id} recorded against {printable(target.name)}"

    typer.echo(in_transaction(database_url, work))


@publicity_app.command("resolve")
def publicity_resolve(
    objection: Annotated[int, typer.Option("--objection", help="The objection's number.")],
    outcome: Annotated[str, typer.Option("--outcome", help="upheld or dismissed.")],
    reason: ReasonOption,
    database_url: DatabaseOption = None,
) -> None:
    """Records how an objection ended: upheld (the branch is not named) or dismissed."""
    from storage.models import ObjectionOutcome

    try:
        ended = ObjectionOutcome(outcome)
    except ValueError:
        fail(f"--outcome must be upheld or dismissed, got {excerpt(outcome)}")

    def work(session: Session) -> str:
        from storage.repositories.publicity import resolve_objection

        changed = run_step(
            lambda: resolve_objection(session, objection, ended, reason, None, datetime.now(UTC))
        )
        return f"objection {objection} {ended}" if changed else "nothing changed"

    typer.echo(in_transaction(database_url, work))


@publicity_app.command("close")
def publicity_close(database_url: DatabaseOption = None) -> None:
    """Ends every publicity whose period is over (the bot does this on its own every hour)."""

    def work(session: Session) -> int:
        from storage.repositories.publicity import close_due_publicities

        return int(close_due_publicities(session, datetime.now(UTC)))

    typer.echo(f"closed {in_transaction(database_url, work)} publicity periods")


def name(
    town: TownOption,
    year: YearOption,
    out_xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the filing report (备案表, .xlsx).")
    ] = None,
    out_docx: Annotated[
        Path | None, typer.Option("--docx", help="Write the filing report (备案表, .docx).")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Names the town's results (统一命名), closes the cycle, writes the filing report."""
    check_docx(out_docx, "--docx")
    if out_xlsx is not None and out_xlsx.suffix.lower() != ".xlsx":
        fail(f"--xlsx must name an .xlsx file, got {excerpt(str(out_xlsx))}")

    def work(session: Session) -> tuple[Any, list[dict[str, Any]], str]:
        from bot.cli.review_export import summary_rows
        from storage.repositories.publicity import name_cycle

        found, cycle = town_cycle(session, town, year)
        naming = run_step(lambda: name_cycle(session, cycle, None, datetime.now(UTC)))
        return naming, summary_rows(session, cycle, found.name), found.county.name

    naming, rows, county_name = in_transaction(database_url, work)
    typer.echo(f"{printable(town)} {year}: {len(naming.named)} branches named")
    for branch_name, why in naming.held:
        typer.echo(printable(f"  not named: {branch_name} ({_HELD_WORDS[why]})"))
    typer.echo("the cycle is closed" if naming.cycle_closed else "the cycle stays open")
    _write_filing(out_xlsx, out_docx, county_name, year, rows)


_HELD_WORDS = {
    "awaiting_county": "the county has not decided its five-star recommendation",
    "objection_open": "an objection is not resolved",
    "objection_upheld": "an objection was upheld",
}


def _write_filing(
    out_xlsx: Path | None,
    out_docx: Path | None,
    county: str,
    year: int,
    rows: list[dict[str, Any]],
) -> None:
    from bot.cli.county_documents import write_filing_docx
    from bot.cli.review_export import write_summary_workbook

    named = [row for row in rows if row["final_stars"] is not None]
    if out_xlsx is not None:
        write_summary_workbook(out_xlsx, named)
        typer.echo(f"wrote {out_xlsx}")
    if out_docx is not None:
        write_filing_docx(out_docx, county, year, named)
        typer.echo(f"wrote {out_docx}")

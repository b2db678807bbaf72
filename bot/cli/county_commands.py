"""Publicity, the county's re-check and naming on the command line.

`pingxing publicity open|object|resolve|close|notice`, `pingxing county
opinion|decide|quota|list|check`, `pingxing spotcheck` and `pingxing name`. Each command is one
transaction; bad input exits with code 2 and writes nothing. The command line acts as the
administrator of the machine that runs the bot (no actor is recorded: the audit says 命令行).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    SHANGHAI,
    BadInput,
    DatabaseOption,
    JsonOption,
    TownOption,
    excerpt,
    fail,
    find_town_or_fail,
    in_transaction,
    print_json,
    printable,
)
from bot.cli.cycle_commands import cycle_or_fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import County
    from storage.repositories.county import CountyBranch

__all__ = ["register"]

publicity_app = typer.Typer(help="公示: the town's publicity period and objections.")
county_app = typer.Typer(help="县级复核: opinions, decisions, a higher quota, spot checks.")

YearOption = Annotated[int, typer.Option("--year", min=2000, max=2100, help="The rating year.")]
CountyOption = Annotated[str, typer.Option("--county", help="County name (县).")]
BranchOption = Annotated[str, typer.Option("--branch", help="Branch name (党支部).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="The written reason.")]
InTownOption = Annotated[
    str | None, typer.Option("--town", help="The branch's town, when two towns share the name.")
]
# Seeds are stored in a 32-bit column on both databases.
MAX_SEED = 2**31 - 1


def register(app: typer.Typer) -> None:
    """Adds the `publicity` and `county` groups, `spotcheck` and `name`."""
    app.add_typer(publicity_app, name="publicity", no_args_is_help=True)
    app.add_typer(county_app, name="county", no_args_is_help=True)
    app.command("spotcheck")(spotcheck)
    app.command("name")(name)


def _procedure(work: Any) -> Any:
    """Runs a repository step, turning a ProcedureError into bad input."""
    from storage.repositories.procedure import ProcedureError

    try:
        return work()
    except ProcedureError as error:
        raise BadInput(printable(str(error))) from None


def _town_cycle(session: Session, town: str, year: int) -> Any:
    found = find_town_or_fail(session, town)
    return found, cycle_or_fail(session, found, year)


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
    from scoring import CalendarError, load_corrections, publicity_end

    _check_docx(notice, "--notice")
    try:
        first = date.fromisoformat(start) if start else datetime.now(SHANGHAI).date()
    except ValueError:
        fail(f"--start must be a date like {year + 1}-01-04, got {excerpt(start or '')}")
    try:
        town_corrections = load_corrections(corrections) if corrections else None
        period = publicity_end(first, working_days, town_corrections)
    except CalendarError as error:
        fail(printable(str(error)))

    def work(session: Session) -> Any:
        from storage.repositories.publicity import open_publicity

        found, cycle = _town_cycle(session, town, year)
        _procedure(
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
    for year_counted, source in sorted(period.calendars.items()):
        typer.echo(f"  {year_counted}: counted on the {_CALENDAR_WORDS[source]}")
    if notice is not None:
        from bot.cli.county_documents import write_publicity_notice

        write_publicity_notice(notice, data)
        typer.echo(f"wrote {notice}")


_CALENDAR_WORDS = {
    "official": "official calendar (State Council schedule, holidays library)",
    "official_corrected": "official calendar with the town's corrections",
    "town": "town's corrections file (the year is not yet in the holidays library)",
}


def _check_docx(path: Path | None, option: str) -> None:
    if path is not None and path.suffix.lower() != ".docx":
        fail(f"{option} must name a .docx file, got {excerpt(str(path))}")


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
    _check_docx(out, "--out")

    def work(session: Session) -> dict[str, Any]:
        from storage.repositories.publicity import find_publicity

        found, cycle = _town_cycle(session, town, year)
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

        found, cycle = _town_cycle(session, town, year)
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

        found, cycle = _town_cycle(session, town, year)
        target = find_branch(session, town, branch)
        if target is None:
            raise BadInput(f"no branch {excerpt(branch)} in {printable(found.name)}")
        objection = _procedure(
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

        changed = _procedure(
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


def _county_or_fail(session: Session, name: str) -> County:
    from storage.repositories import find_county

    county = find_county(session, name)
    if county is None:
        raise BadInput(f"no county {excerpt(name)}")
    return county


def _branch_of_county(
    session: Session, county: str, year: int, town: str | None, branch: str
) -> tuple[County, CountyBranch]:
    from storage.repositories.county import county_branch

    found = _county_or_fail(session, county)
    return found, _procedure(lambda: county_branch(session, found, year, town, branch))


@county_app.command("opinion")
def county_opinion(
    county: CountyOption,
    year: YearOption,
    branch: BranchOption,
    department: Annotated[
        str, typer.Option("--department", help="`discipline` (纪检监察) or a department's name.")
    ],
    opinion: Annotated[str, typer.Option("--opinion", help="The opinion, as written.")],
    town: InTownOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Records a department's opinion on a five-star recommendation."""

    def work(session: Session) -> str:
        from storage.repositories.county import record_opinion

        _, found = _branch_of_county(session, county, year, town, branch)
        _procedure(
            lambda: record_opinion(session, found, department, opinion, None, datetime.now(UTC))
        )
        return f"opinion of {printable(department)} on {printable(found.branch.name)} recorded"

    typer.echo(in_transaction(database_url, work))


@county_app.command("decide")
def county_decide(
    county: CountyOption,
    year: YearOption,
    branch: BranchOption,
    reason: ReasonOption,
    approve: Annotated[bool, typer.Option("--approve", help="Approve five stars.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject: four stars.")] = False,
    town: InTownOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Approves or rejects a five-star recommendation; the town's officers are told."""
    from storage.models import CountyVerdict

    if approve == reject:
        fail("give exactly one of --approve and --reject")
    verdict = CountyVerdict.APPROVED if approve else CountyVerdict.REJECTED

    def work(session: Session) -> str:
        from storage.repositories.county import decide_recommendation

        _, found = _branch_of_county(session, county, year, town, branch)
        changed = _procedure(
            lambda: decide_recommendation(session, found, verdict, reason, None, datetime.now(UTC))
        )
        stars = "five" if approve else "four"
        if not changed:
            return "nothing changed"
        return f"{printable(found.branch.name)}: {verdict} ({stars} stars); the town is told"

    typer.echo(in_transaction(database_url, work))


@county_app.command("quota")
def county_quota(
    county: CountyOption,
    town: TownOption,
    year: YearOption,
    share: Annotated[str, typer.Option("--share", help="The approved share, e.g. 0.4.")],
    reference: Annotated[
        str, typer.Option("--reference", help="The approval's document number (文号).")
    ],
    reason: ReasonOption,
    database_url: DatabaseOption = None,
) -> None:
    """Approves a higher five-star share for a town; its finalising then uses it."""
    try:
        approved = Decimal(share)
    except InvalidOperation:
        fail(f"--share must be a number like 0.4, got {excerpt(share)}")

    def work(session: Session) -> str:
        from storage.repositories.county import approve_quota

        found = _county_or_fail(session, county)
        town_row, cycle = _town_cycle(session, town, year)
        _procedure(
            lambda: approve_quota(
                session,
                found,
                town_row,
                cycle,
                approved,
                reference,
                reason,
                None,
                datetime.now(UTC),
            )
        )
        return (
            f"{printable(town_row.name)} {year}: five-star share {approved} approved "
            f"({printable(reference)}); run pingxing finalize"
        )

    typer.echo(in_transaction(database_url, work))


@county_app.command("list")
def county_list(
    county: CountyOption,
    year: YearOption,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Lists the five-star recommendations of the county's towns, with totals and opinions."""

    def work(session: Session) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from storage.models import CountyDecision, CountyOpinion, ReviewOutcome
        from storage.repositories.county import recommendations

        found = _county_or_fail(session, county)
        rows = []
        for item in recommendations(session, found, year):
            assessment_id = item.assessment.id
            total = session.scalar(
                select(ReviewOutcome.total).where(ReviewOutcome.assessment_id == assessment_id)
            )
            opinions = session.execute(
                select(CountyOpinion.department, CountyOpinion.opinion)
                .where(CountyOpinion.assessment_id == assessment_id)
                .order_by(CountyOpinion.id)
            ).all()
            decision = session.scalar(
                select(CountyDecision).where(CountyDecision.assessment_id == assessment_id)
            )
            rows.append(
                {
                    "town": item.town.name,
                    "branch": item.branch.name,
                    "total": str(total) if total is not None else None,
                    "state": item.assessment.state,
                    "opinions": [{"department": d, "opinion": o} for d, o in opinions],
                    "decision": decision.verdict if decision else None,
                    "reason": decision.reason if decision else None,
                }
            )
        return rows

    rows = in_transaction(database_url, work)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        opinions = "; ".join(f"{o['department']}: {o['opinion']}" for o in row["opinions"])
        typer.echo(
            printable(
                f"{row['town']}\t{row['branch']}\t{row['total']}\t{row['state']}\t"
                f"{opinions or '-'}"
            )
        )
    if not rows:
        typer.echo("no five-star recommendation yet")


@county_app.command("check")
def county_check(
    county: CountyOption,
    year: YearOption,
    branch: BranchOption,
    reason: ReasonOption,
    stars: Annotated[
        int | None, typer.Option("--stars", help="The corrected level; omit to confirm.")
    ] = None,
    town: InTownOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Records a spot check's outcome: the level confirmed, or corrected with its reason."""

    def work(session: Session) -> str:
        from storage.repositories.county import record_check

        found_county, found = _branch_of_county(session, county, year, town, branch)
        changed = _procedure(
            lambda: record_check(
                session, found_county, found, stars, reason, None, datetime.now(UTC)
            )
        )
        if not changed:
            return "nothing changed"
        what = "confirmed" if stars is None else f"set to {stars} stars"
        return f"{printable(found.branch.name)}: level {what}"

    typer.echo(in_transaction(database_url, work))


def spotcheck(
    county: CountyOption,
    year: YearOption,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=MAX_SEED, help="Redraw with this seed."),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Draws the spot check (抽查): at least 15% of the three- and four-star branches."""

    def work(session: Session) -> dict[str, Any]:
        from storage.repositories.county import draw_spot_check

        found = _county_or_fail(session, county)
        draw = _procedure(
            lambda: draw_spot_check(session, found, year, seed, None, datetime.now(UTC))
        )
        names = _branch_labels([item for rows in draw.samples.values() for item in rows])
        return {
            "seed": draw.check.seed,
            "samples": {
                str(stars): [names[item.assessment.id] for item in rows]
                for stars, rows in sorted(draw.samples.items())
            },
            "new": draw.new,
        }

    data = in_transaction(database_url, work)
    if as_json:
        print_json({"seed": data["seed"], "samples": data["samples"]})
        return
    heading = "drawn" if data["new"] else "already drawn"
    typer.echo(f"{county} {year}: {heading} with seed {data['seed']}")
    for stars, names in data["samples"].items():
        typer.echo(printable(f"  {stars}★: {', '.join(names) or '-'}"))


def _branch_labels(items: list[CountyBranch]) -> dict[int, str]:
    """Branch names, written town/branch where two towns of the county share one."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.branch.name] = counts.get(item.branch.name, 0) + 1
    return {
        item.assessment.id: item.branch.name
        if counts[item.branch.name] == 1
        else f"{item.town.name}/{item.branch.name}"
        for item in items
    }


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
    _check_docx(out_docx, "--docx")
    if out_xlsx is not None and out_xlsx.suffix.lower() != ".xlsx":
        fail(f"--xlsx must name an .xlsx file, got {excerpt(str(out_xlsx))}")

    def work(session: Session) -> tuple[Any, list[dict[str, Any]], str]:
        from bot.cli.review_export import summary_rows
        from storage.repositories.publicity import name_cycle

        found, cycle = _town_cycle(session, town, year)
        naming = _procedure(lambda: name_cycle(session, cycle, None, datetime.now(UTC)))
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

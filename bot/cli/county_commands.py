"""The county's re-check on the command line.

`pingxing county opinion|decide|quota|list|check` and `pingxing spotcheck`. Each command is one
transaction; bad input exits with code 2 and writes nothing. The command line acts as the
administrator of the machine that runs the bot (no actor is recorded: the audit says 命令行).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
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

    from storage.models import County
    from storage.repositories.county import CountyBranch

__all__ = ["register"]

county_app = typer.Typer(help="县级复核: opinions, decisions, a higher quota, spot checks.")

CountyOption = Annotated[str, typer.Option("--county", help="County name (县).")]
InTownOption = Annotated[
    str | None, typer.Option("--town", help="The branch's town, when two towns share the name.")
]
# Seeds are stored in a 32-bit column on both databases.
MAX_SEED = 2**31 - 1


def register(app: typer.Typer) -> None:
    """Adds the `county` group and `spotcheck`."""
    app.add_typer(county_app, name="county", no_args_is_help=True)
    app.command("spotcheck")(spotcheck)


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
    return found, run_step(lambda: county_branch(session, found, year, town, branch))


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
        run_step(
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
        changed = run_step(
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
        town_row, cycle = town_cycle(session, town, year)
        run_step(
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


@county_app.command("publicity")
def county_publicity(
    county: CountyOption,
    year: YearOption,
    contact: Annotated[
        str, typer.Option("--contact", help="Who takes objections: office and telephone.")
    ],
    notice: Annotated[Path, typer.Option("--notice", help="The notice to write (.docx).")],
    working_days: Annotated[
        int, typer.Option("--working-days", help="Length of the period in working days.")
    ] = 5,
    start: Annotated[
        str | None, typer.Option("--start", help="First day, YYYY-MM-DD; today in Beijing.")
    ] = None,
    corrections: Annotated[
        Path | None,
        typer.Option("--corrections", help="The county's calendar corrections (YAML)."),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Publicises the county's proposed five-star list (拟认定名单) and writes its notice."""
    check_docx(notice, "--notice")
    period = count_period(start, working_days, corrections, year)

    def work(session: Session) -> dict[str, Any]:
        from storage.repositories.county import record_county_publicity

        found = _county_or_fail(session, county)
        listed = run_step(
            lambda: record_county_publicity(
                session, found, year, period, contact, None, datetime.now(UTC)
            )
        )
        return {
            "county": found.name,
            "year": year,
            "start": period.start,
            "end": period.end,
            "contact": contact.strip(),
            "branches": [
                {"branch": f"{item.town.name}·{item.branch.name}", "stars": 5} for item in listed
            ],
        }

    from bot.cli.county_documents import write_county_notice

    data = in_transaction(database_url, work)
    write_county_notice(notice, data)
    typer.echo(
        printable(
            f"{data['county']} {year} five-star publicity: {period.start} to {period.end}, "
            f"{len(data['branches'])} branches; wrote {notice}"
        )
    )
    for line in calendar_lines(period):
        typer.echo(line)


@county_app.command("list")
def county_list(
    county: CountyOption,
    year: YearOption,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Lists the five-star recommendations of the county's towns, with totals and opinions."""

    def work(session: Session) -> list[dict[str, Any]]:
        from storage.repositories.county import recommendation_view, recommendations

        found = _county_or_fail(session, county)
        rows = []
        for item in recommendations(session, found, year):
            view = recommendation_view(session, item)
            rows.append(
                {
                    "town": item.town.name,
                    "branch": item.branch.name,
                    "total": str(view.total) if view.total is not None else None,
                    "state": item.assessment.state,
                    "town_notes": list(view.reasons),
                    "evidence": view.evidence,
                    "opinions": [
                        {"department": o.department, "opinion": o.opinion} for o in view.opinions
                    ],
                    "decision": view.decision.verdict if view.decision else None,
                    "reason": view.decision.reason if view.decision else None,
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
        from storage.repositories.spot_check import record_check

        found_county, found = _branch_of_county(session, county, year, town, branch)
        changed = run_step(
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
        from storage.repositories.spot_check import draw_spot_check

        found = _county_or_fail(session, county)
        draw = run_step(
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

"""The town's review on the command line: `pingxing review import|decide`, `finalize`, `export`.

`review import` reads the review scores (or ballot counts) and item re-scores a town keeps in
Excel; the whole file goes in one transaction, so one bad row imports nothing, and a file
imported twice changes nothing the second time. `finalize` applies the gates and the quota;
`export` writes the summary in the layout towns already use.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli.admin_support import (
    BadInput,
    DatabaseOption,
    JsonOption,
    TownOption,
    YearOption,
    fail,
    find_town_or_fail,
    in_transaction,
    print_json,
)
from bot.cli.cycle_commands import cycle_or_fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from scoring import Rubric
    from storage.models import Cycle
    from storage.repositories.town_review import Finalization

__all__ = ["register"]

review_app = typer.Typer(
    help="镇党委考评: import review scores, record committee decisions.", no_args_is_help=True
)


# The fixed columns' spellings, as `storage.spreadsheet.compare_key` makes them; the ballot
# and item columns come from the cycle's rubric (ballot labels or keys, item ids).
FIXED_HEADERS: dict[str, str] = {
    **dict.fromkeys(["镇", "乡镇", "镇街", "乡镇(街道)", "街道", "town"], "town"),
    **dict.fromkeys(["党支部", "支部", "党支部名称", "支部名称", "branch"], "branch"),
    **dict.fromkeys(["评议得分", "评议项", "评议分", "review"], "review"),
}
# A header shaped like an item id that the rubric does not know is a typo, never ignored.
_ITEM_ID_SHAPE = re.compile(r"[a-z_]+\.[a-z0-9_.]+")
# Enough to fix a file; a file wrong on every row says so without flooding the terminal.
MAX_PROBLEMS_SHOWN = 30


def register(app: typer.Typer) -> None:
    """Adds the `review` group, `finalize` and `export`."""
    from bot.cli import review_export

    app.add_typer(review_app, name="review")
    app.command("finalize")(finalize)
    app.command("export")(review_export.export)


class _EveryHeader(Mapping[str, str]):
    """The header mapping `read_table` takes, keeping every column: a fixed column under its
    field name, any other under its header (a ballot label or an item id, read per row against
    that row's rubric)."""

    def __getitem__(self, header: str) -> str:
        if not header:
            raise KeyError(header)
        return FIXED_HEADERS.get(header, header)

    def __iter__(self) -> Iterator[str]:
        return iter(FIXED_HEADERS)

    def __len__(self) -> int:
        return len(FIXED_HEADERS)


def read_review_file(path: Path) -> list[dict[str, str]]:
    """Reads the file as `org import` reads its own (encodings, caps): one record per row."""
    from storage.spreadsheet import SpreadsheetError, read_table

    try:
        records, problems = read_table(
            path, _EveryHeader(), ("town", "branch"), "镇 党支部 and 评议得分 or the ballot counts"
        )
    except SpreadsheetError as error:
        raise BadInput(str(error)) from None
    if problems:
        raise BadInput(_shown([str(problem) for problem in problems]))
    return [
        {key: unicodedata.normalize("NFKC", str(value)).strip() for key, value in record.items()}
        for record in records
    ]


@dataclass
class _Row:
    """One row read against its cycle's rubric."""

    review: Decimal | None
    ballots: dict[str, int] | None
    items: dict[str, Decimal]


def _read_row(rubric: Rubric, record: dict[str, str]) -> tuple[_Row, list[str]]:
    """Reads the scores of one row; returns it and its problems (each naming the column)."""
    problems: list[str] = []
    ballot_keys = {}
    for ballot in rubric.review.ballots:
        ballot_keys[ballot.label] = ballot.key
        ballot_keys[ballot.key] = ballot.key
    item_ids = {item.id for area in rubric.areas for item in area.items}
    review = None
    if record.get("review"):
        review = _decimal(record["review"], "评议得分", problems)
    ballots: dict[str, int] = {}
    items: dict[str, Decimal] = {}
    for header, value in record.items():
        if header in ("row", "town", "branch", "review"):
            continue
        if header in ballot_keys:
            if value:
                try:
                    ballots[ballot_keys[header]] = int(value)
                except ValueError:
                    problems.append(f"{header}: expected a whole number of ballots, got {value!r}")
        elif header in item_ids:
            if value:
                score = _decimal(value, header, problems)
                if score is not None:
                    items[header] = score
        elif _ITEM_ID_SHAPE.fullmatch(header):
            problems.append(f"column {header!r} is not an item id of this cycle's rubric")
    if review is not None and ballots:
        problems.append("give 评议得分 or the ballot counts, not both")
    if review is None and not ballots and not items and not problems:
        problems.append("no 评议得分, ballot counts or item scores")
    return _Row(review, ballots or None, items), problems


def _decimal(value: str, column: str, problems: list[str]) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        problems.append(f"{column}: expected a number, got {value!r}")
        return None
    if not number.is_finite():
        problems.append(f"{column}: expected a number, got {value!r}")
        return None
    return number


def _shown(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
    return "\n".join([*shown, "nothing was imported"])


@review_app.command("import")
def review_import(
    file: Annotated[Path, typer.Argument(help="XLSX or CSV: 镇, 党支部, 评议得分 or ballots.")],
    year: Annotated[
        int | None, typer.Option("--year", help="The year; each town's open cycle if omitted.")
    ] = None,
    mark_reviewed: Annotated[
        bool, typer.Option("--mark-reviewed", help="Also mark each imported branch reviewed.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Imports review scores (or ballot counts) and item re-scores; all rows or none."""
    try:
        rows = read_review_file(file)
    except BadInput as problem:
        fail(str(problem))
    now = datetime.now(UTC)

    def work(session: Session) -> str:
        problems: list[str] = []
        changes = 0
        seen: dict[tuple[str, str], int] = {}
        for record in rows:
            try:
                changes += _import_row(session, record, year, seen, mark_reviewed, now)
            except BadInput as problem:
                problems.extend(
                    f"row {record['row']}: {line}" for line in str(problem).splitlines()
                )
        if problems:
            raise BadInput(_shown(problems))
        return f"imported {file}: {len(rows)} rows, {changes} changes"

    typer.echo(in_transaction(database_url, work))


def _import_row(
    session: Session,
    record: dict[str, str],
    year: int | None,
    seen: dict[tuple[str, str], int],
    mark: bool,
    now: datetime,
) -> int:
    """Applies one row; returns how many things it changed. BadInput lists its problems."""
    from storage.repositories import find_branch, get_assessment
    from storage.repositories.review import (
        ReviewError,
        enter_review_score,
        mark_reviewed,
        rescore_item,
    )

    town_name, branch_name = record["town"], record["branch"]
    if not town_name or not branch_name:
        raise BadInput("empty 镇 or 党支部")
    town = find_town_or_fail(session, town_name)
    cycle = cycle_or_fail(session, town, year)
    branch = find_branch(session, town.name, branch_name)
    if branch is None or branch.town_id != town.id:
        raise BadInput(f"no branch {branch_name!r} in {town.name}")
    if (town.name, branch.name) in seen:
        raise BadInput(f"{branch.name} is already on row {seen[(town.name, branch.name)]}")
    seen[(town.name, branch.name)] = int(record["row"])
    assessment = get_assessment(session, branch.id, cycle.id)
    if assessment is None:
        raise BadInput(f"{branch.name} has not started its self-assessment")
    rubric = _rubric(cycle)
    row, problems = _read_row(rubric, record)
    if problems:
        raise BadInput("\n".join(problems))
    changed = 0
    try:
        for item_id, score in row.items.items():
            changed += rescore_item(session, assessment.id, rubric, item_id, score, None, now)
        if row.review is not None or row.ballots is not None:
            changed += enter_review_score(
                session, assessment.id, rubric, None, now, score=row.review, ballots=row.ballots
            )
        if mark:
            changed += mark_reviewed(session, assessment.id, None, now)
    except ReviewError as error:
        raise BadInput(f"{branch.name}: {error}") from None
    return changed


def _rubric(cycle: Cycle) -> Rubric:
    from storage.repositories import cycle_rubric

    return cycle_rubric(cycle)


@review_app.command("decide")
def review_decide(
    town: TownOption,
    year: YearOption,
    kind: Annotated[str, typer.Option("--kind", help="tie, gate_exception or quota_override.")],
    reason: Annotated[str, typer.Option("--reason", help="The committee's written reason.")],
    branch: Annotated[
        str | None, typer.Option("--branch", help="The branch (tie, gate_exception).")
    ] = None,
    stars: Annotated[int | None, typer.Option("--stars", help="The level kept.")] = None,
    share: Annotated[
        str | None, typer.Option("--share", help="The approved share, e.g. 0.4 (quota).")
    ] = None,
    reference: Annotated[
        str | None, typer.Option("--reference", help="Minutes or the county's approval.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Records the committee's decision on a tie, a gate exception, or a higher quota."""
    from storage.models import DecisionKind

    try:
        decision_kind = DecisionKind(kind)
    except ValueError:
        fail(f"--kind must be one of {', '.join(k.value for k in DecisionKind)}, got {kind!r}")
    approved = None
    if share is not None:
        try:
            approved = Decimal(share)
        except InvalidOperation:
            fail(f"--share must be a number like 0.4, got {share!r}")

    def work(session: Session) -> str:
        from storage.repositories import find_branch, get_assessment
        from storage.repositories.review import ReviewError, record_decision

        found = find_town_or_fail(session, town)
        cycle = cycle_or_fail(session, found, year)
        assessment_id = None
        if branch is not None:
            target = find_branch(session, found.name, branch)
            assessment = get_assessment(session, target.id, cycle.id) if target else None
            if assessment is None:
                raise BadInput(f"no assessment of {branch!r} in {found.name} {year}")
            assessment_id = assessment.id
        try:
            record_decision(
                session,
                cycle.id,
                decision_kind,
                reason,
                None,
                datetime.now(UTC),
                assessment_id=assessment_id,
                stars=stars,
                share=approved,
                reference=reference,
            )
        except ReviewError as error:
            raise BadInput(str(error)) from None
        return f"recorded the committee's {decision_kind} decision; run pingxing finalize"

    typer.echo(in_transaction(database_url, work))


def finalize(
    town: TownOption,
    year: YearOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the outcome, store nothing.")
    ] = False,
    leave_out: Annotated[
        list[str] | None,
        typer.Option("--leave-out", help="A branch not reviewed to leave out (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Applies the gates, the committee's decisions and the quota (党委会议研究)."""
    from storage.repositories.review import ReviewError
    from storage.repositories.town_review import finalize_cycle

    def work(session: Session) -> tuple[dict[str, Any], list[str]]:
        found = find_town_or_fail(session, town)
        cycle = cycle_or_fail(session, found, year)
        try:
            outcome = finalize_cycle(
                session,
                cycle,
                None,
                datetime.now(UTC),
                leave_out=leave_out or (),
                write=not dry_run,
            )
        except ReviewError as error:
            raise BadInput(str(error)) from None
        return _jsonable(outcome.to_dict()), _finalize_lines(found.name, year, outcome)

    data, lines = in_transaction(database_url, work)
    if as_json:
        print_json(data)
        return
    for line in lines:
        typer.echo(line)
    if dry_run:
        typer.echo("dry run: nothing stored")


def _jsonable(data: Any) -> Any:
    from storage.repositories import jsonable

    return jsonable(data)


def _finalize_lines(town: str, year: int, outcome: Finalization) -> list[str]:
    from bot.cli.review_export import note_of, stars_label

    limits = ", ".join(f"{stars}★ {limit}" for stars, limit in sorted(outcome.limits.items()))
    lines = [f"{town} {year}: {outcome.in_scope} branches in scope; places {limits or '-'}"]
    for rank, row in enumerate(outcome.rows, start=1):
        total = row.review.reviewed.total if row.stars_before_quota is not None else None
        moved = (
            f"{stars_label(row.stars_before_quota)} → {stars_label(row.reviewed_stars)}"
            if row.stars_before_quota != row.reviewed_stars
            else stars_label(row.reviewed_stars)
        )
        note = note_of(row)
        lines.append(
            f"{rank}. {row.review.branch.name}\ttotal {total if total is not None else '-'}\t"
            f"{moved}{f'  ({note})' if note else ''}"
        )
    ties = [row.review.branch.name for row in outcome.rows if row.tie_at_cutoff]
    if ties:
        lines.append(
            f"tied at the cut-off: {', '.join(ties)}; the committee decides "
            "(pingxing review decide --kind tie)"
        )
    lines.extend(f"problem: {problem}" for problem in outcome.problems)
    return lines

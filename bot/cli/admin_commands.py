"""Setting up a town: `pingxing db|org|invite|role|cycle ...` and `pingxing status`.

Each command opens the database (migrating it on first use), does its work in one transaction
and prints. Bad input prints a plain message on stderr and exits with code 2; the transaction
is rolled back, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.models import Town

__all__ = ["register"]

EXIT_INVALID = 2
# China keeps one offset all year (no daylight saving since 1991), so a fixed zone is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_INVITE_DAYS = 14

T = TypeVar("T")

db_app = typer.Typer(help="The database: create or migrate it.", no_args_is_help=True)
org_app = typer.Typer(help="The organisation tree: county, towns, branches.", no_args_is_help=True)
invite_app = typer.Typer(
    help="Invite codes that bind a secretary to a branch.", no_args_is_help=True
)
role_app = typer.Typer(
    help="Who may review a town or county, or act as a secretary.", no_args_is_help=True
)
cycle_app = typer.Typer(help="A town's rating year (评星定级周期).", no_args_is_help=True)

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


def register(app: typer.Typer) -> None:
    """Adds the `db`, `org`, `invite`, `role` and `cycle` groups and `status`."""
    app.add_typer(db_app, name="db")
    app.add_typer(org_app, name="org")
    app.add_typer(invite_app, name="invite")
    app.add_typer(role_app, name="role")
    app.add_typer(cycle_app, name="cycle")
    app.command("status")(status)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(EXIT_INVALID)


def _in_transaction(url: str | None, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs `work` in one transaction on a migrated database; bad input exits with code 2."""
    from storage.engine import open_database

    async def run() -> T:
        engine, sessions = await open_database(url)
        try:
            async with sessions.begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except BadInput as problem:
        _fail(str(problem))


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _local(instant: datetime | None) -> str:
    return "-" if instant is None else instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


async def _town(session: AsyncSession, name: str) -> Town:
    from storage.repositories import AmbiguousOrgName, find_town

    try:
        town = await find_town(session, name)
    except AmbiguousOrgName as error:
        raise BadInput(f"{error}; write it as county/town") from None
    if town is None:
        raise BadInput(
            f"no town {name!r}; import the organisation list first (pingxing org import)"
        )
    return town


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Creates the database or migrates it to the newest schema (safe to run again)."""
    from sqlalchemy.engine import make_url

    from storage.engine import default_database_url, upgrade_database

    url = database_url or default_database_url()
    asyncio.run(upgrade_database(url))
    typer.echo(f"database {make_url(url).render_as_string(hide_password=True)} is up to date")


# --- org ------------------------------------------------------------------------------------


@org_app.command("import")
def org_import(
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX with columns 县 镇 党支部 类别 [书记 编码].")
    ],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Import the good rows even if some rows are bad.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Imports or updates branches from a spreadsheet; the same file again changes nothing."""
    from storage.org_import import OrgFileError, import_org_rows, read_org_file

    try:
        rows, problems = read_org_file(file)
    except OrgFileError as error:
        _fail(str(error))
    for problem in problems:
        typer.echo(f"{file}: {problem}", err=True)
    if problems and not skip_bad:
        _fail(f"{len(problems)} bad rows: nothing imported (fix them, or use --skip-bad)")
    report = _in_transaction(database_url, lambda session: import_org_rows(session, rows))
    for label in report.created:
        typer.echo(f"created  {label}")
    for label in report.updated:
        typer.echo(f"updated  {label}")
    typer.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(problems)} bad rows skipped"
    )


@org_app.command("list")
def org_list(
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Lists towns and their branches with category and code."""
    from sqlalchemy import select

    from storage.models import Branch, Town
    from storage.repositories import branches_of_town

    async def work(session: AsyncSession) -> list[str]:
        towns = (
            [await _town(session, town)]
            if town
            else (await session.scalars(select(Town))).unique().all()
        )
        lines = []
        for each in towns:
            lines.append(f"{each.county.name}/{each.name}")
            branches: list[Branch] = await branches_of_town(session, each.id)
            lines += [
                f"  {b.name}  {b.category}  {b.code or '-'}  {b.secretary_name or '-'}"
                for b in branches
            ]
        return lines

    for line in _in_transaction(database_url, work):
        typer.echo(line)


# --- invite ---------------------------------------------------------------------------------


@invite_app.command("create")
def invite_create(
    town: TownOption,
    branch: Annotated[str | None, typer.Option("--branch", help="One branch of the town.")] = None,
    all_branches: Annotated[bool, typer.Option("--all", help="Every branch of the town.")] = False,
    expires: Annotated[
        int, typer.Option("--expires", min=1, max=365, help="Days the codes stay valid.")
    ] = DEFAULT_INVITE_DAYS,
    as_json: JsonOption = False,
    bot_username: Annotated[
        str | None,
        typer.Option(
            "--bot-username",
            envvar="PINGXING_BOT_USERNAME",
            help="The bot's @name, for t.me links.",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Makes a fresh single-use code per branch. Codes are shown once only: hand them out now."""
    from storage.repositories import branches_of_town, create_invite

    if (branch is None) == (not all_branches):
        _fail("name one branch with --branch, or use --all for every branch of the town")
    username = (bot_username or "").lstrip("@") or None

    async def work(session: AsyncSession) -> list[dict[str, str | None]]:
        found = await _town(session, town)
        branches = await branches_of_town(session, found.id)
        if branch is not None:
            branches = [each for each in branches if each.name == branch.strip()]
            if not branches:
                raise BadInput(f"town {found.name!r} has no branch {branch!r}")
        now = datetime.now(UTC)
        invites = []
        for each in branches:
            code = await create_invite(session, each.id, now + timedelta(days=expires), now)
            link = f"https://t.me/{username}?start={code}" if username else None
            invites.append(
                {
                    "county": found.county.name,
                    "town": found.name,
                    "branch": each.name,
                    "code": code,
                    "link": link,
                }
            )
        return invites

    invites = _in_transaction(database_url, work)
    if as_json:
        _print_json(invites)
        return
    for invite in invites:
        typer.echo(f"{invite['town']}/{invite['branch']}\t{invite['link'] or invite['code']}")
    typer.echo(
        f"{len(invites)} codes, valid for {expires} days; they cannot be shown again", err=True
    )


# --- role -----------------------------------------------------------------------------------

RoleOption = Annotated[str, typer.Option("--role", help="town, county or secretary.")]
OrgOption = Annotated[
    str, typer.Option("--org", help="A town, a county, or a branch as town/branch (secretary).")
]
TelegramIdOption = Annotated[
    int, typer.Option("--telegram-id", help="The numeric Telegram user id.")
]


async def _org_id(session: AsyncSession, role: str, org: str) -> tuple[Any, int]:
    """Resolves `--role` and `--org` to the role and the organisation's id."""
    from storage.models import Role
    from storage.repositories import find_branch, find_county

    try:
        parsed = Role(role.strip().lower())
    except ValueError:
        raise BadInput(f"unknown role {role!r}: use town, county or secretary") from None
    if parsed is Role.COUNTY:
        county = await find_county(session, org)
        if county is None:
            raise BadInput(f"no county {org!r}")
        return parsed, county.id
    if parsed is Role.TOWN:
        return parsed, (await _town(session, org)).id
    town_name, _, branch_name = org.rpartition("/")
    if not town_name:
        raise BadInput(f"name the branch as town/branch, got {org!r}")
    await _town(session, town_name)
    found = await find_branch(session, town_name, branch_name)
    if found is None:
        raise BadInput(f"town {town_name!r} has no branch {branch_name!r}")
    return parsed, found.id


@role_app.command("grant")
def role_grant(
    telegram_id: TelegramIdOption,
    role: RoleOption,
    org: OrgOption,
    database_url: DatabaseOption = None,
) -> None:
    """Gives a Telegram user a role over a town, a county or a branch (audited)."""
    from storage.repositories import get_or_create_person, grant_role

    async def work(session: AsyncSession) -> None:
        parsed, org_id = await _org_id(session, role, org)
        person = await get_or_create_person(session, telegram_id)
        await grant_role(session, person, parsed, org_id, datetime.now(UTC))

    _in_transaction(database_url, work)
    typer.echo(f"{telegram_id} is now {role} of {org}")


@role_app.command("revoke")
def role_revoke(
    telegram_id: TelegramIdOption,
    role: RoleOption,
    org: OrgOption,
    database_url: DatabaseOption = None,
) -> None:
    """Takes a role away (the grant stays in the history, marked revoked)."""
    from storage.repositories import find_person, revoke_role

    async def work(session: AsyncSession) -> int:
        parsed, org_id = await _org_id(session, role, org)
        person = await find_person(session, telegram_id)
        if person is None:
            raise BadInput(f"Telegram user {telegram_id} holds no role")
        return await revoke_role(session, person, parsed, org_id, datetime.now(UTC))

    if _in_transaction(database_url, work) == 0:
        _fail(f"{telegram_id} was not {role} of {org}")
    typer.echo(f"{telegram_id} is no longer {role} of {org}")


@role_app.command("list")
def role_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """Lists the active role grants: who, which role, over what, since when."""
    from sqlalchemy import select

    from storage.models import Branch, County, Role, Town
    from storage.repositories import list_roles

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        counties = {c.id: c.name for c in (await session.scalars(select(County))).all()}
        towns = {t.id: t for t in (await session.scalars(select(Town))).unique().all()}
        branches = {b.id: b for b in (await session.scalars(select(Branch))).all()}

        def org_name(role: str, org_id: int) -> str:
            if role == Role.COUNTY:
                return counties.get(org_id, f"#{org_id}")
            if role == Role.TOWN:
                return towns[org_id].name if org_id in towns else f"#{org_id}"
            found = branches.get(org_id)
            return f"{towns[found.town_id].name}/{found.name}" if found else f"#{org_id}"

        return [
            {
                "telegram_id": grant.person.telegram_id,
                "name": grant.person.display_name,
                "role": grant.role,
                "org": org_name(grant.role, grant.org_id),
                "granted_at": _local(grant.granted_at),
            }
            for grant in await list_roles(session)
        ]

    grants = _in_transaction(database_url, work)
    if as_json:
        _print_json(grants)
        return
    for grant in grants:
        typer.echo(
            f"{grant['telegram_id']}\t{grant['role']}\t{grant['org']}\t"
            f"{grant['name'] or '-'}\tsince {grant['granted_at']}"
        )
    if not grants:
        typer.echo("no roles granted yet", err=True)


# --- cycle ----------------------------------------------------------------------------------


def _deadline(text: str) -> datetime:
    """The end of the given day in Asia/Shanghai, as an aware instant."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        _fail(f"--deadline must be a date like 2026-12-31, got {text!r}")
    return datetime.combine(day, time(23, 59, 59), SHANGHAI)


def _reminder_days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.replace("，", ",").split(",") if part.strip()]
    except ValueError:
        _fail(f"--reminder-days must be whole days like 7,3,1, got {text!r}")
    if any(day < 0 for day in days):
        _fail(f"--reminder-days cannot be negative, got {text!r}")
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
        _fail(f"no rubric file {rubric}")
    rubric_text = default_rubric_text() if rubric is None else rubric.read_text(encoding="utf-8")

    async def work(session: AsyncSession) -> str:
        found = await _town(session, town)
        try:
            cycle = await open_cycle(
                session, found, year, deadline_at, rubric_text, days, datetime.now(UTC)
            )
        except RubricError as error:
            raise BadInput("\n".join(error.problems)) from None
        except CycleExists as error:
            raise BadInput(str(error)) from None
        return (
            f"opened {found.name} {year}: deadline {_local(cycle.deadline_at)} Beijing time, "
            f"rubric {cycle.rubric_sha256[:12]}"
        )

    typer.echo(_in_transaction(database_url, work))


@cycle_app.command("list")
def cycle_list(
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Lists rating years: town, year, state, deadline."""
    from sqlalchemy import select

    from storage.models import Town
    from storage.repositories import cycles_of

    async def work(session: AsyncSession) -> list[str]:
        town_id = (await _town(session, town)).id if town else None
        names = {t.id: t.name for t in (await session.scalars(select(Town))).unique().all()}
        return [
            f"{names[c.town_id]}\t{c.year}\t{c.state}\tdeadline {_local(c.deadline_at)}"
            for c in await cycles_of(session, town_id)
        ]

    lines = _in_transaction(database_url, work)
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo("no cycles yet (pingxing cycle open)", err=True)


async def _cycle(session: AsyncSession, town: Town, year: int | None) -> Any:
    from storage.repositories import current_cycle, find_cycle

    cycle = await (
        current_cycle(session, town.id) if year is None else find_cycle(session, town.id, year)
    )
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

    async def work(session: AsyncSession) -> list[str]:
        found = await _town(session, town)
        cycle = await _cycle(session, found, year)
        counts = await session.execute(
            select(Assessment.state, func.count())
            .where(Assessment.cycle_id == cycle.id)
            .group_by(Assessment.state)
        )
        by_state = ", ".join(f"{state} {count}" for state, count in counts) or "none started"
        return [
            f"town: {found.county.name}/{found.name}",
            f"year: {cycle.year} ({cycle.state})",
            f"deadline: {_local(cycle.deadline_at)} (Beijing time)",
            f"reminders: {', '.join(str(d) for d in cycle.reminder_days)} days before",
            f"rubric sha256: {cycle.rubric_sha256}",
            f"assessments: {by_state}",
        ]

    for line in _in_transaction(database_url, work):
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

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        found = await _town(session, town)
        cycle = await _cycle(session, found, year)
        rubric = cycle_rubric(cycle)
        rows = []
        for progress in await town_progress(session, found.id, cycle.id):
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

    rows = _in_transaction(database_url, work)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        bound = "bound" if row["bound"] else "UNBOUND"
        typer.echo(
            f"{row['branch']}\t{bound}\t{row['state']}\t"
            f"{row['answered']}/{row['items']}\tbasic {row['basic']}"
        )

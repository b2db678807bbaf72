"""Setting up a town: `pingxing db|org|invite|role ...`.

Rating years and progress (`pingxing cycle ...`, `pingxing status`) are in `cycle_commands`;
what both share (options, one transaction per command, exit code 2 on bad input) is in
`admin_support`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import cycle_commands
from bot.cli.admin_support import (
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

__all__ = ["register"]

DEFAULT_INVITE_DAYS = 14

db_app = typer.Typer(help="The database: create or migrate it.", no_args_is_help=True)
org_app = typer.Typer(help="The organisation tree: county, towns, branches.", no_args_is_help=True)
invite_app = typer.Typer(
    help="Invite codes that bind a secretary to a branch.", no_args_is_help=True
)
role_app = typer.Typer(
    help="Who may review a town or county, or act as a secretary.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Adds the `db`, `org`, `invite` and `role` groups, and `cycle_commands`' commands."""
    app.add_typer(db_app, name="db")
    app.add_typer(org_app, name="org")
    app.add_typer(invite_app, name="invite")
    app.add_typer(role_app, name="role")
    cycle_commands.register(app)


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Creates the database or migrates it to the newest schema (safe to run again)."""
    from sqlalchemy.engine import make_url

    from storage.database import upgrade_database
    from storage.engine import default_database_url

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
        fail(str(error))
    for problem in problems:
        typer.echo(f"{file}: {problem}", err=True)
    if problems and not skip_bad:
        fail(f"{len(problems)} bad rows: nothing imported (fix them, or use --skip-bad)")
    report = in_transaction(database_url, lambda session: import_org_rows(session, rows))
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

    def work(session: Session) -> list[str]:
        towns = (
            [find_town_or_fail(session, town)]
            if town
            else session.scalars(select(Town)).unique().all()
        )
        lines = []
        for each in towns:
            lines.append(f"{each.county.name}/{each.name}")
            branches: list[Branch] = branches_of_town(session, each.id)
            lines += [
                f"  {b.name}  {b.category}  {b.code or '-'}  {b.secretary_name or '-'}"
                for b in branches
            ]
        return lines

    for line in in_transaction(database_url, work):
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
        fail("name one branch with --branch, or use --all for every branch of the town")
    username = (bot_username or "").lstrip("@") or None

    def work(session: Session) -> list[dict[str, str | None]]:
        found = find_town_or_fail(session, town)
        branches = branches_of_town(session, found.id)
        if branch is not None:
            branches = [each for each in branches if each.name == branch.strip()]
            if not branches:
                raise BadInput(f"town {found.name!r} has no branch {branch!r}")
        now = datetime.now(UTC)
        invites = []
        for each in branches:
            code = create_invite(session, each.id, now + timedelta(days=expires), now)
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

    invites = in_transaction(database_url, work)
    if as_json:
        print_json(invites)
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


def _org_id(session: Session, role: str, org: str) -> tuple[Any, int]:
    """Resolves `--role` and `--org` to the role and the organisation's id."""
    from storage.models import Role
    from storage.repositories import find_branch, find_county

    try:
        parsed = Role(role.strip().lower())
    except ValueError:
        raise BadInput(f"unknown role {role!r}: use town, county or secretary") from None
    if parsed is Role.COUNTY:
        county = find_county(session, org)
        if county is None:
            raise BadInput(f"no county {org!r}")
        return parsed, county.id
    if parsed is Role.TOWN:
        return parsed, find_town_or_fail(session, org).id
    town_name, _, branch_name = org.rpartition("/")
    if not town_name:
        raise BadInput(f"name the branch as town/branch, got {org!r}")
    find_town_or_fail(session, town_name)
    found = find_branch(session, town_name, branch_name)
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

    def work(session: Session) -> None:
        parsed, org_id = _org_id(session, role, org)
        person = get_or_create_person(session, telegram_id)
        grant_role(session, person, parsed, org_id, datetime.now(UTC))

    in_transaction(database_url, work)
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

    def work(session: Session) -> int:
        parsed, org_id = _org_id(session, role, org)
        person = find_person(session, telegram_id)
        if person is None:
            raise BadInput(f"Telegram user {telegram_id} holds no role")
        return revoke_role(session, person, parsed, org_id, datetime.now(UTC))

    if in_transaction(database_url, work) == 0:
        fail(f"{telegram_id} was not {role} of {org}")
    typer.echo(f"{telegram_id} is no longer {role} of {org}")


@role_app.command("list")
def role_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """Lists the active role grants: who, which role, over what, since when."""
    from sqlalchemy import select

    from storage.models import Branch, County, Role, Town
    from storage.repositories import list_roles

    def work(session: Session) -> list[dict[str, Any]]:
        counties = {c.id: c.name for c in session.scalars(select(County)).all()}
        towns = {t.id: t for t in session.scalars(select(Town)).unique().all()}
        branches = {b.id: b for b in session.scalars(select(Branch)).all()}

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
                "granted_at": local_time(grant.granted_at),
            }
            for grant in list_roles(session)
        ]

    grants = in_transaction(database_url, work)
    if as_json:
        print_json(grants)
        return
    for grant in grants:
        typer.echo(
            f"{grant['telegram_id']}\t{grant['role']}\t{grant['org']}\t"
            f"{grant['name'] or '-'}\tsince {grant['granted_at']}"
        )
    if not grants:
        typer.echo("no roles granted yet", err=True)

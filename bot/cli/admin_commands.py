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
    check_telegram_id,
    excerpt,
    fail,
    find_town_or_fail,
    find_unique_town,
    in_transaction,
    local_time,
    opened,
    print_json,
    printable,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from storage.models import Role

__all__ = ["register"]

DEFAULT_INVITE_DAYS = 14
# Bad rows of an import shown one per line; past this, a count of the rest.
MAX_PROBLEM_LINES = 100

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
    try:
        asyncio.run(opened(url, upgrade_database))
    except BadInput as problem:
        fail(str(problem))
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
    rubric: Annotated[
        Path | None,
        typer.Option(
            "--rubric",
            help="Rubric YAML whose categories 类别 may name, for towns without an open cycle "
            "(those take their cycle's); default: the built-in rubric.",
        ),
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Imports or updates branches from a spreadsheet; the same file again changes nothing."""
    from scoring import RubricError, load_rubric
    from storage.org_import import (
        ImportReport,
        categories_in_force,
        check_org_rows,
        import_org_rows,
        read_org_records,
    )
    from storage.spreadsheet import RowProblem, SpreadsheetError

    try:
        records, unread = read_org_records(file)
        chosen = None if rubric is None else load_rubric(rubric)
    except SpreadsheetError as error:
        fail(printable(str(error)))
    except RubricError as error:
        fail("\n".join(error.problems))

    def work(session: Session) -> tuple[ImportReport | None, list[RowProblem]]:
        rows, problems = check_org_rows(records, categories_in_force(session, chosen))
        problems = sorted(unread + problems, key=lambda problem: problem.row)
        if problems and not skip_bad:
            return None, problems
        return import_org_rows(session, rows), problems

    report, problems = in_transaction(database_url, work)
    for problem in problems[:MAX_PROBLEM_LINES]:
        typer.echo(printable(f"{file}: {problem}"), err=True)
    if len(problems) > MAX_PROBLEM_LINES:
        typer.echo(f"{file}: and {len(problems) - MAX_PROBLEM_LINES} more problems", err=True)
    bad_rows = len({problem.row for problem in problems})
    if report is None:
        fail(f"{bad_rows} bad rows: nothing imported (fix them, or use --skip-bad)")
    for label in report.created:
        typer.echo(f"created  {label}")
    for label in report.updated:
        typer.echo(f"updated  {label}")
    typer.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {bad_rows} bad rows skipped"
    )


@org_app.command("list")
def org_list(
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    as_json: JsonOption = False,
    database_url: DatabaseOption = None,
) -> None:
    """Lists towns and their branches with category, code and secretary's name."""
    from storage.repositories.orgs import all_towns, branches_of_town

    def work(session: Session) -> list[dict[str, str | None]]:
        towns = [find_town_or_fail(session, town)] if town else all_towns(session)
        return [
            {
                "county": each.county.name,
                "town": each.name,
                "branch": branch.name,
                "category": branch.category,
                "secretary": branch.secretary_name,
                "code": branch.code,
            }
            for each in towns
            for branch in branches_of_town(session, each.id)
        ]

    branches = in_transaction(database_url, work)
    if as_json:
        print_json(branches)
        return
    shown_town = None
    for branch in branches:
        if (branch["county"], branch["town"]) != shown_town:
            shown_town = (branch["county"], branch["town"])
            typer.echo(printable(f"{branch['county']}/{branch['town']}"))
        typer.echo(
            printable(
                f"  {branch['branch']}  {branch['category']}  {branch['code'] or '-'}  "
                f"{branch['secretary'] or '-'}"
            )
        )
    if not branches:
        typer.echo("no branches yet (pingxing org import)", err=True)


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
    from storage.repositories.orgs import find_branch

    if (branch is None) == (not all_branches):
        fail("name one branch with --branch, or use --all for every branch of the town")
    username = (bot_username or "").lstrip("@") or None

    def work(session: Session) -> list[dict[str, str | None]]:
        found = find_town_or_fail(session, town)
        branches = branches_of_town(session, found.id)
        if branch is not None:
            wanted = find_branch(session, town, branch)
            if wanted is None:
                raise BadInput(f"town {printable(found.name)} has no branch {excerpt(branch)}")
            branches = [wanted]
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
        name = printable(f"{invite['town']}/{invite['branch']}")
        typer.echo(f"{name}\t{invite['link'] or invite['code']}")
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


# What a role is granted over, as `--org` names it.
_ORG_LEVEL = {"county": "county", "town": "town", "secretary": "branch, written town/branch"}


def _org_id(session: Session, role: str, org: str) -> tuple[Role, int]:
    """Resolves `--role` and `--org` to the role and the id of an organisation at the level the
    role needs (county, town, or branch for a secretary)."""
    from storage.models import Role
    from storage.repositories.orgs import find_branch, find_county

    try:
        parsed = Role(role.strip().lower())
    except ValueError:
        raise BadInput(f"unknown role {excerpt(role)}: use town, county or secretary") from None
    found: Any = None
    if parsed is Role.COUNTY:
        found = find_county(session, org)
    elif parsed is Role.TOWN:
        found = find_unique_town(session, org)
    elif "/" in org:
        town_name, _, branch_name = org.rpartition("/")
        if find_unique_town(session, town_name) is not None:
            found = find_branch(session, town_name, branch_name)
    if found is None:
        level = _level_of(session, org)
        named = f"{excerpt(org)} is a {level}" if level else f"there is no {excerpt(org)}"
        raise BadInput(f"--role {parsed} needs a {_ORG_LEVEL[parsed]}: {named}")
    return parsed, int(found.id)


def _level_of(session: Session, name: str) -> str | None:
    """Which level of the tree `name` names, for saying why a grant was refused."""
    from storage.repositories.orgs import AmbiguousOrgName, find_branch, find_county, find_town

    town_name, _, branch_name = name.rpartition("/")
    try:
        if find_county(session, name) is not None:
            return "county"
        if find_town(session, name) is not None:
            return "town"
        if town_name and find_branch(session, town_name, branch_name) is not None:
            return "branch"
    except AmbiguousOrgName:
        return "town"
    return None


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
        check_telegram_id(telegram_id)
        parsed, org_id = _org_id(session, role, org)
        person = get_or_create_person(session, telegram_id)
        grant_role(session, person, parsed, org_id, datetime.now(UTC))

    in_transaction(database_url, work)
    typer.echo(printable(f"{telegram_id} is now {role} of {org}"))


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
        check_telegram_id(telegram_id)
        parsed, org_id = _org_id(session, role, org)
        person = find_person(session, telegram_id)
        if person is None:
            raise BadInput(f"Telegram user {telegram_id} holds no role")
        return revoke_role(session, person, parsed, org_id, datetime.now(UTC))

    if in_transaction(database_url, work) == 0:
        fail(printable(f"{telegram_id} was not {role} of {org}"))
    typer.echo(printable(f"{telegram_id} is no longer {role} of {org}"))


@role_app.command("list")
def role_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """Lists the active role grants: who, which role, over what, since when."""
    from storage.repositories import list_roles
    from storage.repositories.orgs import org_label

    def work(session: Session) -> list[dict[str, Any]]:
        return [
            {
                "telegram_id": grant.person.telegram_id,
                "name": grant.person.display_name,
                "role": grant.role,
                "org": org_label(session, grant.role, grant.org_id),
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
            f"{grant['telegram_id']}\t{grant['role']}\t{printable(grant['org'])}\t"
            f"{printable(grant['name'] or '-')}\tsince {grant['granted_at']}"
        )
    if not grants:
        typer.echo("no roles granted yet", err=True)

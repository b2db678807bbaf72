"""Operating the bot: `pingxing doctor`, `pingxing db backup FILE`, `pingxing db restore FILE`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.admin_support import DatabaseOption, fail

__all__ = ["register"]

# `doctor` found something to fix (2 stays "the command could not run": bad settings).
EXIT_PROBLEMS = 1


def doctor() -> None:
    """Checks the settings, database, Bot API and webhook; exit 0 only when all is well."""
    from pydantic import ValidationError

    from bot.doctor import diagnose
    from bot.settings import Settings, settings_problems

    try:
        settings = Settings()
    except ValidationError as error:
        for line in settings_problems(error):
            typer.echo(f"PROBLEM settings: {line}", err=True)
        fail("fix the settings above in .env or the environment, then run pingxing doctor again")
    findings = asyncio.run(diagnose(settings))
    for finding in findings:
        typer.echo(finding.line())
    if not all(finding.ok for finding in findings):
        raise typer.Exit(EXIT_PROBLEMS)


def db_backup(
    file: Annotated[Path, typer.Argument(help="The new file to write the copy to.")],
    database_url: DatabaseOption = None,
) -> None:
    """Copies the SQLite database to FILE while the bot runs (PostgreSQL: use pg_dump)."""
    from storage.backup import BackupError, backup_sqlite, sqlite_path
    from storage.engine import default_database_url

    try:
        source = sqlite_path(database_url or default_database_url())
        backup_sqlite(source, file)
    except BackupError as problem:
        fail(str(problem))
    typer.echo(f"backed up {source} to {file}")


def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by `pingxing db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing.")] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Replaces the SQLite database's content with FILE; stop the bot first."""
    from storage.backup import BackupError, check_backup, restore_sqlite, sqlite_path
    from storage.engine import default_database_url

    try:
        target = sqlite_path(database_url or default_database_url())
        check_backup(file)
    except BackupError as problem:
        fail(str(problem))
    if not yes:
        typer.confirm(f"replace everything in {target} with {file}?", abort=True)
    try:
        revision = restore_sqlite(file, target)
    except BackupError as problem:
        fail(str(problem))
    typer.echo(f"restored {target} from {file} (migration {revision})")


def register(app: typer.Typer) -> None:
    """Adds `doctor`, and `backup` and `restore` to the `db` group."""
    from bot.cli.admin_commands import db_app

    app.command("doctor")(doctor)
    db_app.command("backup")(db_backup)
    db_app.command("restore")(db_restore)

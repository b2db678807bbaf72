"""The `pingxing` command line: one Typer application, one sub-module per theme.

Each sub-module exposes `register(app)`, so this file is the one place that says which commands
exist. Heavy imports (SQLAlchemy, telegram) happen inside the commands, so `pingxing score` stays
quick.
"""

from __future__ import annotations

import typer

from bot.cli import (
    admin_commands,
    county_commands,
    deadline_commands,
    delivery_commands,
    ops_commands,
    publicity_commands,
    review_commands,
    runtime_commands,
    scoring_commands,
)

app = typer.Typer(
    name="pingxing",
    help="评星助手 pingxing: score rubrics, set up a town, run the bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

scoring_commands.register(app)
admin_commands.register(app)
deadline_commands.register(app)
runtime_commands.register(app)
delivery_commands.register(app)
ops_commands.register(app)
review_commands.register(app)
publicity_commands.register(app)
county_commands.register(app)


def main() -> None:
    """Runs the command line."""
    app()

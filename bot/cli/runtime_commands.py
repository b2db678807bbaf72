"""Placeholder until this command group lands."""

import typer


def register(app: typer.Typer) -> None:
    """Adds this module's commands to the application."""
